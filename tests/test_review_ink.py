"""A review of what branch ink merged (render.serialized, drawn, backgrounds, subsets): hostile documents,
values and fonts give, with ink's patches on and warm, the bytes a FRESH process makes with them switched off.

The off side runs in a subprocess with ``BROCHURE_SERIALIZED``, ``BROCHURE_DRAWN``, ``BROCHURE_BACKGROUNDS`` and
``BROCHURE_SUBSETS`` off (nothing kept, nothing patched by them), the on side in this process, each document
drawn twice after the others (the second time its lines from the memo, with other documents' widths and
subsets in the memos): text with opacity, a shadow, an alpha colour, a rotation, letter and word spacing,
justified, in a link, in SVG, hidden in part, right to left, emoji and a missing glyph; boxes with only a border,
an outline, a box shadow (a hidden one too), clipped and originated backgrounds, root, body, page and margin box
backgrounds, ``transparent url(...)`` (missing and found), radii, currentcolor, gradients, border and mask images.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydyf
import pytest
from conftest import REPO

from brochure.render import backgrounds, drawn, patches, serialized, subsets

FONTS = REPO / "templates" / "fonts"
SWITCHES = ("BROCHURE_SERIALIZED", "BROCHURE_DRAWN", "BROCHURE_BACKGROUNDS", "BROCHURE_SUBSETS")

CASES = {
    "opacity": "<p style='opacity: .5'>Half seen line</p><p>Half seen line</p>",
    "shadow": "<p style='text-shadow: 2px 2px 3px red'>Shadowed line</p><p>Shadowed line</p>",
    "alpha": "<p style='color: rgba(200, 0, 0, .4)'>Alpha line</p><p>Alpha line</p>",
    "rotated": "<p style='transform: rotate(17deg)'>Turned words</p><div style='transform: scale(1.5)'>Turned words</div>",
    "spacing": "<p style='letter-spacing: .3em'>Spaced words</p><p style='word-spacing: -2px; letter-spacing: -.5px'>"
               "Spaced words</p>",
    "justified": "<p style='text-align: justify; width: 30mm'>Justified text makes lines whose spaces vary when the "
                 "width is narrow.</p><p style='text-align: justify; text-align-last: justify; width: 35mm'>"
                 "Justified text makes lines whose spaces vary when the width is narrow.</p>",
    "link": "<p><a href='https://example.org/'>A linked line</a> and A linked line</p>",
    "svg": "<svg width='200' height='40'><text x='5' y='20' font-family='Open Sans'>SVG words</text></svg>"
           "<p>SVG words</p>",
    "hidden": "<p><span style='visibility: hidden'>Hidden words</span> Hidden words "
              "<span style='visibility: collapse'>Hidden words</span></p>",
    "rtl": "<p dir='rtl'>abc def (ghi) 123</p><p>abc def (ghi) 123</p>",
    "emoji": "<p>Smile \U0001f600 please \u2705</p><p>Missing \u6f22\u5b57 glyph</p><p>Smile please</p>",
    "tiny": "<p style='font-size: .0000001px'>tiny</p><p>tiny</p>",
    "borders": "<div style='border: 1px solid red; height: 5mm'></div><div style='outline: 2px solid blue; "
               "height: 5mm'></div><div style='box-shadow: 2px 2px 4px black; height: 5mm'></div>"
               "<div style='visibility: hidden; box-shadow: 0 0 4px red; height: 5mm'>"
               "<span style='visibility: visible; background: blue'>seen</span></div>",
    "clipped": "<div style='background: red; background-clip: content-box; padding: 3mm; height: 5mm'></div>"
               "<div style='background: url(logo.svg) no-repeat; background-origin: content-box; padding: 2mm; "
               "height: 10mm'></div>",
    "canvas": "<style>html { background: #eef } @page { background: #fee; @top-center { content: 'Top'; "
              "background: #efe } }</style><p>x</p>",
    "body": "<style>body { background: #eef }</style><p>x</p>",
    "transparent url": "<div style='background: transparent url(missing.png); height: 5mm'></div>"
                       "<div style='background: transparent url(logo.svg); height: 5mm'></div>",
    "radii": "<div style='border-radius: 10%; background: red; height: 5mm'></div><div style='border-radius: 0 5px; "
             "height: 5mm'></div><div style='border-radius: 50% 0; height: 5mm'></div>",
    "currentcolor": "<div style='color: red; background-color: currentcolor; height: 5mm'></div>"
                    "<div style='color: transparent; background-color: currentcolor; height: 5mm'></div>",
    "images": "<div style='background-image: none, linear-gradient(red, blue); height: 5mm'></div>"
              "<div style='border: 5px solid; border-image: linear-gradient(red, blue) 5; height: 5mm'></div>"
              "<div style='mask-border: linear-gradient(black, transparent) 10; height: 5mm; background: red'></div>",
    "table": "<table><colgroup><col style='background: #ddd'></colgroup><thead style='background: #eee'><tr><td>a"
             "</td></tr></thead><tbody><tr><td style='border-radius: 4px; border: 1px solid'>b</td></tr></tbody>"
             "</table>",
}

# Renders each case (argv[1]: a JSON list of HTML documents) once, printing the sha256 of each PDF as JSON.
_RENDER = """
import hashlib, json, sys
from brochure.render import patches
from weasyprint import HTML
patches.install()
print(json.dumps([hashlib.sha256(HTML(string=html, base_url=sys.argv[2]).write_pdf(pdf_identifier=True)).hexdigest()
                  for html in json.loads(sys.argv[1])]))
