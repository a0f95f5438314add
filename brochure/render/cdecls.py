"""C declarations: the C types WeasyPrint asks cffi for, each parsed once per process.

WeasyPrint makes its C values with ``ffi.new("<type>")``. cffi parses each type string the
first time it sees it, with pycparser and all of WeasyPrint's typedefs again: about 3.5 ms
of CPU a string, some 60 ms of a cold seed build, a tenth of plain WeasyPrint's own first
render. Two things make that cost once, not once per PDF and per process:

- ``parse``: the types every render asks for, parsed before a build forks a helper
  (``build``): the helper starts with them, as it starts with WeasyPrint imported, where each
  process parsed them for itself (the print PDF here, the email PDF there).
- ``install`` (a patch, ``patches.PATCHES``): a font's subset lists its glyphs in an array
  typed with its length, ``hb_codepoint_t[43]``, a new string for every length, so for every
  font of every PDF (and every edit in ``watch``). Made as ``hb_codepoint_t[]`` from the same
  list instead: the same array (cffi sizes an open array by its items), one type to parse.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from . import memos

# The types one render of each kind of PDF asks for (WeasyPrint 70: text/fonts.py,
# text/line_break.py, text/ffi.py, pdf/fonts.py, pdf/stream.py), and the open glyph array.
TYPES = ("PangoFcFontMap *", "FcChar8 **", "FcResult *", "char[]", "char[4]", "unsigned int *", "PangoRectangle *",
         "PangoLogAttr[]", "hb_tag_t[100]", "hb_codepoint_t[]")

_SIZED = re.compile(r"hb_codepoint_t\[(\d+)\]")


def parse() -> None:
    """Each of ``TYPES`` parsed now (WeasyPrint imported with it), so a process forked after
    this never parses it again; a type this WeasyPrint does not declare is left to it."""
    from weasyprint.text.ffi import ffi

    with contextlib.suppress(Exception):  # another cffi or WeasyPrint: one type at a time, below
        _parse_together(ffi)
    for cdecl in TYPES:
        try:
            ffi.typeof(cdecl)  # kept by ``_parse_together``: looked up, not parsed again
        except Exception:  # another WeasyPrint: what it asks for, it parses itself
            continue


def _parse_together(ffi: Any) -> None:
    """``TYPES`` parsed in one pass and kept as ``ffi.typeof`` keeps each (cffi 1.x and 2.x:
    ``FFI._typeof_locked``). cffi parses a type as the one parameter of a dummy function, after
    a line for each of WeasyPrint's typedefs: made the parameters of one function, the ten
    types cost one parse of those lines instead of ten, about 45 ms of CPU fewer on the way to
    a cold build's first PDF. Each parameter's type is made as cffi makes a lone type's."""
    if all(cdecl in ffi._parsed_types for cdecl in TYPES):
        return  # parsed already (a build's second helper, watch's next edit)
    tree = ffi._parser._parse("void __dummy(\n{}\n);".format(",\n".join(TYPES)))[0]
    params = tree.ext[-1].type.args.params
    if len(params) != len(TYPES) or any(type(node).__name__ == "ID" for node in params):
        return
    with ffi._lock:
        for cdecl, node in zip(TYPES, params, strict=True):
            if cdecl in ffi._parsed_types:
                continue
            made = ffi._parser._get_type_and_quals(node.type)[0]
            function = made.is_raw_function
            if function:
                made = made.as_function_pointer()
            ffi._parsed_types[cdecl] = (ffi._get_cached_btype(made), function)


class _Glyphs:
    """WeasyPrint's ``ffi`` as its font subsetting sees it: an array of glyphs sized by its
    items (``hb_codepoint_t[]``); everything else is the ``ffi`` itself."""

    def __init__(self, ffi: Any) -> None:
        self.__wrapped__ = ffi

    def new(self, cdecl: str, init: Any = None) -> Any:
        sized = _SIZED.fullmatch(cdecl)
        if sized and init is not None and len(init) == int(sized[1]):
            cdecl = "hb_codepoint_t[]"  # as long as ``init``, as the sized type said
        return self.__wrapped__.new(cdecl, init)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__wrapped__, name)


@memos.once
def install() -> None:
    """The font subsetting's ``ffi`` made ``_Glyphs``; once per process."""
    from weasyprint.pdf import fonts

    fonts.ffi = _Glyphs(fonts.ffi)
