"""Hot paths: three small WeasyPrint functions of layout and styles, answered the same way at less cost.

A warm build of the seed spends about 45 % of its time in WeasyPrint's layout, and an edited
one more (the tri-fold's trial layouts). Pure functions there and in the styles are called
thousands of times a build and cost mostly Python's own overhead, not work:

- ``layout.percent.resolve_percentages`` (about 1,400 calls an edited build of the seed,
  9 % of it under cProfile): 15 calls of ``resolve_one_percentage`` a box, each calling ``percentage``, to
  copy a length, resolve a percentage or keep ``auto``. Here the common values (a length, a
  percentage, ``auto``) are resolved inline, with the same arithmetic in the same order;
  anything else (``calc()`` and the other math functions, ``None``) goes to WeasyPrint's own
  ``percentage``. The style is read in WeasyPrint's order (a computed value can depend on one
  read before it).
- ``Box.is_in_normal_flow`` (about 6,700 calls an edited build): five method calls reading
  ``float`` and ``position`` twice each; here each is read once, in the same order. A box whose
  ``is_floated`` is its own (WeasyPrint gives flex items ``lambda: False``) goes to WeasyPrint's.
- ``css.functions.check_math`` (about 23,000 calls an edited build: each computed value, each
  length laid out): whether a value holds a math function. Most values are plain (a string, a
  ``Dimension``, a number, ``None``), none of which has a ``type`` attribute, so WeasyPrint's
  answer for them is ``None``; here it is given without looking the attribute up (a failed
  ``getattr`` raises inside). A tuple is checked item by item as ``any`` does; any other value
  goes to WeasyPrint's. It is replaced in every module that imported it by name.

- ``text.line_break.strut`` (about 1,150 calls an edited build, for 120 styles): the line height
  and baseline of a style, which WeasyPrint keeps per font configuration under a string made of
  16 of its values (``_font_style_cache_key``: ``str()`` of a tuple, then hashed anew at each
  lookup). Here each style object keeps the values it was last keyed with and that key string:
  when every value is the very same object (``is``, never ``==``: ``1`` and ``1.0`` make other
  strings), the string is the same and is looked up again (its hash kept); otherwise, or when
  WeasyPrint's entry is missing, WeasyPrint's ``strut`` answers (and keeps its answer).
- ``layout.float.avoid_collisions`` (about 780 calls a warm build of the seed, 1,450 an edited one: every line
  box laid out): where a box may go beside the floats of its formatting context. With no float there (every
  call on the seed), WeasyPrint still measures the box's margin box, builds its keyword lists and walks an empty
  list; here the answer is made at once, from the same values with the same arithmetic in the same order
  (``max_left_bound`` then ``max_right_bound``, their difference). With a float, or right to left, WeasyPrint's
  own answers.

What they save is small: replayed on every call of an edited build of the seed (``bench/hotpaths.py``),
about 4 ms of CPU for ``resolve_percentages`` (11.0 to 6.9 ms; its share in cProfile, 9 %, is mostly
the style values it is the first to read, computed either way), 3 ms for ``is_in_normal_flow``
(6.0 to 3.1 ms), 1 ms for ``check_math`` and 5.5 ms for ``strut`` (7.9 to 2.3 ms): 13 ms of the
build's 550 to 600 ms, about 2 %.
``Box.descendants`` (a recursive generator, 370,000 items an edited build) was tried the same
way and left as it is: walked with a stack it took 3.2 ms against 3.3 (``yield from`` is cheap).

Same answers, so the same PDF bytes: ``tests/test_hotpaths.py`` compares each function with
WeasyPrint's on every box of real layouts (percentages, ``calc()``, floats, flex, tables,
absolute boxes, box-sizing) and the PDFs built with and without. ``BROCHURE_HOTPATHS=off``
in the environment, or ``enabled(False)``, uses WeasyPrint's own functions: for those tests and
for the benchmark's A/B. The wrappers are ``patches``' (listed there with their reason),
installed once per process from ``patches.install()``.
"""

from __future__ import annotations

import operator
from math import inf
from typing import Any

from . import memos

