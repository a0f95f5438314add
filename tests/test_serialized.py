"""pydyf's objects serialized by render.serialized: every value, object and PDF gives pydyf's own bytes.

Each test serializes with the patch on, then with pydyf's own (``enabled(False)``), and compares: values of
every type pydyf meets (and some it should not), nested objects, streams of mixed lines, whole PDFs with and
without an identifier or object streams, objects changed between two writes, and PDFs written by threads at once.
"""

from __future__ import annotations

import decimal
import enum
import io
from collections.abc import Callable, Iterator
from typing import Any

import pydyf
import pytest
from conftest import at_once

from brochure.render import patches, serialized


@pytest.fixture(autouse=True)
def _installed() -> Iterator[None]:
    patches.install()
    yield
    serialized.enabled(True)


def _both(make: Callable[[], Any]) -> tuple[Any, Any]:
    """What ``make()`` returns (or raises) with the patch on, then with pydyf's own."""
    found = []
    for flag in (True, False):
        serialized.enabled(flag)
        try:
            found.append(make())
        except Exception as error:  # the same error is the same answer
            found.append((type(error), str(error)))
    serialized.enabled(True)
    return found[0], found[1]


class Small(enum.IntEnum):
    ONE = 1


class Named(str):
    def __str__(self) -> str:
        return "other"


VALUES: list[Any] = [
    b"", b"/Name", b"bytes \xff", "", "/FlateDecode", "caf\u00e9", Named("x"), 0, -7, 10**30, True, False, Small.ONE,
    0.0, -0.0, 1.0, 2.5, -3.25, 1e-7, 1.5e-3, 123456789.123, 1e20, 1e300, float("inf"), float("nan"),
    decimal.Decimal("1.50"), None, bytearray(b"ab"), memoryview(b"cd"), (1, 2), [3, b"x"],
    pydyf.String("a (b) \\ c"), pydyf.String("\u00e9t\u00e9"), pydyf.Array([1, 2.5, b"/X", "y"]),
    pydyf.Dictionary({"Type": "/Page", "Count": 3, "Box": pydyf.Array([0, 0, 595.28, 841.89])}),
]


@pytest.mark.parametrize("value", VALUES, ids=[repr(value)[:30] for value in VALUES])
def test_each_value_gives_pydyfs_bytes(value: Any) -> None:
    on, off = _both(lambda: pydyf._to_bytes(value))
    assert on == off


def _nested() -> pydyf.Dictionary:
    inner = pydyf.Dictionary({"S": "/GoTo", "D": pydyf.Array([b"3 0 R", "/XYZ", 0, 841.89, 0])})
    return pydyf.Dictionary({
        "Type": "/Annot", "Rect": pydyf.Array([10.5, 20, 30.25, 40]), "A": inner, "T": pydyf.String("t (1)"),
        "Empty": pydyf.Dictionary(), "List": pydyf.Array([pydyf.Array([]), pydyf.Array([1, pydyf.Array([2])])]),
        "Flag": True, "Kids": [1, 2], "Unicode": pydyf.String("\u00fc"), "Float": -0.5,
    })


def _stream(compress: bool) -> pydyf.Stream:
    stream = pydyf.Stream(extra={"Type": "/XObject", "BBox": pydyf.Array([0, 0, 10.5, 10])}, compress=compress)
    stream.begin_marked_content("P", pydyf.Dictionary({"MCID": 0}))
    stream.set_text_matrix(1, 0, 0, -1, 12.345, 700.5)
    stream.show_text("<0041>-12<0042>")
    stream.set_color_rgb(0.1, 0.2, 0.3)
    stream.rectangle(0, 0, 595.28, 10)
    stream.end_marked_content()
    stream.stream.extend([2.5, 7, "q", b"Q" * 300])
    return stream


@pytest.mark.parametrize("make", [_nested, lambda: _stream(False), lambda: _stream(True),
                                  lambda: pydyf.Stream([b"only bytes", b"lines"]), lambda: pydyf.Stream()],
                         ids=["dictionary", "stream", "deflated stream", "bytes stream", "empty stream"])
def test_each_object_gives_pydyfs_bytes(make: Callable[[], Any]) -> None:
    on, off = _both(lambda: make().data)
    assert on == off


def _pdf(compress: bool, identifier: Any, change: int = 0) -> bytes:
    pdf = pydyf.PDF()
    shared = pydyf.Dictionary({"Shared": change})
    for index in range(3):
        content = _stream(compress)
        content.stream.append(f"{index} {change} Tz".encode())
        pdf.add_object(content)
        page = pydyf.Dictionary({"Type": "/Page", "Parent": pdf.pages.reference, "Contents": content.reference,
                                 "MediaBox": pydyf.Array([0, 0, 612, 792.5]), "Annot": _nested(), "Shared": shared})
        pdf.add_page(page)
    pdf.info["Title"] = pydyf.String(f"Handout {change} \u00e9")
    pdf.catalog["Lang"] = pydyf.String("en")
    output = io.BytesIO()
    pdf.write(output, version=b"1.7", identifier=identifier, compress=compress)
    return output.getvalue()


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("identifier", [False, True, b"0123456789abcdef0123456789abcdef"])
def test_a_pdf_written_is_pydyfs_pdf(compress: bool, identifier: Any) -> None:
    on, off = _both(lambda: _pdf(compress, identifier))
    assert on == off
    assert on.startswith(b"%PDF-1.7") and on.rstrip().endswith(b"%%EOF")


def _written_twice() -> list[bytes]:
    pdf = pydyf.PDF()
    page = pydyf.Dictionary({"Type": "/Page", "N": 1, "Kids": pydyf.Array([1])})
    pdf.add_page(page)
    outputs = []
    for value in (1, 2):
        page["N"] = value
        page["Kids"].append(value)
        output = io.BytesIO()
        pdf.write(output, identifier=True, compress=True)
        outputs.append(output.getvalue())
    return outputs


def test_an_object_changed_between_two_writes_is_written_as_it_is_now() -> None:
    on, off = _both(_written_twice)
    assert on == off
    assert on[0] != on[1]


def test_pdfs_written_by_threads_at_once_are_each_pydyfs() -> None:
    expected = {}
    for change in range(6):
        serialized.enabled(False)
        expected[change] = _pdf(True, True, change)
        serialized.enabled(True)
    found: dict[int, list[bytes]] = {change: [] for change in expected}

    def write(change: int) -> None:
        for _ in range(20):
            found[change].append(_pdf(True, True, change))

    at_once(write, expected)
    for change, pdfs in found.items():
        assert pdfs == [expected[change]] * 20, change
