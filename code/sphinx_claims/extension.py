"""The Sphinx side: each claim output becomes a line of the page's box; a false claim fails the build.

- MyST-NB renders a cell output of MIME type :data:`~sphinx_claims.check.CLAIM_MIME` through
  :class:`ClaimRenderer` (a MyST-NB MIME render plugin, registered under the entry point
  ``myst_nb.mime_renderers``) as an invisible :class:`claim_record` node, whether the page ran or
  came from the execution cache. Cells that hold only claims are tagged ``remove-input``.
- After a page is read, its records leave the cell outputs and a collapsed box "What this page
  checks" is appended to the page. A false claim raises :class:`ClaimError`, which stops the
  build naming the page, the sentence and the values, unless ``claims_fail_build = False`` (the
  robustness benchmark records every claim that way); a false reading of the test set, or a
  false claim in that mode, leaves a visible box where it is made.
- The role ``{claim}`label``` anchors a claim to the sentence it follows: a superscript check mark
  that links to the claim in the page's box (``static/sphinx_claims.js`` opens the box). The build
  warns on a citation of a label the page does not make, on a label made twice, and, with
  ``claims_require_citations = True``, on a claim that no sentence cites.
- The directive ``{claims-ledger}`` lists every claim of the book, grouped by page with links,
  and says for each claim under which variants of a robustness record it held (the JSON file named
  by ``claims_robustness_record``, relative to the book's folder); the role ``{claims-count}``
  writes the number of ``claims`` (or ``pages`` with claims).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.errors import ExtensionError, SphinxError
from sphinx.util import logging

from sphinx_claims.check import CLAIM_MIME, LABEL, Claim, format_value

BOX_TITLE = "What this page checks"
LOGGER = logging.getLogger(__name__)
#: A MyST code cell: its options (``:tags: [...]`` lines or a ``---`` block) and its code.
_CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(---\n.*?\n---\n|(?::[^\n]*\n)*)(.*?)^```", re.S | re.M)
_CALL = re.compile(r"\b(claim|test_reading)\(")
STATIC = Path(__file__).parent / "static"


class ClaimError(SphinxError):
    """A claim of the prose does not hold: the build stops."""

    category = "ClaimError"


class claim_record(nodes.General, nodes.Element):
    """A claim's record where its cell output was; the extension removes it before anything is written."""


class ClaimRenderer:
    """MyST-NB MIME render plugin: a claim output becomes a :class:`claim_record` node (nothing is shown)."""

    mime_priority_overrides = [("*", CLAIM_MIME, 1)]  # before text/html and text/plain, for every builder

    @staticmethod
    def handle_mime(renderer: Any, data: Any, inline: bool) -> list[nodes.Element] | None:
        if data.mime_type != CLAIM_MIME:
            return None
        record = data.content if isinstance(data.content, dict) else json.loads(data.string)
        return [claim_record(record=record)]


class claim_citation(nodes.Inline, nodes.Element):
    """A sentence's citation of a claim of its page, by label; it becomes a link when the page is read."""


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
        raise ValueError(f"robustness record {path} needs the keys 'claims' and 'variants' (see the README): {error}") from None
    return record


def robustness_of(record: dict) -> dict[tuple[str, str], dict[str, bool]]:
    """Return ``{(page, statement): {variant: held}}``; a statement made twice on a page holds only if both do."""
    verdicts: dict[tuple[str, str], dict[str, bool]] = {}
    for row in record["claims"]:
        held = verdicts.setdefault((row["page"], row["statement"]), {})
        for variant in record["variants"]:
            held[variant] = held.get(variant, True) and row["held"].get(variant) is True
    return verdicts


def claims_count_role(name: str, rawtext: str, text: str, lineno: int, inliner: Any, options: dict | None = None,
                      content: list[str] | None = None) -> tuple[list[nodes.Node], list[nodes.system_message]]:
    """``{claims-count}`claims``` or ``{claims-count}`pages```: a count filled in at write time."""
    env = inliner.document.settings.env
    what = text.strip()
    if what not in ("claims", "pages"):
        msg = inliner.reporter.error(f"claims-count takes 'claims' or 'pages', got {what!r}", line=lineno)
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    _consumers(env).add(env.docname)
    return [claims_count(rawtext, what=what)], []


