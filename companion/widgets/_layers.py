"""An explorer's figure drawn in two layers, so that a control change redraws what it changed.

Most of the time of a matplotlib redraw goes to the *chrome* of the axes: ticks, tick labels,
axis labels, grid lines (text layout and glyph rendering). A control of an explorer usually
changes the data of a few panels and leaves the chrome of the others as it was. So the figure
is drawn as

- the **chrome** layer: for every ``Axes`` (and its inset axes, colour bars), its background
  patch and its two ``Axis`` (ticks, tick labels, axis labels, grid, offset text). It is kept as
  an image with a key per axes of everything it shows (place, limits, scales, the ticks and their
  labels, the tick parameters, the axis labels), and redrawn only for the axes whose key changed:
  their old and new extents are cleared to the figure's background and those axes are drawn
  again. When such an extent overlaps an unchanged axes' chrome, or the figure has a layout
  engine, the whole chrome layer is redrawn;
- the **content** layer: every other artist (lines, images, patches, collections, texts,
  titles, legends, spines; the figure's own texts and legends), drawn over the chrome layer at
  every change, in the order a full draw would draw them (axes by zorder, then artists by
  zorder).

Both ways of reaching a state (through cached chrome or a full draw) compose the same two
layers, so they give the same pixels as long as the key names everything the chrome shows:
``tests/test_explorers.py`` checks this for every control of every explorer.

Not drawn at all: the ``moving`` artists (those the main slider moves), which the explorer
draws over the result.
"""

from __future__ import annotations

from operator import methodcaller

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.image import AxesImage as _AxesImage
from matplotlib.transforms import Bbox

__all__ = ["Layers"]

_PAD = 2  # pixels around an axes' chrome extent: antialiasing reaches a pixel beyond a glyph's box
_zorder = methodcaller("get_zorder")


def _text_key(t) -> tuple:
    return (
        t.get_visible(),
        t.get_text(),
        tuple(np.asarray(t.get_position(), dtype=float)),
        t.get_fontproperties(),
        repr(t.get_color()),
        t.get_rotation(),
        t.get_horizontalalignment(),
        t.get_verticalalignment(),
        t.get_alpha(),
    )


def _axis_key(axis) -> tuple:
    """Everything an ``Axis`` draws: its ticks and their labels, the tick parameters, its label."""
    if not axis.get_visible():
        return (False,)
    major_locs = np.asarray(axis.get_majorticklocs(), dtype=float)
    minor_locs = np.asarray(axis.get_minorticklocs(), dtype=float)
    major = tuple(axis.major.formatter.format_ticks(major_locs))
    offset = axis.major.formatter.get_offset()  # after format_ticks, which computes it
    minor = tuple(axis.minor.formatter.format_ticks(minor_locs))
    params = tuple(
        tuple(sorted((k, repr(v)) for k, v in axis.get_tick_params(which=w).items())) for w in ("major", "minor")
    )
    return (
        True,
        major_locs.tobytes(),
        major,
        offset,
        minor_locs.tobytes(),
        minor,
        params,
        axis.get_label_position(),
        axis.labelpad,
        _text_key(axis.label),
        _text_key(axis.get_offset_text()),
    )


def _axes_key(ax: Axes, renderer) -> tuple:
    """Everything the chrome of ``ax`` (and of its inset axes) shows, as a ``tuple`` to compare."""
    if not ax.get_visible():
        return (False,)
    view = ax.viewLim.bounds  # brings autoscaling up to date, as a draw would
    locator = ax.get_axes_locator()
    ax.apply_aspect(locator(ax, renderer) if locator else None)
    return (
        True,
        ax.bbox.bounds,
        view,
        ax.viewLim.bounds,  # after the aspect (an adjustable 'datalim' moves the limits)
        ax.get_xscale(),
        ax.get_yscale(),
        ax.axison,
        ax.get_frame_on(),
        ax.patch.get_visible(),
        repr(ax.patch.get_facecolor()),
        _axis_key(ax.xaxis) if ax.axison else (),
        _axis_key(ax.yaxis) if ax.axison else (),
        tuple(_axes_key(child, renderer) for child in ax.child_axes),
    )


def _is_chrome(ax: Axes, a) -> bool:
    return a is ax.patch or a is ax.xaxis or a is ax.yaxis


def _content(ax: Axes, moving: set, out: list) -> None:
    """Append the content of ``ax`` (every artist but its chrome and ``moving``) to ``out`` in drawing order."""
    if not ax.get_visible():
        return
    spines = set(ax.spines.values()) if not (ax.axison and ax.get_frame_on()) else set()
    children = [a for a in ax.get_children() if not _is_chrome(ax, a) and a not in spines]
    for a in sorted(children, key=_zorder):
        if isinstance(a, Axes):
            _content(a, moving, out)
        elif id(a) not in moving:
            out.append(a)


def _extent(ax: Axes, renderer) -> Bbox:
    """Where the chrome of ``ax`` (and of its inset axes) has pixels, in display coordinates: the axes, its
    tick labels and axis labels, and around them the tick marks' length outside the axes, padded."""
    boxes, ticks = [ax.bbox], 0.0
    if ax.axison:
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_visible():
                boxes += [b for b in [axis.get_tightbbox(renderer)] if b]
                for tick in (*axis.get_major_ticks(1), *axis.get_minor_ticks(1)):
                    ticks = max(ticks, tick.get_tick_padding())  # points outside the axes
    boxes += [_extent(child, renderer) for child in ax.child_axes if child.get_visible()]
    return Bbox.union(boxes).padded(_PAD + ticks * ax.figure.dpi / 72)