"""


@pytest.fixture(autouse=True)
def _installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    patches.install()
    for module in (serialized, drawn, backgrounds, subsets):
        module.enabled(True)
    yield


def _html(body: str, face: Path | None = None) -> str:
    faces = "".join(f"@font-face {{ font-family: 'Open Sans'; font-weight: {weight}; src: url('{path.as_uri()}') }}"
                    for weight, path in ((400, face or FONTS / "OpenSans-Regular.ttf"),
                                         (700, FONTS / "OpenSans-Bold.ttf")))
    return (f"<html><head><style>{faces} @page {{ size: A6; margin: 8mm }} body {{ font-family: 'Open Sans' }}"
            f"</style></head><body>{body}</body></html>")


def _fresh_off(documents: list[str]) -> list[str]:
    """The sha256 of each document's PDF made by a fresh process with ink's four switches off."""
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000", **dict.fromkeys(SWITCHES, "off"))
    done = subprocess.run([sys.executable, "-c", _RENDER, json.dumps(documents), str(REPO) + "/"], env=env,
                          capture_output=True, text=True, timeout=600, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _on(html: str, fonts: Any) -> str:
    from weasyprint import HTML

    pdf = HTML(string=html, base_url=str(REPO) + "/").render(font_config=fonts).write_pdf(pdf_identifier=True)
    return hashlib.sha256(pdf).hexdigest()


def test_hostile_documents_warm_give_a_fresh_process_pdf_with_ink_off() -> None:
    from weasyprint.text.fonts import FontConfiguration

    documents = [_html(body) for body in CASES.values()]
    expected = _fresh_off(documents)
    fonts = FontConfiguration()
    found = {name: [_on(html, fonts) for html in documents] for name in ("cold", "warm")}
    assert drawn.size() > 0 and subsets.kept_bytes() > 0 and pydyf._to_bytes is serialized._to_bytes
    for index, name in enumerate(CASES):
        assert (name, found["cold"][index], found["warm"][index]) == (name, expected[index], expected[index])


def _reshaped(source: Path, target: Path) -> None:
    """``source`` with the outline of "H" drawn elsewhere: the same glyphs and widths, other bytes."""
    from fontTools.ttLib import TTFont

    with TTFont(source) as font:
        glyph = font["glyf"][font.getBestCmap()[ord("H")]]
        glyph.coordinates.translate((0, -120))
        font.save(target)


def test_a_font_changed_on_disk_gives_its_own_subset_not_the_kept_one(tmp_path: Path) -> None:
    """Same file name, same glyph ids and widths, another outline: the subset is cut from the new bytes."""
    from weasyprint.text.fonts import FontConfiguration

    face = tmp_path / "face.ttf"
    html = _html("<p>Hello Harbour, same words</p>", face)
    face.write_bytes((FONTS / "OpenSans-Regular.ttf").read_bytes())
    before = _on(html, FontConfiguration())
    _reshaped(FONTS / "OpenSans-Regular.ttf", face)
    after = _on(html, FontConfiguration())  # a new configuration, as a build after a font changes makes
    assert after != before
    assert after == _fresh_off([html])[0]


class _Named(pydyf.Dictionary):  # type: ignore[misc]  # pydyf is untyped
    @property
    def data(self) -> bytes:
        return b"<</Own true>>"


def _objects() -> list[Any]:
    from weasyprint.pdf.stream import Stream

    own = Stream({}, (0, 0, 10, 10), {}, {}, {}, {}, None, extra={"Type": "/XObject"}, compress=True)
    own.stream.extend([b"q", 1.5, "Q", pydyf.String("(\\)")])
    return [own, _Named({"A": 1}), pydyf.Array([_Named(), True, -0.0, 1e-7, float("nan"), bytearray(b"x")]),
            pydyf.Dictionary({"Deep": pydyf.Dictionary({"N": 10**40}), "S": pydyf.String("caf\u00e9 (x)")})]


@pytest.mark.parametrize("index", range(4), ids=["weasyprint stream", "own data", "array of odd values", "nested"])
def test_subclasses_and_odd_values_give_pydyfs_bytes(index: int) -> None:
    serialized.enabled(False)
    try:
        expected = _objects()[index].data
    finally:
        serialized.enabled(True)
    assert _objects()[index].data == expected
    assert pydyf._to_bytes(_objects()[index]) == expected


def test_a_number_too_long_for_str_fails_as_pydyfs_does() -> None:
    huge = pydyf.Array([10**5000])
    with pytest.raises(ValueError, match="digits"):
        huge.data  # noqa: B018 -- the property is the call under test
    serialized.enabled(False)
    try:
        with pytest.raises(ValueError, match="digits"):
            huge.data  # noqa: B018
    finally:
        serialized.enabled(True)


# Renders one document (argv[1]) once and writes it with each set of options (argv[3]), printing the sha256s.
_WRITTEN = """
import hashlib, json, sys
from brochure.render import patches
from weasyprint import HTML
patches.install()
document = HTML(string=sys.argv[1], base_url=sys.argv[2]).render()
print(json.dumps([hashlib.sha256(document.write_pdf(pdf_identifier=True, **options)).hexdigest()
                  for options in json.loads(sys.argv[3])]))
