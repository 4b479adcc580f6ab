"""The contract every explorer keeps, checked on each ``make_*_explorer`` exported by
``companion.widgets`` (a new explorer is covered by being exported).

Static book: every frame of the main slider is rendered (a PNG and a readout each), the
frames differ, and the slider's index is ``jslink``-ed to both stacks. Live: moving the main
slider changes what the stacks show; an exception while rendering is shown in the widget,
never raised; every live control at its extremes renders without error; a frame drawn with
old controls is redrawn when the slider reaches it; the live controls are labelled as such.
An explorer with a static choice (a second pre-rendered axis) draws every option's frames, each
option's stacks follow the slider, and the choice is ``jslink``-ed to the outer stacks. Every
frame has a text alternative naming the main value and the readout's numbers.

Each explorer is built once for this module (``scope="module"``) with its defaults. The tests
that change controls come last for each explorer and leave it changed: each of them works
from any state of the controls. What is particular to one explorer (its numbers, the effect
of its own controls) is in ``tests/test_widgets_<name>.py``.
"""

from __future__ import annotations

import html
import re

import ipywidgets as widgets
import numpy as np
import pytest

import companion.widgets as cw
from companion.widgets._base import LIVE_NOTE, LIVE_NOTE_WITH_CHOICE

FACTORIES = [name for name in cw.__all__ if name.startswith("make_") and name.endswith("_explorer")]


@pytest.fixture(scope="module", params=FACTORIES)
def explorer(request) -> cw.Explorer:
    """The explorer as a notebook shows it (outside IPython, showing it renders every frame at once)."""
    e = getattr(cw, request.param)()
    assert isinstance(e, cw.Explorer), f"{request.param} returned {type(e).__name__}"
    assert "application/vnd.jupyter.widget-view+json" in e._repr_mimebundle_()
    return e


def shown(e: cw.Explorer) -> tuple[bytes, str]:
    """The PNG and the readout that the two stacks show (what a reader sees)."""
    return bytes(e.frames.children[e.frames.selected_index].value), e.readouts.children[e.readouts.selected_index].value


def is_slider(w) -> bool:
    """A slider, driven to its two ends (a ``SelectionSlider`` too); other selection controls go through
    every option."""
    return isinstance(w, widgets.SelectionSlider) or (hasattr(w, "min") and hasattr(w, "max"))


def is_selection(w) -> bool:
    """A control with a list of options (Dropdown, ToggleButtons, ...): driven through every option."""
    return hasattr(w, "options") and hasattr(w, "index")


def set_extreme(w, which: int) -> None:
    """A slider to its min (``which`` even) or max (odd); a ``SelectionSlider`` to its first or last option."""
    if isinstance(w, widgets.SelectionSlider):
        w.index = 0 if which % 2 == 0 else len(w.options) - 1
    else:
        w.value = w.min if which % 2 == 0 else w.max


def set_other_value(w) -> None:
    """Move a control away from its value: the next option, or the slider's other end."""
    if isinstance(w, widgets.SelectionSlider):
        w.index = len(w.options) - 1 if w.index == 0 else 0
    elif is_slider(w):
        w.value = w.max if w.value == w.min else w.min
    elif is_selection(w):
        w.index = (w.index + 1) % len(w.options)
    else:
        raise TypeError(f"the contract does not know how to drive a {type(w).__name__}: teach it here")


def assert_updates_like_a_fresh_one(e: cw.Explorer, make, changes, index: str) -> None:
    """Apply each of ``changes`` (``{control: value}``) to ``e`` in place, moving the main slider on each
    time: the frame and readout shown are byte for byte those of ``make(**controls, <index>=...)``, a new
    explorer with those values (the explorers keep their figure and update it in place)."""
    for change in changes:
        with e.hold():
            for name, value in change.items():
                e.controls[name].value = value
        e.slider.index = (e.slider.index + 5) % len(e.values)
        fresh = make(**{name: w.value for name, w in e.controls.items()}, **{index: e.slider.index})
        assert (e.image, e.readout) == (fresh.image, fresh.readout), change


def test_factories_are_found():
    assert FACTORIES, "companion.widgets exports no make_*_explorer"


