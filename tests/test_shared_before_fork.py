"""What a build makes once before it forks a helper, so that neither process makes it again:
the C types WeasyPrint asks cffi for (``render.cdecls``), a font subset's glyph array made
with one type whatever its length, and the hyphenation patterns shared by the print PDF and
the reading level (``checks.text``); and what a process need not make at all (the colour
transform back to the screen). The PDFs' bytes with and without a helper are compared in
``test_forked_build``; here, what each piece does."""

from __future__ import annotations

from typing import Any

import pytest


def _parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every type string cffi parses from now on (a string already parsed is not parsed again)."""
    import cffi.api

    seen: list[str] = []
    original = cffi.api.FFI._typeof_locked

    def typeof_locked(self: Any, cdecl: str) -> Any:
        seen.append(cdecl)
        return original(self, cdecl)

    monkeypatch.setattr(cffi.api.FFI, "_typeof_locked", typeof_locked)
    return seen


def test_a_glyph_array_of_any_length_is_made_with_one_parsed_type(monkeypatch: pytest.MonkeyPatch) -> None:
    from weasyprint.pdf import fonts
    from weasyprint.text.ffi import ffi

    from brochure.render import cdecls, patches

    patches.install()
    cdecls.parse()
    size = ffi.sizeof("hb_codepoint_t")
    seen = _parsed(monkeypatch)
    for length in (1, 37, 911):  # lengths no render of this process may have seen yet
        glyphs = list(range(length, 0, -1))
        array = fonts.ffi.new(f"hb_codepoint_t[{length}]", glyphs)
        assert list(array) == glyphs and ffi.sizeof(array) == length * size
    assert seen == [], f"parsed again: {seen}"
    # A length that is not the list's keeps its own type: zeros after the items, as cffi makes them.
    padded = fonts.ffi.new("hb_codepoint_t[4]", [9])
    assert list(padded) == [9, 0, 0, 0]
    assert fonts.ffi.NULL == ffi.NULL and fonts.ffi.string == ffi.string  # the rest is WeasyPrint's ffi


def test_each_type_a_render_asks_for_is_parsed_before_the_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    """After ``parse``, a render of both kinds of PDF (a font subset included) parses no type:
    a helper forked then parses none either."""
    from weasyprint import HTML
    from weasyprint.text.ffi import ffi

    from brochure.render import cdecls, patches

    patches.install()
    cdecls.parse()
    for cdecl in cdecls.TYPES:
        ffi.typeof(cdecl)  # each is one WeasyPrint declares
    seen = _parsed(monkeypatch)
    page = "<p lang='en' style='hyphens: auto; width: 3em'>Hyphenation of <b>unusually</b> long words</p>"
    HTML(string=page).write_pdf(pdf_variant="pdf/ua-1", uncompressed_pdf=False)
    HTML(string=page).write_pdf(pdf_variant="pdf/x-4")
    assert seen == [], f"parsed during the render: {seen}"


def test_the_print_pdfs_hyphenation_is_the_reading_levels_only_in_its_language() -> None:
    from brochure.checks import text

    assert text.hyphenated_alike("en-US") and text.hyphenated_alike("en_US")
    assert not text.hyphenated_alike("es-US") and not text.hyphenated_alike("en-GB")
    assert not text.hyphenated_alike("xx")
    assert text.hyphenator() is text.hyphenator()


def test_a_print_palette_of_screen_colours_builds_no_transform_back_to_the_screen() -> None:
    """The way back from CMYK (about 45 ms to build) is for a colour given as CMYK only."""
    import subprocess

    from conftest import HANG, PYTHON, REPO

    script = """
import sys
sys.path.insert(0, {repo!r})
from PIL import ImageCms
built = []
original = ImageCms.buildTransform
def build(source, target, inmode, outmode, *args, **kwargs):
    built.append((inmode, outmode))
    return original(source, target, inmode, outmode, *args, **kwargs)
ImageCms.buildTransform = build
from brochure.render.colour import palette, to_cmyk, to_hex
palette("#1d5c73", "#c05a2b", cmyk=True)
print(built)
cmyk = to_cmyk("#1d5c73")
print(built, to_hex(cmyk))
"""
    run = subprocess.run([str(PYTHON), "-c", script.format(repo=str(REPO))], capture_output=True, text=True,
                         timeout=HANG, check=True)
    first, second = run.stdout.splitlines()
    assert first == "[('RGB', 'CMYK')]"
    assert second.startswith("[('RGB', 'CMYK'), ('CMYK', 'RGB')] #")
    assert abs(int(second[-6:-4], 16) - 0x1d) <= 8  # the colour comes back close to itself



# In a fresh process: each type of ``cdecls.TYPES`` as cffi made it (name, kind, size, items),
# and how many times its parser ran, with the types made by ``parse`` (together) or each alone.
TYPES_MADE = """\
import json, sys
sys.path.insert(0, {repo!r})
from brochure.render import cdecls, job
job.imported()
import pycparser
from weasyprint.text.ffi import ffi
passes = []
original = pycparser.CParser.parse
pycparser.CParser.parse = lambda self, *a, **k: passes.append(1) or original(self, *a, **k)
if sys.argv[1] == "together":
    cdecls.parse()
made = []
for cdecl in cdecls.TYPES:
    made_type = ffi.typeof(cdecl)
    sized = made_type.kind != "array" or made_type.length is not None
    made.append([cdecl, ffi.getctype(made_type), made_type.kind, ffi.sizeof(made_type) if sized else None,
                 ffi.getctype(made_type.item)])
print(json.dumps([made, len(passes), len(cdecls.TYPES)]))
"""


def test_the_types_parsed_together_are_those_cffi_makes_one_at_a_time() -> None:
    """``parse`` makes the ten types in one pass of cffi's parser; each is the type cffi makes
    for that string alone (in another fresh process), and a render asking for it later finds it made."""
    import json
    import subprocess

    from conftest import HANG, PYTHON, REPO

    found = {}
    for how in ("together", "alone"):
        result = subprocess.run([str(PYTHON), "-c", TYPES_MADE.format(repo=str(REPO)), how], capture_output=True,
                                text=True, timeout=HANG)
        assert result.returncode == 0, result.stderr
        found[how] = json.loads(result.stdout)
    (together, passes_together, count), (alone, passes_alone, _) = found["together"], found["alone"]
    assert together == alone
    assert passes_together == 1 and passes_alone == count == 10
