"""Serialized PDF objects: pydyf's bytes for its commonest objects, made with fewer Python calls, once per write.

Why: pydyf turns every object into bytes through ``_to_bytes``, one call per dictionary key, value,
array item and stream line (about 18,000 calls a warm build of the seed's two PDFs), each asking
``isinstance`` up to three times; and a PDF with an identifier (brochure's all have one) is turned
into bytes twice, the second time only to hash it (``PDF.write``): every dictionary, array and
stream serialized again, every stream's lines joined and deflated again.

Here ``_to_bytes`` answers the exact types it meets most (``bytes``, ``str``, ``int``, ``float``)
before asking anything else, with the same expressions as pydyf's; ``Dictionary``, ``Array`` and
``Stream`` serialize with it, as pydyf's do, in the same order; and while a PDF is written
(``PDF.write``) each object that belongs to a PDF (it has a ``number``) is serialized once: the
identifier's pass reads what the first made. The object is kept with its bytes until the write
ends, so no other object can take its ``id``. What anything else (a subclass, an ``Object`` of
another kind, a ``bool``) turns into is pydyf's own answer. ``tests/test_serialized.py`` compares
each against pydyf's for every kind of value, and PDFs' bytes with the patch on and off.

``BROCHURE_SERIALIZED=off`` in the environment, or ``enabled(False)``, restores pydyf's own.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from . import memos

_ENABLED = memos.switched("BROCHURE_SERIALIZED")
_LOCAL = threading.local()  # ``written``: id -> (object, bytes) while a PDF is written in this thread
_ORIGINAL: dict[str, Any] = {}  # pydyf's own functions and properties, by name


def enabled(flag: bool) -> None:
    """Use this module's serialization (True) or pydyf's own (False); it keeps nothing between PDFs."""
    global _ENABLED
    _ENABLED = flag
    if _ORIGINAL:
        _put(flag)


def _to_bytes(item: Any) -> bytes:
    """pydyf's ``_to_bytes``: the exact types first, with pydyf's expressions; the rest by pydyf."""
    kind = type(item)
    if kind is bytes:
        return item  # type: ignore[no-any-return]
    if kind is str:
        return item.encode("ascii")  # type: ignore[no-any-return]  # str(item) is item
    if kind is int:
        return str(item).encode("ascii")
    if kind is float:
        if item.is_integer():
            return str(int(item)).encode("ascii")
        return f"{item:f}".rstrip("0").encode("ascii")
    serialize = _SERIALIZED.get(kind)
    if serialize is not None:  # pydyf's would read the same ``data`` property
        return serialize(item)  # type: ignore[no-any-return]
    return _ORIGINAL["_to_bytes"](item)  # type: ignore[no-any-return]


def _once(serialize: Any) -> Any:
    """``serialize(obj)`` made once per write for an object of a PDF (see the module's docstring)."""

    @functools.wraps(serialize)
    def data(obj: Any) -> bytes:
        written = getattr(_LOCAL, "written", None)
        if written is None or obj.number is None:
            return serialize(obj)  # type: ignore[no-any-return]
        found = written.get(id(obj))
        if found is not None and found[0] is obj:
            return found[1]  # type: ignore[no-any-return]
        done = serialize(obj)
        written[id(obj)] = (obj, done)
        return done  # type: ignore[no-any-return]

    return data


def _dictionary(obj: Any) -> bytes:
    convert = _to_bytes
    return b"<<" + b"".join([b"/" + convert(key) + b" " + convert(value) for key, value in obj.items()]) + b">>"


def _array(obj: Any) -> bytes:
    convert = _to_bytes
    return b"[" + b" ".join([convert(child) for child in obj]) + b"]"


def _stream(obj: Any) -> bytes:
    import pydyf

    convert = _to_bytes
    stream = b"\n".join([item if type(item) is bytes else convert(item) for item in obj.stream])
    extra = pydyf.Dictionary(obj.extra.copy())
    if obj.compress:
        extra["Filter"] = "/FlateDecode"
        compressobj = pydyf.zlib.compressobj(level=9)  # the deflate memo's, when installed
        stream = compressobj.compress(stream)
        stream += compressobj.flush()
    extra["Length"] = len(stream)
    return b"\n".join((_dictionary(extra), b"stream", stream, b"endstream"))


_SERIALIZED: dict[type, Any] = {}  # pydyf's class -> this module's serialization, once installed


def _put(flag: bool) -> None:
    import pydyf

    for cls, serialize in _SERIALIZED.items():
        setattr(cls, "data", property(serialize) if flag else _ORIGINAL[cls.__name__])  # noqa: B010 -- typed as type
    pydyf._to_bytes = _to_bytes if flag else _ORIGINAL["_to_bytes"]
    pydyf.PDF.write = _ORIGINAL["write_once"] if flag else _ORIGINAL["write"]


@memos.once
def install() -> None:
    """Give pydyf this module's serialization (unless switched off); once per process."""
    import pydyf

    _ORIGINAL["_to_bytes"] = pydyf._to_bytes
    for cls in (pydyf.Dictionary, pydyf.Array, pydyf.Stream):
        _ORIGINAL[cls.__name__] = cls.__dict__["data"]
    _SERIALIZED.update({pydyf.Dictionary: _once(_dictionary), pydyf.Array: _once(_array),
                        pydyf.Stream: _once(_stream)})
    original_write = _ORIGINAL["write"] = pydyf.PDF.write

    @functools.wraps(original_write)
    def write(pdf: Any, *args: Any, **kwargs: Any) -> Any:
        outer = getattr(_LOCAL, "written", None)
        _LOCAL.written = {}
        try:
            return original_write(pdf, *args, **kwargs)
        finally:
            _LOCAL.written = outer

    _ORIGINAL["write_once"] = write
    _put(_ENABLED)