def test_every_static_frame_is_rendered(explorer):
    n = len(explorer.values)
    assert n >= 2, "a main slider with one value does not move"
    assert len(explorer.frames.children) == len(explorer.readouts.children) == n
    assert explorer.last_error is None
    pngs = [bytes(img.value) for img in explorer.frames.children]
    assert all(p.startswith(b"\x89PNG") for p in pngs)
    assert len(set(pngs)) == n, "frames should differ from one value of the main slider to the next"
    assert all(r.value for r in explorer.readouts.children)


class FakeEvents:
    def __init__(self):
        self.callbacks = []

    def register(self, event, fn):
        assert event == "post_run_cell"
        self.callbacks.append(fn)

    def unregister(self, event, fn):
        self.callbacks.remove(fn)


def test_frames_are_rendered_when_the_cell_has_run(monkeypatch):
    """Creating an explorer renders the frame shown only; showing it in IPython renders the others once
    the cell has run (so the explorer appears at once, and the saved notebook holds every frame)."""
    from companion.widgets import _base

    shell = type("Shell", (), {"events": FakeEvents()})()
    monkeypatch.setattr(_base, "_ipython", lambda: shell)
    e = getattr(cw, FACTORIES[0])()
    drawn = lambda: sum(bool(img.value) for stack in e.option_frames for img in stack.children)
    assert drawn() == 1
    e._repr_mimebundle_()
    e._repr_mimebundle_()  # shown twice: one hook
    assert drawn() == 1 and len(shell.events.callbacks) == 1
    shell.events.callbacks[0](None)  # the cell has run
    assert drawn() == len(e.values) * len(e.choice_values) and shell.events.callbacks == []
    assert e.last_error is None


def test_voila_draws_frames_when_shown(monkeypatch):
    """Under Voila (nobody saves the page) showing an explorer registers no hook: frames are drawn when reached."""
    from companion.widgets import _base

    shell = type("Shell", (), {"events": FakeEvents()})()
    monkeypatch.setattr(_base, "_ipython", lambda: shell)
    monkeypatch.setenv("SERVER_SOFTWARE", "voila/0.5.13")
    e = getattr(cw, FACTORIES[0])()
    e._repr_mimebundle_()
    assert shell.events.callbacks == []
    assert sum(bool(img.value) for stack in e.option_frames for img in stack.children) == 1
    e.slider.index = (e.slider.index + 1) % len(e.values)  # a frame reached is drawn
    assert sum(bool(img.value) for stack in e.option_frames for img in stack.children) == 2
    # and the note above the live controls does not say they need a kernel: one is running
    notes = [w.value for w in e.children if isinstance(w, widgets.HTML) and "Live controls" in w.value]
    assert notes == [_base.LIVE_NOTE_SERVED] or not {n for n in e.controls if n != e.choice}


def test_slider_drives_both_stacks_in_the_browser(explorer):
    links = {(k.source[0].model_id, k.source[1], k.target[0].model_id, k.target[1]) for k in explorer.links}
    assert (explorer.slider.model_id, "index", explorer.frames.model_id, "selected_index") in links
    assert (explorer.slider.model_id, "index", explorer.readouts.model_id, "selected_index") in links


def test_main_slider_changes_figure_numbers_and_stacks(explorer):
    """Every value of the main slider, in turn: both stacks follow, the image and the readout change."""
    n = len(explorer.values)
    start = explorer.slider.index
    for i in [(start + k) % n for k in range(1, n + 1)]:
        img, text = shown(explorer)
        explorer.slider.index = i
        assert explorer.frames.selected_index == i and explorer.readouts.selected_index == i
        assert shown(explorer) == (explorer.image, explorer.readout)
        new_img, new_text = shown(explorer)
        assert new_img != img, f"index {i}: the image did not change"
        assert new_text != text, f"index {i}: the readout did not change"
        assert explorer.last_error is None


