"""The explorer shell shared by every section: one main slider, pre-rendered frames, live controls.

An explorer shows a figure and a few numbers that depend on a main parameter (the one
that best shows the idea, usually ``eps``) and on other controls. It works in two modes
with the same widget:

- **static** (the built HTML book, no kernel): the main slider runs over a fixed grid of
  values whose frames (a PNG and a line of numbers each) were rendered when the
  notebook executed; the slider's index is ``jslink``-ed to the ``selected_index`` of
  two ``Stack`` widgets, so the browser switches frames with no server. An explorer may
  name one selection control its *static choice* (``choice=``): each of its options gets
  its own frames (options x slider values), and the control's index is ``jslink``-ed to
  two outer ``Stack`` widgets that hold one pair of frame stacks per option, so that
  choice too works with no kernel;
- **live** (a kernel: Jupyter, Binder, Voila): every control works; changing a control
  other than the main slider re-renders the frame on show, and the other frames on
  demand when the slider reaches them (cached by the controls' values).

Creating an explorer draws the frame shown only. The other frames, which only the static page
needs, are drawn once the notebook cell that shows the explorer has run (an IPython
``post_run_cell`` hook registered when it is displayed; at once outside IPython): the explorer
appears at once, and the saved notebook (the book's build) holds every frame.

Rendering is split so that moving the main slider is cheap: ``render(fig, params)``
draws everything that depends only on the controls (once per setting of the controls)
and returns ``frame(value)``, which updates the few *moving* artists that depend on
the main value and returns them with the readout. Only those artists are redrawn over
a saved background (matplotlib blitting), then the canvas is encoded as PNG. A control change
redraws what it changed: the figure is drawn in two layers (``_layers.py``), the axes' ticks and
labels (cached per axes, redrawn for the axes whose limits or ticks changed) and the rest over them.

Each option has its own figure (and saved background), so switching back to an option
already drawn with the current controls costs nothing. Frames are palette PNGs (at most
256 colours, no dithering: a third of the size of true-colour PNGs for these figures).
Each frame's image carries a text alternative (``tooltip``, the ``title`` of the image in
the page) naming the explorer, the choice, the main value and the frame's numbers.

Errors raised while rendering are shown in the explorer's own output area and kept in
``last_error``; they never escape into a callback where the front end would drop them.

Two hooks for code that drives an explorer (notebooks, tests): ``with explorer.hold():``
sets several controls and renders once, on leaving; ``render_fn`` may be replaced (to
inject a failure, say) and ``refresh(force=True)`` redraws every frame with it.
"""

from __future__ import annotations

import contextlib
import functools
import html
import io
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib import mathtext
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image
from traitlets import Unicode

from . import palette
from ._layers import Layers

# Redrawing an explorer lays out the same TeX strings again and again (titles, legends, the
# 10^k labels of log axes): matplotlib caches parsed mathtext per renderer in 50 entries,
# which a redraw of one explorer overflows (a third of a redraw went to re-parsing). One
# parser for every explorer's figures, with a larger cache.
_parse = getattr(mathtext.MathTextParser._parse_cached, "__wrapped__", None)
if _parse is not None and mathtext.MathTextParser._parse_cached.cache_info().maxsize < 4096:
    mathtext.MathTextParser._parse_cached = functools.lru_cache(4096)(_parse)
_MATHTEXT = []  # the one parser, the Agg renderer's own kind ("path" or "agg" by matplotlib version)


def _shared_mathtext(renderer) -> None:
    if not _MATHTEXT:
        _MATHTEXT.append(renderer.mathtext_parser)
    renderer.mathtext_parser = _MATHTEXT[0]


__all__ = [
    "Explorer",
    "LIVE_NOTE",
    "LIVE_NOTE_BROWSER",
    "LIVE_NOTE_WITH_CHOICE",
    "LIVE_NOTE_SERVED",
    "LOSS",
    "fmt",
    "readout_html",
    "parse_readout",
    "check_numbers",
    "check_integers",
]

