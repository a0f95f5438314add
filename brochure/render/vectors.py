"""Vectors: the drawing calls of each plain SVG picture (a logo, a QR code) worked out once per process.

Why: WeasyPrint draws an SVG picture by walking its tree in Python at every PDF: sizes parsed,
path data parsed, styles cascaded, about 4 ms a logo, and a tri-fold's logo is drawn three times
a build (print and email), again at every save in ``watch``. The calls it makes on the PDF stream
are a function of the picture's XML and the size it is drawn at: here they are recorded as it
draws (forwarded to the stream as they come, so the first PDF is WeasyPrint's own), and the same
calls are made again for the same picture at the same size, without the walk.

Kept only when that is certain: the picture's XML names nothing outside itself and nothing a
stream's state would change (no ``href``, ``url(``, ``<style>``, ``<text>``, ``<image>``,
stylesheets, fonts), and its drawing only made the plain calls of ``CALLS`` (paths, fills, colours,
states, transforms), read nothing back from the stream (its transformation matrix), logged nothing,
and raised nothing. Anything else (a gradient, a clip path, opacity groups, text) is drawn by
WeasyPrint every time, as before. The calls are replayed on the live stream, whose own methods keep
its state (the current colour, the alpha states' resources) as when WeasyPrint calls them.
The words are looked for in ElementTree's writing of the XML, where an SVG in the SVG namespace (a
logo's usual form) has ``<ns0:style>`` and ``<ns0:text>``: those tag words do not match there, and the
drawing decides (text asks the stream for a font, an image for an image: not kept); a ``<style>``'s
rules are in the XML, so in the key (tests/test_review_drawing.py).

Bounded: ``MAX_PICTURES`` most recently used, ``MAX_KEPT_CALLS`` calls in all, under a lock.
``BROCHURE_VECTORS=off`` in the environment, or ``enabled(False)``, turns it off.
"""

from __future__ import annotations

import functools
import logging
import threading
from typing import Any

from . import memos

MAX_PICTURES = 64
MAX_CALLS = 50_000  # a picture with more calls is drawn by WeasyPrint every time
# The calls kept in all: a call costs about 260 bytes (tracemalloc; 64 QR codes of 362 calls each took
# 5.7 MiB), so about 50 MiB at most; 64 detailed pictures would otherwise keep some 800 MiB.
MAX_KEPT_CALLS = 200_000

# Stream calls a plain picture's drawing makes, replayed as they were made.
CALLS = frozenset({
    "push_state", "pop_state", "transform", "set_color", "set_alpha", "move_to", "line_to", "curve_to",
    "rectangle", "close", "fill", "stroke", "fill_and_stroke", "end", "clip", "set_dash", "set_line_width",
    "set_line_cap", "set_line_join", "set_miter_limit", "set_text_rendering",
})
# What in a picture's XML makes its drawing depend on more than its XML and size.
_OUTSIDE = (b"href", b"url(", b"<style", b"stylesheet", b"@import", b"<text", b"<image", b"font", b"<use",
            b"<foreignobject", b"clip", b"mask", b"filter", b"marker")

Calls = tuple[tuple[str, tuple[Any, ...], dict[str, Any]], ...]
# Each plain picture's drawing by its XML and size: at most MAX_PICTURES, MAX_KEPT_CALLS calls in all.
PICTURES: memos.Kept[tuple[Any, ...], Calls] = memos.Kept(
    "BROCHURE_VECTORS", lambda: MAX_KEPT_CALLS, cost=lambda key, calls: len(calls), count=lambda: MAX_PICTURES,
    single=lambda: MAX_CALLS)
enabled, clear, size = PICTURES.enabled, PICTURES.clear, PICTURES.__len__
_LOCAL = threading.local()  # ``said``: records WeasyPrint logged on this thread
_KEY = "_brochure_vector_key"  # on an SVGImage: its XML, when it is plain (else None)


class _Said(logging.Filter):
    """Counts what WeasyPrint logs on this thread: a drawing that said something is not kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        _LOCAL.said = getattr(_LOCAL, "said", 0) + 1
        return True


class _Recorder:
    """The stream as the picture's drawing sees it: each call made on the stream and recorded;
    anything else (a group, a pattern, the matrix read back) passed on and the drawing not kept."""

    def __init__(self, stream: Any) -> None:
        self.__dict__["_stream"] = stream
        self.__dict__["_calls"] = []
        self.__dict__["_plain"] = True

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._stream, name)
        if name not in CALLS or not callable(found):
            self.__dict__["_plain"] = False
            return found
        calls = self._calls

        def call(*args: Any, **kwargs: Any) -> Any:
            answer = found(*args, **kwargs)
            calls.append((name, args, kwargs))
            if answer is not None:
                self.__dict__["_plain"] = False
            return answer

        return call

    def __setattr__(self, name: str, value: Any) -> None:
        self.__dict__["_plain"] = False
        setattr(self._stream, name, value)


def _plain_xml(tree: Any) -> bytes | None:
    """The picture's XML when nothing in it reaches outside it (see the docstring), else None."""
    from xml.etree import ElementTree

    try:
        xml = ElementTree.tostring(tree)
    except (TypeError, ValueError):
        return None
    lowered = xml.lower()
    return None if any(word in lowered for word in _OUTSIDE) else xml


@memos.once
def install() -> None:
    """Wrap WeasyPrint's ``SVGImage`` (its XML noted when made, its drawing kept); once per process."""
    from weasyprint.images import SVGImage
    from weasyprint.logger import LOGGER

    LOGGER.addFilter(_Said())
    made, drawn = SVGImage.__init__, SVGImage.draw

    @functools.wraps(made)
    def __init__(self: Any, tree: Any, *args: Any, **kwargs: Any) -> None:
        made(self, tree, *args, **kwargs)
        setattr(self, _KEY, _plain_xml(tree) if PICTURES.on else None)

    @functools.wraps(drawn)
    def draw(self: Any, stream: Any, concrete_width: float, concrete_height: float, style: Any) -> Any:
        xml = getattr(self, _KEY, None)
        if not PICTURES.on or xml is None:
            return drawn(self, stream, concrete_width, concrete_height, style)
        key = (xml, concrete_width, concrete_height, type(stream))
        calls = PICTURES.get(key)
        if calls is not None:
            for name, args, kwargs in calls:
                getattr(stream, name)(*args, **kwargs)
            return None
        recorder = _Recorder(stream)
        said = getattr(_LOCAL, "said", 0)
        answer = drawn(self, recorder, concrete_width, concrete_height, style)
        if recorder._plain and getattr(_LOCAL, "said", 0) == said:
            PICTURES.put(key, tuple(recorder._calls))
        return answer

    SVGImage.__init__, SVGImage.draw = __init__, draw