class Layers:
    """The chrome and content layers of ``fig`` (see the module's docstring)."""

    def __init__(self, fig: Figure):
        self.fig = fig
        self.chrome = None  # the chrome layer, an (h, w, 4) array, or None before the first draw
        self.blank = None  # the figure's background alone, same shape
        self.head = self.keys = None  # the figure's key and one per axes, as of the chrome layer
        self.extents = None  # where each axes' chrome lies (a Bbox, display coordinates), or None: not measured
        self._measured = {}  # axes key -> extent: the extent depends on nothing else
        self.full_draws = 0  # how often the whole chrome layer was drawn (for tests and benchmarks)
        self.axes_draws = 0  # how many axes' chrome was redrawn alone

    def forget(self) -> None:
        """Draw the whole chrome layer next time."""
        self.chrome = self.head = self.keys = self.extents = None

    def draw(self, moving) -> None:
        """Draw the figure, but not the artists ``moving``, on the canvas (the chrome as needed)."""
        fig = self.fig
        renderer = fig.canvas.get_renderer()
        moving_ids = {id(a) for a in moving}
        axes = sorted(fig.axes, key=_zorder)
        content: list = []
        for ax in axes:
            _content(ax, moving_ids, content)
        own = (*fig.patches, *fig.lines, *fig.texts, *fig.images, *fig.legends, *fig.artists)
        content += sorted((a for a in own if id(a) not in moving_ids), key=_zorder)
        # off the chrome layer: animated artists are not drawn by a figure's draw, except images, which are
        # hidden instead (not every artist: a hidden title has no extent, and its axes would move it away)
        images = [a for a in (*content, *moving) if isinstance(a, _AxesImage) and a.get_visible()]
        others = [a for a in (*content, *moving) if not isinstance(a, _AxesImage) and not a.get_animated()]
        for a in images:
            a.set_visible(False)
        for a in others:
            a.set_animated(True)
        try:
            self._draw_chrome(axes, renderer)
        finally:
            for a in images:
                a.set_visible(True)
            for a in others:
                a.set_animated(False)
        for a in content:
            fig.draw_artist(a)

    def _draw_chrome(self, axes, renderer) -> None:
        fig = self.fig
        head = (fig.bbox.bounds, repr(fig.patch.get_facecolor()), fig.get_layout_engine(), len(axes))
        keys = [_axes_key(ax, renderer) for ax in axes]
        changed = set(range(len(axes)))
        first = self.chrome is None
        if not first and head == self.head and head[2] is None:
            changed = {i for i in range(len(axes)) if keys[i] != self.keys[i]}
            if not changed:
                np.asarray(renderer.buffer_rgba())[...] = self.chrome
                return
            if self.extents is not None and len(changed) < len(axes) and self._redraw(axes, keys, changed, renderer):
                return
        fig.canvas.draw()
        buf = np.asarray(renderer.buffer_rgba())
        self.chrome = buf.copy()
        renderer.clear()
        fig.patch.draw(renderer)
        self.blank = buf.copy()
        buf[...] = self.chrome
        self.head, self.keys = head, keys
        # where each axes' chrome lies, for the next change; not worth measuring after a change of every axes
        # (the next change will likely change them all again), unless this state was measured before
        skip = not first and len(changed) == len(axes) and not all(k in self._measured for k in keys)
        self.extents = None if skip else self._extents(axes, keys)
        self.full_draws += 1

    def _extents(self, axes, keys, only=None) -> list:
        """The extent of each axes (or of those in ``only``, None for the others) in its current state."""
        out = []
        for i, (ax, key) in enumerate(zip(axes, keys, strict=True)):
            if only is not None and i not in only:
                out.append(None)
                continue
            if key not in self._measured:
                if len(self._measured) > 512:
                    self._measured.clear()
                self._measured[key] = _extent(ax, self.fig.canvas.get_renderer())
            out.append(self._measured[key])
        return out

    def _redraw(self, axes, keys, changed, renderer) -> bool:
        """Draw again the chrome of the axes ``changed`` over the saved chrome layer, their old and new
        extents cleared first; an axes whose chrome meets those extents is drawn again too. False (nothing
        drawn) when that would be every axes."""
        new = self._extents(axes, keys, only=changed)
        regions, todo = {}, list(changed)
        while todo:  # the closure: the unchanged axes that a cleared region reaches
            i = todo.pop()
            if new[i] is None:  # drawn again for its neighbour's sake: where it was
                new[i] = self.extents[i]
            regions[i] = Bbox.union([self.extents[i], new[i]])
            for j in range(len(axes)):
                if j not in regions and j not in todo and regions[i].overlaps(self.extents[j]):
                    todo.append(j)
            if len(regions) + len(todo) == len(axes):
                return False
        buf = np.asarray(renderer.buffer_rgba())
        buf[...] = self.chrome
        h, w = buf.shape[:2]
        for r in regions.values():  # display coordinates (y up) to rows and columns (row 0 at the top)
            c0, c1 = max(int(np.floor(r.x0)), 0), min(int(np.ceil(r.x1)), w)
            r0, r1 = max(h - int(np.ceil(r.y1)), 0), min(h - int(np.floor(r.y0)), h)
            buf[r0:r1, c0:c1] = self.blank[r0:r1, c0:c1]
        for i in sorted(regions):  # in the figure's drawing order
            self.fig.draw_artist(axes[i])
        self.chrome = buf.copy()
        self.keys = keys
        self.extents = [self.extents[i] if new[i] is None else new[i] for i in range(len(axes))]
        self.axes_draws += len(regions)
        return True
