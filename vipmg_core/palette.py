"""Every colour a chart or a map draws, in one place, and the arithmetic that checks them.

The categorical colours are Okabe and Ito's (2008), chosen to stay apart for the common colour-vision deficiencies;
the sequential scales go from light to dark in one hue, so their order reads as lightness alone. Plotly figures
(`charts`, `crosstab`, `flows`) take strings, pydeck layers (`maps`) take [r, g, b] lists: both are here, from the
same numbers. `tests/test_palettes.py` reads the colours back from the figures the code builds and checks every pair
shown together under simulated protanopia, deuteranopia and tritanopia (`simulate`, `delta_e`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

# A colour's three channels, as the constants above (a tuple or list) or as the arrays the arithmetic below returns.
Channels = Sequence[float] | np.ndarray

# --- categorical (Okabe-Ito) -----------------------------------------------------------------------------------
BLUE = (0, 114, 178)
ORANGE = (230, 159, 0)
GREEN = (0, 158, 115)
VERMILLION = (213, 94, 0)
PURPLE = (204, 121, 167)
SKY = (86, 180, 233)
BLACK = (0, 0, 0)
YELLOW = (240, 228, 66)


def css(rgb: Sequence[int]) -> str:
    """"#rrggbb" for plotly."""
    return "#{:02X}{:02X}{:02X}".format(*rgb[:3])


# Lines and bars of several series (trend panels, cross-tab charts, upload previews), in this order. Past the seventh
# a colour comes back with a dash (lines) or a hatch (bars): `series_style`.
SERIES = tuple(css(c) for c in (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, BLACK))
DASHES = ("solid", "dash", "dot", "dashdot")
PATTERNS = ("", "/", ".", "x")

# Native-born against foreign-born (pyramids, conditions).
NATIVE = css(BLUE)
FOREIGN = css(ORANGE)
BAR = css(BLUE)  # a single series of bars
FLOW_BAR = css(VERMILLION)  # the flows' bars (the destination end of the map's arcs)
PALE = 0.4  # opacity of an estimate to use with caution
BACKGROUND = (255, 255, 255)  # plotly_white's paper and plot

# --- maps -------------------------------------------------------------------------------------------------------
LAND = [226, 226, 220]  # countries not in focus
HIGHLIGHT = [158, 202, 225]  # the project countries (a light blue, still apart from the land)
BORDER = [150, 150, 150]
WATER = [246, 249, 252]
BUBBLE = [*VERMILLION, 190]  # a country's stock
ORIGIN = list(BLUE)  # an arc's origin end, a country sending more than it receives
DESTINATION = list(VERMILLION)  # an arc's destination end, a country receiving more than it sends
NEUTRAL = [120, 120, 120]
SELECTED = list(YELLOW)  # countries chosen on the flow map
LAND_CSS = "rgb({}, {}, {})".format(*LAND)

# --- sequential (light to dark, one hue) -------------------------------------------------------------------------
# The comparison's choropleth: the lightest still blue, apart from the land's grey.
CHOROPLETH = ((0.0, "#c6dbef"), (0.5, "#4292c6"), (1.0, "#08306b"))
HEAT = (33, 102, 172)  # the cross-tab's shading: white to this, by the cell's share of the largest


def series_style(i: int) -> tuple[str, str, str]:
    """(colour, line dash, bar hatch) of the i-th series: the colours first, then each again with a dash/hatch."""
    lap = i // len(SERIES)
    return SERIES[i % len(SERIES)], DASHES[lap % len(DASHES)], PATTERNS[lap % len(PATTERNS)]


def heat(share: float) -> tuple[int, int, int]:
    """The cross-tab's shading of a cell at `share` (0-1) of the largest."""
    r, g, b = (int(255 - share * (255 - x)) for x in HEAT)
    return r, g, b


# --- checking colours ---------------------------------------------------------------------------------------------
# Machado, Oliveira and Fernandes (2009), severity 1.0, applied to linear RGB.
MACHADO = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779],
                            [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}


def parse(colour: object) -> tuple[tuple[float, float, float], float]:
    """((r, g, b) 0-255, alpha 0-1) of "#rgb"/"#rrggbb", "rgb(...)"/"rgba(...)" or an [r, g, b(, a)] list (a 0-255)."""
    if isinstance(colour, (list, tuple)):
        r, g, b = (float(v) for v in colour[:3])
        return (r, g, b), (float(colour[3]) / 255 if len(colour) > 3 else 1.0)
    text = str(colour).strip()
    if text.startswith("#"):
        hex_ = text[1:]
        if len(hex_) == 3:
            hex_ = "".join(c * 2 for c in hex_)
        r, g, b = (float(int(hex_[i:i + 2], 16)) for i in (0, 2, 4))
        return (r, g, b), 1.0
    found = re.fullmatch(r"rgba?\(([^)]*)\)", text.replace(" ", ""))
    if not found:
        raise ValueError(f"not a colour: {colour!r}")
    parts = [float(p) for p in found[1].split(",")]
    return (parts[0], parts[1], parts[2]), (parts[3] if len(parts) > 3 else 1.0)


