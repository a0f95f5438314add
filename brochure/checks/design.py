"""Design: findings read from the built PDFs: contrast, type size, image resolution, fonts.

The background behind a text run is found by rendering the page with its text removed
(pypdfium2) and taking the most common colour under the run, which also covers text on
tinted panels and on pictures.
"""

from __future__ import annotations

import hashlib
import io
import math
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf

from ..content import Brochure, Checks, Source, dialect, dotted
from ..render.colour import contrast_ratio  # one WCAG formula, shared with the palette
from .findings import Finding
from .inks import Colour, output_profile
from .pdfread import PlacedImage, TextRun, entry

RENDER_SCALE = 2.0  # 144 dpi: enough pixels under 6 pt type to find its background


# --- contrast ---------------------------------------------------------------------------------

def hex_colour(colour: Colour) -> str:
    return "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02x}" for c in colour)


_OUTPUT_CMYK = "/BrochureOutputCMYK"


def _strip_text(pdf: pikepdf.Pdf, parsed: Mapping[tuple[int, int], list[Any]] | None = None) -> None:
    """Remove every BT ... ET from pages and form XObjects, in place: what is left is the background.

    DeviceCMYK fills are drawn in the output intent's ICC profile, as PDF/X means them (pdfium
    would otherwise use its own approximation), so the background is converted to sRGB the
    way ``pdfread`` converts the text's colour. ``parsed``: the streams' operators as
    ``pdfread.read_pages`` parsed them, by object number (a stream not in it is parsed here).
    """
    done: set[tuple[int, int]] = set()
    profile = output_profile(pdf)
    space = pdf.make_indirect(pikepdf.Array([pikepdf.Name.ICCBased, profile])) if profile is not None else None

    def strip(stream: Any) -> bytes:
        kept: list[Any] = []
        inside = False
        items = (parsed or {}).get(stream.objgen) if stream.objgen != (0, 0) else None
        for item in items if items is not None else pikepdf.parse_content_stream(stream):
            operator = "" if isinstance(item, pikepdf.ContentStreamInlineImage) else str(item.operator)
            if operator == "BT":
                inside = True
            if inside:
                pass
            elif space is not None and operator in ("cs", "CS") and str(item.operands[0]) == "/DeviceCMYK":
                kept.append(([pikepdf.Name(_OUTPUT_CMYK)], item.operator))
            elif space is not None and operator in ("k", "K"):
                fill = operator == "k"
                kept.append(([pikepdf.Name(_OUTPUT_CMYK)], pikepdf.Operator("cs" if fill else "CS")))
                kept.append((list(item.operands), pikepdf.Operator("scn" if fill else "SCN")))
            else:
                kept.append(item)
            if operator == "ET":
                inside = False
        return pikepdf.unparse_content_stream(kept)

    def with_space(owner: Any) -> None:
        if space is None:
            return
        if "/Resources" not in owner:
            owner.Resources = pikepdf.Dictionary()
        if "/ColorSpace" not in owner.Resources:
            owner.Resources.ColorSpace = pikepdf.Dictionary()
        owner.Resources.ColorSpace[_OUTPUT_CMYK] = space

    def forms(resources: Any) -> Iterator[pikepdf.Stream]:
        xobjects = entry(resources, "/XObject")
        for xobject in xobjects.values() if xobjects is not None else ():
            if xobject.get("/Subtype") == "/Form" and xobject.objgen not in done:
                done.add(xobject.objgen)
                yield xobject
                yield from forms(xobject.get("/Resources"))

    for page in pdf.pages:
        data = strip(page.obj)
        for form in list(forms(page.obj.get("/Resources"))):
            form.write(strip(form))
            with_space(form)
        page.obj.Contents = pdf.make_stream(data)
        with_space(page.obj)


_RENDERED: dict[str, tuple[Any, tuple[float, float, float, float]]] = {}  # page fingerprint -> picture, box
_RENDERED_MAX = 16  # a letter page at 144 dpi is about 6 MB of pixels


