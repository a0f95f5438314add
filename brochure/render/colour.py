"""Colour: each output's palette, as CSS custom properties the stylesheets use.

Screens (email, office) get sRGB hex. The print PDF gets ``device-cmyk()``: brand colours
converted through the output profile (littleCMS, through Pillow's ImageCms), and text, small
type and rules meant to be black in 100 % K alone, so no misregistered plate can blur them.
A theme colour may also be given as CMYK from a brand guide (``cmyk(74 12 6 61)``); it is then
used as is in print and converted back through the profile for screens.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..files import Stamp, stamp
from .assets import BUNDLED

DEFAULT_PROFILE = BUNDLED / "color" / "brochure-fogra39.icc"
INK_HEX, MUTED_HEX, PAPER_HEX = "#1e2428", "#4a5359", "#ffffff"
K_ONLY = "device-cmyk(0 0 0 1)"
NO_INK = "device-cmyk(0 0 0 0)"
TINT = 0.9  # the contact block and flap panel: the primary colour with 90 % white

_CMYK = re.compile(r"cmyk\(\s*([\d.]+)%?[\s,]+([\d.]+)%?[\s,]+([\d.]+)%?[\s,]+([\d.]+)%?\s*\)", re.IGNORECASE)

Cmyk = tuple[float, float, float, float]  # 0 to 1 each


def parse_cmyk(value: str) -> Cmyk | None:
    """``cmyk(74 12 6 61)`` (percentages) as fractions, or None for a hex colour."""
    match = _CMYK.fullmatch(value.strip())
    return tuple(float(part) / 100 for part in match.groups()) if match else None  # type: ignore[return-value]


def _transform(profile: Path, back: bool = False) -> Any:
    """sRGB to the profile's CMYK (``back``: the profile's CMYK to sRGB), relative colorimetric
    with black point compensation.

    Each built once per process, when first needed (the way back, about 45 ms, only for a
    colour given as CMYK): littleCMS profiles opened before a batch forks its workers cannot
    be used in them ("Could not determine profile size")."""
    return _transform_in(profile, back, os.getpid(), stamp(profile))


@lru_cache(maxsize=16)
def _transform_in(profile: Path, back: bool, process: int, _stamp: Stamp | None) -> Any:
    from PIL import ImageCms

    srgb = ImageCms.createProfile("sRGB")
    cmyk = ImageCms.getOpenProfile(str(profile))
    intent = ImageCms.Intent.RELATIVE_COLORIMETRIC
    flags = ImageCms.Flags.BLACKPOINTCOMPENSATION
    if back:
        return ImageCms.buildTransform(cmyk, srgb, "CMYK", "RGB", intent, flags)
    return ImageCms.buildTransform(srgb, cmyk, "RGB", "CMYK", intent, flags)


def to_cmyk(hex_colour: str, profile: Path = DEFAULT_PROFILE) -> Cmyk:
    """An sRGB hex colour as the profile's CMYK."""
    return _to_cmyk(hex_colour, profile, stamp(profile))


@lru_cache(maxsize=256)
def _to_cmyk(hex_colour: str, profile: Path, _stamp: Stamp | None) -> Cmyk:
    from PIL import Image, ImageCms

    rgb = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    pixel = ImageCms.applyTransform(Image.new("RGB", (1, 1), rgb), _transform(profile))
    c, m, y, k = pixel.getpixel((0, 0))  # type: ignore[misc, union-attr]
    return (c / 255, m / 255, y / 255, k / 255)


def to_hex(cmyk: Cmyk, profile: Path = DEFAULT_PROFILE) -> str:
    """A CMYK colour as it looks on screen, through the profile."""
    return _to_hex(cmyk, profile, stamp(profile))


