"""The book's claims in the build: strict mode for the kernels, a box per page, and the claims page.

- Kernels started by the build inherit ``DLBOOK_CLAIMS=strict`` (a false claim raises and fails
  the build; only the robustness benchmark builds with ``DLBOOK_CLAIMS=record``, which records
  every claim without stopping) and ``DLBOOK_PAGE=<docname>`` (so the error names the page).
- After a notebook page is read, its claims are taken from the values the page glued (each
  claim glues its record; MyST-NB collects glue from every cell, hidden ones included, whether
  the page ran or came from the execution cache) and a collapsed box "What this page checks"
  is appended to the page.
- The directive ``{claims-ledger}`` lists every claim of the book, grouped by page with links,
  and says for each claim under which variants of the robustness record it held (the record of
  ``benchmarks/robustness.py``, named by the config value ``claims_robustness_record``, relative
  to the book's folder); the role ``{claims-count}`` writes the number of ``claims`` (or
  ``pages`` with claims).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

from myst_nb.sphinx_ import NbMetadataCollector

from dlbook.claims import MODE_VARIABLE, PAGE_VARIABLE, Claim, claims_in_glue, format_value

BOX_TITLE = "What this page checks"
_KERNELSPEC = re.compile(r"\A---\s*\n.*?^kernelspec:", re.S | re.M)


class claims_ledger(nodes.General, nodes.Element):
    """Placeholder for the list of every claim, filled in when the pages are written."""


class claims_count(nodes.Inline, nodes.TextElement):
    """Placeholder for the number of claims (or of pages with claims)."""


class ClaimsLedgerDirective(Directive):
    """``{claims-ledger}``: every claim of the book, grouped by page, with its robustness record."""

    def run(self) -> list[nodes.Node]:
        env = self.state.document.settings.env
        _consumers(env).add(env.docname)
        record = _record_path(env.app)
        if record is not None:
            env.note_dependency(str(record))  # a new record re-reads the ledger page
        return [claims_ledger()]


def _record_path(app: Sphinx) -> Path | None:
    """Return the robustness record named by ``claims_robustness_record``, or None when none is set."""
    name = app.config.claims_robustness_record
    return (Path(app.confdir) / name).resolve() if name else None


def load_record(path: Path | None) -> dict | None:
    """Return the robustness record at ``path`` (None when there is none); a broken one raises ValueError."""
    if path is None or not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        record["claims"], record["variants"]
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"robustness record {path} is not a record of benchmarks/robustness.py: {error}") from None
    return record


def robustness_of(record: dict) -> dict[tuple[str, str], dict[str, bool]]:
    """Return ``{(page, statement): {variant: held}}``; a statement made twice on a page holds only if both do."""
    verdicts: dict[tuple[str, str], dict[str, bool]] = {}
    for row in record["claims"]:
        held = verdicts.setdefault((row["page"], row["statement"]), {})
        for variant in record["variants"]:
            held[variant] = held.get(variant, True) and row["held"].get(variant) is True
    return verdicts


def claims_count_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``{claims-count}`claims``` or ``{claims-count}`pages```: a count filled in at write time."""
    env = inliner.document.settings.env
    what = text.strip()
    if what not in ("claims", "pages"):
        msg = inliner.reporter.error(f"claims-count takes 'claims' or 'pages', got {what!r}", line=lineno)
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    _consumers(env).add(env.docname)
    return [claims_count(rawtext, what=what)], []


def _claims(env: BuildEnvironment) -> dict[str, list[dict]]:
    if not hasattr(env, "dlbook_claims"):
        env.dlbook_claims = {}
    return env.dlbook_claims


def _consumers(env: BuildEnvironment) -> set[str]:
    if not hasattr(env, "dlbook_claim_consumers"):
        env.dlbook_claim_consumers = set()
    return env.dlbook_claim_consumers


def _note_page(app: Sphinx, docname: str, source: list[str]) -> None:
    """Tell the kernel that is about to run which page it executes; remember notebook pages."""
    os.environ[PAGE_VARIABLE] = docname
    notebooks = app.env.temp_data.setdefault("dlbook_notebooks", set())
    if _KERNELSPEC.match(source[0]):
        notebooks.add(docname)


def _collect(app: Sphinx, doctree: nodes.document) -> None:
    """Read the page's claims from its glued values and append the box that lists them."""
    env = app.env
    docname = env.docname
    _claims(env).pop(docname, None)
    if docname not in env.temp_data.get("dlbook_notebooks", set()):
        return
    keys = set(NbMetadataCollector.get_doc_data(env)[docname].get("glue", []))  # glued in this read
    glued = Path(env.mystnb_config.output_folder, *f"{docname}.glue.json".split("/"))
    if not keys or not glued.is_file():
        return
    data = json.loads(glued.read_text(encoding="utf-8"))
    found = claims_in_glue({key: value for key, value in data.items() if key in keys})
    if not found:
        return
    _claims(env)[docname] = [asdict(c) for c in found]
    _last_section(doctree).append(_box(found))


def _last_section(doctree: nodes.document) -> nodes.Element:
    node: nodes.Element = doctree
    while True:
        sections = [child for child in node.children if isinstance(child, nodes.section)]
        if not sections:
            return node
        node = sections[-1]