_ENABLED = memos.switched("BROCHURE_HOTPATHS")
_ORIGINAL: dict[str, Any] = {}  # WeasyPrint's own functions, by name

# WeasyPrint 70's layout modules that imported resolve_percentages by name, and those that imported
# check_math (functions itself: its recursion, and line_break's import inside strut).
PERCENT_USERS = ("percent", "inline", "page", "float", "grid", "absolute", "block", "column", "table")
MATH_USERS = ("weasyprint.css.functions", "weasyprint.css", "weasyprint.css.computed_values",
              "weasyprint.css.tokens", "weasyprint.layout.inline", "weasyprint.layout.percent",
              "weasyprint.layout.preferred")
COLLISION_USERS = ("float", "block", "inline")  # replaced imports it from float at each call
STRUT_USERS = ("weasyprint.text.line_break", "weasyprint.css.units", "weasyprint.css.computed_values",
               "weasyprint.layout.inline")
# The style values WeasyPrint 70's strut key is made of (_font_style_cache_key), in its order.
STRUT_KEYED = ("font_family", "font_style", "font_stretch", "font_weight", "font_variant_ligatures",
               "font_variant_position", "font_variant_caps", "font_variant_numeric", "font_variant_alternates",
               "font_variant_east_asian", "font_feature_settings", "font_variation_settings",
               "font_language_override", "lang", "font_size", "line_height")
STRUT_KEY_ATTRIBUTE = "_brochure_strut_key"  # on a style: (the values it was keyed with, the key string)
_FLOATED = ("left", "right", "inline-start", "inline-end")  # Box.is_floated's values
_BOX_SIDES = ("top", "right", "bottom", "left")


def original(name: str) -> Any:
    """WeasyPrint's own function ``name`` (``resolve_percentages``, ``is_in_normal_flow``), once installed."""
    return _ORIGINAL[name]


def enabled(flag: bool) -> None:
    """Use these functions (True) or WeasyPrint's own (False)."""
    global _ENABLED
    _ENABLED = flag


def is_enabled() -> bool:
    """Whether these functions answer (not WeasyPrint's own)."""
    return _ENABLED


@memos.once
def install() -> None:
    """Put the two functions in WeasyPrint; once per process, one thread at a time (``memos.once``)."""
    import importlib

    from weasyprint.css.functions import check_math
    from weasyprint.css.properties import Dimension
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout import percent

    global _DIMENSION, _BOX, _PAGE_BOX, _PERCENTAGE, _CHECK_MATH
    _DIMENSION, _BOX, _PAGE_BOX, _PERCENTAGE = Dimension, boxes.Box, boxes.PageBox, percent.percentage
    _ORIGINAL["check_math"] = check_math
    _CHECK_MATH = check_math_fast
    _PLAIN.update((str, Dimension, int, float, type(None)))
    for name in MATH_USERS:
        module = importlib.import_module(name)
        if getattr(module, "check_math", None) is check_math:
            module.check_math = check_math_fast  # type: ignore[attr-defined]
    from weasyprint.text import line_break

    _ORIGINAL["strut"], _ORIGINAL["strut_key"] = line_break.strut, line_break._font_style_cache_key
    for name in STRUT_USERS:
        module = importlib.import_module(name)
        if getattr(module, "strut", None) is _ORIGINAL["strut"]:
            module.strut = strut  # type: ignore[attr-defined]
    from weasyprint.layout import float as floats

    global _LINE_BOX, _BLOCK_REPLACED
    _LINE_BOX, _BLOCK_REPLACED = boxes.LineBox, boxes.BlockReplacedBox
    _ORIGINAL["avoid_collisions"] = floats.avoid_collisions
    for name in COLLISION_USERS:
        module = importlib.import_module(f"weasyprint.layout.{name}")
        if getattr(module, "avoid_collisions", None) is _ORIGINAL["avoid_collisions"]:
            module.avoid_collisions = avoid_collisions  # type: ignore[attr-defined]
    _ORIGINAL["resolve_percentages"] = original = percent.resolve_percentages
    _ORIGINAL["is_in_normal_flow"] = boxes.Box.is_in_normal_flow
    for name in PERCENT_USERS:
        module = importlib.import_module(f"weasyprint.layout.{name}")
        if getattr(module, "resolve_percentages", None) is original:
            module.resolve_percentages = resolve_percentages  # type: ignore[attr-defined]
    boxes.Box.is_in_normal_flow = is_in_normal_flow


