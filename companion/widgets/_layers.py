"""An explorer's figure drawn in two layers, so that a control change redraws what it changed.

Most of the time of a matplotlib redraw goes to the *chrome* of the axes: ticks, tick labels,
axis labels, grid lines (text layout and glyph rendering). A control of an explorer usually
changes the data of a few panels and leaves the chrome of the others as it was. So the figure
is drawn as

- the **chrome** layer: for every ``Axes`` and, as units of their own, its inset axes (colour
  bars), the background patch and the two ``Axis`` (ticks, tick labels, axis labels, grid, offset
  text). It is kept as an image, with a key per unit of everything its chrome shows (place, limits,
  scales, tick positions, labels and properties, the axis labels, and what places a title that is
  placed at every draw). After a change, only the units whose key changed are drawn again: their old
  extents (the pixels their last draw changed) are cleared to the figure's background first, a unit
  whose extent meets one of those is drawn again too, and so is a later unit that a redrawn one now
  reaches. When that is every unit, or the figure has a layout engine, subfigures or aligned labels
  (which place axes and labels from the whole figure), the whole chrome layer is drawn;
- the **content** layer: every other artist (lines, images, patches, collections, texts,
  titles, legends, spines; the figure's own texts and legends), drawn over the whole chrome layer
  at every change, axes by axes and artist by artist in zorder.

The image is that of these two layers, not quite matplotlib's own: all content lies over all chrome
(an image covers the grid lines; an inset's background does not hide its parent's lines). Both ways
of reaching a state (cached chrome or a whole draw) give the same pixels as long as the keys name
everything the chrome shows: ``tests/test_explorers.py`` checks it for every control of every
explorer and for figures made to break it.

Not drawn at all: the ``moving`` artists (those the main slider moves), which the explorer
draws over the result.
"""

from __future__ import annotations

from operator import methodcaller

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.image import AxesImage as _AxesImage
from matplotlib.ticker import NullLocator

__all__ = ["Layers", "fix_empty_labels"]

_PAD = 1  # pixels around an axes' chrome extent (the pixels its draw changed, measured)
_REACH = 96  # pixels around an axes where its chrome is looked for (tick labels, axis labels)
_zorder = methodcaller("get_zorder")


def fix_empty_labels(ax) -> None:
    """Give the axis labels of ``ax`` that have no text a fixed place. matplotlib places an axis label from
    the extents of the tick labels at every draw, text or none (with a title placed the same way, a fifth
    of the time of drawing an axes); a label without text shows nothing wherever it is. Call it once the
    labels are set (a label given text later keeps that fixed place: give it its own with
    ``set_label_coords``). Titles are kept from being placed at every draw by ``set_title(..., y=1.0)``."""
    for axis, coords in ((ax.xaxis, (0.5, 0.0)), (ax.yaxis, (0.0, 0.5))):
        if not axis.label.get_text():
            axis.set_label_coords(*coords)


def _text_key(t, *, placed: bool = True, text: bool = True) -> tuple:
    """Everything a ``Text`` draws; its position only if ``placed`` (not when a draw computes it), its
    text only if ``text`` (not when the key has it from elsewhere: a tick label's formatter)."""
    return (
        t.get_visible(),
        t.get_text() if text else "",
        tuple(np.asarray(t.get_position(), dtype=float)) if placed else (),
        hash(t.get_fontproperties()),  # by value: set_fontsize changes the object in place
        repr(t.get_color()),
        t.get_rotation(),
        t.get_horizontalalignment(),
        t.get_verticalalignment(),
        t.get_alpha(),
    )


def _line_key(line) -> tuple:
    return (
        line.get_visible(),
        repr(line.get_color()),
        line.get_linewidth(),
        line.get_linestyle(),
        repr(line.get_marker()),
        line.get_markersize(),
        line.get_markeredgewidth(),
        line.get_alpha(),
    )


def _tick_key(t) -> tuple:
    label = (_text_key(t.label1, placed=False, text=False), _text_key(t.label2, placed=False, text=False))
    return label + tuple(_line_key(line) for line in (t.tick1line, t.tick2line, t.gridline))