def claim_role(name: str, rawtext: str, text: str, lineno: int, inliner: Any, options: dict | None = None,
               content: list[str] | None = None) -> tuple[list[nodes.Node], list[nodes.system_message]]:
    """``{claim}`label```: the sentence before it states the claim ``label`` of this page."""
    label = text.strip()
    if not LABEL.match(label):
        msg = inliner.reporter.error(f"a claim label is lower-case words or digits joined by hyphens, got {label!r}",
                                     line=lineno)
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    return [claim_citation(rawtext, label=label)], []


def _claims(env: BuildEnvironment) -> dict[str, list[dict]]:
    if not hasattr(env, "sphinx_claims"):
        env.sphinx_claims = {}
    return env.sphinx_claims


def _consumers(env: BuildEnvironment) -> set[str]:
    if not hasattr(env, "sphinx_claims_consumers"):
        env.sphinx_claims_consumers = set()
    return env.sphinx_claims_consumers


def _warn_removed_claims(app: Sphinx, docname: str, source: list[str]) -> None:
    """Warn about a ``remove-cell`` cell that makes claims: MyST-NB drops its outputs, and the claims with them."""
    for cell in _CODE_CELL.finditer(source[0]):
        if "remove-cell" in cell.group(1) and _CALL.search(cell.group(2)):
            line = source[0].count("\n", 0, cell.start()) + 1
            LOGGER.warning("a remove-cell cell makes claims, which are then not seen: tag it remove-input",
                           location=(docname, line), type="claims", subtype="removed")


def _collect(app: Sphinx, doctree: nodes.document) -> None:
    """Take the page's claim records out of its cell outputs, fail on a false claim, link citations, append the box."""
    env = app.env
    docname = env.docname
    _claims(env).pop(docname, None)
    found = []
    for node in list(doctree.findall(claim_record)):
        record = Claim(**{**node["record"], "page": docname})
        found.append(record)
        _remove_record(node, None if record.holds else _false_box(record))
    false = [r for r in found if r.gates and not r.holds]
    if false and app.config.claims_fail_build:
        raise ClaimError("\n".join(r.message() for r in false))
    _link_citations(app, doctree, found)
    if not found:
        return
    _claims(env)[docname] = [asdict(c) for c in found]
    _last_section(doctree).append(_box(found))


def _link_citations(app: Sphinx, doctree: nodes.document, found: list[Claim]) -> None:
    """Turn each ``{claim}`` citation into a mark linking to its claim; warn on what does not match."""
    by_label: dict[str, Claim] = {}
    for record in found:
        if record.label in by_label:
            LOGGER.warning(f"two claims of this page have the label {record.label!r}: {record.statement!r}",
                           location=app.env.docname, type="claims", subtype="label")
        elif record.label:
            by_label[record.label] = record
    cited = set()
    for node in list(doctree.findall(claim_citation)):
        record = by_label.get(node["label"])
        if record is None:
            LOGGER.warning(f"{{claim}}`{node['label']}` cites no claim of this page", location=node,
                           type="claims", subtype="citation")
            node.replace_self(nodes.Text(""))
            continue
        cited.add(record.label)
        node.replace_self(_citation_mark(record))
    if app.config.claims_require_citations:
        for record in found:
            if record.label not in cited:
                what = f"the claim {record.label!r}" if record.label else "a claim without a label"
                LOGGER.warning(f"no sentence cites {what} ({{claim}}`label` after it): {record.statement!r}",
                               location=app.env.docname, type="claims", subtype="uncited")


def _citation_mark(record: Claim) -> nodes.superscript:
    """The superscript mark after a sentence: a link to its claim in the page's box."""
    holds = "checked by this page" if record.holds else "does NOT hold"
    link = nodes.reference("", "\u2713" if record.holds else "\u2717", internal=True,
                           refid=_item_id(record.label), reftitle=f"Claim {holds}: {record.statement}",
                           classes=["claim-citation"])
    return nodes.superscript("", "", link, classes=["claim-mark"])


def _item_id(label: str) -> str:
    return f"claim-{label}"