LIVE_NOTE = (
    "<b>Live controls</b> &mdash; these need a running Python kernel. In the book, press "
    "<i>Run live in your browser</i> below the explorer (Python in the page, nothing to install); "
    "or launch this page on Binder or Colab with the rocket icon at the top of the page, or run "
    "the notebook locally (<code>make lab</code>, or <code>make live</code> for the explorers "
    "alone). In the static book only the slider above moves."
)
LIVE_NOTE_WITH_CHOICE = LIVE_NOTE.replace("only the slider above moves", "only the slider and the choice above work")
LIVE_NOTE_BROWSER = (
    "<b>Live controls</b> &mdash; Python is running in your browser: every control works "
    "(a change takes a moment to redraw)."
)
LIVE_NOTE_SERVED = "<b>Live controls</b> &mdash; a Python kernel is running (Voila): every control works."
# The book's live view runs the explorers in the reader's browser (Pyodide). Nobody saves that
# notebook, so an explorer draws only the frame shown; the others when they are reached.
IN_BROWSER = sys.platform == "emscripten"


def _under_voila() -> bool:
    """Whether this kernel was started by Voila (which sets these variables in its kernels' environment)."""
    return os.environ.get("SERVER_SOFTWARE", "").startswith("voila/") or "VOILA_BASE_URL" in os.environ


def _ipython():
    """The running IPython shell, or ``None``."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover (IPython comes with ipywidgets)
        return None
    return get_ipython()


LOSS = "ℒ"
"""The loss's symbol in the explorers' HTML titles and readouts: ℒ (U+2112, SCRIPT CAPITAL L), the book's
calligraphic L; figures write it ``$\\mathcal{L}$`` in mathtext. A plain ``L`` is the depth and ``J`` a Jacobian
(notation.md)."""


class Artists(tuple):
    """Artists of a panel with a ``restudy(...)`` method, which moves the panel to other numbers (another
    problem, another study) and returns them: what the ``draw_*`` functions of an explorer return."""


def fmt(x: float, digits: int = 4) -> str:
    """Compact number formatting for readouts."""
    return f"{x:.{digits}g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.{digits - 1}e}"


def readout_html(numbers: dict) -> str:
    """The numbers of a frame as HTML: ``<code>name = value</code>`` items (see :func:`parse_readout`)."""
    items = [f"<code>{html.escape(str(k))} = {fmt(float(v))}</code>" for k, v in numbers.items()]
    return '<div style="line-height:1.9">' + " &nbsp; ".join(items) + "</div>"


def alt_text(name: str, what: str, numbers_html: str) -> str:
    """A frame's text alternative: ``"<name>, <what>: a = 1, b = 2"`` from its readout (plain text). An item
    that starts with the loss's symbol ``LOSS`` is said in words too: ``"loss ℒ(W) = 2.1"``."""
    items = [html.unescape(m) for m in re.findall(r"<code>(.+?)</code>", numbers_html)]
    items = [f"loss {m}" if m.startswith(LOSS) else m for m in items]
    return f"{name}, {what}: " + ", ".join(items) if items else f"{name}, {what}"


def parse_readout(text: str) -> dict:
    """Inverse of :func:`readout_html`: ``{name: float}`` (for tests and notebooks)."""
    import re

    return {html.unescape(k): float(v) for k, v in re.findall(r"<code>(.+?) = ([-+0-9.einfa]+)</code>", text)}


def check_numbers(**values) -> None:
    """Defaults of a factory: ``ValueError`` naming the first of ``values`` that is not a finite real
    number (a bool is not one)."""
    for name, val in values.items():
        if isinstance(val, bool) or not isinstance(val, (int, float, np.integer, np.floating)) or not np.isfinite(val):
            raise ValueError(f"{name} must be a finite number, got {val!r}")


def check_integers(**values) -> None:
    """Defaults of a factory: ``ValueError`` naming the first of ``values`` that is not an integer
    (a bool is not one)."""
    for name, val in values.items():
        if isinstance(val, bool) or not isinstance(val, (int, np.integer)):
            raise ValueError(f"{name} must be an integer, got {val!r}")