def forget_backgrounds() -> None:
    """Forget the page backgrounds kept from earlier checks: the next check renders every one,
    as a build's first does (``bench/checks.py`` measures that)."""
    _RENDERED.clear()


def _fingerprint(page: pikepdf.Page) -> str:
    """What a text-stripped page draws: its content, its forms' and images' bytes, the other
    resources its content names (graphics states, colour spaces, patterns, shadings), its box;
    never object numbers, which change from one build to the next.

    Why: in a long handout most pages draw the same background (a white page, a footer rule),
    and in watch mode and across variants most pages' backgrounds do not change when the
    words do; rendering a page is the costliest part of the checks.
    """
    digest = hashlib.sha256(page.obj.Contents.read_bytes() + repr(list(page.cropbox)).encode())
    seen: dict[tuple[int, int], int] = {}  # each object hashed once; met again, by when it was first met
    resources = page.obj.get("/Resources")
    if isinstance(resources, pikepdf.Dictionary):
        _digest(resources, digest, seen)
    return digest.hexdigest()


def _digest(obj: Any, digest: Any, seen: dict[tuple[int, int], int]) -> None:
    """``obj`` and everything it refers to, into ``digest``: a stream's dictionary and bytes too,
    but no font (the text is stripped: its fonts draw nothing)."""
    if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream, pikepdf.Array)) and obj.is_indirect:
        if obj.objgen in seen:
            digest.update(b"@%d" % seen[obj.objgen])
            return
        seen[obj.objgen] = len(seen)
    if isinstance(obj, pikepdf.Stream):
        raw = obj.read_raw_bytes()
        digest.update(b"stream %d " % len(raw) + raw)
    if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
        digest.update(b"<<")
        for key in sorted(obj.keys()):
            if key != "/Font":
                digest.update(key.encode() + b" ")
                _digest(obj[key], digest, seen)
        digest.update(b">>")
    elif isinstance(obj, pikepdf.Array):
        digest.update(b"[")
        for item in obj:
            _digest(item, digest, seen)
        digest.update(b"]")
    else:
        digest.update((obj.unparse() if isinstance(obj, pikepdf.Object) else repr(obj).encode()) + b" ")


def backgrounds(pdf: pikepdf.Pdf, runs: list[TextRun],
                parsed: Mapping[tuple[int, int], list[Any]] | None = None) -> list[Colour | None]:
    """The colour behind each text run: the most common pixel under it with all text removed
    (``parsed``: the streams' operators already parsed, as ``pdfread.read_pages`` gives them)."""
    import pypdfium2 as pdfium

    _strip_text(pdf, parsed)
    keys = {page: _fingerprint(pdf.pages[page]) for page in sorted({run.page for run in runs})}  # once a page
    pictures = {key: _RENDERED[key] for key in keys.values() if key in _RENDERED}
    missing: dict[str, int] = {}  # each background not seen yet, rendered once: from its first page
    for index, key in keys.items():
        if key not in pictures:
            missing.setdefault(key, index)
    if missing:
        buffer = io.BytesIO()
        pdf.save(buffer)
        document = pdfium.PdfDocument(buffer.getvalue())
        try:
            for key, index in missing.items():
                page = document[index]
                pictures[key] = (page.render(scale=RENDER_SCALE).to_pil().convert("RGB"), page.get_cropbox())
        finally:
            document.close()
        for key in [k for k in pictures if k not in _RENDERED]:
            if len(_RENDERED) >= _RENDERED_MAX:
                _RENDERED.pop(next(iter(_RENDERED)))  # the oldest
            _RENDERED[key] = pictures[key]
    return [_mode_colour(*pictures[keys[run.page]], run.box) for run in runs]