def test_live_controls_are_labelled(explorer):
    """The kernel-only controls sit below the note that says so; the static choice (if any) is not among them."""
    notes = [
        k
        for k, w in enumerate(explorer.children)
        if isinstance(w, widgets.HTML) and w.value in (LIVE_NOTE, LIVE_NOTE_WITH_CHOICE)
    ]
    live = {name: w for name, w in explorer.controls.items() if name != explorer.choice}
    if not live:
        assert notes == []
        return
    assert "kernel" in LIVE_NOTE and "kernel" in LIVE_NOTE_WITH_CHOICE and LIVE_NOTE_WITH_CHOICE != LIVE_NOTE
    assert len(notes) == 1, "the live controls need the note that says they need a kernel"
    ids = {id(w) for w in live.values()}
    boxes = [
        k for k, w in enumerate(explorer.children) if isinstance(w, widgets.Box) and ids <= {id(c) for c in w.children}
    ]
    assert boxes and boxes[0] > notes[0], "the controls are shown, below their note"
    if explorer.choice:
        w = explorer.controls[explorer.choice]
        assert all(id(w) not in {id(c) for c in b.children} for b in explorer.children[boxes[0] : boxes[0] + 1])
        assert explorer.children[notes[0]].value == LIVE_NOTE_WITH_CHOICE


def test_static_choice_switches_frames_in_the_browser(explorer):
    """With a static choice: one pair of frame stacks per option, each drawn and jslink-ed to the
    slider, the option's index jslink-ed to the outer stacks; the options' frames differ."""
    if not explorer.choice:
        pytest.skip("no static choice")
    w = explorer.controls[explorer.choice]
    links = {(k.source[0].model_id, k.source[1], k.target[0].model_id, k.target[1]) for k in explorer.links}
    assert (w.model_id, "index", explorer.choice_frames.model_id, "selected_index") in links
    assert (w.model_id, "index", explorer.choice_readouts.model_id, "selected_index") in links
    assert len(explorer.choice_frames.children) == len(w.options) >= 2
    i = explorer.slider.index
    shown_by_option = set()
    for stack, texts in zip(explorer.option_frames, explorer.option_readouts, strict=False):
        assert (explorer.slider.model_id, "index", stack.model_id, "selected_index") in links
        assert all(bytes(img.value).startswith(b"\x89PNG") for img in stack.children)
        shown_by_option.add((bytes(stack.children[i].value), texts.children[i].value))
    assert len(shown_by_option) == len(w.options), "each option shows its own frame"


def test_every_frame_has_alt_text_with_its_numbers(explorer):
    """Every frame's image has a text alternative (its title in the page) naming the main value and the
    readout's numbers."""
    for stack, texts in zip(explorer.option_frames, explorer.option_readouts, strict=False):
        for i, (img, text) in enumerate(zip(stack.children, texts.children, strict=False)):
            alt = img.tooltip
            assert (
                alt
                and explorer.name in alt
                and f"{explorer.slider.description} = {explorer.slider.options[i][0]}" in alt
            )
            numbers = re.findall(r"<code>(.+?)</code>", text.value)
            assert numbers and all(html.unescape(x) in alt for x in numbers)


# the loss written as the depth L or as a Jacobian J: L(...), dL, $L$, "level lines of L", J(...), nabla ... J
LOSS_AS_L_OR_J = re.compile(
    r"(?<![\w\\])L\(|(?<![\w\\])dL(?![a-z])|\$L\$|lines of L\b|(?<![\w\\])J\(|(?:nabla|∇)\S*?J\b|zoom on J\b"
)


def test_the_loss_is_written_as_the_book_writes_it(explorer):
    """notation.md: the loss is calligraphic (ℒ in HTML, $\\mathcal{L}$ in the figures); a plain L is the depth
    and J a Jacobian. No figure text, title or readout writes the loss L or J; a readout item of the loss is said
    in words in the frame's text alternative ("loss ℒ(W) = ...")."""
    from matplotlib.text import Text

    from companion.widgets._base import LOSS

    texts = [t.get_text() for fig in explorer.figures for t in fig.findobj(Text)]
    texts += [explorer.children[0].value] + [c.value for stack in explorer.option_readouts for c in stack.children]
    for text in texts:
        assert not LOSS_AS_L_OR_J.search(html.unescape(text)), text
    for stack, readouts in zip(explorer.option_frames, explorer.option_readouts, strict=True):
        for img, text in zip(stack.children, readouts.children, strict=True):
            for item in re.findall(r"<code>(.+?)</code>", text.value):
                if html.unescape(item).startswith(LOSS):
                    assert f"loss {html.unescape(item)}" in img.tooltip


