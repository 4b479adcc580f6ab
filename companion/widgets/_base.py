"""The explorer shell shared by every section: one main slider, pre-rendered frames, live controls.

An explorer shows a figure and a few numbers that depend on a main parameter (the one
that best shows the idea, usually ``eps``) and on other controls. It works in two modes
with the same widget:

- **static** (the built HTML book, no kernel): the main slider runs over a fixed grid of
  values whose frames (a PNG and a line of numbers each) were rendered when the
  notebook executed; the slider's index is ``jslink``-ed to the ``selected_index`` of
  two ``Stack`` widgets, so the browser switches frames with no server;
- **live** (a kernel: Jupyter, Binder, Voila): every control works; changing a control
  other than the main slider re-renders the frame on show, and the other frames on
  demand when the slider reaches them (cached by the controls' values).

Rendering is split so that moving the main slider is cheap: ``render(fig, params)``
draws everything that depends only on the controls (once per setting of the controls)
and returns ``frame(value)``, which updates the few *animated* artists that depend on
the main value and returns them with the readout. Only those artists are redrawn over
a saved background (matplotlib blitting), then the canvas is encoded as PNG.

Errors raised while rendering are shown in the explorer's own output area and kept in
``last_error``; they never escape into a callback where the front end would drop them.

Two hooks for code that drives an explorer (notebooks, tests): ``with explorer.hold():``
sets several controls and renders once, on leaving; ``render_fn`` may be replaced (to
inject a failure, say) and ``refresh(force=True)`` redraws every frame with it.
"""

from __future__ import annotations

import contextlib
import html
import io
import sys
import traceback
from typing import Callable, Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

__all__ = ["Explorer", "LIVE_NOTE", "fmt", "readout_html", "parse_readout", "check_numbers", "check_integers"]

LIVE_NOTE = (
    "<b>Live controls</b> &mdash; these need a running Python kernel: launch this page on "
    "Binder or Colab with the rocket icon at the top of the page, or run the notebook "
    "locally (<code>make lab</code>, or <code>make live</code> for the explorers alone). "
    "In the static book only the slider above moves."
)

LIVE_NOTE_BROWSER = (
    "<b>Live controls</b> &mdash; Python is running in your browser: every control works "
    "(a change takes a moment to redraw)."
)
# The book's live view runs the explorers in the reader's browser (Pyodide). Nobody saves that
# notebook, so an explorer draws only the frame shown; the others when the slider reaches them.
IN_BROWSER = sys.platform == "emscripten"


def fmt(x: float, digits: int = 4) -> str:
    """Compact number formatting for readouts."""
    return f"{x:.{digits}g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.{digits - 1}e}"


def readout_html(numbers: dict) -> str:
    """The numbers of a frame as HTML: ``<code>name = value</code>`` items (see :func:`parse_readout`)."""
    items = [f"<code>{html.escape(str(k))} = {fmt(float(v))}</code>" for k, v in numbers.items()]
    return '<div style="line-height:1.9">' + " &nbsp; ".join(items) + "</div>"


def parse_readout(text: str) -> dict:
    """Inverse of :func:`readout_html`: ``{name: float}`` (for tests and notebooks)."""
    import re

    return {html.unescape(k): float(v) for k, v in re.findall(r"<code>(.+?) = ([-+0-9.einfa]+)</code>", text)}


def check_numbers(**values) -> None:
    """Defaults of a factory: ``ValueError`` naming the first of ``values`` that is not a finite real number (a bool is not one)."""
    for name, val in values.items():
        if isinstance(val, bool) or not isinstance(val, (int, float, np.integer, np.floating)) or not np.isfinite(val):
            raise ValueError(f"{name} must be a finite number, got {val!r}")


def check_integers(**values) -> None:
    """Defaults of a factory: ``ValueError`` naming the first of ``values`` that is not an integer (a bool is not one)."""
    for name, val in values.items():
        if isinstance(val, bool) or not isinstance(val, (int, np.integer)):
            raise ValueError(f"{name} must be an integer, got {val!r}")