def _ticks_key(axis, ticks, locs) -> tuple:
    """The positions of ``locs`` through the axis's scale (a symlog's ``linscale`` moves them, say) and the
    properties of the ticks that show them: the first one's, and those of any other that differs (a draw
    makes the ticks it lacks as copies of the first; ``setp(ax.get_xticklabels(), ...)`` sets them one by
    one)."""
    if not len(locs):
        return ()
    first = _tick_key(ticks[0])
    others = ((i, _tick_key(t)) for i, t in enumerate(ticks[1 : len(locs)], 1))
    return (
        np.asarray(axis.get_transform().transform(locs), dtype=float).tobytes(),
        first,
        tuple((i, key) for i, key in others if key != first),
    )


def _axis_key(axis) -> tuple:
    """Everything an ``Axis`` draws: its ticks and their labels, the tick parameters, its label."""
    if not axis.get_visible():
        return (False,)
    major_locs = np.asarray(axis.major.locator(), dtype=float)
    major = tuple(axis.major.formatter.format_ticks(major_locs))
    offset = axis.major.formatter.get_offset()  # after format_ticks, which computes it
    minor_locs = np.asarray(() if isinstance(axis.minor.locator, NullLocator) else axis.minor.locator(), dtype=float)
    minor = tuple(axis.minor.formatter.format_ticks(minor_locs)) if len(minor_locs) else ()
    params = tuple(
        tuple(sorted((k, repr(v)) for k, v in axis.get_tick_params(which=w).items())) for w in ("major", "minor")
    )
    # a draw places the axis label from the tick labels' extents, unless set_label_coords placed it
    # (matplotlib's flag, there since 1.x; then its transform counts), and the offset text always
    auto = getattr(axis, "_autolabelpos", False)
    return (
        True,
        major_locs.tobytes(),
        major,
        offset,
        minor_locs.tobytes(),
        minor,
        params,
        _ticks_key(axis, axis.majorTicks, major_locs),
        _ticks_key(axis, axis.minorTicks, minor_locs),
        axis.get_label_position(),
        axis.labelpad,
        _text_key(axis.label, placed=not auto),
        () if auto else axis.label.get_transform().get_affine().get_matrix().tobytes(),
        _text_key(axis.get_offset_text(), placed=False),
    )


def _axes_key(ax: Axes, renderer) -> tuple:
    """Everything the chrome of ``ax`` shows (not that of its inset axes, which are units of their own)."""
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
        # a title placed at every draw (matplotlib's flag; set_title(..., y=...) fixes it) goes above the
        # tick labels of the axes and of its inset axes: theirs count too
        _placed_titles(ax, renderer) if getattr(ax, "_autotitlepos", True) else (),
    )


def _placed_titles(ax, renderer) -> tuple:
    """What the place of a title placed at every draw depends on besides the axes' own chrome: the titles
    (their extents) and the chrome of the inset axes (their tick labels)."""
    titles = tuple(_text_key(t, placed=False) for t in (ax.title, ax._left_title, ax._right_title))
    return titles + tuple(_axes_key(child, renderer) for child in ax.child_axes)


def _units(axes) -> list:
    """The visible axes of a figure and, after each, its visible inset axes (colour bars, say), in the
    order a draw of the figure draws them: the units whose chrome is cached and redrawn one by one."""
    out = []
    for ax in sorted(axes, key=_zorder):
        if ax.get_visible():
            out.append(ax)
            out += _units(ax.child_axes)
    return out


def _content(ax: Axes, moving: set) -> list:
    """The content of ``ax`` (every artist but its chrome, its inset axes and ``moving``), in drawing order."""
    chrome = {id(ax.patch), id(ax.xaxis), id(ax.yaxis), *map(id, ax.child_axes), *moving}
    if not (ax.axison and ax.get_frame_on()):  # a draw of the axes does not draw its spines
        chrome.update(map(id, ax.spines.values()))
    return sorted((a for a in ax.get_children() if id(a) not in chrome), key=_zorder)


