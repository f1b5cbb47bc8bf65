"""Binder, end to end on this machine: the environment of binder/ in a fresh venv, JupyterLab on
127.0.0.1, a page opened where its launch button points, run to the end in Chromium.

It takes minutes (a fresh venv and its installs), so it runs in CI (``CI=true``) or when
``DLBOOK_BINDER_TEST=1``; otherwise it skips. Two things differ from mybinder.org, which no
machine here can reach: torch comes from the pinned wheel that this machine's pip finds
(``torch==2.13.0`` instead of PyTorch's ``+cpu`` index, which is not reachable), and the page is
opened from a copy of ``book/``, so running it cannot change the repository.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from _sitehelpers import REPO_ROOT, require_site

#: A short page whose launch button is followed: it needs no MNIST and runs in seconds.
PAGE = "part3/3b-conv-parameters.html"


def _enabled() -> None:
    if os.environ.get("CI") != "true" and os.environ.get("DLBOOK_BINDER_TEST") != "1":
        pytest.skip("slow (a fresh venv from binder/): runs in CI, or set DLBOOK_BINDER_TEST=1")
    if shutil.which("chromium") is None and not Path("/usr/bin/chromium").is_file():
        pytest.fail("no chromium browser (apt-get install chromium)", pytrace=False)


def _launch_path() -> str:
    """The ``lab/tree/...`` path that the page's Binder button opens."""
    html = (require_site() / PAGE).read_text(encoding="utf-8")
    link = re.search(r'href="(https://mybinder\.org/v2/gh/[^"]+)"', html)
    assert link, f"{PAGE}: no Binder launch button"
    urlpath = parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)["urlpath"][0]
    assert urlpath.startswith("lab/tree/"), urlpath
    return unquote(urlpath)


def _binder_requirements(target: Path) -> Path:
    """binder/requirements.txt as this machine can install it (see the module docstring)."""
    lines = []
    for line in (REPO_ROOT / "binder" / "requirements.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("--extra-index-url"):
            continue
        lines.append(re.sub(r"^torch==([^+\s]+)\+cpu", r"torch==\1", line))
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory) -> dict[str, str]:
    """A fresh venv with binder/'s requirements and postBuild run in it; returns the environment to use."""
    _enabled()
    root = tmp_path_factory.mktemp("binder")
    venv, home = root / "venv", root / "home"
    home.mkdir()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = dict(os.environ, HOME=str(home), PATH=f"{venv / 'bin'}:{os.environ['PATH']}", VIRTUAL_ENV=str(venv))
    env.pop("PYTHONPATH", None)
    install = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-r", str(_binder_requirements(root / "req.txt"))],
                             env=env, capture_output=True, text=True, timeout=1500)
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-2000:]
    post = subprocess.run(["bash", str(REPO_ROOT / "binder" / "postBuild")], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert post.returncode == 0, post.stdout[-2000:] + post.stderr[-2000:]
    # Render every cell at once (JupyterLab draws only the cells in view by default), so that the
    # test can see every prompt; this setting is the test's own, Binder keeps the default.
    overrides = venv / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    settings = json.loads(overrides.read_text(encoding="utf-8"))
    settings["@jupyterlab/notebook-extension:tracker"] = {"windowingMode": "none"}
    overrides.write_text(json.dumps(settings, indent=2), encoding="utf-8")
    env["DLBOOK_LAB_ROOT"] = str(root / "lab")
    shutil.copytree(REPO_ROOT / "book", root / "lab" / "book", ignore=shutil.ignore_patterns("_build", "_extra"))
    return env


@pytest.fixture(scope="module")
def lab(binder_env):
    """JupyterLab of the Binder venv on 127.0.0.1 with a token; yields its base URL and token."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = secrets.token_hex(16)
    venv_bin = Path(binder_env["VIRTUAL_ENV"]) / "bin"
    log = open(Path(binder_env["HOME"]) / "lab.log", "w")
    server = subprocess.Popen(
        [str(venv_bin / "jupyter"), "lab", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={binder_env['DLBOOK_LAB_ROOT']}",
         "--LabApp.expose_app_in_browser=True"],  # window.jupyterapp: the test waits for the kernel
        env=binder_env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
                break
            except OSError:
                assert server.poll() is None, (Path(binder_env["HOME"]) / "lab.log").read_text()[-2000:]
                time.sleep(0.5)
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_launch_opens_the_page_as_a_notebook_that_runs_and_renders_myst(lab):
    # Playwright's sync API refuses a thread whose event loop is running, and test_site's session
    # browser keeps one running when pytest-xdist gives both files to one worker: a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as own_thread:
        own_thread.submit(_open_run_and_check, *lab).result()


#: JavaScript: the open notebook's kernel status (JupyterLab exposes its app as window.jupyterapp).
_KERNEL_STATE = "window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel?.status ?? 'no kernel'"
_KERNEL_IDLE = f"({_KERNEL_STATE}) === 'idle'"


def _open_run_and_check(base: str, token: str) -> None:
    """Open the launch URL in Chromium, run every cell, and check the notebook and its outputs."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                     args=["--no-sandbox", "--headless"])
        try:
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            tab.goto(f"{base}/{_launch_path()}?token={token}")
            tab.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=120_000)
            try:  # JupyterLab adds the cells one after another; on a busy machine the second comes later
                tab.wait_for_function("document.querySelectorAll('.jp-Notebook .jp-CodeCell').length >= 2",
                                      timeout=60_000)
            except PlaywrightTimeout:
                pass  # the assertion below says what is missing
            code_cells = tab.locator(".jp-Notebook .jp-CodeCell").count()
            assert code_cells >= 2, "the page did not open as a notebook with code cells"
            question = tab.locator(".jp-Notebook .jp-MarkdownCell").first
            try:  # jupyterlab-myst renders markdown cells after the notebook appears
                question.locator("aside, .admonition").first.wait_for(timeout=120_000)
            except Exception:  # noqa: BLE001 - report what the cell shows instead
                pytest.fail(f"the question box is not rendered as a box; the cell shows: {question.inner_text()[:300]!r}")
            assert ":::" not in question.inner_text(), "MyST directives shown as raw text"
            # "Run All Cells" before the kernel has started leaves every cell unrun ("[ ]:"), and on a
            # busy machine the kernel (which imports nothing yet) can take many seconds to start.
            try:
                tab.wait_for_function(_KERNEL_IDLE, timeout=180_000)
            except PlaywrightTimeout:
                pytest.fail(f"the notebook's kernel did not start: {tab.evaluate(_KERNEL_STATE)!r}")
            tab.get_by_role("menuitem", name="Run").click()
            tab.get_by_text("Run All Cells", exact=True).click()
            deadline = time.time() + 180
            while time.time() < deadline:
                prompts = tab.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").all_inner_texts()
                if prompts and all(re.fullmatch(r"\[\d+\]:", p.strip()) for p in prompts):
                    break
                tab.wait_for_timeout(500)
            else:
                pytest.fail(f"cells did not finish running: {prompts}")
            outputs = "\n".join(tab.locator(".jp-Notebook .jp-OutputArea").all_inner_texts())
            assert "Traceback" not in outputs and "Error" not in outputs, outputs[-2000:]
        finally:
            browser.close()