class FrameImage(widgets.Image):
    """A frame's image. Its ``tooltip`` is the frame's text alternative, which the page shows as the
    image's ``title`` (and the book's ``a11y.js`` as its ``alt``). The widget manager's image view
    reads a ``description`` before it shows a tooltip, and an ``Image`` has none: this one does (empty)."""

    description = Unicode("").tag(sync=True)


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
        main value and returns them (they are left out of the saved background and drawn
        over it) with the readout as HTML. A render function with the attribute
        ``reuses_figure = True`` gets the figure as it left it (not cleared): it may update
        its artists in place, which is much faster than drawing new axes (matplotlib spends
        most of a redraw creating axes, ticks and text).
    choice : the name of one selection control of ``controls`` (a ``Dropdown``, say) whose
        options are pre-rendered too (the second static axis), or ``None``. It is shown
        beside the main slider, not among the live controls.
    figsize : size of the figure, inches. ``dpi``: resolution of the frames.
    """

    def __init__(
        self,
        *,
        title: str,
        main: tuple[str, Sequence[float], int],
        controls: dict[str, widgets.Widget],
        render: Callable[[Figure, dict], Callable[[float], tuple[list, str]]],
        choice: str | None = None,
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
        if choice is not None and not (choice in self.controls and hasattr(self.controls[choice], "index")):
            raise ValueError(f"choice must name a selection control of controls {tuple(self.controls)}, got {choice!r}")
        self.choice = choice
        self.choice_values = list(self.controls[choice]._options_values) if choice else [None]
        self.dpi = dpi
        self.name = re.sub(r"<[^>]+>", "", html.unescape(title)).split(":")[0].strip()
        self._labels = [labels(v) for v in self.values]
        m, n = len(self.choice_values), len(self.values)
        self.figures = []
        for _ in range(m):  # one figure per option: its background survives a switch to another option
            fig = Figure(figsize=figsize, dpi=dpi)
            FigureCanvasAgg(fig)
            self.figures.append(fig)
        self.last_error: str | None = None
        self._held = 0  # > 0 inside hold(): control changes wait for its end
        self._pending = None  # the post-cell hook that renders the other frames, once registered
        self._option_keys = [[None] * n for _ in range(m)]  # params key each frame was rendered with
        self._option_frames = [None] * m  # (params key, frame function, saved background) per option
        self._layers = [Layers(fig) for fig in self.figures]  # each figure's cached chrome (_layers.py)
        self._make_stacks(description, index, width)
        self.output = widgets.Output()
        self.error = widgets.HTML()
        self.slider.observe(self._on_main, names="index")
        for w in self.controls.values():
            w.observe(self._on_control, names="value")
        super().__init__([widgets.HTML(title), *self._layout(), self.error, self.output])
        self._render(index)  # the frame shown; the others when the page needs them (see _repr_mimebundle_)

    def _make_stacks(self, description: str, index: int, width: str) -> None:
        """The main slider, one stack of frames and one of readouts per option, and their jslinks."""
        self.slider = widgets.SelectionSlider(
            options=[(lab, i) for i, lab in enumerate(self._labels)],
            index=index,
            description=description,
            continuous_update=True,
            style={"description_width": "initial"},
            layout=widgets.Layout(width="60%"),
        )
        image_layout = widgets.Layout(width=width, height="auto")
        self.option_frames = [
            widgets.Stack([FrameImage(format="png", layout=image_layout) for _ in self.values], selected_index=index)
            for _ in self.choice_values
        ]
        self.option_readouts = [
            widgets.Stack([widgets.HTML() for _ in self.values], selected_index=index) for _ in self.choice_values
        ]
        k = self._option()
        self.choice_frames = widgets.Stack(self.option_frames, selected_index=k)
        self.choice_readouts = widgets.Stack(self.option_readouts, selected_index=k)
        # in the browser (static book or live): the slider switches frames with no kernel, the choice options
        self.links = [
            widgets.jslink((self.slider, "index"), (stack, "selected_index"))
            for pair in zip(self.option_frames, self.option_readouts, strict=True)
            for stack in pair
        ]
        if self.choice:
            self.links += [
                widgets.jslink((self.controls[self.choice], "index"), (self.choice_frames, "selected_index")),
                widgets.jslink((self.controls[self.choice], "index"), (self.choice_readouts, "selected_index")),
            ]

    def _layout(self) -> list:
        """The children below the title: the static controls, the two stacks, the note and the live controls."""
        choice = self.choice
        live_controls = [w for name, w in self.controls.items() if name != choice]
        live = []
        if live_controls:
            note = LIVE_NOTE_WITH_CHOICE if choice else LIVE_NOTE
            note = LIVE_NOTE_BROWSER if IN_BROWSER else LIVE_NOTE_SERVED if _under_voila() else note
            box = widgets.HBox(live_controls, layout=widgets.Layout(flex_flow="row wrap"))
            box.add_class("companion-kernel-only")  # disabled in the static page (_ext/assets/a11y.js)
            live = [widgets.HTML(note), box]
        static = [self.slider]
        if choice:
            self.controls[choice].add_class("companion-static-choice")  # found by the browser tests
            self.controls[choice].style.description_width = "initial"  # its whole name, beside the slider
            static = [widgets.HBox([self.controls[choice], self.slider], layout=widgets.Layout(flex_flow="row wrap"))]
        return [*static, self.choice_frames, self.choice_readouts, *live]

    # ------------------------------------------------------------ the static page
    def _repr_mimebundle_(self, **kwargs):
        """Shown in a notebook: the page needs every frame of every option (the static book saves them
        with the notebook). They are rendered when the cell that shows the explorer has run (an IPython
        ``post_run_cell`` hook, so the explorer appears at once), or here when there is no IPython shell.
        In the browser's own Python (the live view) and under Voila nobody saves the page: there the
        frames are drawn when shown, and the kernel is free for the reader's first moves at once."""
        if not (IN_BROWSER or _under_voila()):
            self.prerender()
        return super()._repr_mimebundle_(**kwargs)

    def prerender(self) -> None:
        """Render every frame of every option once the current cell has run (at once outside IPython)."""
        shell = _ipython()
        if shell is None:
            self.refresh()
            return
        if self._pending is not None:
            return

        def once(*_):
            shell.events.unregister("post_run_cell", once)
            self._pending = None
            self.refresh()

        self._pending = once
        shell.events.register("post_run_cell", once)

    # ------------------------------------------------------------------ state
    @property
    def params(self) -> dict:
        return {name: w.value for name, w in self.controls.items()}

    def _option(self) -> int:
        """The index of the option of the static choice shown (0 with no choice)."""
        return self.controls[self.choice].index if self.choice else 0

    @property
    def frames(self) -> widgets.Stack:
        """The stack of frame images of the option shown, one per value of the main slider, every one
        drawn with the current controls (those not drawn yet are drawn now)."""
        self._complete(self._option())
        return self.option_frames[self._option()]

    @property
    def readouts(self) -> widgets.Stack:
        """The stack of readouts of the option shown, every one up to date (as :attr:`frames`)."""
        self._complete(self._option())
        return self.option_readouts[self._option()]

    def _complete(self, k: int) -> None:
        for i in range(len(self.values)):
            self._render(i, k)

    @property
    def figure(self) -> Figure:
        """The figure of the option shown."""
        return self.figures[self._option()]

    @property
    def _keys(self) -> list:
        return self._option_keys[self._option()]

    @_keys.setter
    def _keys(self, keys) -> None:
        self._option_keys[self._option()] = list(keys)

    @property
    def _frame(self):
        return self._option_frames[self._option()]

    def forget(self) -> None:
        """Forget every rendered frame (they are recomputed when shown): for benchmarks."""
        self._option_keys = [[None] * len(self.values) for _ in self.choice_values]

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
        return self.option_readouts[self._option()].children[self.slider.index].value

    @property
    def image(self) -> bytes:
        """The PNG shown for the current frame."""
        return bytes(self.option_frames[self._option()].children[self.slider.index].value)

    def _params(self, k: int) -> dict:
        p = self.params
        if self.choice:
            p[self.choice] = self.choice_values[k]
        return p

    def _key(self, k: int | None = None):
        k = self._option() if k is None else k
        return tuple(sorted((name, repr(v)) for name, v in self._params(k).items()))

    # --------------------------------------------------------------- plumbing
    def _background(self, k: int, key):
        """Draw what depends on the controls only; save it as the blitting background."""
        cached = self._option_frames[k]
        if cached is not None and cached[0] == key:
            return cached
        self._option_frames[k] = None
        fig = self.figures[k]
        if not getattr(self.render_fn, "reuses_figure", False):
            fig.clear()
        _shared_mathtext(fig.canvas.get_renderer())
        frame = self.render_fn(fig, self._params(k))
        self._layers[k].draw(frame(self.values[0])[0])  # learn which artists move: they are drawn per frame
        self._option_frames[k] = (key, frame, fig.canvas.copy_from_bbox(fig.bbox))
        return self._option_frames[k]

    def _draw_frame(self, k: int, key, value):
        _, frame, background = self._background(k, key)
        fig = self.figures[k]
        canvas = fig.canvas
        canvas.restore_region(background)
        artists, text = frame(value)
        for a in artists:
            fig.draw_artist(a)
        rgb = Image.fromarray(np.asarray(canvas.buffer_rgba())).convert("RGB")
        buf = io.BytesIO()
        rgb.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
            buf, format="png", compress_level=6
        )
        return buf.getvalue(), text

    def _alt(self, k: int, i: int, text: str) -> str:
        what = f"{self.slider.description} = {self._labels[i]}"
        if self.choice:
            what = f"{self.controls[self.choice].description} {self.controls[self.choice].options[k]}, " + what
        return alt_text(self.name, what, text)

    def _render(self, i: int, k: int | None = None) -> None:
        k = self._option() if k is None else k
        key = self._key(k)
        if self._option_keys[k][i] == key:
            return
        try:
            png, text = self._draw_frame(k, key, self.values[i])
        except Exception as exc:  # shown to the reader, never swallowed
            self.last_error = f"{type(exc).__name__}: {exc}"
            self.error.value = (
                f'<div style="color:{palette.ERROR}" role="alert"><b>Error:</b> {html.escape(self.last_error)}</div>'
            )
            self.output.outputs = ()
            self.output.append_stderr(traceback.format_exc())
            self._option_keys[k][i] = None
            return
        self.last_error = None
        self.error.value = ""
        self.output.outputs = ()
        image = self.option_frames[k].children[i]
        image.value = png
        image.tooltip = self._alt(k, i, text)
        self.option_readouts[k].children[i].value = text
        self._option_keys[k][i] = key

    def _on_main(self, change) -> None:
        i = change["new"]
        # without a front end jslink does nothing: mirror it here
        for stack in (*self.option_frames, *self.option_readouts):
            stack.selected_index = i
        self._render(i)

    def _on_control(self, change) -> None:
        if self.choice:  # mirror the choice's jslink too
            self.choice_frames.selected_index = self.choice_readouts.selected_index = self._option()
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
        """Re-render every frame (of every option) drawn with other controls (e.g. before saving a notebook).

        ``force``: re-render every frame and the background, even those drawn with the current
        controls (after replacing ``render_fn``, or a change the controls do not show)."""
        if force:
            self.forget()
            self._option_frames = [None] * len(self.choice_values)
            for layers in self._layers:
                layers.forget()
        shown = self._option()
        for k in [shown, *(j for j in range(len(self.choice_values)) if j != shown)]:
            for i in range(len(self.values)):
                self._render(i, k)
