"""A matrix drawn as a heatmap, the way every explorer draws one: integer tick labels (row and
column indices counted from 1, as on the page; the ticks sit at the array positions 0..n-1), axis
labels, a title, a colour bar, and an in-place update that also takes a matrix of another shape
(the explorers' size controls redraw no axes)."""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import ScaledTranslation

from . import palette

__all__ = ["Heatmap", "index_ticks", "index_labels", "symmetric_limits"]

TICK_SIZE = 6.5


def symmetric_limits(M, floor: float = 1e-300) -> tuple[float, float]:
    """``(-m, m)`` with ``m = max |M|`` (at least ``floor``): zero sits at the diverging map's white."""
    m = max(float(np.abs(np.asarray(M)).max()), floor)
    return -m, m


def index_ticks(n: int) -> list[int]:
    """Tick positions for ``n`` rows or columns (array positions, from 0): every index up to 5, every
    other one above. They are labelled by :func:`index_labels`."""
    return list(range(0, n, 1 if n <= 5 else 2))


def index_labels(ticks) -> list[str]:
    """The labels of the tick positions ``ticks``: the indices as a reader counts them, from 1
    (position 0 is row or column 1)."""
    return [str(int(t) + 1) for t in ticks]


def fix_text_positions(ax, *, xlabel_pt: float = 11.0, ylabel_pt: float = 9.0) -> None:
    """Place the title and the axis labels of ``ax`` at fixed offsets (points) from the axes, instead of
    letting matplotlib place them from the tick labels' extents at every draw (a fifth of a redraw of a
    figure with many small panels). The offsets hold one-digit tick labels."""
    fig = ax.figure
    ax.set_title(ax.get_title(), fontsize=ax.title.get_fontsize(), y=1.0, pad=3)
    ax.xaxis.set_label_coords(
        0.5, 0.0, transform=ax.transAxes + ScaledTranslation(0, -xlabel_pt / 72, fig.dpi_scale_trans)
    )
    ax.yaxis.set_label_coords(
        0.0, 0.5, transform=ax.transAxes + ScaledTranslation(-ylabel_pt / 72, 0, fig.dpi_scale_trans)
    )


class ColourBar:
    """The colour scale of ``image`` in a thin inset to the right of ``ax``: the colour map's gradient drawn
    over the image's colour range, three ticks. It looks like matplotlib's ``Colorbar`` and costs a fraction
    of it to update (``update`` after the image's ``set_clim``: two limits, no new artists; a ``Colorbar``
    builds its mesh again at every change of the range)."""

    def __init__(self, ax, image):
        self.image = image
        self.ax = cax = ax.inset_axes([1.03, 0.0, 0.06, 1.0])
        self.solids = cax.imshow(
            np.linspace(0.0, 1.0, 256)[:, None], cmap=image.get_cmap(), clim=(0.0, 1.0), aspect="auto", origin="lower"
        )
        cax.set_xlim(0.0, 1.0)
        cax.xaxis.set_ticks([])
        cax.yaxis.tick_right()
        cax.yaxis.set_major_locator(MaxNLocator(3))
        cax.tick_params(labelsize=TICK_SIZE - 0.5, length=2, pad=1)
        for sp in cax.spines.values():
            sp.set_linewidth(0.5)
        fix_text_positions(cax)
        self.update()

    def update(self) -> None:
        """Follow the image's colour range."""
        vmin, vmax = self.image.get_clim()
        self.solids.set_extent((0.0, 1.0, vmin, vmax))
        self.ax.set_ylim(vmin, vmax)


class Heatmap:
    """``M`` on ``ax``: ``imshow`` with cell ``(i, j)`` centred on ``(j, i)``, integer ticks labelled from 1, labels.

    clim : colour range, or ``None`` for :func:`symmetric_limits` of each matrix shown.
    colorbar : draw a colour bar in a thin inset to the right of the axes (three ticks).
    xlabel, ylabel : names of the column and row indices (``None``: no ticks on that axis).
    """

    def __init__(
        self,
        ax,
        M,
        *,
        title: str = "",
        cmap: str = palette.DIVERGING,
        clim=None,
        xlabel: str | None = "j",
        ylabel: str | None = "i",
        colorbar: bool = True,
        fontsize: float = 8.5,
    ):
        self.ax, self.clim, self.fontsize = ax, clim, fontsize
        M = np.asarray(M)
        self.image = ax.imshow(M, cmap=cmap, clim=clim or symmetric_limits(M), aspect="auto", interpolation="nearest")
        self.xlabel, self.ylabel = xlabel, ylabel
        for axis, label in ((ax.xaxis, xlabel), (ax.yaxis, ylabel)):
            if label is None:
                axis.set_ticks([])
            else:
                axis.set_label_text(label, fontsize=TICK_SIZE + 0.5)
                axis.labelpad = 1
        ax.tick_params(labelsize=TICK_SIZE, length=2, pad=1)
        for sp in ax.spines.values():
            sp.set_color(palette.FRAME)
            sp.set_linewidth(0.8)
        self.colorbar = ColourBar(ax, self.image) if colorbar else None
        self._shape = None
        self.update(M, title=title)
        fix_text_positions(ax)

    def update(self, M, *, title: str | None = None, clim=None) -> None:
        """Show ``M`` (any shape) with the colour range ``clim`` (else the heatmap's own rule) and ``title``."""
        M = np.asarray(M)
        self.image.set_data(M)
        self.image.set_clim(*(clim or self.clim or symmetric_limits(M)))
        if self.colorbar:
            self.colorbar.update()
        if M.shape != self._shape:
            rows, cols = M.shape
            self.image.set_extent((-0.5, cols - 0.5, rows - 0.5, -0.5))
            self.ax.set_xlim(-0.5, cols - 0.5)
            self.ax.set_ylim(rows - 0.5, -0.5)
            if self.xlabel is not None:
                ticks = index_ticks(cols)
                self.ax.set_xticks(ticks, labels=index_labels(ticks))
            if self.ylabel is not None:
                ticks = index_ticks(rows)
                self.ax.set_yticks(ticks, labels=index_labels(ticks))
            self._shape = M.shape
        if title is not None:
            self.ax.set_title(title, fontsize=self.fontsize, pad=3, y=1.0)