# Set by install(), from WeasyPrint: read as globals on the hot path.
_DIMENSION: Any = None
_BOX: Any = None
_PAGE_BOX: Any = None
_PERCENTAGE: Any = None
_CHECK_MATH: Any = None
_LINE_BOX: Any = None
_BLOCK_REPLACED: Any = None
_PLAIN: set[type] = set()  # the types of values without a ``type`` attribute (never a math function)


def _used(value: Any, style: Any, refer_to: Any) -> Any:
    """WeasyPrint's ``percentage(value, style, refer_to)``: a length or a percentage inline."""
    if type(value) is _DIMENSION:
        unit = value.unit
        if unit == "%":
            return refer_to * value.value / 100
        if unit is not None:
            return value.value
    elif type(value) is str and value == "auto":
        return value
    return _PERCENTAGE(value, style, refer_to)


def resolve_percentages(box: Any, containing_block: Any) -> None:
    """WeasyPrint's ``resolve_percentages``: the box's used margins, paddings, sizes and borders."""
    if not _ENABLED:
        _ORIGINAL["resolve_percentages"](box, containing_block)
        return
    if isinstance(containing_block, _BOX):
        cb_width = containing_block.width
        cb_height = containing_block.height
    else:
        cb_width, cb_height = containing_block
    maybe_height = cb_height if isinstance(box, _PAGE_BOX) else cb_width
    style = box.style
    box.margin_left = _used(style["margin_left"], style, cb_width)
    box.margin_right = _used(style["margin_right"], style, cb_width)
    box.margin_top = _used(style["margin_top"], style, maybe_height)
    box.margin_bottom = _used(style["margin_bottom"], style, maybe_height)
    box.padding_left = _used(style["padding_left"], style, cb_width)
    box.padding_right = _used(style["padding_right"], style, cb_width)
    box.padding_top = _used(style["padding_top"], style, maybe_height)
    box.padding_bottom = _used(style["padding_bottom"], style, maybe_height)
    box.width = _used(style["width"], style, cb_width)
    min_width = _used(style["min_width"], style, cb_width)
    box.min_width = 0 if min_width == "auto" else min_width
    box.max_width = _used(style["max_width"], style, cb_width)
    if cb_height == "auto":
        # The containing block's height depends on its content: a percentage height is auto.
        height = style["height"]
        if type(height) is _DIMENSION and height.unit != "%":
            assert height.unit.lower() == "px"
            box.height = height.value
        elif height == "auto" or _CHECK_MATH(height) or height.unit == "%":
            box.height = "auto"
        else:
            assert height.unit.lower() == "px"
            box.height = height.value
        min_height = _used(style["min_height"], style, 0)
        box.min_height = 0 if min_height == "auto" else min_height
        box.max_height = _used(style["max_height"], style, inf)
    else:
        box.height = _used(style["height"], style, cb_height)
        min_height = _used(style["min_height"], style, cb_height)
        box.min_height = 0 if min_height == "auto" else min_height
        box.max_height = _used(style["max_height"], style, cb_height)
    collapse = style["border_collapse"] == "collapse"
    for side in _BOX_SIDES:
        name = f"border_{side}_width"
        # Collapsed borders were resolved before, during border conflict resolution.
        if not (collapse and hasattr(box, name)):
            setattr(box, name, style[name])
    _box_sizing(box, style)