"""
OPTIONS: list[dict[str, Any]] = [{}, {"pdf_tags": True}, {"pdf_variant": "pdf/ua-1"}, {}, {"pdf_variant": "pdf/a-3u"},
           {"uncompressed_pdf": True}, {"zoom": 1.5}]


def test_one_document_written_again_with_other_options_gives_a_fresh_process_pdf_with_ink_off() -> None:
    """The same boxes drawn again (their lines from the memo), the PDF serialized anew with each write's options."""
    from weasyprint import HTML

    names = ("opacity", "link", "justified", "rtl", "spacing", "borders", "clipped", "canvas")
    html = "<html lang='en'><head><title>t</title></head><body>" + "".join(CASES[name] for name in names) + "</body></html>"
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000", **dict.fromkeys(SWITCHES, "off"))
    done = subprocess.run([sys.executable, "-c", _WRITTEN, html, str(REPO) + "/", json.dumps(OPTIONS)], env=env,
                          capture_output=True, text=True, timeout=600, check=True)
    expected = json.loads(done.stdout.strip().splitlines()[-1])
    document = HTML(string=html, base_url=str(REPO) + "/").render()
    found = [hashlib.sha256(document.write_pdf(pdf_identifier=True, **options)).hexdigest() for options in OPTIONS]
    assert found == expected
    assert len(set(found)) == len(OPTIONS) - 1  # each option shows in the bytes (the repeated {} excepted)
