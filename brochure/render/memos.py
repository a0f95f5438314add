"""Memos: what a process keeps from one render for the next, one record each.

A warm build (``watch``, the studio, a batch's locations, the tri-fold's trials) asks WeasyPrint and brochure the
same questions again: the same lines shaped and drawn, the same rules matched, the same bodies in Markdown. Each
memo answers from what an earlier render computed, keyed by everything the answer depends on, bounded, and
thread-safe; each can be turned off by its environment variable (``BROCHURE_SHAPING=off``) or all of them at
once (``BROCHURE_MEMOS=off``), to compare bytes and time with and without (bench/README.md). A new memo is one
record here and a ``Kept`` in its module: the mapping, its bound, its lock and its switch (read through
``switched``); ``enabled``, ``clear`` and ``forget`` reach every ``Kept`` of a switch.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

OFF = ("off", "0", "no")
K = TypeVar("K")
V = TypeVar("V")
_ALL: list[Kept[Any, Any]] = []  # every Kept made in this process, by ``enabled``, ``clear`` and ``forget``
_SWITCHED: dict[str, bool] = {}  # switches turned by ``switch``: a Kept made later (at install) starts so
# The font configurations ``forget`` dropped: a render still under way with one (another thread's) puts no entry
# holding it afterwards, which would keep it alive, never asked for again. Weak: they go with their last render.
_DROPPED: weakref.WeakSet[Any] = weakref.WeakSet()


@dataclass(frozen=True)
class Memo:
    """One per-process memo: the module that keeps it, its switch, and whether it holds font configurations."""

    module: str  # under brochure.render
    env: str  # BROCHURE_<NAME>=off turns it off
    switch: str  # the module's function taking True/False (off also forgets what it kept)
    holds_fonts: bool  # its keys hold a font configuration: dropped with it (fontsets.drop; its Kept's ``fonts``)


MEMOS = (
    Memo("shaping", "BROCHURE_SHAPING", "enabled", True),
    Memo("cascade", "BROCHURE_CASCADE", "enabled", True),
    Memo("drawn", "BROCHURE_DRAWN", "enabled", True),
    Memo("vectors", "BROCHURE_VECTORS", "enabled", False),
    Memo("deflate", "BROCHURE_DEFLATE", "enabled", False),
    Memo("serialized", "BROCHURE_SERIALIZED", "enabled", False),
    Memo("backgrounds", "BROCHURE_BACKGROUNDS", "enabled", False),
    Memo("subsets", "BROCHURE_SUBSETS", "enabled", False),
    Memo("hotpaths", "BROCHURE_HOTPATHS", "enabled", False),
    Memo("markup", "BROCHURE_BODIES", "remember", False),
    Memo("tagging", "BROCHURE_MENDED", "enabled", False),
    Memo("parsing", "BROCHURE_PARSING", "enabled", False),
    Memo("previous", "BROCHURE_LAYOUTS", "enabled", True),
    Memo("stylesheets", "BROCHURE_STYLESHEETS", "enabled", True),
)


def switched(env: str) -> bool:
    """Whether the memo with switch ``env`` starts on in this process: unless it, or BROCHURE_MEMOS, says off."""
    return not any(os.environ.get(name, "").lower() in OFF for name in (env, "BROCHURE_MEMOS"))


def _module(memo: Memo) -> Any:
    return importlib.import_module(f"{__package__}.{memo.module}")


def enabled(flag: bool) -> None:
    """Turn every memo on or off (off forgets what each kept): a render as WeasyPrint alone makes it."""
    for memo in MEMOS:
        getattr(_module(memo), memo.switch)(flag)


def forget(fonts: Any) -> None:
    """Drop what every memo keeps with the font configuration ``fonts``, one made anew (``fontsets.drop``)."""
    # Before the entries go: a put meanwhile finds it dropped. One not weakly referable: its entries go all the same.
    with contextlib.suppress(TypeError):
        _DROPPED.add(fonts)
    for kept_memo in list(_ALL):
        kept_memo.forget(fonts)


def _dropped(fonts: Any) -> bool:
    try:
        return fonts in _DROPPED
    except TypeError:  # not weakly referable: never dropped by ``forget``
        return False


def _one(key: Any, value: Any) -> int:
    return 1


class Kept(Generic[K, V]):
    """A bounded mapping kept across renders, the least recently used first, under a lock (the studio renders in
    threads), on unless its switch ``env`` (or BROCHURE_MEMOS) says off. ``bound()`` is the most it keeps, counted
    by ``cost(key, value)`` (one per entry unless told); ``count()``, if given, the most entries; an entry costing
    more than ``single()`` is not kept. The bounds are functions, read at each ``put``: a module's constant,
    changed by a test, holds at once. ``fonts(value)``: the font configuration an entry holds, if any (``forget``)."""

    def __init__(self, env: str, bound: Callable[[], int], cost: Callable[[K, V], int] = _one,
                 count: Callable[[], int] | None = None, single: Callable[[], int] | None = None,
                 fonts: Callable[[V], Any] | None = None) -> None:
        self.env, self.bound, self.cost, self.count, self.single, self.fonts = env, bound, cost, count, single, fonts
        self.on = _SWITCHED.get(env, switched(env))
        self.lock = threading.Lock()
        self.entries: OrderedDict[K, V] = OrderedDict()
        self.total = 0  # the cost of the entries kept
        _ALL.append(self)

    def enabled(self, flag: bool) -> None:
        """Turn it, and every other memo of its switch, on or off (off also forgets every entry)."""
        switch(self.env, flag)

    def clear(self) -> None:
        """Forget every entry."""
        with self.lock:
            self.entries.clear()
            self.total = 0

    def forget(self, fonts: Any) -> None:
        """Forget the entries that hold the font configuration ``fonts`` (one made anew: never asked for again)."""
        if self.fonts is None:
            return
        with self.lock:
            for key in [key for key, value in self.entries.items() if self.fonts(value) is fonts]:
                self.total -= self.cost(key, self.entries.pop(key))

    def get(self, key: K) -> V | None:
        """The entry of ``key``, now the most recently used; None when off, not kept, or ``key`` cannot be hashed."""
        if not self.on:
            return None
        try:
            with self.lock:
                found = self.entries.get(key)
                if found is not None:
                    self.entries.move_to_end(key)
                return found
        except TypeError:  # a value that cannot be hashed: never kept
            return None

    def take(self, key: K) -> V | None:
        """The entry of ``key``, no longer kept (one user at a time); None when off or not kept."""
        if not self.on:
            return None
        try:
            with self.lock:
                found = self.entries.pop(key, None)
                if found is not None:
                    self.total -= self.cost(key, found)
                return found
        except TypeError:  # a key that cannot be hashed: never kept
            return None

    def put(self, key: K, value: V, replace: bool = False) -> V:
        """Keep ``value`` for ``key`` (unless off or too large), the least recently used dropped; the value kept
        for ``key`` is returned: one another thread kept meanwhile stays, unless ``replace``."""
        if not self.on:
            return value
        cost = self.cost(key, value)
        if cost > (self.single or self.bound)():
            return value  # kept, it would push every other entry out
        try:
            with self.lock:
                # Made with fonts dropped meanwhile (``forget``): never asked for again. Under the lock: a
                # ``forget`` under way either finds this entry or has its fonts in _DROPPED already.
                if self.fonts is not None and _dropped(self.fonts(value)):
                    return value
                found = self.entries.get(key)
                if found is not None and not replace:
                    return found
                if found is not None:
                    self.total -= self.cost(key, found)
                self.entries[key] = value
                self.entries.move_to_end(key)  # replaced: the most recently used, not left where the old one was
                self.total += cost
                bound, count = self.bound(), self.count() if self.count else None
                while self.entries and (self.total > bound or (count is not None and len(self.entries) > count)):
                    old, out = self.entries.popitem(last=False)
                    self.total -= self.cost(old, out)
        except TypeError:  # a key that cannot be hashed: never kept
            pass
        return value

    def __len__(self) -> int:
        return len(self.entries)

    def values(self) -> list[V]:
        """The entries kept, least recently used first (a copy: another thread may change them meanwhile)."""
        with self.lock:
            return list(self.entries.values())

    def items(self) -> Iterator[tuple[K, V]]:
        """The keys and entries kept, least recently used first (a copy)."""
        with self.lock:
            return iter(list(self.entries.items()))


def kept() -> list[Kept[Any, Any]]:
    """Every memo kept in this process so far (its module imported)."""
    return list(_ALL)


def switch(env: str, flag: bool) -> None:
    """Turn every memo kept under the switch ``env`` on or off (off forgets what each kept), those made later too."""
    _SWITCHED[env] = flag
    for kept in _ALL:
        if kept.env == env:
            kept.on = flag
            kept.clear()


def once(install: Callable[[], None]) -> Callable[[], None]:
    """``install``, run once per process however many threads call it at once (a patch put in twice would wrap itself)."""
    lock = threading.Lock()
    done: list[bool] = []

    @functools.wraps(install)
    def run() -> None:
        with lock:
            if not done:
                install()
                done.append(True)

    return run


def wrap(owner: Any, name: str, make: Callable[[Any], Callable[..., Any]]) -> None:
    """Put ``make(original)`` in place of ``owner.name`` (a WeasyPrint method), named and documented as the
    original; an installer's part, run once (``once``): run twice, it would wrap its own wrapper."""
    original = getattr(owner, name)
    setattr(owner, name, functools.wraps(original)(make(original)))
