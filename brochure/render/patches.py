"""Patches: every change brochure makes to WeasyPrint's own code, installed here, once.

Each wraps one WeasyPrint function; the line-breaking and margin-box wrappers are here, the others live
beside what they serve (``roles``, ``stylesheets``), and only this module installs them. They were written against
WeasyPrint ``TESTED_WITH``; ``tests/test_architecture.py`` fails, naming each patch, when
the installed WeasyPrint is another version: read the patch's reason below, check whether
upstream changed, then update ``TESTED_WITH``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import memos

TESTED_WITH = "70.0"  # the WeasyPrint version the patches were written against


@dataclass(frozen=True)
class Patch:
    """One WeasyPrint function wrapped: where, why, and what upstream change would retire it."""

    target: str  # module:attribute patched
    why: str
    retire_when: str


PATCHES = (
    Patch("weasyprint.layout.inline:split_first_line",
          "a run of text ending in a space is measured with the space and found unsplittable when "
          "only the space overflows: 'If' is set alone on a line before a link (render.flow)",
          "split_first_line measures a run without its trailing (hanging) spaces"),
    Patch("weasyprint.text.fonts:FontConfiguration.add_font_face",
          "split_first_line shapes the same line again at every layout (a fifth of a warm edited build): "
          "lines are kept (render.shaping), keyed by the fonts registered so far, which this counts",
          "WeasyPrint keeps shaped lines across layouts, or pango shapes them cheaply"),
    Patch("weasyprint.layout.preferred:split_first_line",
          "the min- and max-content widths of table cells and shrink-to-fit boxes shape the same text again "
          "at every layout (about 60 ms of a warm edited build once lines are kept): kept too (render.shaping)",
          "WeasyPrint keeps shaped lines across layouts, or pango shapes them cheaply"),
    Patch("weasyprint.pdf.tags:_build_box_tree",
          "elements are tagged by HTML name alone: a callout, figure, note or header cell needs its "
          "own structure type, title, /ID or /Scope in the email PDF's tree (render.roles)",
          "WeasyPrint tags from an attribute (role) or maps aside/figure/th scope itself"),
    Patch("weasyprint:CSS.__init__",
          "each stylesheet is parsed again at every layout (a fifth of a tri-fold build, with its "
          "trial layouts); the parse is reused when the same bytes were seen (render.stylesheets)",
          "WeasyPrint caches parsed stylesheets across documents"),
    Patch("weasyprint.layout:make_margin_boxes",
          "every page makes and sizes all 16 margin boxes (about 2 ms a page, 4% of a build) though "
          "none is drawn when none has content, as on tri-fold panels and email pages: such a page "
          "skips them (render.patches, _margin_boxes)",
          "make_margin_boxes sizes only the boxes it generates, or returns early when there are none"),
    Patch("weasyprint.document:original_get_image_from_uri",
          "a picture's PDF resource is named after the md5 of its absolute URL, so the same project "
          "copied to another folder gives other bytes (picture handouts, the catalog's covers): a "
          "raster picture is named after its bytes instead (render.patches, _image_names)",
          "WeasyPrint names image resources by their data, or by something that is not the absolute path"),
    Patch("weasyprint.css.computed_values:image",
          "a gradient's stops are computed (em to px) into the declaration's own value object, which a "
          "stylesheet kept across documents (render.stylesheets) shares: a later document at another font "
          "size got the first one's stops. Each computed value is a copy (render.patches, _gradients)",
          "WeasyPrint computes gradient stops into a new value, leaving the declaration unchanged"),
    Patch("weasyprint.layout:make_all_pages",
          "each sentence-break fix of a tri-fold is laid out in full, though it cannot change the cover "
          "and back pages (about 30 ms of 170 a fix): a fix is laid out from the layout it fixes, "
          "those two pages kept when their HTML, styles and starting state are the same (render.resume)",
          "WeasyPrint lays out a changed document again from the first page that changed"),
    Patch("weasyprint.css:StyleFor.__init__",
          "every element is matched against every stylesheet, and every value of its style (and of six "
          "pseudo-elements each) computed, at every layout (a tenth of a warm build, more of an edited one): "
          "the matches and computed values are kept per process, by what each depends on (render.cascade)",
          "WeasyPrint shares matched and computed styles across documents of the same stylesheets"),
    Patch("weasyprint.logger:LOGGER.warning",
          "a computed value whose computation logged must not be kept (a later document would miss the "
          "message): WeasyPrint's logger counts its calls (debug, info, warning, error, log), even while it "
          "is off, as it is for trial layouts (render.cascade)",
          "WeasyPrint shares computed styles across documents itself"),
    Patch("weasyprint.layout.percent:resolve_percentages",
          "15 calls of resolve_one_percentage and percentage a box (about 1,400 boxes an edited build) "
          "to copy lengths: the same values resolved inline, the rest by WeasyPrint's percentage (render.hotpaths)",
          "resolve_percentages resolves a box's plain lengths without a function call each"),
    Patch("weasyprint.formatting_structure.boxes:Box.is_in_normal_flow",
          "five method calls reading float and position twice each, 6,700 times an edited build: each read once, "
          "in the same order (render.hotpaths)",
          "is_in_normal_flow reads the two properties once"),
    Patch("weasyprint.layout.float:avoid_collisions",
          "every line box (about 780 a warm build, all with no float beside them) measures its margin box, "
          "builds keyword lists and walks an empty list of floats: with none, the answer is made at once, the "
          "same arithmetic; with floats or right to left, WeasyPrint's (render.hotpaths)",
          "avoid_collisions returns early when the formatting context has no float"),
    Patch("weasyprint.css.functions:check_math",
          "asked of every computed value and laid-out length (about 23,000 times an edited build), it looks up "
          "a 'type' attribute that plain values lack, a raised and caught error each: they are answered "
          "at once, the rest by WeasyPrint's (render.hotpaths)",
          "check_math tests the token's type before its attributes"),
    Patch("weasyprint.text.line_break:strut",
          "its answer is kept per font configuration under str() of 16 style values, made and hashed anew at "
          "each of 1,150 calls an edited build (120 styles): each style keeps its key string while its "
          "values are the same objects (render.hotpaths)",
          "strut keeps its key, or its answer, on the style"),
    Patch("weasyprint.pdf.fonts:ffi",
          "a font's subset makes its glyph array as hb_codepoint_t[<length>], a new type string for cffi "
          "to parse (about 3.5 ms) for every length, so for every font of every PDF: made as "
          "hb_codepoint_t[] from the same list, parsed once (render.cdecls)",
          "WeasyPrint makes the array as hb_codepoint_t[], or cffi parses a sized array cheaply"),
    Patch("weasyprint.draw:draw_text",
          "each line drawn sets its Pango layout up again and walks its glyphs through cffi (about a tenth "
          "of a warm build) though the same line was drawn at the last save: its operators are kept and "
          "written again without Pango, nor draw_text's set-up, when the PDF's fonts agree (render.drawn)",
          "WeasyPrint keeps a drawn line's operators, or drawing a laid-out line no longer asks Pango"),
    Patch("weasyprint.draw.text:draw_first_line",
          "records a line's operators for draw_text's memo, and writes them from it (render.drawn)",
          "as weasyprint.draw:draw_text"),
    Patch("pydyf:zlib",
          "pydyf deflates every stream at level 9, twice per PDF (the identifier hashes every object's data "
          "again), the same streams at every warm build: the same bytes are deflated once per process (render.deflate)",
          "pydyf deflates each stream once per write, and WeasyPrint or pydyf keep what they deflated"),
    Patch("pydyf:_to_bytes",
          "asked of every dictionary key and value, array item and stream line (about 18,000 calls a warm build), "
          "it asks isinstance up to three times first: the exact bytes, str, int and float are answered at once, "
          "with pydyf's expressions (render.serialized)",
          "pydyf converts its common types without a function call each"),
    Patch("pydyf:PDF.write",
          "a PDF with an identifier is serialized twice, the second time only to hash it: each object of the PDF "
          "is serialized once per write (render.serialized)",
          "pydyf hashes the bytes it wrote instead of serializing every object again"),
    Patch("pydyf:Dictionary.data.fget",
          "a dictionary's bytes, once per write, through the quick _to_bytes (render.serialized)",
          "as pydyf:PDF.write"),
    Patch("pydyf:Array.data.fget",
          "an array's bytes, once per write, through the quick _to_bytes (render.serialized)",
          "as pydyf:PDF.write"),
    Patch("pydyf:Stream.data.fget",
          "a stream's bytes, once per write, its lines joined without a call for those already bytes "
          "(render.serialized)",
          "as pydyf:PDF.write"),
    Patch("weasyprint.layout.background:layout_box_backgrounds",
          "every box's background is laid out before a page is drawn (about 660 boxes a warm build), most having "
          "none: a box without colour, picture, shadow, border or mask image is answered from the same style reads, "
          "its square corners set at once; any other by WeasyPrint (render.backgrounds)",
          "layout_box_backgrounds returns early for a box without background"),
    Patch("weasyprint.pdf.fonts:Font._harfbuzz_subset",
          "every PDF cuts each font it embeds down to its glyphs with HarfBuzz (two passes a font, six fonts a warm "
          "build), the same fonts and glyphs as the build before: a subset is kept per process by the font's bytes, "
          "index, glyphs and flags (render.subsets)",
          "WeasyPrint keeps its font subsets across PDFs"),
    Patch("weasyprint.images:SVGImage.draw",
          "an SVG picture (the logo, three times a tri-fold build) is drawn by walking its tree in Python at "
          "every PDF, about 4 ms each: a plain picture's stream calls are kept and made again (render.vectors)",
          "WeasyPrint keeps an SVG's drawing across documents, or draws it cheaply"),
    Patch("weasyprint.images:SVGImage.__init__",
          "notes the picture's XML when it is plain, the key of its kept drawing (render.vectors)",
          "as weasyprint.images:SVGImage.draw"),
    Patch("tinyhtml5.inputstream:characters_until_regex",
          "tinyhtml5 2.1's chars_until stores each regex under the regex itself (`characters = cache[key] = "
          "regex` assigns left first), so every call misses and builds it again: a twelfth of parsing "
          "a document, four parses an edited tri-fold build; the cache makes it on a miss (render.patches)",
          "tinyhtml5 assigns its cache with the characters as key"),
    Patch("weasyprint:tinyhtml5",
          "every document is parsed by tinyhtml5 in Python (about 6 ms the seed's print HTML, four parses an edited "
          "tri-fold build, 5 % of a warm build): a plain document (elements written out and closed as HTML5 would "
          "leave them) is parsed to the same tree with regular expressions, any other by tinyhtml5 (render.parsing)",
          "WeasyPrint parses with a parser in C, or tinyhtml5 parses plain documents cheaply"),
    Patch("weasyprint.css:find_stylesheets",
          "walks the whole tree, each element wrapped for selector matching (about 1 ms a layout), to find the "
          "style and link elements: found by ElementTree's own walk, by tag (render.parsing)",
          "find_stylesheets looks the elements up without wrapping the whole tree"),
    Patch("weasyprint.document:get_html_metadata",
          "the same walk for the title, meta and link elements, once a layout (render.parsing)",
          "as weasyprint.css:find_stylesheets"),
)


@memos.once
def _line_breaking() -> None:
    """Put the fixed ``split_first_line`` in WeasyPrint's inline layout (see ``flow``'s docstring), its lines
    shaped once per process (``shaping``); once per process."""
    from weasyprint.layout import inline, preferred

    original = inline.split_first_line

    def split_first_line(text: str, style: Any, context: Any, max_width: float | None, justification_spacing: float,
                         is_line_start: bool = True, minimum: bool = False) -> Any:
        result = original(text, style, context, max_width, justification_spacing, is_line_start, minimum)
        if (result[2] is not None and max_width is not None and text.endswith(" ") and text.strip(" ")
                and style["white_space"] in ("normal", "pre-line")):
            # Split: measure again without the trailing spaces, which hang at a line's end.
            stripped = original(text.rstrip(" "), style, context, max_width, justification_spacing,
                                is_line_start, minimum)
            if stripped[2] is None and stripped[3] <= max_width:
                return original(text, style, context, None, justification_spacing, is_line_start, minimum)
        return result

    from . import shaping

    shaping.install_fonts()
    inline.split_first_line = shaping.memo(split_first_line)
    # Content widths (table cells, shrink-to-fit) call WeasyPrint's own split: memoised as it is, unfixed.
    preferred.split_first_line = shaping.memo(preferred.split_first_line)


# The margin boxes make_margin_boxes makes for each page: four sides of three, four corners.
_MARGIN_BOXES = tuple(f"@{side}-{place}" for side, places in (
    ("top", ("left", "center", "right")), ("bottom", ("left", "center", "right")),
    ("left", ("top", "middle", "bottom")), ("right", ("top", "middle", "bottom"))) for place in places) + tuple(
    f"@{corner}-corner" for corner in ("top-left", "top-right", "bottom-left", "bottom-right"))


@memos.once
def _margin_boxes() -> None:
    """Skip the margin boxes of a page when none of them has content; once per process.

    WeasyPrint makes, styles and sizes all 16 boxes of every page, then keeps those whose
    ``content`` is not ``normal``, ``none`` or ``inhibit``. When no box qualifies, it yields
    nothing, and all that lasts is what it did to each box's style first (dropping the
    ``pages`` counter): that part is done here too, the same way, and the rest skipped. A page
    with any margin box to draw (a handout's footer and page number) goes through WeasyPrint.
    """
    import functools

    from weasyprint import layout
    from weasyprint.layout.page import _standardize_page_based_counters

    original = layout.make_margin_boxes

    @functools.wraps(original)
    def make_margin_boxes(context: Any, page: Any, state: Any) -> Any:
        drawn = False
        for box in _MARGIN_BOXES:  # as make_margin_boxes' make_box begins, for each box
            style = context.style_for(page.page_type, box)
            if style is None:
                style = page.style.anonymous_style
            _standardize_page_based_counters(style, box)
            drawn = drawn or style["content"] not in ("normal", "inhibit", "none")
        return original(context, page, state) if drawn else iter(())

    layout.make_margin_boxes = make_margin_boxes


@memos.once
def _image_names() -> None:
    """Name each raster picture's PDF resource after its bytes, not its URL; once per process.

    WeasyPrint calls a picture ``/i<md5 of its URL>``, and a local picture's URL is its
    absolute path: the same project in another folder (or a catalog built into another
    ``--out``) gave other PDF bytes. The id only has to tell pictures apart within a PDF,
    and the bytes do that (rotation by EXIF is already in them): two files with the same
    bytes are one picture, written once. WeasyPrint's own per-URL cache keys stay as they are.
    """
    import functools
    import hashlib

    from weasyprint import document
    from weasyprint.images import RasterImage

    original = document.original_get_image_from_uri

    @functools.wraps(original)
    def get_image_from_uri(*args: Any, **kwargs: Any) -> Any:
        image = original(*args, **kwargs)
        if isinstance(image, RasterImage) and not getattr(image, "_named_by_bytes", False):
            image.id = hashlib.md5(image.image_data.data, usedforsecurity=False).hexdigest()
            image._named_by_bytes = True  # cached by URL: the same object comes back, named once
        return image

    document.original_get_image_from_uri = get_image_from_uri


@memos.once
def _gradients() -> None:
    """Compute a gradient's stops into a copy of its value, not into the declaration's; once per process.

    WeasyPrint's ``image`` (``background-image``, ``border-image-source``) writes the computed stop
    positions, centre and size into the gradient object of the declaration. Parsed anew at each
    layout, that object was the document's own (the first element computed wins, within it); kept
    across documents by ``stylesheets``, a later document drew the first one's ``em`` in pixels.
    """
    import copy
    import functools

    from weasyprint.css import computed_values

    original = computed_values.image

    @functools.wraps(original)
    def image(style: Any, name: str, value: Any) -> Any:
        kind, gradient = value
        if kind in ("linear-gradient", "radial-gradient"):
            value = (kind, copy.copy(gradient))  # its attributes are replaced, never changed in place
        return original(style, name, value)

    computed_values.image = image  # background_image calls it by this name
    computed_values.COMPUTER_FUNCTIONS["border_image_source"] = image


class _Regexes(dict[tuple[Any, bool], Any]):
    """tinyhtml5's cache of ``chars_until`` patterns that answers a miss as its ``except KeyError`` would."""

    def __missing__(self, key: tuple[Any, bool]) -> Any:
        import re

        characters, opposite = key
        pattern = "".join([f"\\x{ord(character):02x}" for character in characters])
        regex = self[key] = re.compile(f"[{pattern}]+" if opposite else f"[^{pattern}]+")
        return regex


def _parser_cache() -> None:
    """Give tinyhtml5 a pattern cache that is hit (see PATCHES); once per process."""
    from tinyhtml5 import inputstream

    if not isinstance(inputstream.characters_until_regex, _Regexes):
        inputstream.characters_until_regex = _Regexes()


def _installers() -> list[Callable[[], None]]:
    from . import backgrounds, cascade, cdecls, deflate, drawn, hotpaths, parsing, resume, roles, serialized, stylesheets, subsets, vectors

    return [_line_breaking, roles.install, stylesheets.install, _margin_boxes, resume.install, _image_names,
            cdecls.install, hotpaths.install, drawn.install, deflate.install, serialized.install, backgrounds.install, subsets.install,
            vectors.install, cascade.install, _gradients, _parser_cache, parsing.install]


_INSTALLING = threading.Lock()  # the studio's first renders start at once: an installer is not run twice meanwhile


def install() -> None:
    """Install every patch; each installer does its work once per process. One thread at a time: an installer
    run again midway through another thread's (hotpaths) would take brochure's function for WeasyPrint's
    original and wrap itself (a recursion without end at the next render)."""
    with _INSTALLING:
        for installer in _installers():
            installer()
