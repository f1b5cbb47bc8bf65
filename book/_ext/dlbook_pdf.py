"""The PDF edition: the book's parts and introduction as LaTeX expects them, and animations as stills.

For the LaTeX builder only (the HTML build is left alone):

- The root page's sections would each become a chapter (Sphinx uses its title as the book's
  title): they are gathered into one chapter, "Introduction".
- Each part of the table of contents (a toctree caption) starts with ``\\part{caption}``.
- A matplotlib ``to_jshtml`` player is an HTML output whose frames are base64 PNGs: it is
  replaced by its last frame (written beside the ``.tex`` file) and a sentence saying that the
  web version plays the animation.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform

_FRAME = re.compile(r'frames\[(\d+)\]\s*=\s*"data:image/png;base64,(.*?)"', re.S)
NOTE = "Last frame of an animation; the web version of this book plays it frame by frame."


def last_frame_png(player_html: str) -> bytes | None:
    """Return the PNG bytes of the last frame of a ``to_jshtml`` player, or None if it holds no frame."""
    frames = {int(i): data for i, data in _FRAME.findall(player_html)}
    if not frames:
        return None
    data = re.sub(r"[^A-Za-z0-9+/=]", "", frames[max(frames)])
    return base64.b64decode(data)


class StillFrames(SphinxPostTransform):
    """Replace each animation player by its last frame and a note (before MyST-NB picks a MIME type)."""

    default_priority = 3  # MyST-NB's SelectMimeType runs at 4
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        for bundle in list(self.document.findall(nodes.container)):
            if bundle.get("nb_element") != "mime_bundle":
                continue
            html = next((c.astext() for c in bundle.children if c.get("mime_type") == "text/html"), "")
            png = last_frame_png(html) if "_anim_img" in html else None
            if png is None:
                continue
            folder = Path(self.app.outdir, "animation_frames")
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{hashlib.sha256(png).hexdigest()[:16]}.png"
            path.write_bytes(png)
            image = nodes.raw("", f"\\begin{{center}}\\includegraphics[width=0.8\\linewidth]{{{folder.name}/{path.name}}}"
                                  f"\\end{{center}}\n", format="latex")
            bundle.replace_self([image, nodes.paragraph("", "", nodes.emphasis("", NOTE))])


def _book_structure(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """In the assembled book: one "Introduction" chapter, then ``\\part{caption}`` before each part."""
    if app.builder.format != "latex" or docname != app.config.root_doc:
        return
    top = next(iter(doctree.findall(nodes.section)), None)
    if top is None:
        return
    first_of_part = {}
    for toctree in app.env.get_doctree(docname).findall(addnodes.toctree):
        entries = [ref for _, ref in toctree["entries"]]
        if toctree.get("caption") and entries:
            first_of_part[entries[0]] = toctree["caption"]
    included = [n for n in top.children if any(n.findall(addnodes.start_of_file))]
    body = [n for n in top.children if n not in included and not isinstance(n, nodes.title)]
    introduction = nodes.section(ids=["dlbook-introduction"], names=["introduction"])
    introduction += nodes.title("", "Introduction")
    for node in body:
        top.remove(node)
        introduction += node
    top.insert(1, introduction)
    for start in list(doctree.findall(addnodes.start_of_file)):
        caption = first_of_part.get(start.get("docname"))
        if caption:
            start.parent.insert(start.parent.index(start), nodes.raw("", f"\\part{{{caption}}}\n", format="latex"))


def _no_part_as_contents_title(app: Sphinx) -> None:
    """Sphinx names the PDF's table of contents after the first toctree caption ("Part 1 - ..."): keep "Contents"."""
    if app.builder.format == "latex":
        app.builder.get_contentsname = lambda indexfile: ""


def setup(app: Sphinx) -> dict:
    """Register the changes; they act only when the LaTeX builder writes the book."""
    app.add_post_transform(StillFrames)
    app.connect("builder-inited", _no_part_as_contents_title)
    app.connect("doctree-resolved", _book_structure)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