def _remove_record(node: claim_record, replacement: nodes.Element | None) -> None:
    """Replace the output that holds ``node`` (all its MIME types) or remove it with the containers it empties."""
    output: nodes.Element = node
    while output.parent is not None and not (isinstance(output, nodes.container)
                                             and output.get("nb_element") == "mime_bundle"):
        output = output.parent
    if output.parent is None:  # not inside a MyST-NB output: only the record itself
        output = node
    if replacement is not None:
        output.replace_self(replacement)
        return
    parent = output.parent
    parent.remove(output)
    while isinstance(parent, nodes.container) and not parent.children and parent.parent is not None:
        grandparent = parent.parent
        grandparent.remove(parent)
        parent = grandparent


def _false_box(record: Claim) -> nodes.admonition:
    """The visible box where a false reading of the test set (or a recorded false claim) is made."""
    what = "This claim of the page" if record.gates else "This reading of the test set"
    box = nodes.admonition(classes=["error", "claims-false"])
    box += nodes.title("", f"{what} does not hold with these settings")
    box += nodes.paragraph("", record.statement)
    box += _check_line(record)
    return box


def _last_section(doctree: nodes.document) -> nodes.Element:
    node: nodes.Element = doctree
    while True:
        sections = [child for child in node.children if isinstance(child, nodes.section)]
        if not sections:
            return node
        node = sections[-1]


def _claim_item(record: Claim, robustness: dict | None = None, anchor: bool = False) -> nodes.list_item:
    mark = "\u2713" if record.holds else "\u2717"
    item = nodes.list_item(ids=[_item_id(record.label)] if anchor and record.label else [])
    label = "" if record.gates else "Reading of the test set (reported, never fails the build): "
    item += nodes.paragraph("", f"{mark} {label}{record.statement}")
    if robustness is not None:
        item += _robustness_line(record, robustness)
    item += _check_line(record)
    return item


def _check_line(record: Claim) -> nodes.paragraph:
    """``checked: condition with name = value, ...``, in code type."""
    check = nodes.paragraph("", "", classes=["claim-check"])
    check += nodes.Text("checked: ")
    check += nodes.literal("", record.condition)
    if record.values:
        check += nodes.Text(" with ")
        for i, (name, value) in enumerate(record.values.items()):
            if i:
                check += nodes.Text(", ")
            check += nodes.literal("", f"{name} = {format_value(value)}")
    return check


def _robustness_line(record: Claim, robustness: dict) -> nodes.paragraph:
    """``held under: seed offset 1 with other arithmetic ✓, ...`` from the record, or that it is not in it."""
    line = nodes.paragraph("", "", classes=["claim-robustness"])
    held = robustness["verdicts"].get((record.page, record.statement))
    if held is None:
        line += nodes.Text("not in the robustness record (new or reworded since it was made)")
        return line
    marks = {True: "\u2713", False: "\u2717"}
    shown = [f"{robustness['labels'].get(v, v)} {marks[ok]}" for v, ok in held.items() if v != "default"]
    line += nodes.Text("rerun with " + ", ".join(shown))
    return line


def _claim_list(records: list[Claim], robustness: dict | None = None, anchor: bool = False) -> nodes.bullet_list:
    listing = nodes.bullet_list(classes=["claims-list"])
    for record in records:
        listing += _claim_item(record, robustness, anchor)
    return listing


def _record_summary(record: dict | None, everything: dict[str, list[Claim]], name: str,
                    titles: dict[str, str]) -> nodes.paragraph:
    """One paragraph: which record, its date and commit, and how many of this build's claims held in every rerun."""
    if record is None:
        return nodes.paragraph("", f"No robustness record was found (claims_robustness_record = {name!r}).")
    verdicts = robustness_of(record)
    claims = [c for records in everything.values() for c in records]
    everywhere = sum(all(verdicts.get((c.page, c.statement), {"": False}).values()) for c in claims)
    reruns = [v["label"] for name, v in record["variants"].items() if name != "default"]
    text = (f"Robustness record of {record['date']} (commit {record['commit']}, {record.get('processor', '')}): "
            f"every page executed again, cold, with {', with '.join(reruns)}. "
            f"{everywhere} of the {len(claims)} claims of this build held in every rerun.")
    reruns_since: dict[tuple[str, str, str], list[str]] = {}
    for page, run in sorted(record.get("page_runs", {}).items()):
        reruns_since.setdefault((run["date"], run["commit"], run.get("processor", "")), []).append(page)
    for (date, commit, processor), pages in reruns_since.items():
        text += (f" Rerun since, alone and cold, under the same variants: "
                 f"{', '.join(titles.get(p, p) for p in pages)} on {date} (commit {commit}, {processor}).")
    return nodes.paragraph("", text, classes=["claims-ledger-record"])


