"""Every colour of the explorers, in one place.

Hues: the Okabe-Ito palette, distinguishable with the common colour-vision deficiencies (and
in grey scale by lightness for most pairs). Where two curves of one panel differ by colour
they also differ by line style or marker, so a figure reads without colour. Greys: three
levels (rules and faint guides, reference lines and frames, annotation text and slope guides)
and black ink. Colour maps: a diverging one for signed matrices (zero is white), a
sequential one for probabilities, a perceptually uniform one for landscapes and families.

Okabe, M. and Ito, K. (2008), *Color Universal Design (CUD): how to make figures and
presentations that are friendly to colorblind people*.
"""

from __future__ import annotations

__all__ = [
    "BLACK",
    "ORANGE",
    "SKY",
    "GREEN",
    "YELLOW",
    "BLUE",
    "VERMILLION",
    "PURPLE",
    "GREY",
    "INK",
    "WHITE",
    "RULE",
    "FRAME",
    "MUTED",
    "ERROR",
    "DIVERGING",
    "SEQUENTIAL",
    "UNIFORM",
]

BLACK = "#000000"
ORANGE = "#E69F00"
SKY = "#56B4E9"  # sky blue
GREEN = "#009E73"  # bluish green
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"  # reddish purple
GREY = "#7f7f7f"

INK = BLACK  # outlines, markers' edges, the gap of the zoom
WHITE = "#ffffff"
RULE = "#d9d9d9"  # zero lines, grids, faint guides (grey 0.85)
FRAME = "#999999"  # spines of heatmaps, reference lines (grey 0.6)
MUTED = "#595959"  # annotation text, slope guides (grey 0.35): 7:1 contrast on white
ERROR = "#b2182b"  # the text of an error shown in an explorer

DIVERGING = "RdBu_r"  # signed matrices on a symmetric range: zero is white
SEQUENTIAL = "viridis"  # probabilities in [0, 1]
UNIFORM = "cividis"  # landscapes and families of curves (readable with colour-vision deficiencies)
