"""Deflate: each PDF stream pydyf compresses, compressed once per process for the same bytes.

Why: pydyf deflates every stream at level 9 when it writes a PDF (pages' contents, font
subsets, their ToUnicode maps, the object and cross-reference streams), and deflates them all
a second time when the PDF has an identifier, as brochure's PDFs have (``PDF.write`` hashes
every object's data). A warm build writes the same streams as the build before it, and an
edit changes a page or two: the rest was deflated before, with the same bytes in.

``install`` gives pydyf a ``zlib`` whose ``compressobj`` answers from a memo keyed by the
bytes themselves (not a digest of them): the same bytes in, the bytes zlib gave for them out,
exact by construction. Everything else pydyf asks of ``zlib`` is zlib's own. Bounded: the
streams most recently used, ``MAX_BYTES`` of them (bytes in and out together), under a lock
(the studio writes PDFs in threads); a stream of more than a quarter of that (a photo's pixels)
is deflated every time. ``BROCHURE_DEFLATE=off`` in the environment, or
``enabled(False)``, turns it off.
"""

from __future__ import annotations

import zlib
from typing import Any

from . import memos

MAX_BYTES = 4 * 1024 * 1024  # a seed build's streams: about 180 kB in and out
# Smaller streams are deflated every time: a memo entry would cost about as much as zlib does.
MIN_BYTES = 256

# Each stream by its bytes and level: its bytes in and out counted against MAX_BYTES.
STREAMS: memos.Kept[tuple[bytes, int], bytes] = memos.Kept(
    "BROCHURE_DEFLATE", lambda: MAX_BYTES, cost=lambda key, done: len(key[0]) + len(done),
    single=lambda: MAX_BYTES // 4)  # a larger one would push every other stream out (itself too, past MAX_BYTES)
enabled, clear = STREAMS.enabled, STREAMS.clear


def kept_bytes() -> int:
    """The bytes kept (in and out)."""
    return STREAMS.total


def deflated(raw: bytes, level: int) -> bytes:
    """``raw`` deflated as ``zlib.compressobj(level=level)`` deflates it in one piece, from the memo when it can."""
    if len(raw) < MIN_BYTES:
        return _deflate(raw, level)
    done = STREAMS.get((raw, level))
    if done is None:
        done = _deflate(raw, level)
        STREAMS.put((raw, level), done)
    return done


def _deflate(raw: bytes, level: int) -> bytes:
    compressor = zlib.compressobj(level=level)
    return compressor.compress(raw) + compressor.flush()


class _Compressor:
    """``zlib.compressobj()`` as pydyf uses it: the pieces given, then ``flush()`` for them all deflated.
    What it returns, pieces and flush together, are the bytes zlib's own compressor returns."""

    def __init__(self, level: int) -> None:
        self.level = level
        self.pieces: list[bytes] = []

    def compress(self, data: bytes) -> bytes:
        self.pieces.append(bytes(data))
        return b""

    def flush(self, mode: int = zlib.Z_FINISH) -> bytes:
        if mode != zlib.Z_FINISH:
            raise ValueError("only a whole stream is deflated here")
        raw = b"".join(self.pieces)
        self.pieces = []
        return deflated(raw, self.level)


class _Zlib:
    """The ``zlib`` pydyf sees: ``compressobj`` kept (``deflated``), anything else zlib's own."""

    __module__ = __name__

    def compressobj(self, level: int = -1, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:  # another method, window or strategy: zlib's own
            return zlib.compressobj(level, *args, **kwargs)
        return _Compressor(level)

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)


@memos.once
def install() -> None:
    """Give pydyf the kept ``compressobj``; once per process."""
    import pydyf

    pydyf.zlib = _Zlib()
