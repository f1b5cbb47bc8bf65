"""Tests for the PDF edition: the still-frame helper of book/_ext/dlbook_pdf.py, and the built PDF itself.

The PDF tests need ``_build/latex/book.pdf`` (``jupyter-book build book/ --builder pdflatex`` after
the HTML build) and poppler's ``pdftotext``/``pdfimages``; without them they skip, except with
``CI=true``, where they fail.
"""

import base64
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.animation import FuncAnimation  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "book" / "_ext"))
from _sitehelpers import unavailable  # noqa: E402
from dlbook_pdf import last_frame_png  # noqa: E402

PDF = REPO_ROOT / "_build" / "latex" / "book.pdf"
SITE = REPO_ROOT / "_build" / "html"


def _player(n_frames: int) -> str:
    fig, ax = plt.subplots(figsize=(1, 1), dpi=20)
    line, = ax.plot([0, 1], [0, 0])
    animation = FuncAnimation(fig, lambda i: line.set_ydata([0, i]), frames=n_frames)
    html = animation.to_jshtml()
    plt.close(fig)
    return html


def test_last_frame_of_a_player_is_a_png_of_the_last_frame():
    html = _player(3)
    png = last_frame_png(html)
    assert png is not None and png.startswith(b"\x89PNG")
    frames = re.findall(r'frames\[(\d+)\]', html)
    assert max(map(int, frames)) == 2
    image = plt.imread(io.BytesIO(png))
    assert image.ndim == 3


def test_no_frame_no_png():
    assert last_frame_png("<div>no player here</div>") is None


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        unavailable(f"{tool} is not installed (apt-get install poppler-utils)")
    return path


@pytest.fixture(scope="module")
def pdf_text() -> str:
    if not PDF.is_file():
        unavailable(f"no PDF at {PDF}: build it with jupyter-book build book/ --builder pdflatex")
    return subprocess.run([_need("pdftotext"), str(PDF), "-"], capture_output=True, text=True, check=True).stdout


def _chapter_titles() -> list[str]:
    titles = []
    for source in sorted((REPO_ROOT / "book").rglob("*.md")):
        match = re.search(r"^# (.+)$", source.read_text(encoding="utf-8"), re.M)
        if match and "_build" not in source.parts:
            titles.append(match.group(1).strip())
    return titles


def test_pdf_has_every_chapter_and_no_unresolved_reference(pdf_text):
    def plain(text: str) -> str:  # LaTeX sets typographic quotes and dashes
        text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u2013", "-").replace("\u2014", "-")
        return " ".join(text.split())

    flat = plain(pdf_text)
    missing = [t for t in _chapter_titles() if plain(t) not in flat]
    assert not missing, f"chapter titles missing from the PDF: {missing}"
    assert "??" not in pdf_text, "the PDF has unresolved references (??)"
    assert "Bibliography" in pdf_text and "LeCun" in pdf_text


def test_pdf_has_no_missing_glyph():
    log = PDF.with_suffix(".log")
    if not log.is_file():
        unavailable(f"no LaTeX log at {log}: build the PDF first")
    missing = sorted(set(re.findall(r"Missing character: There is no (.+?) in font", log.read_text(errors="replace"))))
    assert not missing, f"characters the PDF's fonts lack: {missing}"


def test_pdf_has_at_least_as_many_images_as_the_site_has_figures(pdf_text):
    listing = subprocess.run([_need("pdfimages"), "-list", str(PDF)], capture_output=True, text=True, check=True).stdout
    images = [line for line in listing.splitlines()[2:] if line.split()[2:3] == ["image"]]
    # the figures the pages show (an incremental build can leave unused older images in _images/)
    pages = sorted(SITE.rglob("*.html")) if SITE.is_dir() else []
    figures = {m for page in pages for m in re.findall(r'_images/[^"\s]+\.png', page.read_text(encoding="utf-8"))}
    if not figures:
        unavailable("no built site to count its figures: jupyter-book build book/")
    assert len(images) >= len(figures), f"{len(images)} images in the PDF, {len(figures)} figures on the site"