def test_the_pattern_finds_the_loss_written_l_or_j():
    for bad in (
        "L(W) = 1",
        r"zoom on $L$ along",
        "one differential dL,",
        r"$dL_w[v]$",
        "level lines of L",
        "(&nabla;<sub>A_l</sub>J)[i, j]",
        r"$(\nabla_{A_\ell}J)_{ij}$",
        r"$(J(A+s)-J)$",
        "zoom on J along",
    ):
        assert LOSS_AS_L_OR_J.search(html.unescape(bad)), bad
    for good in (
        "ℒ(W) = 1",
        r"zoom on $\mathcal{L}$",
        r"$d\mathcal{L}_w[v]$",
        "depth L = 8",
        "(tanh, L = 3, widths)",
        r"$\frac{1}{n}\,\mathrm{tr}(J^\top J)$",
        "singular values of J",
        r"model $J u$",
        r"$\sigma_w^L$",
        "D<sub>L</sub>A<sub>L</sub>",
    ):
        assert not LOSS_AS_L_OR_J.search(html.unescape(good)), good


def test_indices_shown_count_from_one(explorer):
    """A reader counts rows and columns from 1 (notation.md): every heatmap's ticks sit on the array
    positions 0..n-1 and are labelled 1..n, and a slider choosing an entry or a row starts at 1."""
    from matplotlib.image import AxesImage

    heatmaps = [ax for fig in explorer.figures for ax in fig.axes if any(isinstance(a, AxesImage) for a in ax.images)]
    for ax in heatmaps:
        # a heatmap shows its labels on one axis at least (8.6 labels a row of panels on its first column only)
        assert not (len(ax.get_xticks()) or len(ax.get_yticks())) or ax.get_xticklabels() or ax.get_yticklabels()
        for axis in (ax.xaxis, ax.yaxis):
            ticks = axis.get_majorticklocs()
            # every tick's label, the hidden ones too
            labels = [t.label1 for t in axis.get_major_ticks(len(ticks))]
            if len(ticks):
                assert [t.get_text() for t in labels] == [str(int(k) + 1) for k in ticks], ax.get_title()
                assert ticks[0] == 0 and labels[0].get_text() == "1"
    for name, w in explorer.controls.items():
        if w.description.startswith("entry ") or w.description.endswith(" row"):
            assert w.min == 1 and 1 <= w.value <= w.max, name


def test_index_ticks_are_labelled_from_one():
    from companion.widgets._heatmap import index_labels, index_ticks

    assert (index_ticks(3), index_labels(index_ticks(3))) == ([0, 1, 2], ["1", "2", "3"])
    assert (index_ticks(6), index_labels(index_ticks(6))) == ([0, 2, 4], ["1", "3", "5"])


# ---------------------------------------------------------------- these change the explorer's controls
def test_an_error_while_rendering_is_shown_not_raised(explorer, monkeypatch):
    def broken(fig, params):
        raise RuntimeError("deliberate failure")

    monkeypatch.setattr(explorer, "render_fn", broken)
    live = [w for name, w in explorer.controls.items() if name != explorer.choice]
    if (
        live
    ):  # the path a reader takes: a live control's callback renders (the static choice's options are drawn already)
        set_other_value(live[0])  # must not raise
    else:
        explorer.refresh(force=True)
    assert "deliberate failure" in explorer.last_error
    assert "deliberate failure" in explorer.error.value
    assert any("deliberate failure" in o.get("text", "") for o in explorer.output.outputs)


