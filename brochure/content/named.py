"""Named files: the pictures, fonts and print profiles a content file names, each checked as
an ordinary file inside the content's folder (or the project's), from bytes read once.

Why once: the hash of the very bytes checked is kept (``Source.checked``), so a file cut short
or replaced after its check is never drawn into a PDF, nor its content kept as valid
(``described``; the renderer compares what it reads, ``render.pdf``).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationInfo

from ..discover import followed
from ..files import NotAFile, read_regular
from .fonts import svg_fonts
from .profiles import profile_problem

IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".svg"}
_URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]+:")


def local_file(value: str, root: Path, suffixes: set[str], kind: str, where: str = "the content's folder") -> str:
    """A path to a file inside the content's folder (or the project's), written relative to it."""
    what = "the image" if kind == "an image" else "the file"
    if _URL_SCHEME.match(value) or value.startswith("//"):
        raise ValueError(f"'{value}' is a web address or URL; save {what} in {where} and give its file name")
    if Path(value).is_absolute() or value.startswith("\\"):
        raise ValueError(f"'{value}' is an absolute path; give a path relative to {where}")
    # The name as a URL reads it (``sub/../a.png`` is ``a.png``, even when ``sub`` is a link to a
    # folder elsewhere): the file checked is the file the PDF draws, never another behind the link.
    named = os.path.normpath(value)
    resolved = followed(root / named, value)
    if not resolved.is_relative_to(root.resolve()):
        raise ValueError(f"'{value}' is outside {where}; copy {what} into that folder")
    if not resolved.is_file():  # a folder, a pipe, a device: nothing to read, or reading it would never end
        odd = "a folder" if resolved.is_dir() else "a pipe, a device or a socket" if resolved.exists() else None
        raise ValueError(f"'{value}' is {odd}, not a file; save {what} in {where} as an ordinary file" if odd
                         else f"no file '{value}' in {where}")
    if resolved.suffix.lower() not in suffixes:
        raise ValueError(f"'{value}' is not {kind}; use " + ("a PNG, JPEG or SVG file" if kind == "an image" else kind))
    return Path(named).as_posix()


MAX_FILE_BYTES = 512_000_000  # a picture, font or profile read whole to be checked: larger is no such file


def read_checked(path: Path, value: str, info: ValidationInfo) -> bytes:
    """The bytes of a file the content names, read once to be checked: their hash (and where
    the name led) is kept in the validation's ``checked`` (``Source.checked``), so the content
    is kept, and its PDFs rendered, only while the file holds the bytes that were checked;
    never a second read that may meet another file (a photo cut short while it is copied)."""
    checked = (info.context or {}).get("checked")
    try:
        if os.stat(path).st_size > MAX_FILE_BYTES:
            raise ValueError(f"'{value}' is larger than {MAX_FILE_BYTES // 1_000_000} MB; this is not a file "
                             "for a brochure (save a smaller copy)")
        data = read_regular(path)  # swapped for a pipe since local_file looked: said, never waited on
    except NotAFile:
        raise ValueError(f"'{value}' is a pipe, a device or a socket, not a file; save it as an ordinary file") from None
    except OSError as error:
        raise ValueError(f"'{value}' cannot be read: {error.strerror or error}") from None
    if checked is not None:
        checked[path] = (os.path.realpath(path), hashlib.sha256(data).hexdigest())
    return data


def named_file(value: str, root: Path, suffixes: set[str], kind: str, info: ValidationInfo) -> str:
    """``local_file`` for a picture, font or profile the content names; one not there (yet) is
    noted in the validation's ``checked`` as missing: once it is added, the content is checked
    again (a location whose logo was still being copied fails, then builds, in ``watch``)."""
    try:
        return local_file(value, root, suffixes, kind, (info.context or {}).get("where", "the content's folder"))
    except ValueError:
        checked = (info.context or {}).get("checked")
        path = root / os.path.normpath(value)  # as local_file names it
        inside = "\0" not in value and not _URL_SCHEME.match(value) and not Path(value).is_absolute() \
            and not os.path.normpath(value).startswith("..")
        if checked is not None and inside and not os.path.lexists(path):
            checked[path] = (os.path.realpath(path), "missing")
        raise


def local_image(value: str, info: ValidationInfo) -> str:
    root = Path((info.context or {}).get("root", "."))
    relative = named_file(value, root, IMAGE_TYPES, "an image", info)
    data = read_checked(root / relative, value, info)
    if Path(relative).suffix.lower() == ".svg":
        svg_fonts(data, value)
        _svg_pictures(data, relative, root, value, info)
    else:
        _readable_picture(data, value)
    return relative


_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


def _svg_pictures(data: bytes, relative: str, root: Path, value: str, info: ValidationInfo) -> None:
    """Each PNG or JPEG an SVG places (``<image href="photo.png">``, relative to the SVG), checked
    as a section's picture is: the renderer draws it into the SVG, so one cut short or missing
    is the SVG's mistake, said at its key (a picture given as ``data:`` is in the SVG's own bytes)."""
    import xml.etree.ElementTree as ET
    from urllib.parse import unquote

    try:
        tree = ET.fromstring(data)
    except (ET.ParseError, ValueError):
        return  # not XML that can be read: WeasyPrint says so when it draws it
    for element in tree.iter():
        href = (element.get("href") or element.get(_XLINK_HREF) or "").strip()
        if element.tag.rsplit("}", 1)[-1] != "image" or not href or href.startswith(("data:", "#")) \
                or Path(href.split("#")[0]).suffix.lower() not in IMAGE_TYPES - {".svg"}:
            continue  # in the SVG's bytes; or a picture (another SVG) the renderer alone reads
        inner = unquote(href) if _URL_SCHEME.match(href) or href.startswith("/") else \
            (Path(relative).parent / unquote(href)).as_posix()
        try:
            named = named_file(inner, root, IMAGE_TYPES, "an image", info)
            _readable_picture(read_checked(root / named, inner, info), inner)
        except ValueError as error:
            raise ValueError(f"{error} (a picture inside '{value}')") from None


# Pixel formats WeasyPrint draws as they look; others (16-bit greyscale, 32-bit integers,
# floats) come out black or striped, so they are refused rather than printed wrong.
_DRAWN_MODES = {"1", "L", "LA", "P", "PA", "RGB", "RGBA", "CMYK", "YCbCr"}
MAX_PIXELS = 60_000_000  # 60 megapixels: a full-bleed photo at 300 ppi needs a tenth of it


def _load_every_pixel(picture: Any) -> None:
    """Decode the whole picture: a file cut short fails here, not as a half-black picture.

    WeasyPrint sets Pillow's ``LOAD_TRUNCATED_IMAGES`` when it is imported, which would let a
    truncated file through silently; it is switched off for this one load.
    """
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        picture.load()
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before


def _readable_picture(data: bytes, value: str) -> None:
    """A PNG or JPEG (its bytes) that decodes completely, in a pixel format that prints as it looks."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as picture:
            if picture.width * picture.height > MAX_PIXELS:
                raise ValueError(f"'{value}' is {picture.width} \u00d7 {picture.height} pixels; make it smaller than "
                                 f"{MAX_PIXELS // 1_000_000} megapixels (300 ppi at the printed size is plenty)")
            if picture.mode not in _DRAWN_MODES:
                raise ValueError(f"'{value}' is stored as {picture.mode} pixels (such as 16-bit greyscale), which "
                                 "would not print as it looks; save it as an ordinary 8-bit RGB or greyscale image")
            _load_every_pixel(picture)
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        detail = "it is cut short (not completely saved or copied)" if "truncated" in str(error) else "it is damaged, or not a PNG or JPEG"
        raise ValueError(f"'{value}' cannot be read: {detail}; save or copy the image again") from None
    except Image.DecompressionBombError:
        raise ValueError(f"'{value}' is too large to be a picture in a brochure") from None


def print_profile(value: str, info: ValidationInfo) -> str:
    """The print shop's own output profile: an ICC file of a CMYK printing condition."""
    context = info.context or {}
    root = Path(context.get("root", "."))
    relative = named_file(value, root, {".icc", ".icm"}, "an ICC profile (.icc)", info)
    problem = profile_problem(value, read_checked(root / relative, value, info))
    if problem:
        raise ValueError(problem)
    return relative
