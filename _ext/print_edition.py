"""Sphinx extension: the print edition of the book (``make pdf``), from the same sources.

Loaded by ``_config.yml`` next to ``companion_book``. It acts only in the ``singlehtml``
builder, which puts the whole book on one page; ``_ext/make_pdf.py`` then prints that page
to PDF with Chromium. On that page:

- **each explorer becomes a figure**: its initial frame (the frame the slider starts on, and
  the numbers shown with it), with a caption that says what the reader would vary (the main
  slider and its range, the controls that need a kernel) and the address of the section's
  live page on the web. The figure is built from the widget state the notebook saved, so
  no widget code runs and no widget repr (``VBox(...)``) can appear;
- **the hints are unfolded** (they are dropdowns on the web);
- **the solutions stay on the web**: each folded solution cell becomes one line that says
  where to find it, and the written solutions (dropdowns of class ``companion-solution``) are
  left out, so the printed exercises can be handed out as they are.

The HTML book is not affected.
"""

from __future__ import annotations

import html
import json
import re
from urllib.parse import urlparse

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

VIEW_RE = re.compile(r'<script type="application/vnd\.jupyter\.widget-view\+json">(.*?)</script>', re.S)
DROPDOWN_RE = re.compile(r'<details class="([^"]*\bsd-dropdown\b[^"]*)">')
SOLUTION_RE = re.compile(r'<details class="admonition hide above-input">.*?</details>', re.S)
WRITTEN_SOLUTION_RE = re.compile(r'<details class="[^"]*\bcompanion-solution\b[^"]*">.*?</details>', re.S)
SLIDERS = ("SelectionSliderModel", "IntSliderModel", "FloatSliderModel", "FloatLogSliderModel")
CONTROLS = SLIDERS + ("DropdownModel", "ToggleButtonsModel", "ToggleButtonModel", "CheckboxModel",
                      "RadioButtonsModel", "SelectModel", "IntTextModel", "FloatTextModel", "BoundedIntTextModel",
                      "BoundedFloatTextModel", "IntRangeSliderModel", "FloatRangeSliderModel")


def book_url(config) -> str:
    """Where the book is published: ``html_baseurl`` if set, else the repository's GitHub Pages site."""
    base = (getattr(config, "html_baseurl", "") or "").strip()
    if base:
        return base.rstrip("/") + "/"
    repo = (config.html_theme_options or {}).get("repository_url", "")
    parts = urlparse(repo)
    path = [p for p in parts.path.split("/") if p]
    if parts.hostname == "github.com" and len(path) >= 2:
        return f"https://{path[0]}.github.io/{path[1]}/"
    return repo.rstrip("/") + "/"


def _ref(value) -> str:
    return value.replace("IPY_MODEL_", "") if isinstance(value, str) else ""


def _text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup or "")).strip()