class Layers:
    """The chrome and content layers of ``fig`` (see the module's docstring)."""

    def __init__(self, fig: Figure):
        self.fig = fig
        self.chrome = None  # the chrome layer, an (h, w, 4) array, or None before the first draw
        self.blank = None  # the figure's background alone, same shape
        self.head = self.keys = None  # the figure's key and one per unit (axes), as of the chrome layer
        self.extents = None  # where each unit's chrome has pixels: (row0, row1, col0, col1), or None
        self.full_draws = 0  # how often the whole chrome layer was drawn (for tests and benchmarks)
        self.unit_draws = 0  # how many units' chrome was drawn again alone

    def forget(self) -> None:
        """Draw the whole chrome layer next time."""
        self.chrome = self.head = self.keys = self.extents = None

    def draw(self, moving) -> None:
        """Draw the figure, but not the artists ``moving``, on the canvas (the chrome as needed)."""
        fig = self.fig
        renderer = fig.canvas.get_renderer()
        moving_ids = {id(a) for a in moving}
        units = _units(fig.axes)
        content = [a for ax in units for a in _content(ax, moving_ids)]
        own = (*fig.patches, *fig.lines, *fig.texts, *fig.images, *fig.legends, *fig.artists)
        content += sorted((a for a in own if id(a) not in moving_ids), key=_zorder)
        insets = [ax for ax in units if ax.axes is not ax]  # drawn as units of their own, not with their parent
        # off the chrome layer: animated artists are not drawn by a figure's draw, except images, which are
        # hidden instead (not every artist: a hidden title has no extent, and its axes would move it away)
        images = [a for a in (*content, *moving) if isinstance(a, _AxesImage) and a.get_visible()]
        others = [a for a in (*content, *moving, *insets) if not isinstance(a, _AxesImage) and not a.get_animated()]
        for a in images:
            a.set_visible(False)
        for a in others:
            a.set_animated(True)
        try:
            self._draw_chrome(units, renderer)
        finally:
            for a in images:
                a.set_visible(True)
            for a in others:
                a.set_animated(False)
        for a in content:
            if a.get_visible():
                a.draw(renderer)

    def _draw_chrome(self, units, renderer) -> None:
        fig, patch = self.fig, self.fig.patch
        head = (fig.dpi, fig.bbox.bounds, patch.get_visible(), repr(patch.get_facecolor()), len(units))
        head += (repr(patch.get_edgecolor()), patch.get_linewidth())
        # a layout engine places the axes at the figure's draw, subfigures are drawn by it, and aligned
        # axis labels are placed from other axes' tick labels: then every draw is a whole one
        whole_only = fig.get_layout_engine() is not None or bool(fig.subfigs) or _aligned(fig)
        keys = [_axes_key(ax, renderer) for ax in units]
        if self.chrome is not None and head == self.head and not whole_only:
            changed = [i for i in range(len(units)) if keys[i] != self.keys[i]]
            if not changed:
                np.asarray(renderer.buffer_rgba())[...] = self.chrome
                return
            if self.extents is not None and self._redraw(units, keys, changed, renderer):
                return
        buf = np.asarray(renderer.buffer_rgba())
        renderer.clear()
        patch.draw(renderer)
        self.blank = buf.copy()
        if not whole_only:  # the figure's draw, unit by unit: each one's extent is measured
            self.extents = [self._draw_unit(ax, buf) for ax in units]
        else:
            fig.canvas.draw()
            for ax in units:
                if ax.axes is not ax:
                    fig.draw_artist(ax)
            self.extents = None
        self.chrome = buf.copy()
        self.head = head
        self.keys = keys
        self.full_draws += 1

    def _draw_unit(self, ax, buf) -> tuple:
        """Draw the chrome of ``ax`` and return where it has pixels, padded, as ``(row0, row1, col0, col1)``:
        every pixel the draw changed, and the axes' box where its background is drawn (it may hide another
        unit's chrome, white on white too). The pixels are compared in a window around the
        axes, its tick labels and the places given to its axis labels; a change at the window's edge
        makes the extent the whole figure."""
        h, w = buf.shape[:2]
        box = _box(ax, h)
        r0, r1, c0, c1 = _clip(_union(box, *_anchors(ax, h)), _REACH + _tick_room(ax), h, w)
        pixels = buf.view(np.uint32)[..., 0]
        before = pixels[r0:r1, c0:c1].copy()
        ax.draw(self.fig.canvas.get_renderer())
        diff = pixels[r0:r1, c0:c1] != before
        rows, cols = np.flatnonzero(diff.any(axis=1)), np.flatnonzero(diff.any(axis=0))
        edge = rows.size and (
            (rows[0] == 0 < r0)
            or (rows[-1] == r1 - r0 - 1 and r1 < h)
            or (cols[0] == 0 < c0)
            or (cols[-1] == c1 - c0 - 1 and c1 < w)
        )
        if edge:
            return (0, h, 0, w)  # beyond the window: anywhere
        found = (
            []
            if not rows.size
            else [(r0 + int(rows[0]), r0 + int(rows[-1]) + 1, c0 + int(cols[0]), c0 + int(cols[-1]) + 1)]
        )
        if ax.axison and ax.get_frame_on() and ax.patch.get_visible():
            found.append(box)
        return _clip(_union(*found), _PAD, h, w) if found else (0, 0, 0, 0)

    def _redraw(self, units, keys, changed, renderer) -> bool:
        """Draw again the chrome of the units ``changed`` over the saved chrome layer, where they were
        cleared first, with every unit whose chrome meets theirs, and every later unit that one of them
        now reaches (a full draw would draw it over them). False when that would be every unit."""
        old, n = self.extents, len(units)
        redrawn = set()
        while True:
            todo = [i for i in changed if i not in redrawn]
            while todo:  # the closure: the units whose chrome meets the chrome of one drawn again
                i = todo.pop()
                redrawn.add(i)
                todo += [j for j in range(n) if j not in redrawn and j not in todo and _meet(old[i], old[j])]
            if len(redrawn) == n:
                return False
            buf = np.asarray(renderer.buffer_rgba())
            buf[...] = self.chrome
            for i in redrawn:
                r0, r1, c0, c1 = old[i]
                buf[r0:r1, c0:c1] = self.blank[r0:r1, c0:c1]
            new = list(old)
            for i in sorted(redrawn):  # in the figure's drawing order
                new[i] = self._draw_unit(units[i], buf)
            # a unit's chrome that grew over a later one (which a full draw draws over it) draws that one again
            changed = {j for i in redrawn for j in range(i + 1, n) if j not in redrawn and _meet(new[i], old[j])}
            if not changed:
                break
        self.chrome = buf.copy()
        self.extents = new
        self.keys = keys
        self.unit_draws += len(redrawn)
        return True