@lru_cache(maxsize=256)
def _to_hex(cmyk: Cmyk, profile: Path, _stamp: Stamp | None) -> str:
    from PIL import Image, ImageCms

    pixel = ImageCms.applyTransform(Image.new("CMYK", (1, 1), tuple(round(v * 255) for v in cmyk)),
                                    _transform(profile, back=True))
    r, g, b = pixel.getpixel((0, 0))  # type: ignore[misc, union-attr]
    return f"#{r:02x}{g:02x}{b:02x}"


def css_cmyk(cmyk: Cmyk) -> str:
    return "device-cmyk(" + " ".join(f"{round(v, 4):g}" for v in cmyk) + ")"


def tint_hex(colour: str, amount: float) -> str:
    """``colour`` mixed with white (``amount`` 0.9 = 90 % white)."""
    channels = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c + (255 - c) * amount):02x}" for c in channels)


def ink_total(cmyk: Cmyk) -> float:
    """Total area coverage, in percent (400 at most)."""
    return sum(cmyk) * 100


def luminance(colour: tuple[float, float, float]) -> float:
    """WCAG relative luminance of an sRGB colour (channels 0 to 1)."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(one: tuple[float, float, float], other: tuple[float, float, float]) -> float:
    """WCAG contrast ratio, from 1 (none) to 21 (black on white)."""
    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def contrast(one: str, other: str) -> float:
    """WCAG contrast ratio of two sRGB hex colours."""
    return contrast_ratio(_channels(one), _channels(other))


def _channels(hex_colour: str) -> tuple[float, float, float]:
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return (r, g, b)


READABLE = 4.7  # WCAG's 4.5:1, with room for the print profile's round trip to CMYK and back


def readable(colour: str, against: str, ratio: float = READABLE) -> str:
    """``colour``, darkened in small steps (toward black) until text in it, or on it, has
    ``ratio`` against ``against``: a mid-tone brand colour stays recognisably itself."""
    channels = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    shade = colour
    for step in range(0, 101, 2):
        shade = "#" + "".join(f"{round(c * (1 - step / 100)):02x}" for c in channels)
        if contrast(shade, against) >= ratio:
            return shade
    return shade


def palette(primary: str, accent: str, cmyk: bool, profile: Path = DEFAULT_PROFILE) -> dict[str, str]:
    """The colours an output's stylesheets use, by custom property name (without ``--``):
    CMYK for a ``cmyk`` output kind (the print shop's), else screen RGB.

    ``band`` (behind the white cover text) and ``primary-text`` (headings and links on
    white and on the tint) are the brand colour darkened, only as far as WCAG's 4.5:1 needs:
    the defaults pass the contrast check for any brand colour.
    """
    primary_hex = _screen(primary, profile)
    tint = tint_hex(primary_hex, TINT)
    band = readable(primary_hex, PAPER_HEX)
    text = readable(primary_hex, tint)
    if not cmyk:
        return {"ink": INK_HEX, "muted": MUTED_HEX, "paper": PAPER_HEX, "on-primary": PAPER_HEX,
                "primary": primary_hex, "accent": _screen(accent, profile), "tint": tint,
                "band": band, "primary-text": text}
    primary_cmyk = _print(primary, profile)
    tint_cmyk = tuple(v * (1 - TINT) for v in primary_cmyk)
    return {"ink": K_ONLY, "muted": K_ONLY, "paper": NO_INK, "on-primary": NO_INK,
            "primary": css_cmyk(primary_cmyk), "accent": css_cmyk(_print(accent, profile)),
            "tint": css_cmyk(tint_cmyk),  # type: ignore[arg-type]
            "band": css_cmyk(primary_cmyk if band == primary_hex else to_cmyk(band, profile)),
            "primary-text": css_cmyk(primary_cmyk if text == primary_hex else to_cmyk(text, profile))}


def _screen(colour: str, profile: Path) -> str:
    cmyk = parse_cmyk(colour)
    return to_hex(cmyk, profile) if cmyk else colour


def _print(colour: str, profile: Path) -> Cmyk:
    return parse_cmyk(colour) or to_cmyk(colour, profile)
