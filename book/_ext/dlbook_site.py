"""Small fixes to the built site for readers (a local Sphinx extension, see ``_config.yml``).

- sphinx-thebe 0.3.1 adds its inline ``const THEBE_JS_URL = ...`` script twice under Jupyter Book 1.x,
  which is a JavaScript error on every page: keep one copy.
- pydata-sphinx-theme writes ``data-mode=""`` for a first-time visitor and then logs
  "Got invalid theme mode" to the console: default to ``auto`` (follow the system setting).
- matplotlib's ``to_jshtml`` player links Font Awesome 4 from a CDN (the site must work offline;
  the theme already ships Font Awesome), its frame ``<img>`` has no alt text and its slider no
  accessible name: drop the link, add the alt text and a label.

The executed notebooks are untouched: everything here happens when pages are written.
"""

from __future__ import annotations

import re

from sphinx.application import Sphinx
from sphinx.config import Config

_CDN_FONT_AWESOME = re.compile(r'<link[^>]+href="https?://[^"]*font-awesome[^"]*"[^>]*>\s*')
_ANIM_IMG = re.compile(r'<img id="_anim_img')
_ANIM_SLIDER = re.compile(r'<input id="_anim_slider')
ANIMATION_ALT = "Animation frame; the controls below step through or play the frames"
SLIDER_LABEL = "Frame of the animation"


def _theme_defaults(app: Sphinx, config: Config) -> None:
    config.html_context.setdefault("default_mode", "auto")


def _fix_page(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    scripts = context.get("script_files")
    if scripts:
        seen: set[tuple] = set()
        unique = []
        for script in scripts:
            # the copies differ only in filename None versus "" (both mean an inline script)
            attributes = tuple(sorted((k, str(v)) for k, v in getattr(script, "attributes", {}).items()))
            key = (str(getattr(script, "filename", script) or ""), attributes)
            if key in seen:
                continue
            seen.add(key)
            unique.append(script)
        scripts[:] = unique
    body = context.get("body")
    if body and "_anim_img" in body:
        body = _CDN_FONT_AWESOME.sub("", body)
        body = _ANIM_IMG.sub(f'<img alt="{ANIMATION_ALT}" id="_anim_img', body)
        body = _ANIM_SLIDER.sub(f'<input aria-label="{SLIDER_LABEL}" id="_anim_slider', body)
        context["body"] = body


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _theme_defaults)
    app.connect("html-page-context", _fix_page)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
