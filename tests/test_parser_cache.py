"""tinyhtml5's pattern cache (render.patches, ``_parser_cache``): every document parses to the same tree as with
tinyhtml5's own, and a second parse builds no pattern again (with tinyhtml5 2.1's, every call built one)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import tinyhtml5
from tinyhtml5 import inputstream

from brochure.render import patches

DOCUMENT = """<!DOCTYPE html><html lang="es"><head><title>Dolor &amp; ketamina</title>
<style>p > a[href^="tel:"]::after { content: "\\2192" }</style><script>if (a < b && c) {}</script></head>
<body><p class=x data-n=3>Llame al <a href='tel:+19138719888'>(913) 871-9888</a> &copy; &#169; &#x1F600; &notanentity;
<!-- a comment -- with dashes --><textarea>a <b>not bold</b> &lt;</textarea>
<table><tr><td>cell<td>cell two</table><svg viewBox="0 0 10 10"><circle r="4"/><![CDATA[x<y]]></svg>
<math><mi>x</mi></math><pre>
  kept   spaces\r\nand CR\r</pre>\x00 NUL <noscript>n</noscript><plaintext>rest < & ></body></html>"""


def _parsed(cache: dict[Any, Any]) -> bytes:
    before = inputstream.characters_until_regex
    inputstream.characters_until_regex = cache
    try:
        return ET.tostring(tinyhtml5.parse(DOCUMENT))
    finally:
        inputstream.characters_until_regex = before


def test_the_cache_parses_to_tinyhtml5s_own_tree() -> None:
    assert _parsed(patches._Regexes()) == _parsed({})


def test_a_second_parse_builds_no_pattern_again() -> None:
    patches.install()
    cache = inputstream.characters_until_regex
    assert isinstance(cache, patches._Regexes)
    tinyhtml5.parse(DOCUMENT)
    kept = dict(cache)
    assert kept and all(isinstance(opposite, bool) for _, opposite in kept)
    tinyhtml5.parse(DOCUMENT)
    assert dict(cache) == kept  # each pattern the very object built the first time
    with_tinyhtml5s: dict[Any, Any] = {}  # tinyhtml5 2.1's own: keyed by the pattern made, never by the characters asked for
    _ = _parsed(with_tinyhtml5s)
    assert not any(key in with_tinyhtml5s for key in kept), "tinyhtml5 keys its cache by the characters: retire the patch"