def _mode_colour(image: Any, crop: tuple[float, float, float, float], box: tuple[float, float, float, float]) -> Colour | None:
    left, _bottom, _right, top = crop
    x0 = max(0, int((box[0] - left) * RENDER_SCALE))
    x1 = min(image.width, math.ceil((box[2] - left) * RENDER_SCALE))
    y0 = max(0, int((top - box[3]) * RENDER_SCALE))
    y1 = min(image.height, math.ceil((top - box[1]) * RENDER_SCALE))
    if x1 <= x0 or y1 <= y0:
        return None  # outside the page (in the bleed or off the sheet)
    colours = image.crop((x0, y0, x1, y1)).getcolors(maxcolors=(x1 - x0) * (y1 - y0))
    _count, (r, g, b) = max(colours)
    return (r / 255, g / 255, b / 255)


def _quote(texts: list[str], limit: int = 3, width: int = 40) -> str:
    shown = [t if len(t) <= width else t[:width - 1].rstrip() + "\u2026" for t in dict.fromkeys(texts)]
    return ", ".join(f"\u201c{t}\u201d" for t in shown[:limit]) + (", \u2026" if len(shown) > limit else "")


def contrast(name: str, runs: list[TextRun], behind: list[Colour | None]) -> list[Finding]:
    """Text whose contrast with its background is under WCAG's 4.5:1 (3:1 for large text)."""
    groups: dict[tuple[int, str, str, bool], list[tuple[float, str]]] = {}
    ratios: dict[tuple[Colour, Colour], float] = {}
    for run, background in zip(runs, behind):
        # Bullets and rules drawn as glyphs are markers, not words (WCAG 1.4.3 is about text);
        # the letters of a logo or picture are exempt too (WCAG 1.4.3: logotypes, incidental text).
        if (run.colour is None or background is None or run.picture
                or not any(ch.isalnum() for ch in run.text)):
            continue
        red, green, blue = (run.alpha * f + (1 - run.alpha) * b for f, b in zip(run.colour, background))
        shown = (red, green, blue)  # what a translucent colour looks like over this background
        ratio = ratios.get((shown, background))
        if ratio is None:  # a document uses a few colours over a few backgrounds: each pair once
            ratio = ratios[(shown, background)] = contrast_ratio(shown, background)
        if ratio < (3.0 if run.large else 4.5) - 0.005:
            group = (run.page, hex_colour(shown), hex_colour(background), run.large)
            groups.setdefault(group, []).append((ratio, run.text))
    findings = []
    for (page, fore, back, large), items in sorted(groups.items()):
        ratio = min(r for r, _ in items)
        need = "3:1 for large text" if large else "4.5:1"
        findings.append(Finding(
            "contrast", "warning", name, None, f"page {page + 1}",
            f"{fore} text on {back} has a contrast of {ratio:.1f}:1; it needs {need} "
            f"({_quote([t for _, t in items])})"))
    return findings


# --- type size, images, fonts, tagging -----------------------------------------------------------

def type_size(name: str, runs: list[TextRun], settings: Checks) -> list[Finding]:
    """The smallest type used: a warning under ``min_type_pt``, otherwise a note with the body size.

    Letters drawn as part of a picture (a logo's lettering, an SVG's labels) are not type.
    """
    runs = [run for run in runs if not run.picture]
    if not runs:
        return []
    smallest = min(round(run.size, 1) for run in runs)
    small = [run for run in runs if round(run.size, 1) == smallest]
    weights = Counter[float]()
    for run in runs:
        weights[round(run.size, 1)] += len(run.text)
    body = weights.most_common(1)[0][0]
    where = f"page {small[0].page + 1}"
    if smallest < settings.min_type_pt:
        return [Finding("type-size", "warning", name, None, where,
                        f"text as small as {smallest:g} pt ({_quote([r.text for r in small])}); "
                        f"use {settings.min_type_pt:g} pt or more")]
    return [Finding("type-size", "info", name, None, where,
                    f"the smallest type is {smallest:g} pt ({_quote([r.text for r in small], 1)}); "
                    f"most text is {body:g} pt")]