class Explorer:
    """An explorer read from saved widget state: its title, initial frame, and controls."""

    def __init__(self, models: dict, root: str):
        self.models = models
        self.title = ""
        self.images: list[str] = []  # data: URIs of the visible frame(s)
        self.readouts: list[str] = []  # HTML shown with the frame (numbers)
        self.main = None  # (description, labels, current label)
        self.controls: list[str] = []
        self._walk(root, visible=True)

    def _walk(self, mid: str, visible: bool) -> None:
        model = self.models.get(mid)
        if model is None:
            return
        name, state = model["model_name"], model["state"]
        if name == "StackModel":
            children = [_ref(c) for c in state.get("children", [])]
            k = state.get("selected_index") or 0
            if 0 <= k < len(children):
                self._walk(children[k], visible)
            return
        if name == "ImageModel" and visible:
            buffers = [b for b in model.get("buffers", []) if b.get("path") == ["value"]]
            if buffers:
                fmt = state.get("format", "png")
                self.images.append(f"data:image/{fmt};base64,{buffers[0]['data']}")
            return
        if name == "HTMLModel" or name == "HTMLMathModel":
            value = state.get("value", "")
            if not self.title and value.startswith("<b>"):
                self.title = value
            elif "Live controls" in value or not _text(value):
                pass  # the static book's note on kernels: the caption says it for print
            elif self.images or self.readouts:
                self.readouts.append(value)
            return
        if name in CONTROLS:
            desc = _text(state.get("description", "")) or name.replace("Model", "")
            labels = state.get("_options_labels")
            if name in SLIDERS and self.main is None:
                if labels:
                    current = labels[state.get("index", 0)]
                    self.main = (desc, labels, current)
                else:
                    self.main = (desc, [str(state.get("min")), str(state.get("max"))], str(state.get("value")))
                return
            if labels:
                self.controls.append(f"{desc} ({', '.join(labels)})")
            elif "min" in state and "max" in state:
                self.controls.append(f"{desc} ({state['min']} to {state['max']})")
            else:
                self.controls.append(desc)
            return
        for child in state.get("children", []) or []:
            self._walk(_ref(child), visible)

    def figure(self, live_url: str) -> str:
        imgs = "".join(f'<img src="{src}" alt="{html.escape(_text(self.title) or "explorer")}, initial frame"/>'
                       for src in self.images)
        readouts = "".join(f'<div class="companion-print-readout">{r}</div>' for r in self.readouts)
        parts = []
        if self.main:
            desc, labels, current = self.main
            parts.append(f"Shown at <i>{html.escape(desc)}</i> = {html.escape(current)}. On the web, a slider moves "
                         f"<i>{html.escape(desc)}</i> from {html.escape(labels[0])} to {html.escape(labels[-1])} "
                         f"({len(labels)} frames) with no kernel.")
        if self.controls:
            parts.append("With a running kernel (Binder, Colab, <code>make live</code>) the reader also varies: "
                         + "; ".join(html.escape(c) for c in self.controls) + ".")
        parts.append(f'Live page: <a href="{html.escape(live_url)}">{html.escape(live_url)}</a>')
        title = f"<b>Explorer</b>: {self.title}. " if self.title else "<b>Explorer</b>. "
        return (f'<figure class="companion-print-explorer">{imgs}{readouts}'
                f'<figcaption>{title}{" ".join(parts)}</figcaption></figure>')


def widget_states(app: Sphinx) -> tuple[dict, dict]:
    """Every saved widget model of the book, and the document each model belongs to."""
    from myst_nb.sphinx_ import NbMetadataCollector

    models, home = {}, {}
    for docname in sorted(app.env.found_docs):
        try:
            js = NbMetadataCollector.get_js_files(app.env, docname)
        except KeyError:
            continue
        entry = js.get("ipywidgets_state")
        if not entry:
            continue
        state = json.loads(entry[1]["body"])["state"]
        models.update(state)
        home.update({mid: docname for mid in state})
    return models, home


def print_page(app: Sphinx, pagename, templatename, context, doctree) -> None:
    if app.builder.name != "singlehtml" or "body" not in context:
        return
    models, home = widget_states(app)
    base = book_url(app.config)
    counts = {"explorers": 0, "missing": 0}

    def explorer(match: re.Match) -> str:
        mid = json.loads(match.group(1)).get("model_id", "")
        if mid not in models:
            counts["missing"] += 1
            logger.warning("print edition: no saved state for widget %s", mid, type="companion", subtype="print")
            return ""
        ex = Explorer(models, mid)
        if not ex.images:
            counts["missing"] += 1
            logger.warning("print edition: widget %s has no figure to print", mid, type="companion", subtype="print")
        counts["explorers"] += 1
        return ex.figure(base + home[mid] + ".html")

    body = VIEW_RE.sub(explorer, context["body"])
    body = WRITTEN_SOLUTION_RE.sub("", body)
    body = DROPDOWN_RE.sub(lambda m: f'<details class="{m.group(1)}" open>', body)
    body = SOLUTION_RE.sub(
        '<p class="companion-print-solution"><i>Solution: folded under this exercise in the web edition '
        f'({html.escape(base)}), where <code>check()</code> also grades an answer.</i></p>', body)
    context["body"] = body
    logger.info("print edition: %d explorers printed as their initial frame", counts["explorers"])


def setup(app: Sphinx):
    app.connect("html-page-context", print_page, priority=450)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