def test_live_controls_at_their_extremes_render(explorer):
    """Every option of each selection control (Dropdown, ToggleButtons, ...) and both ends of each
    slider render with no error; then a frame drawn with the old controls is redrawn when reached.

    The controls are set together, in rounds, under ``explorer.hold()`` (one render a round):
    round ``r`` puts each selection control on its ``r``-th option (back on the one it had once it
    has no ``r``-th) and each slider at its min (``r`` even) or max (``r`` odd), twice over so
    that ranges clamped by other controls (an entry index bounded by a size) reach their ends.
    """
    controls = explorer.controls
    if not controls:
        pytest.skip("no live controls")
    n = len(explorer.values)
    here = explorer.slider.index
    elsewhere = (here + n // 2) % n
    before = bytes(explorer.frames.children[elsewhere].value)
    start_params = explorer.params
    unknown = [name for name, w in controls.items() if not (is_slider(w) or is_selection(w))]
    assert not unknown, f"the contract does not know how to drive {unknown}: teach it here"
    original = {name: w.index for name, w in controls.items() if not is_slider(w)}
    options = {name: len(controls[name].options) for name in original}
    rounds = max([2, *options.values()])
    for r in range(rounds):
        with explorer.hold():
            for _ in range(2):
                for name, w in controls.items():
                    if is_slider(w):
                        set_extreme(w, r)
                    else:
                        w.index = r if r < options[name] else original[name]
        error = explorer.last_error
        assert error is None, f"round {r}, {explorer.params}: {error}"
        assert explorer.error.value == "" and explorer.output.outputs == ()
        img, text = shown(explorer)
        assert img.startswith(b"\x89PNG") and text
    if explorer.params == start_params:
        with explorer.hold():
            set_other_value(next(iter(controls.values())))
        assert explorer.last_error is None
    explorer.slider.index = elsewhere  # drawn with the first controls: redrawn now
    assert explorer.last_error is None
    assert bytes(explorer.frames.children[elsewhere].value) != before


def drawn_from_scratch(e: cw.Explorer) -> bytes:
    """The frame shown, drawn again from nothing: the figure's chrome layer (``_layers.py``) and its
    background forgotten first. (Private state: the public ``refresh(force=True)`` would draw every frame.)"""
    k = e._option()
    e._layers[k].forget()
    e._option_frames[k] = None
    e._option_keys[k][e.index] = None
    e._render(e.index)
    assert e.last_error is None, e.last_error
    return e.image


def test_a_control_change_draws_what_a_full_draw_draws(explorer):
    """A control change redraws the chrome (ticks, labels) of the axes it changed, over the saved chrome of
    the others: the image is the one a draw of the whole figure gives, after one change or several."""
    live = [(name, w) for name, w in explorer.controls.items() if name != explorer.choice]
    if not live:
        pytest.skip("no live controls")
    moves = 0
    for _ in range(2):
        for name, w in live:
            if getattr(w, "disabled", False):
                continue
            set_other_value(w)
            assert explorer.last_error is None, f"{name}: {explorer.last_error}"
            moves += 1
            if moves % 2 == 0:  # every other move: the next one starts from a chrome layer redrawn in part
                image, pixels = explorer.image, _canvas(explorer.figure)
                assert image == drawn_from_scratch(explorer), f"{name} = {w.value!r}, {explorer.params}"
                assert np.array_equal(pixels, _canvas(explorer.figure)), f"{name}: the same PNG, other pixels"


# ---------------------------------------------------------------- the two layers of a figure (_layers.py)
def _canvas(fig) -> np.ndarray:
    return np.asarray(fig.canvas.buffer_rgba()).copy()


def _full(fig, moving=()) -> np.ndarray:
    """The figure drawn by a new ``Layers``: the whole chrome layer, then the content."""
    from companion.widgets._layers import Layers

    Layers(fig).draw(moving)
    return _canvas(fig)


def _figure(n: int = 3, figsize=(9.0, 3.0), **gridspec):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=80)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, n, gridspec_kw=gridspec)
    for k, ax in enumerate(axes):
        ax.plot([0, 1, 2], [0, k + 1, 0], label=f"curve {k}")
        ax.set_title(f"panel {k}", y=1.0)  # at a fixed place: content (one placed at every draw is chrome)
        ax.legend(loc="upper right", fontsize=7)
    return fig, list(axes)


def test_layers_redraw_the_chrome_of_the_axes_that_changed_only():
    from companion.widgets._layers import Layers

    fig, axes = _figure(wspace=0.4)
    layers = Layers(fig)
    layers.draw([])
    assert (layers.full_draws, layers.unit_draws) == (1, 0)
    axes[2].set_ylim(-10, 25)  # new ticks and tick labels on one axes
    axes[0].lines[0].set_ydata([3, 0, 3])  # content only
    layers.draw([])
    assert (layers.full_draws, layers.unit_draws) == (1, 1)
    after = _canvas(fig)
    assert np.array_equal(after, _full(fig))
    axes[1].set_title("a title at a fixed place is content: no chrome redrawn", y=1.0)
    layers.draw([])
    assert (layers.full_draws, layers.unit_draws) == (1, 1)
    assert np.array_equal(_canvas(fig), _full(fig))