def _box(records: list[Claim]) -> nodes.admonition:
    box = nodes.admonition(classes=["dropdown", "claims-box"])
    box += nodes.title("", f"{BOX_TITLE} ({_count(len(records))})")
    text = ("Each sentence below is checked by the code of this page every time the book is built; "
            "the build fails if one does not hold.")
    if not all(r.gates for r in records):
        text += (" Readings of the test set are evaluated too, but never fail the build: a false one "
                 "shows a box where the page makes it.")
    box += nodes.paragraph("", text)
    box += _claim_list(records, anchor=True)
    return box


def _resolve(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Fill in the claims page and the counts from the claims of every page; marks are links in HTML only."""
    if app.builder.format != "html":  # a PDF's marks would link nowhere: its box has no anchors
        for mark in list(doctree.findall(lambda n: isinstance(n, nodes.superscript) and "claim-mark" in n["classes"])):
            mark.parent.remove(mark)
    everything = {page: [Claim(**r) for r in records] for page, records in sorted(_claims(app.env).items())}
    for node in doctree.findall(claims_count):
        number = sum(map(len, everything.values())) if node["what"] == "claims" else len(everything)
        node.replace_self(nodes.Text(f"{number:,}"))
    for node in doctree.findall(claims_ledger):
        record = load_record(_record_path(app))
        robustness = None if record is None else {
            "verdicts": robustness_of(record), "labels": {n: v["label"] for n, v in record["variants"].items()}}
        titles = {page: title.astext() for page, title in app.env.titles.items()}
        content: list[nodes.Node] = [_record_summary(record, everything, app.config.claims_robustness_record, titles)]
        for page, records in everything.items():
            heading = nodes.paragraph(classes=["claims-ledger-page"])
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


def _skip(translator: Any, node: nodes.Element) -> None:
    raise nodes.SkipNode


def _add_static_files(app: Sphinx) -> None:
    """Copy the extension's stylesheet and script into the HTML output's ``_static``; link them from every page."""
    if app.builder.format == "html":
        app.config.html_static_path.append(str(STATIC))
        app.add_css_file("sphinx_claims.css")
        app.add_js_file("sphinx_claims.js", defer="defer")


def setup(app: Sphinx) -> dict:
    """Register the config values, nodes, directive, roles, stylesheet, script and hooks."""
    from importlib.metadata import entry_points

    if not any(ep.value.startswith("sphinx_claims") for ep in entry_points(group="myst_nb.mime_renderers")):
        raise ExtensionError("sphinx_claims: its MyST-NB renderer is not registered; install the package "
                             "(pip install -e . in the repository) so that its entry point exists")
    app.add_config_value("claims_fail_build", True, "env", types=[bool])
    app.add_config_value("claims_robustness_record", "", "env", types=[str])
    app.add_config_value("claims_require_citations", False, "env", types=[bool])
    app.add_node(claim_record, **{fmt: (_skip, None) for fmt in ("html", "latex", "text", "man", "texinfo")})
    app.add_node(claim_citation, **{fmt: (_skip, None) for fmt in ("html", "latex", "text", "man", "texinfo")})
    app.add_node(claims_ledger)
    app.add_node(claims_count)
    app.add_directive("claims-ledger", ClaimsLedgerDirective)
    app.add_role("claims-count", claims_count_role)
    app.add_role("claim", claim_role)
    app.connect("builder-inited", _add_static_files)
    app.connect("source-read", _warn_removed_claims)
    app.connect("doctree-read", _collect)
    app.connect("doctree-resolved", _resolve)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-get-outdated", _outdated)
    return {"version": "3", "env_version": 3, "parallel_read_safe": True, "parallel_write_safe": True}
