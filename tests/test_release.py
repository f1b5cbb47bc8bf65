"""Tests of benchmarks/release.py: a built tree's claims ledger, and the diff between two ledgers."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest

from sphinx_claims import CLAIM_MIME

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("release", REPO / "benchmarks" / "release.py")
release = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(release)


def _claim(page, statement, holds=True, condition="a > 0", **values):
    return {"page": page, "statement": statement, "condition": condition, "values": values or {"a": 1},
            "holds": holds}


def test_the_script_reads_claims_as_sphinx_claims_records_them():
    assert release.CLAIM_MIMES[0] == CLAIM_MIME


def test_ledger_reads_the_claims_of_each_executed_page_in_either_format(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q",
                    "--allow-empty", "-m", "t"], check=True)
    (tmp_path / "_toc.yml").write_text("root: intro\nparts:\n  - chapters:\n      - file: part1/a\n      - file: part1/b\n")
    executed = tmp_path / "_build" / "jupyter_execute" / "part1"
    executed.mkdir(parents=True)
    record = {"statement": "It holds.", "condition": "x < 1", "values": {"x": 0.5}, "holds": True, "page": ""}
    older = {**record, "statement": "It held before sphinx_claims."}
    (executed / "a.ipynb").write_text(json.dumps({"cells": [
        {"cell_type": "markdown", "source": "x"},
        {"cell_type": "code", "outputs": [{"data": {CLAIM_MIME: record, "text/plain": "ok"}},
                                          {"data": {"text/plain": "0.9"}}, {"output_type": "stream", "text": "t"}]},
        {"cell_type": "code", "outputs": [{"data": {release.CLAIM_MIMES[1]: older}}]}]}))
    book = release.ledger(tmp_path)
    assert book["claims"] == [{"page": "part1/a", "statement": s, "condition": "x < 1", "values": {"x": 0.5},
                               "holds": True} for s in ("It holds.", "It held before sphinx_claims.")]
    assert len(book["commit"]) == 40
    with pytest.raises(ValueError, match="build the book first"):
        release.ledger(tmp_path / "nowhere")


def test_diff_names_claims_added_removed_rejudged_and_remeasured():
    old = {"commit": "a" * 40, "claims": [_claim("p", "Same."), _claim("p", "Gone."), _claim("p", "Flips.", x=1),
                                          _claim("q", "Moves.", x=1, y=2)]}
    new = {"commit": "b" * 40, "claims": [_claim("p", "Same."), _claim("p", "Flips.", holds=False, x=1),
                                          _claim("q", "Moves.", x=3, y=2), _claim("q", "New.")]}
    change = release.diff(old, new)
    assert [c["statement"] for c in change["added"]] == ["New."]
    assert [c["statement"] for c in change["removed"]] == ["Gone."]
    assert change["verdict"] == [{"page": "p", "statement": "Flips.", "was": True, "now": False}]
    assert change["values"] == [{"page": "q", "statement": "Moves.", "values": {"x": {"was": 1, "now": 3}}}]
    notes = release.markdown(change)
    assert "4 claims (were 4): 1 added, 1 removed, 0 reworded, 1 changed verdict" in notes
    assert "- **p**: Flips. (FAILS (was holds))" in notes and "x: 1 -> 3" in notes


def test_a_sentence_made_twice_on_a_page_is_two_claims():
    old = {"claims": [_claim("p", "Twice.", x=1), _claim("p", "Twice.", x=2)]}
    new = {"claims": [_claim("p", "Twice.", x=1)]}
    change = release.diff(old, new)
    assert len(change["removed"]) == 1 and change["removed"][0]["values"] == {"x": 2} and not change["values"]


def test_the_same_check_under_a_new_sentence_is_reworded():
    old = {"claims": [_claim("p", "Old words.", x=1), _claim("p", "Other.", x=2)]}
    new = {"claims": [_claim("p", "New words.", x=1), _claim("p", "Other.", x=2)]}
    change = release.diff(old, new)
    assert change["reworded"] == [{"page": "p", "statement": "New words.", "was": "Old words."}]
    assert not change["added"] and not change["removed"]


@pytest.mark.parametrize("bad", [{}, {"claims": "none"}, []])
def test_a_bad_ledger_is_refused(bad):
    with pytest.raises(ValueError, match="not a ledger"):
        release.diff(bad, {"claims": []})


def test_diff_command_names_an_unreadable_file(tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"claims": []}))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert release.main(["diff", str(good), str(broken)]) == 2
    assert "broken.json: not a readable JSON ledger" in capsys.readouterr().err
