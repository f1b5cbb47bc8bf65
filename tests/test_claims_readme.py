"""The example book of code/sphinx_claims/README.md builds: its sentence links to its claim in the box at the page's end."""

import html
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "code" / "sphinx_claims" / "README.md"
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")


def example_files(readme: str) -> dict[str, str]:
    """The files of the example: each ``File `NAME`:`` line followed by a fenced block of three or four backticks."""
    found = re.findall(r"File `([^`]+)`:\n\n(`{3,4})\w*\n(.*?)^\2$", readme, re.S | re.M)
    return {name: text for name, _, text in found}


def test_the_readme_shows_a_short_example_book():
    files = example_files(README.read_text(encoding="utf-8"))
    assert sorted(files) == ["_config.yml", "_toc.yml", "coins.md"]
    code = files["coins.md"].split("```{code-cell} ipython3\n")[1]
    assert len([line for line in code.splitlines() if line.strip() and line != "```"]) <= 7


def test_the_example_book_builds_with_its_claim_in_the_box(tmp_path):
    for name, text in example_files(README.read_text(encoding="utf-8")).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = subprocess.run([str(JUPYTER_BOOK), "build", str(tmp_path), "-W", "--keep-going"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    source = (tmp_path / "_build" / "html" / "coins.html").read_text()
    assert re.search(r'<a class="[^"]*claim-citation[^"]*" href="#claim-half"', source), "the sentence's mark links to its claim"
    assert 'id="claim-half"' in source
    page = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", source)).split())
    assert "What this page checks (1 claim)" in page
    assert "\u2713 The mean of many fair coin flips is close to one half." in page
    assert "checked: abs(mean - 0.5) < 0.02 with mean = 0." in page
