"""Inks: the colours of a PDF's content as sRGB, the way a viewer shows them.

Colours in an ICC-based CMYK space (and DeviceCMYK in a file whose output intent is a CMYK
profile, as in PDF/X) are converted through that profile with littleCMS, perceptual, as
pdfium renders them, so a text colour read from the content stream and the background
rendered behind it are compared like with like.
"""

from __future__ import annotations

import io
import os
from typing import Any

import pikepdf

Colour = tuple[float, float, float]  # sRGB, 0 to 1
_TRANSFORMS: dict[tuple[int, bytes], Any] = {}  # (process, ICC profile bytes) -> CMYK to sRGB transform (None: unusable)
_CONVERTED: dict[tuple[int, tuple[float, ...]], Colour] = {}  # (transform, CMYK) -> sRGB


def cmyk_transform(profile: Any) -> Any:
    """A littleCMS transform from an ICC CMYK profile stream to sRGB, or None.

    Perceptual, as pdfium renders ICC-based colours, so text and the rendered background
    behind it go through the same conversion.
    """
    if profile is None:
        return None
    # Per process: littleCMS objects made before a batch forks its workers fail in them.
    data = (os.getpid(), bytes(profile.read_bytes()))
    if data not in _TRANSFORMS:
        from PIL import ImageCms

        try:
            _TRANSFORMS[data] = ImageCms.buildTransform(
                ImageCms.ImageCmsProfile(io.BytesIO(data[1])), ImageCms.createProfile("sRGB"), "CMYK", "RGB",
                ImageCms.Intent.PERCEPTUAL)
        except (OSError, ValueError, ImageCms.PyCMSError):
            _TRANSFORMS[data] = None
    return _TRANSFORMS[data]


def colour(values: list[float], transform: Any = None) -> Colour | None:
    """Gray, RGB or CMYK components (0 to 1) as sRGB; CMYK through ``transform`` when there is one."""
    if len(values) == 1:
        return (values[0],) * 3
    if len(values) == 3:
        return (values[0], values[1], values[2])
    if len(values) == 4:
        if transform is not None:
            key = (id(transform), tuple(values))
            if key not in _CONVERTED:
                from PIL import Image, ImageCms

                cmyk = Image.new("CMYK", (1, 1), tuple(round(max(0.0, min(1.0, v)) * 255) for v in values))
                r, g, b = ImageCms.applyTransform(cmyk, transform).getpixel((0, 0))  # type: ignore[misc, union-attr]
                _CONVERTED[key] = (r / 255, g / 255, b / 255)
            return _CONVERTED[key]
        c, m, y, k = values  # no profile: a naive CMYK to RGB, enough to judge contrast
        return ((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k))
    return None


def output_profile(pdf: pikepdf.Pdf) -> Any:
    """The CMYK ICC profile of the file's output intent (what DeviceCMYK means in PDF/X), or None."""
    for intent in pdf.Root.get("/OutputIntents", ()):
        profile = intent.get("/DestOutputProfile") if isinstance(intent, pikepdf.Dictionary) else None
        if isinstance(profile, pikepdf.Stream) and int(profile.get("/N", 0)) == 4:
            return profile
    return None
