"""Tests for dlbook.claims: strict mode raises, interactive mode warns, records and formatting."""

import warnings

import nbformat
import numpy as np
import pytest
import torch
from nbclient import NotebookClient

from dlbook import claims
from dlbook.claims import (CLAIM_MIME, HIDDEN_GLUE_PREFIX, KEY_PREFIX, Claim, ClaimError, ClaimWarning, claim,
                           claims_in_glue, format_value, glue_key, test_reading)


@pytest.fixture
def strict(monkeypatch):
    monkeypatch.setenv(claims.MODE_VARIABLE, "strict")
    monkeypatch.setenv(claims.PAGE_VARIABLE, "part9/9z-example")


@pytest.fixture
def interactive(monkeypatch):
    monkeypatch.delenv(claims.MODE_VARIABLE, raising=False)
    monkeypatch.delenv(claims.PAGE_VARIABLE, raising=False)


def test_true_claim_returns_its_record(interactive):
    record = claim("The probability stays below one half.", "p_max < 0.5", p_max=0.481)
    assert record == Claim("The probability stays below one half.", "p_max < 0.5", {"p_max": 0.481}, True, "")


def test_false_claim_in_strict_mode_names_page_sentence_and_values(strict):
    with pytest.raises(ClaimError) as info:
        claim("The probability stays below one half.", "p_max < 0.5", p_max=0.52)
    message = str(info.value)
    assert "part9/9z-example" in message
    assert "The probability stays below one half." in message
    assert "p_max < 0.5" in message and "p_max = 0.52" in message
    assert "does NOT hold" in message


def test_false_claim_outside_the_build_warns_and_returns(interactive):
    with pytest.warns(ClaimWarning, match=r"below one half.*p_max = 0\.52"):
        record = claim("The probability stays below one half.", "p_max < 0.5", p_max=0.52)
    assert record.holds is False


def test_a_false_reading_of_the_test_set_never_fails_the_build_but_warns(strict):
    with pytest.warns(ClaimWarning, match=r"Reading of the test set does NOT hold.*part9/9z-example.*low = 0\.979"):
        record = test_reading("The interval lies above the target.", "low > target", low=0.979, target=0.98)
    assert record == Claim("The interval lies above the target.", "low > target", {"low": 0.979, "target": 0.98},
                           False, "part9/9z-example", gates=False)


def test_a_true_reading_is_silent_and_marked_as_not_gating(strict):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        record = test_reading("The interval lies above the target.", "low > target", low=0.981, target=0.98)
    assert record.holds and not record.gates
    assert claim("Two is more than one.", "a > b", a=2, b=1).gates


def test_true_claim_is_silent_in_both_modes(monkeypatch):
    for mode in ("strict", "warn"):
        monkeypatch.setenv(claims.MODE_VARIABLE, mode)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert claim("Two is more than one.", "a > b", a=2, b=1).holds


def test_tensors_and_numpy_values_become_plain_numbers(interactive):
    record = claim("The accuracies beat the target.", "min(accs) >= target and n == 3",
                   accs=torch.tensor([0.98, 0.99, 0.985]), target=np.float64(0.975), n=np.int64(3))
    assert isinstance(record.values["target"], float) and isinstance(record.values["n"], int)
    assert record.values["accs"] == pytest.approx([0.98, 0.99, 0.985])


@pytest.mark.parametrize("statement, condition, values, match", [
    ("", "x > 0", {"x": 1}, "statement"),
    ("A sentence.", "", {"x": 1}, "condition"),
    ("A sentence.", "x >", {"x": 1}, "not a Python expression"),
    ("A sentence.", "y > 0", {"x": 1}, r"uses \['y'\]"),
    ("A sentence.", "x + 1", {"x": 1}, "True or False"),
    ("A sentence.", "x is not None", {"x": object()}, "must be a number"),
    ("A sentence.", "open('f') is None", {}, r"uses \['open'\]"),
])
def test_bad_claims_raise_value_error_in_any_mode(interactive, statement, condition, values, match):
    with pytest.raises(ValueError, match=match):
        claim(statement, condition, **values)


def test_conditions_can_use_the_safe_builtins(interactive):
    assert claim("All runs fit.", "all(f for f in fits) and all(x < limit for x in xs) and math.isfinite(sum(xs))",
                 fits=[True, True], xs=[0.2, 0.4], limit=1).holds


@pytest.mark.parametrize("value, text", [
    (0.4812345, "0.4812"), (1.46e-21, "1.46e-21"), (57858, "57,858"), (True, "True"),
    ([0.1, 0.25], "[0.1, 0.25]"), (list(range(10)), "[0, 1, 2, 3, 4, 5, 6, 7, ...]"),
    ({"relu": 0.5}, "{relu: 0.5}"), ("ordered", "ordered"),
])
def test_format_value(value, text):
    assert format_value(value) == text


def test_claims_in_glue_picks_claim_records_in_order():
    def output(statement, holds):
        record = {"statement": statement, "condition": "x", "values": {"x": holds}, "holds": holds, "page": ""}
        return {"output_type": "display_data", "data": {CLAIM_MIME: record, "text/plain": statement}, "metadata": {}}

    glued = {glue_key("first"): output("first", True), "mlp1-params": {"data": {"text/plain": "79510"}},
             glue_key("second"): output("second", False), glue_key("first", 2): output("first", True)}
    found = claims_in_glue(glued)
    assert [c.statement for c in found] == ["first", "second", "first"]
    assert [c.holds for c in found] == [True, False, True]


def test_glue_keys_are_stable_and_distinct():
    assert glue_key("A sentence.") == glue_key("A sentence.") != glue_key("A sentence.", 2)
    assert glue_key("A sentence.").startswith(KEY_PREFIX) and glue_key("A sentence.") != glue_key("Another.")


def test_in_a_jupyter_kernel_a_false_claim_shows_a_warning_and_the_next_cell_runs(monkeypatch):
    monkeypatch.delenv(claims.MODE_VARIABLE, raising=False)
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from dlbook.claims import claim\n"
                                  "claim('The loss ends below ln 2.', 'loss < 0.6931', loss=0.7)"),
        nbformat.v4.new_code_cell("print('next cell ran')"),
    ])
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    first, second = notebook.cells
    glued = [o for o in first.outputs if "scrapbook" in o.get("metadata", {})]
    assert len(glued) == 1 and glued[0]["metadata"]["scrapbook"]["name"].startswith(KEY_PREFIX)
    record = glued[0]["data"][HIDDEN_GLUE_PREFIX + CLAIM_MIME]
    assert record["holds"] is False and record["values"] == {"loss": 0.7}
    warning = next(o["data"]["text/html"] for o in first.outputs if "text/html" in o.get("data", {}))
    assert "The loss ends below ln 2." in warning and "loss = 0.7" in warning
    assert not any(o.output_type == "error" for o in first.outputs)
    assert second.outputs[0]["text"] == "next cell ran\n"