def _claim_item(record: Claim, robustness: dict | None = None) -> nodes.list_item:
    mark = "\u2713" if record.holds else "\u2717"
    item = nodes.list_item()
    label = "" if record.gates else "Reading of the test set (reported, never fails the build): "
    item += nodes.paragraph("", f"{mark} {label}{record.statement}")
    if robustness is not None:
        item += _robustness_line(record, robustness)
    check = nodes.paragraph("", "", classes=["dlbook-claim-check"])
    check += nodes.Text("checked: ")
    check += nodes.literal("", record.condition)
    if record.values:
        check += nodes.Text(" with ")
        for i, (name, value) in enumerate(record.values.items()):
            if i:
                check += nodes.Text(", ")
            check += nodes.literal("", f"{name} = {format_value(value)}")
    item += check
    return item


def _robustness_line(record: Claim, robustness: dict) -> nodes.paragraph:
    """``held under: seed offset 1 with other arithmetic ✓, ...`` from the record, or that it is not in it."""
    line = nodes.paragraph("", "", classes=["dlbook-claim-robustness"])
    held = robustness["verdicts"].get((record.page, record.statement))
    if held is None:
        line += nodes.Text("not in the robustness record (new or reworded since it was made)")
        return line
    marks = {True: "\u2713", False: "\u2717"}
    shown = [f"{robustness['labels'].get(v, v)} {marks[ok]}" for v, ok in held.items() if v != "default"]
    line += nodes.Text("rerun with " + ", ".join(shown))
    return line


def _claim_list(records: list[Claim], robustness: dict | None = None) -> nodes.bullet_list:
    listing = nodes.bullet_list(classes=["dlbook-claims"])
    for record in records:
        listing += _claim_item(record, robustness)
    return listing


def _record_summary(record: dict | None, everything: dict[str, list[Claim]]) -> nodes.paragraph:
    """One paragraph: which record, its date and commit, and how many of this build's claims held in every rerun."""
    if record is None:
        return nodes.paragraph("", "No robustness record was found: run benchmarks/robustness.py.")
    verdicts = robustness_of(record)
    claims = [c for records in everything.values() for c in records]
    everywhere = sum(all(verdicts.get((c.page, c.statement), {"": False}).values()) for c in claims)
    reruns = [v["label"] for name, v in record["variants"].items() if name != "default"]
    text = (f"Robustness record of {record['date']} (commit {record['commit']}, {record.get('processor', '')}): "
            f"every page executed again, cold, with {', with '.join(reruns)}. "
            f"{everywhere} of the {len(claims)} claims of this build held in every rerun.")
    return nodes.paragraph("", text, classes=["dlbook-ledger-record"])


def _box(records: list[Claim]) -> nodes.admonition:
    box = nodes.admonition(classes=["dropdown", "dlbook-checks"])
    box += nodes.title("", f"{BOX_TITLE} ({_count(len(records))})")
    text = ("Each sentence below is checked by the code of this page every time the book is built; "
            "the build fails if one does not hold.")
    if not all(r.gates for r in records):
        text += (" Readings of the test set are evaluated too, but never fail the build: a false one "
                 "shows a box where the page makes it.")
    box += nodes.paragraph("", text)
    box += _claim_list(records)
    return box


def _resolve(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Fill in the claims page and the counts from the claims of every page."""
    everything = {page: [Claim(**r) for r in records] for page, records in sorted(_claims(app.env).items())}
    for node in doctree.findall(claims_count):
        number = sum(map(len, everything.values())) if node["what"] == "claims" else len(everything)
        node.replace_self(nodes.Text(f"{number:,}"))
    for node in doctree.findall(claims_ledger):
        record = load_record(_record_path(app))
        robustness = None if record is None else {
            "verdicts": robustness_of(record), "labels": {n: v["label"] for n, v in record["variants"].items()}}
        content: list[nodes.Node] = [_record_summary(record, everything)]
        for page, records in everything.items():
            heading = nodes.paragraph(classes=["dlbook-ledger-page"])
            link = nodes.reference("", "", internal=True,
                                   refuri=app.builder.get_relative_uri(docname, page))
            title = app.env.titles.get(page)
            link += nodes.strong("", title.astext() if title else page)
            heading += link
            holding = sum(r.holds for r in records)
            heading += nodes.Text(f": {_count(len(records))}, {holding} hold{'s' if holding == 1 else ''}")
            content += [heading, _claim_list(records, robustness)]
        node.replace_self(content)


def _count(n: int) -> str:
    """``n`` claims, in words: "1 claim", "2 claims"."""
    return f"{n} claim{'' if n == 1 else 's'}"


def _purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    _claims(env).pop(docname, None)
    _consumers(env).discard(docname)


def _merge(app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment) -> None:
    for docname in docnames:
        if docname in _claims(other):
            _claims(env)[docname] = _claims(other)[docname]
        if docname in _consumers(other):
            _consumers(env).add(docname)


def _outdated(app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]) -> list[str]:
    """When any page is read again, the pages that list or count claims are read again too."""
    if added or changed or removed:
        return sorted(_consumers(env) - added - changed)
    return []


def setup(app: Sphinx) -> dict:
    """Register the directive, the role and the hooks; kernels inherit strict mode."""
    if os.environ.get(MODE_VARIABLE) != "record":  # benchmarks/robustness.py records claims without stopping
        os.environ[MODE_VARIABLE] = "strict"
    app.add_config_value("claims_robustness_record", "", "env", types=[str])
    app.add_node(claims_ledger)
    app.add_node(claims_count)
    app.add_directive("claims-ledger", ClaimsLedgerDirective)
    app.add_role("claims-count", claims_count_role)
    app.connect("source-read", _note_page)
    app.connect("doctree-read", _collect)
    app.connect("doctree-resolved", _resolve)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-get-outdated", _outdated)
    return {"version": "1", "env_version": 1, "parallel_read_safe": True, "parallel_write_safe": True}