def _aligned(fig) -> bool:
    """Whether ``fig.align_xlabels``/``align_ylabels`` (or ``align_labels``) joined some axes' labels
    (matplotlib's record of it, there since 3.1)."""
    groups = getattr(fig, "_align_label_groups", {})
    return any(len(group) > 1 for grouper in groups.values() for group in grouper)


def _union(*extents) -> tuple:
    return (
        min(e[0] for e in extents),
        max(e[1] for e in extents),
        min(e[2] for e in extents),
        max(e[3] for e in extents),
    )


def _clip(e, pad: int, h: int, w: int) -> tuple:
    """The extent ``e`` grown by ``pad`` pixels on every side, inside an ``h`` x ``w`` canvas."""
    return (max(e[0] - pad, 0), min(e[1] + pad, h), max(e[2] - pad, 0), min(e[3] + pad, w))


def _anchors(ax, h: int) -> list:
    """The pixels where the axis labels of ``ax`` are anchored (``set_label_coords`` may put them far)."""
    out = []
    for axis in (ax.xaxis, ax.yaxis):
        x, y = axis.label.get_transform().transform(axis.label.get_position())
        if np.isfinite(x) and np.isfinite(y):
            out.append((h - int(np.ceil(y)), h - int(np.floor(y)), int(np.floor(x)), int(np.ceil(x))))
    return out


def _tick_room(ax) -> int:
    """Pixels that the ticks of ``ax`` and the pads of their labels take outside the axes."""
    points = max(
        (t.get_tick_padding() + t.get_pad() for axis in (ax.xaxis, ax.yaxis) for t in axis.majorTicks[:1]), default=0
    )
    return int(np.ceil(points * ax.figure.dpi / 72))


def _box(ax, h: int) -> tuple:
    """The pixels of the axes ``ax`` on a canvas ``h`` pixels high, as ``(row0, row1, col0, col1)``."""
    x0, y0, x1, y1 = ax.bbox.extents
    return (h - int(np.ceil(y1)), h - int(np.floor(y0)), int(np.floor(x0)), int(np.ceil(x1)))


def _meet(a, b) -> bool:
    """Whether two extents ``(row0, row1, col0, col1)`` share a pixel."""
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]
