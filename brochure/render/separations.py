"""Separations: pictures made CMYK for the print PDF, through its output profile.

WeasyPrint passes SVG colours and raster pixels through as RGB; a print shop's preflight
stops RGB in a PDF/X-4 file with a CMYK output intent. So, for the print PDF only:
- an SVG's colours are rewritten as ``device-cmyk()``: black and unset fills (SVG's default
  is black) as 100 % K, white as no ink, every other colour through the profile;
- a PNG or JPEG is converted to a CMYK JPEG (perceptual intent, transparency flattened onto
  the white paper).
An SVG with gradients keeps its colours: WeasyPrint 70 cannot draw CMYK gradients.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..files import Stamp, read_regular, stamp
from .colour import K_ONLY, NO_INK, css_cmyk, to_cmyk

_HEX = re.compile(r"#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")
_RGB = re.compile(r"rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)")
_NAMED = re.compile(r"(?<=[\"':\s])(black|white)(?=[\"';\s])", re.IGNORECASE)
_ROOT = re.compile(r"<svg\b([^>]*)>", re.IGNORECASE)


# Pictures made CMYK in another process (build's helper, ``made_ahead``), by the sha256 of
# their bytes, their suffix and the profile (its file as it was): what ``for_print`` works out.
Ahead = dict[tuple[str, str, Path, Stamp | None], tuple[bytes, str | None]]
_AHEAD: Ahead = {}
_PRINTABLE = (".svg", ".png", ".jpg", ".jpeg")  # what the print PDF's fetcher makes CMYK


def for_print(body: bytes, suffix: str, profile: Path) -> tuple[bytes, str | None]:
    """``body`` made CMYK, with its new content type (None when it is unchanged)."""
    if _AHEAD:
        ahead = _AHEAD.get((hashlib.sha256(body).hexdigest(), suffix, profile, stamp(profile)))
        if ahead is not None:
            return ahead
    if suffix == ".svg":
        return svg_cmyk(body, profile), None
    return _raster_cmyk(body, profile), "image/jpeg"


def made_ahead(files: list[Path], profile: Path) -> Ahead:
    """``for_print`` of each picture file: what build's helper works out for the print PDF while
    the build imports WeasyPrint (``keep_ahead``). A file that cannot be read or converted is
    left out: the render reads it and says what is wrong, as before."""
    found = {}
    for file in dict.fromkeys(files):
        suffix = file.suffix.lower()
        if suffix not in _PRINTABLE:
            continue
        try:
            body = read_regular(file)  # a file swapped for a pipe since it was checked: never waited on
            found[(hashlib.sha256(body).hexdigest(), suffix, profile, stamp(profile))] = for_print(body, suffix, profile)
        except Exception:  # the render converts it again, and fails there as before
            continue
    return found


def keep_ahead(made: Ahead) -> None:
    """Pictures made CMYK elsewhere (``made_ahead``), used by ``for_print`` when the same bytes
    come; those of another build's made ahead are dropped (one build's pictures at a time)."""
    _AHEAD.clear()
    _AHEAD.update(made)


def _ink(hex_colour: str, profile: Path) -> str:
    colour = hex_colour.lower()
    if len(colour) == 4:
        colour = "#" + "".join(c * 2 for c in colour[1:])
    if colour == "#000000":
        return K_ONLY
    if colour == "#ffffff":
        return NO_INK
    return css_cmyk(to_cmyk(colour, profile))


def svg_cmyk(body: bytes, profile: Path) -> bytes:
    text = body.decode("utf-8", errors="replace")
    if re.search(r"<(linear|radial)Gradient\b", text, re.IGNORECASE):
        return body
    text = _HEX.sub(lambda m: _ink(m.group(), profile), text)
    text = _RGB.sub(lambda m: _ink("#" + "".join(f"{min(255, int(v)):02x}" for v in m.groups()), profile), text)
    text = _NAMED.sub(lambda m: K_ONLY if m.group().lower() == "black" else NO_INK, text)
    root = _ROOT.search(text)
    if root and not re.search(r"\bfill\s*=", root.group(1)):  # SVG's default fill is black
        text = text[:root.end() - 1] + f' fill="{K_ONLY}">' + text[root.end():]
    return text.encode("utf-8")


def _perceptual(profile: Path) -> Any:
    """sRGB to the profile's CMYK, perceptual: built once per process (see colour._transform)."""
    return _perceptual_in(profile, os.getpid(), stamp(profile))


@lru_cache(maxsize=4)
def _perceptual_in(profile: Path, process: int, _stamp: Stamp | None) -> Any:
    from PIL import ImageCms

    return ImageCms.buildTransform(ImageCms.createProfile("sRGB"), ImageCms.getOpenProfile(str(profile)),
                                   "RGB", "CMYK", ImageCms.Intent.PERCEPTUAL)


def _raster_cmyk(body: bytes, profile: Path) -> bytes:
    from PIL import Image, ImageCms

    with Image.open(io.BytesIO(body)) as picture:
        if picture.mode == "CMYK":
            return body
        rgba = picture.convert("RGBA")
    flat = Image.new("RGB", rgba.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    cmyk = ImageCms.applyTransform(flat, _perceptual(profile))
    out = io.BytesIO()
    cmyk.save(out, "JPEG", quality=92, optimize=False, subsampling=0)  # type: ignore[union-attr]
    return out.getvalue()