@dataclass(frozen=True)
class ImageSource:
    """A raster image named in the content file, with its size in pixels."""

    file: str
    line: int | None
    key: str
    name: str
    pixels: tuple[int, int]


def content_images(brochure: Brochure, source: Source, content_dir: Path) -> list[ImageSource]:
    """The PNG and JPEG files the content names (logo, section images and pictures in bodies); SVGs
    print sharp at any size."""
    from PIL import Image

    named: list[tuple[tuple[str | int, ...], str]] = []
    if brochure.clinic.logo:
        named.append((("clinic", "logo"), brochure.clinic.logo))
    named += [(("sections", i, "image", "src"), s.image.src) for i, s in enumerate(brochure.sections) if s.image]
    # Pictures among a body's paragraphs are found at that body's key.
    texts = [(("intro",), brochure.intro or "")] + [(("sections", i, "body"), s.body) for i, s in enumerate(brochure.sections)]
    named += [(path, picture.src) for path, text in texts for picture in dialect.pictures(text)]
    found = []
    for path, file in named:
        if file.lower().endswith(".svg"):
            continue
        try:
            with Image.open(content_dir / file) as image:
                found.append(ImageSource(source.file, source.lines.get(path), dotted(path), file, image.size))
        except OSError:
            continue  # not a picture Pillow reads (an SVG named .png): WeasyPrint placed it, nothing to measure

    return found


def image_resolution(name: str, placed: list[PlacedImage], settings: Checks,
                     images: Sequence[ImageSource] = ()) -> list[Finding]:
    """Each raster image under ``min_ppi`` at the size it is printed."""
    findings, seen = [], set()
    by_pixels = {image.pixels: image for image in images}
    for image in placed:
        ppi = image.ppi
        if ppi >= settings.min_ppi - 0.5 or (image.page, image.ident) in seen:
            continue
        seen.add((image.page, image.ident))
        (w, h), (pw, ph) = image.pixels, image.points
        need = f"{math.ceil(pw / 72 * settings.min_ppi)} \u00d7 {math.ceil(ph / 72 * settings.min_ppi)} px"
        size = f"{pw / 72:.1f} \u00d7 {ph / 72:.1f} in"
        advice = f"print needs {settings.min_ppi:g} ppi: use a file of at least {need}, or an SVG"
        source = by_pixels.get(image.pixels)
        if source:  # say it at the content line that names the file, which is what the clinic edits
            findings.append(Finding(
                "image-resolution", "warning", source.file, source.line, source.key,
                f"\u2018{source.name}\u2019 ({w} \u00d7 {h} px) prints at {ppi:.0f} ppi ({size}, page "
                f"{image.page + 1} of {Path(name).name}); {advice}"))
        else:
            findings.append(Finding("image-resolution", "warning", name, None, f"page {image.page + 1}",
                                    f"an image of {w} \u00d7 {h} px prints at {ppi:.0f} ppi ({size}); {advice}"))
    return findings


def fonts(name: str, pdf: pikepdf.Pdf) -> list[Finding]:
    """Each font whose program is not embedded: the printer or reader would substitute another."""
    missing: dict[str, None] = {}
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != "/Font":
            continue
        subtype = obj.get("/Subtype")
        if subtype == "/Type3":
            continue  # its glyphs are drawn in the file itself
        if subtype == "/Type0":
            if "/DescendantFonts" not in obj:
                continue
            descriptor = obj.DescendantFonts[0].get("/FontDescriptor")
        else:
            descriptor = obj.get("/FontDescriptor")
        if descriptor is None or not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
            missing[str(obj.get("/BaseFont", "(unnamed)")).lstrip("/")] = None
    return [Finding("fonts", "warning", name, None, "",
                    f"the font \u2018{font}\u2019 is not embedded; printers and readers would use another")
            for font in missing]