def over(colour: object, background: Sequence[float] = BACKGROUND, opacity: float = 1.0) -> np.ndarray:
    """The colour as seen: blended over `background` by its own alpha times `opacity` (0-255 RGB)."""
    rgb, alpha = parse(colour)
    a = alpha * opacity
    return np.asarray(rgb) * a + np.asarray(background[:3], dtype=float) * (1 - a)


def _linear(rgb: Channels) -> np.ndarray:
    c = np.asarray(rgb, dtype=float) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _srgb(linear: np.ndarray) -> np.ndarray:
    c = np.clip(linear, 0, 1)
    return 255 * np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)


def simulate(rgb: Channels, deficiency: str) -> np.ndarray:
    """How a colour (0-255 RGB) looks with the deficiency (Machado 2009, severity 1); "normal" leaves it."""
    if deficiency == "normal":
        return np.asarray(rgb, dtype=float)
    return _srgb(MACHADO[deficiency] @ _linear(rgb))


def lab(rgb: Channels) -> np.ndarray:
    """CIE L*a*b* (D65) of a 0-255 sRGB colour."""
    m = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                  [0.0193339, 0.1191920, 0.9503041]])
    xyz = m @ _linear(rgb) / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e_lab(lab1: Channels, lab2: Channels) -> float:
    """CIEDE2000 colour difference of two L*a*b* colours (Sharma, Wu and Dalal 2005)."""
    L1, a1, b1 = lab1
    L2, a2, b2 = lab2
    C1, C2 = np.hypot(a1, b1), np.hypot(a2, b2)
    Cm = (C1 + C2) / 2
    G = 0.5 * (1 - np.sqrt(Cm ** 7 / (Cm ** 7 + 25 ** 7)))
    a1p, a2p = (1 + G) * a1, (1 + G) * a2
    C1p, C2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360 if C1p else 0.0
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360 if C2p else 0.0
    dLp, dCp = L2 - L1, C2p - C1p
    if C1p * C2p == 0:
        dhp = 0.0
    elif abs(h2p - h1p) <= 180:
        dhp = h2p - h1p
    else:
        dhp = h2p - h1p - 360 if h2p > h1p else h2p - h1p + 360
    dHp = 2 * np.sqrt(C1p * C2p) * np.sin(np.radians(dhp / 2))
    Lpm, Cpm = (L1 + L2) / 2, (C1p + C2p) / 2
    if C1p * C2p == 0:
        hpm = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hpm = (h1p + h2p) / 2
    else:
        hpm = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    T = (1 - 0.17 * np.cos(np.radians(hpm - 30)) + 0.24 * np.cos(np.radians(2 * hpm))
         + 0.32 * np.cos(np.radians(3 * hpm + 6)) - 0.20 * np.cos(np.radians(4 * hpm - 63)))
    d_theta = 30 * np.exp(-(((hpm - 275) / 25) ** 2))
    Rc = 2 * np.sqrt(Cpm ** 7 / (Cpm ** 7 + 25 ** 7))
    Sl = 1 + 0.015 * (Lpm - 50) ** 2 / np.sqrt(20 + (Lpm - 50) ** 2)
    Sc, Sh = 1 + 0.045 * Cpm, 1 + 0.015 * Cpm * T
    Rt = -np.sin(np.radians(2 * d_theta)) * Rc
    return float(np.sqrt((dLp / Sl) ** 2 + (dCp / Sc) ** 2 + (dHp / Sh) ** 2 + Rt * (dCp / Sc) * (dHp / Sh)))


def delta_e(rgb1: Channels, rgb2: Channels, deficiency: str = "normal") -> float:
    """CIEDE2000 between two 0-255 sRGB colours as seen with `deficiency`."""
    return delta_e_lab(lab(simulate(rgb1, deficiency)), lab(simulate(rgb2, deficiency)))


DEFICIENCIES = ("normal", "protanopia", "deuteranopia", "tritanopia")


def contrast(rgb1: Channels, rgb2: Channels) -> float:
    """WCAG 2.1 contrast ratio of two 0-255 sRGB colours (text needs 4.5:1 at AA, large text 3:1)."""
    def luminance(rgb: Channels) -> float:
        return float(np.dot([0.2126, 0.7152, 0.0722], _linear(rgb)))

    high, low = sorted((luminance(rgb1), luminance(rgb2)), reverse=True)
    return (high + 0.05) / (low + 0.05)