def _box_sizing(box: Any, style: Any) -> None:
    """WeasyPrint's ``adjust_box_sizing`` for the width, then the height."""
    sizing = style["box_sizing"]
    for axis in ("width", "height"):
        if sizing == "border-box":
            if axis == "width":
                delta = box.padding_left + box.padding_right + box.border_left_width + box.border_right_width
            else:
                delta = box.padding_top + box.padding_bottom + box.border_top_width + box.border_bottom_width
        elif sizing == "padding-box":
            delta = box.padding_left + box.padding_right if axis == "width" else box.padding_top + box.padding_bottom
        else:
            assert sizing == "content-box"
            return  # nothing to take off
        if delta > 0:  # keep the sizes >= 0, as WeasyPrint does
            if getattr(box, axis) != "auto":
                setattr(box, axis, max(0, getattr(box, axis) - delta))
            setattr(box, f"max_{axis}", max(0, getattr(box, f"max_{axis}") - delta))
            if getattr(box, f"min_{axis}") != "auto":
                setattr(box, f"min_{axis}", max(0, getattr(box, f"min_{axis}") - delta))


def is_in_normal_flow(self: Any) -> bool:
    """WeasyPrint's ``Box.is_in_normal_flow``: not floated, absolute, running, a footnote or a note."""
    if not _ENABLED or "is_floated" in self.__dict__:  # a box's own is_floated (flex items)
        return bool(_ORIGINAL["is_in_normal_flow"](self))
    style = self.style
    floating = style["float"]
    if floating in _FLOATED:
        return False
    position = style["position"]
    if position in ("absolute", "fixed"):
        return False
    first = position[0]
    return not (first == "running()" or floating == "footnote" or first == "note()")


def check_math_fast(token: Any) -> Any:
    """WeasyPrint's ``check_math``: whether ``token`` (or an item of a tuple) is a math function."""
    kind = type(token)
    if kind in _PLAIN and _ENABLED:
        return None  # getattr(token, "type", None) is None: WeasyPrint's answer
    if kind is tuple and _ENABLED:
        for item in token:  # noqa: SIM110 (as any() answers, without a generator per tuple)
            if check_math_fast(item):
                return True
        return False
    return _ORIGINAL["check_math"](token)


def strut(style: Any) -> Any:
    """WeasyPrint's ``strut``: the style's line height and baseline, its key string made once per style."""
    if not _ENABLED:
        return _ORIGINAL["strut"](style)
    if style["font_size"] == 0:
        return 0, 0  # as WeasyPrint answers, before any other read
    values = tuple([style[name] for name in STRUT_KEYED])  # read in the order the key reads them
    seen = style.__dict__.get(STRUT_KEY_ATTRIBUTE)
    if seen is not None and all(map(operator.is_, seen[0], values)):
        key = seen[1]  # the same objects make the same string
    else:
        key = _ORIGINAL["strut_key"](style, include_size=True)
        style.__dict__[STRUT_KEY_ATTRIBUTE] = (values, key)
    kept = style.font_config.strut_layouts.get(key)
    return kept if kept is not None else _ORIGINAL["strut"](style)


def avoid_collisions(context: Any, box: Any, containing_block: Any, outer: bool = True) -> tuple[Any, Any, Any]:
    """WeasyPrint's ``avoid_collisions``: the box's position and available width, at once when no float is there."""
    if not _ENABLED or context.excluded_shapes:
        return _ORIGINAL["avoid_collisions"](context, box, containing_block, outer)  # type: ignore[no-any-return]
    position_y = box.position_y if outer else box.border_box_y()
    if box.border_height() == 0 and box.is_floated():
        return 0, position_y, containing_block.width
    if containing_block.style["direction"] != "ltr":  # right to left: nothing changed yet, WeasyPrint answers
        return _ORIGINAL["avoid_collisions"](context, box, containing_block, outer)  # type: ignore[no-any-return]
    # No shape collides: the bounds are the containing block's (WeasyPrint's loop, once, with nothing in it).
    max_left_bound = containing_block.content_box_x()
    max_right_bound = max_left_bound + containing_block.width
    if not outer:
        max_left_bound += box.margin_left
        max_right_bound -= box.margin_right
    assert (box.is_floated() or isinstance(box, _LINE_BOX) or box.is_table_wrapper
            or isinstance(box, _BLOCK_REPLACED) or box.establishes_formatting_context())
    position_x = max_left_bound  # left to right: at the left bound, whatever the box floats to
    available_width = max_right_bound - max_left_bound
    if not outer:
        position_x -= box.margin_left
        position_y -= box.margin_top
    return position_x, position_y, available_width