class Explorer(widgets.VBox):
    """A main ``SelectionSlider`` over frames + live controls, wired to a render function.

    Parameters
    ----------
    title : HTML shown above the explorer.
    main : ``(description, values, index)`` of the main parameter: its grid of values
        and the initially selected index (clamped into the grid, as a reader's defaults are).
        ``labels`` may format them.
    controls : ``{name: widget}``; their ``.value`` are passed to ``render``.
    render : ``render(fig, params) -> frame``: draws onto the (cleared, reused) ``fig``
        what depends only on the controls' values ``params`` (a dict), and returns
        ``frame(value) -> (artists, html)``, which updates the artists that depend on the
        main value and returns them (they are marked animated and drawn over the saved
        background) with the readout as HTML.
    figsize : size of the figure, inches. ``dpi``: resolution of the frames.
    """

    def __init__(
        self,
        *,
        title: str,
        main: tuple[str, Sequence[float], int],
        controls: dict[str, widgets.Widget],
        render: Callable[[Figure, dict], Callable[[float], tuple[list, str]]],
        figsize=(9.0, 3.2),
        dpi: int = 80,
        labels: Callable[[float], str] = lambda v: f"{v:.3g}",
        width: str = "100%",
    ):
        description, values, index = main
        self.values = list(values)
        if not self.values:
            raise ValueError("the main slider needs at least one value")
        index = int(np.clip(index, 0, len(self.values) - 1))
        self.render_fn = render
        self.controls = dict(controls)
        self.dpi = dpi
        self.figure = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.figure)
        self.last_error: str | None = None
        self._held = 0  # > 0 inside hold(): control changes wait for its end
        self._keys = [None] * len(self.values)  # params key each frame was rendered with
        self._frame = None  # (params key, frame function, saved background)

        self.slider = widgets.SelectionSlider(
            options=[(labels(v), i) for i, v in enumerate(self.values)],
            index=index,
            description=description,
            continuous_update=True,
            style={"description_width": "initial"},
            layout=widgets.Layout(width="60%"),
        )
        self.frames = widgets.Stack(
            [widgets.Image(format="png", layout=widgets.Layout(width=width, height="auto")) for _ in self.values],
            selected_index=index,
        )
        self.readouts = widgets.Stack([widgets.HTML() for _ in self.values], selected_index=index)
        # in the browser (static book or live): the slider switches frames with no kernel
        self.links = [
            widgets.jslink((self.slider, "index"), (self.frames, "selected_index")),
            widgets.jslink((self.slider, "index"), (self.readouts, "selected_index")),
        ]
        self.output = widgets.Output()
        self.error = widgets.HTML()

        self.slider.observe(self._on_main, names="index")
        for w in self.controls.values():
            w.observe(self._on_control, names="value")

        live = []
        if self.controls:
            live = [widgets.HTML(LIVE_NOTE_BROWSER if IN_BROWSER else LIVE_NOTE), widgets.HBox(list(self.controls.values()), layout=widgets.Layout(flex_flow="row wrap"))]
        super().__init__([widgets.HTML(title), self.slider, self.frames, self.readouts, *live, self.error, self.output])
        for i in [index] if IN_BROWSER else range(len(self.values)):  # every frame, for the static book
            self._render(i)

    # ------------------------------------------------------------------ state
    @property
    def params(self) -> dict:
        return {name: w.value for name, w in self.controls.items()}

    @property
    def index(self) -> int:
        return self.slider.index

    @property
    def value(self) -> float:
        """The main parameter's current value."""
        return self.values[self.slider.index]

    @property
    def readout(self) -> str:
        """The HTML readout shown for the current frame."""
        return self.readouts.children[self.slider.index].value

    @property
    def image(self) -> bytes:
        """The PNG shown for the current frame."""
        return bytes(self.frames.children[self.slider.index].value)

    def _key(self):
        return tuple(sorted((k, repr(v)) for k, v in self.params.items()))

    # --------------------------------------------------------------- plumbing
    def _background(self, key):
        """Draw what depends on the controls only; save it as the blitting background."""
        if self._frame is not None and self._frame[0] == key:
            return self._frame
        self._frame = None
        self.figure.clear()
        frame = self.render_fn(self.figure, self.params)
        for a in frame(self.values[0])[0]:  # learn which artists move, keep them off the background
            a.set_animated(True)
        canvas = self.figure.canvas
        canvas.draw()
        self._frame = (key, frame, canvas.copy_from_bbox(self.figure.bbox))
        return self._frame

    def _draw_frame(self, value):
        _, frame, background = self._background(self._key())
        canvas = self.figure.canvas
        canvas.restore_region(background)
        artists, text = frame(value)
        for a in artists:
            self.figure.draw_artist(a)
        buf = io.BytesIO()
        Image.fromarray(np.asarray(canvas.buffer_rgba())).convert("RGB").save(buf, format="png", compress_level=6)
        return buf.getvalue(), text

    def _render(self, i: int) -> None:
        key = self._key()
        if self._keys[i] == key:
            return
        try:
            png, text = self._draw_frame(self.values[i])
        except Exception as exc:  # shown to the reader, never swallowed
            self.last_error = f"{type(exc).__name__}: {exc}"
            self.error.value = f'<div style="color:#b2182b"><b>Error:</b> {html.escape(self.last_error)}</div>'
            self.output.outputs = ()
            self.output.append_stderr(traceback.format_exc())
            self._keys[i] = None
            return
        self.last_error = None
        self.error.value = ""
        self.output.outputs = ()
        self.frames.children[i].value = png
        self.readouts.children[i].value = text
        self._keys[i] = key

    def _on_main(self, change) -> None:
        i = change["new"]
        # without a front end jslink does nothing: mirror it here
        self.frames.selected_index = i
        self.readouts.selected_index = i
        self._render(i)

    def _on_control(self, change) -> None:
        if not self._held:
            self._render(self.slider.index)

    @contextlib.contextmanager
    def hold(self):
        """Set several controls, render once: inside ``with explorer.hold():`` changing a control
        does not render (the controls' own observers, such as range clamping, still run); on
        leaving, the current frame is rendered with the final values, the others when reached."""
        self._held += 1
        try:
            yield self
        finally:
            self._held -= 1
            if not self._held:
                self._render(self.slider.index)

    def refresh(self, force: bool = False) -> None:
        """Re-render every frame drawn with other controls (e.g. before saving a notebook).

        ``force``: re-render every frame and the background, even those drawn with the current
        controls (after replacing ``render_fn``, or a change the controls do not show)."""
        if force:
            self._keys = [None] * len(self.values)
            self._frame = None
        for i in range(len(self.values)):
            self._render(i)
