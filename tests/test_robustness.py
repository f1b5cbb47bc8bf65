"""Tests of benchmarks/robustness.py's reading of claims and its record-only builds."""

import importlib.util
from pathlib import Path

import pytest
import yaml

from sphinx_claims import CLAIM_MIME

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("robustness", REPO / "benchmarks" / "robustness.py")
robustness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(robustness)


def _output(statement: str, holds: bool) -> dict:
    record = {"statement": statement, "condition": "x", "values": {"x": 1}, "holds": holds, "page": "", "gates": True}
    return {"output_type": "display_data", "data": {CLAIM_MIME: record, "text/plain": statement}}


def test_a_sentence_made_twice_on_a_page_is_two_claims():
    notebook = {"cells": [{"cell_type": "code", "outputs": [_output("A.", True), _output("B.", False)]},
                          {"cell_type": "code", "outputs": [_output("A.", False)]}]}
    keyed = robustness.keyed_claims(notebook)
    assert [(c["key"], c["holds"]) for c in keyed] == [("A.#1", True), ("B.#1", False), ("A.#2", False)]


def test_a_variant_build_records_false_claims_instead_of_stopping(tmp_path):
    (tmp_path / "_config.yml").write_text("title: t\nsphinx:\n  config:\n    nb_merge_streams: true\n")
    robustness.record_claims_only(tmp_path)
    config = yaml.safe_load((tmp_path / "_config.yml").read_text())
    assert config["sphinx"]["config"] == {"nb_merge_streams": True, "claims_fail_build": False}
    assert config["title"] == "t"


def test_pages_that_match_no_page_are_refused_before_anything_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", ["robustness.py", "--tree", "--pages", "part1/1", "--workdir", str(tmp_path)])
    with pytest.raises(SystemExit, match="matches no executed page"):
        robustness.main()
    assert not any(tmp_path.iterdir())  # no copy was made


def test_a_rerun_of_some_pages_replaces_only_their_rows_and_says_when():
    record = {"date": "2026-12-01", "commit": "aaa", "variants": {"default": {}},
              "flips": ["p1: false under default: 'Old.' (x; {})", "p2 raised under default: boom"],
              "claims": [{"page": "p1", "statement": "Old.", "condition": "x", "held": {"default": False}, "values": {}},
                         {"page": "p2", "statement": "Kept.", "condition": "x", "held": {"default": True}, "values": {}}]}
    variants = {"default": {"pages": {"p1": {"seconds": 3.0, "error": None, "claims": []}}}}
    rows = [{"page": "p1", "key": "New.#1", "statement": "New.", "condition": "x", "held": {"default": True}, "values": {}}]
    merged = robustness.merge_pages(record, variants, rows, [], {"date": "2026-12-08", "commit": "bbb", "processor": "P"})
    assert [(c["page"], c["statement"]) for c in merged["claims"]] == [("p1", "New."), ("p2", "Kept.")]
    assert merged["flips"] == ["p2 raised under default: boom"]
    assert merged["page_runs"] == {"p1": {"date": "2026-12-08", "commit": "bbb", "processor": "P", "seconds": {"default": 3.0}}}
    assert (merged["date"], merged["commit"]) == ("2026-12-01", "aaa") and record["claims"][0]["statement"] == "Old."
