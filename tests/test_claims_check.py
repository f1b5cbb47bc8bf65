"""Tests for sphinx_claims.check: a claim's verdict, its record as a cell output, warnings and formatting."""

import warnings

import nbformat
import numpy as np
import pytest
import torch
from nbclient import NotebookClient

from sphinx_claims import CLAIM_MIME, Claim, ClaimWarning, claim, claims_in_notebook, format_value, test_reading


def test_true_claim_returns_its_record():
    record = claim("The probability stays below one half.", "p_max < 0.5", p_max=0.481)
    assert record == Claim("The probability stays below one half.", "p_max < 0.5", {"p_max": 0.481}, True, "")


def test_false_claim_outside_a_notebook_warns_and_returns():
    with pytest.warns(ClaimWarning, match=r"below one half.*p_max = 0\.52"):
        record = claim("The probability stays below one half.", "p_max < 0.5", p_max=0.52)
    assert record.holds is False


def test_a_shell_without_a_kernel_still_gets_the_warning():
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.display import publish_display_data

    publish_display_data({"text/plain": "x"})  # creates IPython's bare shell, as myst_nb.glue does outside a kernel
    try:
        with pytest.warns(ClaimWarning, match="below one half"):
            claim("The probability stays below one half.", "p_max < 0.5", p_max=0.52)
    finally:
        InteractiveShell.clear_instance()


def test_a_false_reading_of_the_test_set_warns_and_is_marked_as_not_gating():
    with pytest.warns(ClaimWarning, match=r"Reading of the test set does NOT hold.*low = 0\.979"):
        record = test_reading("The interval lies above the target.", "low > target", low=0.979, target=0.98)
    assert record == Claim("The interval lies above the target.", "low > target", {"low": 0.979, "target": 0.98},
                           False, gates=False)


def test_true_claims_and_readings_are_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        record = test_reading("The interval lies above the target.", "low > target", low=0.981, target=0.98)
        assert claim("Two is more than one.", "a > b", a=2, b=1).gates
    assert record.holds and not record.gates


def test_tensors_and_numpy_values_become_plain_numbers():
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
def test_bad_claims_raise_value_error_in_any_mode(statement, condition, values, match):
    with pytest.raises(ValueError, match=match):
        claim(statement, condition, **values)


@pytest.mark.parametrize("label", ["Upper", "two words", "trailing-", "-leading", "a--b", 3])
def test_a_malformed_label_raises_value_error(label):
    with pytest.raises(ValueError, match="label must be lower-case words"):
        claim("A sentence.", "x > 0", label=label, x=1)


def test_a_label_is_kept_on_the_record():
    assert claim("A sentence.", "x > 0", label="positive-x-2", x=1).label == "positive-x-2"
    assert claim("A sentence.", "x > 0", x=1).label == ""


def test_conditions_can_use_the_safe_builtins():
    assert claim("All runs fit.", "all(f for f in fits) and all(x < limit for x in xs) and math.isfinite(sum(xs))",
                 fits=[True, True], xs=[0.2, 0.4], limit=1).holds


@pytest.mark.parametrize("value, text", [
    (0.4812345, "0.4812"), (1.46e-21, "1.46e-21"), (57858, "57,858"), (True, "True"),
    ([0.1, 0.25], "[0.1, 0.25]"), (list(range(10)), "[0, 1, 2, 3, 4, 5, 6, 7, ...]"),
    ({"relu": 0.5}, "{relu: 0.5}"), ("ordered", "ordered"),
])
def test_format_value(value, text):
    assert format_value(value) == text


def _output(statement, holds):
    record = {"statement": statement, "condition": "x", "values": {"x": holds}, "holds": holds, "page": "",
              "gates": True}
    return {"output_type": "display_data", "data": {CLAIM_MIME: record, "text/plain": statement}, "metadata": {}}


def test_claims_in_notebook_picks_claim_records_in_order():
    notebook = {"cells": [{"cell_type": "code", "outputs": [_output("first", True), {"output_type": "stream"}]},
                          {"cell_type": "markdown"},
                          {"cell_type": "code", "outputs": [{"data": {"text/plain": "79510"}}, _output("second", False),
                                                            _output("first", True)]}]}
    found = claims_in_notebook(notebook)
    assert [c.statement for c in found] == ["first", "second", "first"]
    assert [c.holds for c in found] == [True, False, True]


def test_in_a_jupyter_kernel_each_claim_is_one_output_and_a_false_one_a_red_box_not_an_error():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from sphinx_claims import claim\n"
                                  "claim('Two is more than one.', 'a > b', a=2, b=1)\n"
                                  "claim('The loss ends below ln 2.', 'loss < 0.6931', loss=0.7)"),
        nbformat.v4.new_code_cell("print('next cell ran')"),
    ])
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    first, second = notebook.cells
    assert len(first.outputs) == 2  # one per claim; the call that ends the cell shows nothing more
    true, false = (o["data"] for o in first.outputs)
    assert true["text/plain"] == "\u2713 Two is more than one." and "text/html" not in true
    assert false[CLAIM_MIME]["holds"] is False and false[CLAIM_MIME]["values"] == {"loss": 0.7}
    assert "The loss ends below ln 2." in false["text/html"] and "loss = 0.7" in false["text/html"]
    assert [c.statement for c in claims_in_notebook(notebook)] == ["Two is more than one.", "The loss ends below ln 2."]
    assert not any(o.output_type == "error" for o in first.outputs)
    assert second.outputs[0]["text"] == "next cell ran\n"