def test_layers_draw_what_a_full_draw_draws_when_chrome_grows_into_a_neighbour():
    """Axes close together: a tick label that grows (-1 to -1000000) reaches the next axes' chrome, and an
    axes moved or given new ticks may overlap another; an inset overlaps its parent. Every state equals a
    full draw, and the artists' flags (visible, animated) are left as they were."""
    from companion.widgets._layers import Layers

    fig, axes = _figure(wspace=0.25)
    inset = axes[1].inset_axes([0.5, 0.5, 0.45, 0.45])
    inset.plot([0, 1], [1, 0])
    moving = axes[0].plot([1], [1], "o")
    hidden = axes[2].plot([0, 2], [1, 1])[0]
    hidden.set_visible(False)
    image = axes[2].imshow(np.eye(3), extent=(0, 2, 0, 3), aspect="auto")
    layers = Layers(fig)
    layers.draw(moving)
    changes = [
        lambda: axes[1].set_ylim(-1e6, 10),
        lambda: axes[2].set_ylim(-1e6, 10),
        lambda: axes[0].set_xlim(-50, 2e5),
        lambda: inset.set_ylim(-5, 5),
        lambda: axes[1].set_position([0.3, 0.2, 0.5, 0.6]),
        lambda: axes[1].yaxis.set_label_text("a label"),
        lambda: axes[2].tick_params(labelsize=14),
        lambda: (axes[1].set_ylim(0, 1), axes[2].set_ylim(0, 1)),
    ]
    for change in changes:
        change()
        layers.draw(moving)
        assert np.array_equal(_canvas(fig), _full(fig, moving))
    assert layers.unit_draws > 0
    assert not hidden.get_visible() and image.get_visible()
    assert not any(a.get_animated() for a in (*moving, hidden, image, inset, *axes[0].get_children()))


def test_layers_leave_the_moving_artists_out():
    from companion.widgets._layers import Layers

    fig, axes = _figure()
    moving = axes[1].plot([0, 2], [0, 2], lw=8)
    Layers(fig).draw(moving)
    with_line = _canvas(fig)
    moving[0].set_visible(False)
    Layers(fig).draw([])
    assert np.array_equal(with_line, _canvas(fig))


def test_layers_draw_everything_again_under_a_layout_engine():
    """A layout engine places the axes when the figure is drawn: the whole chrome is drawn every time."""
    from companion.widgets._layers import Layers

    fig, axes = _figure()
    fig.set_layout_engine("constrained")
    layers = Layers(fig)
    layers.draw([])
    axes[0].set_ylim(0, 1e4)
    layers.draw([])
    assert (layers.full_draws, layers.unit_draws) == (2, 0)
    assert np.array_equal(_canvas(fig), _full(fig))


def test_layers_follow_what_the_chrome_shows_however_it_is_changed():
    """Changes the keys must see, each checked against a full draw: a font size changed in place, tick
    labels rotated one by one, a symlog's linscale (same ticks, other places), a label given a place far
    from its axes, the dpi, aligned labels, a title placed above an inset whose tick labels grow."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from companion.widgets._layers import Layers

    fig, axes = _figure(wspace=0.4)
    axes[0].set_ylabel("y")
    axes[1].set_yscale("symlog", linthresh=1.0)
    axes[1].set_ylim(-20, 20)
    layers = Layers(fig)
    layers.draw([])
    changes = [
        lambda: axes[0].yaxis.label.set_fontsize(20),
        lambda: [t.set_rotation(45) for t in axes[2].get_xticklabels()],
        lambda: axes[1].set_yscale("symlog", linthresh=1.0, linscale=3.0),
        lambda: axes[2].yaxis.set_label_coords(-0.9, 0.5),
        lambda: axes[2].set_ylabel("far away"),
        lambda: fig.set_dpi(100),
    ]
    for change in changes:
        change()
        layers.draw([])
        assert np.array_equal(_canvas(fig), _full(fig))
    fig = Figure(figsize=(4, 4), dpi=80)
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1)
    top.set_ylabel("top")
    bottom.set_ylabel("bottom")
    fig.align_ylabels()
    inset = top.inset_axes([0.1, 1.12, 0.8, 0.1])
    inset.xaxis.tick_top()
    top.set_title("placed above the inset at every draw")
    layers = Layers(fig)
    layers.draw([])
    for change in (lambda: bottom.set_ylim(-1e6, 1), lambda: inset.tick_params(labelsize=18)):
        change()
        layers.draw([])
        assert np.array_equal(_canvas(fig), _full(fig))
