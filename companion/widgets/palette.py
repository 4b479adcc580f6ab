"""The explorers' colours: the Okabe-Ito palette, distinguishable with the common colour-vision
deficiencies (and in grey scale by lightness for most pairs). Where two curves of one panel
differ by colour they also differ by line style or marker, so a figure reads without colour.

Okabe, M. and Ito, K. (2008), *Color Universal Design (CUD): how to make figures and
presentations that are friendly to colorblind people*.
"""

from __future__ import annotations

__all__ = ["BLACK", "ORANGE", "SKY", "GREEN", "YELLOW", "BLUE", "VERMILLION", "PURPLE", "GREY"]

BLACK = "#000000"
ORANGE = "#E69F00"
SKY = "#56B4E9"  # sky blue
GREEN = "#009E73"  # bluish green
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"  # reddish purple
GREY = "#7f7f7f"
