"""Memos: what a process keeps from one render for the next, one record each.

A warm build (``watch``, the studio, a batch's locations, the tri-fold's trials) asks WeasyPrint and brochure the
same questions again: the same lines shaped and drawn, the same rules matched, the same bodies in Markdown. Each
memo answers from what an earlier render computed, keyed by everything the answer depends on, bounded, and
thread-safe; each can be turned off by its environment variable (``BROCHURE_SHAPING=off``) or all of them at
once (``BROCHURE_MEMOS=off``), to compare bytes and time with and without (bench/README.md). A new memo is one
record here: its switch is read through ``switched`` and, when it holds a font configuration, ``forget`` drops it.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Any

OFF = ("off", "0", "no")


@dataclass(frozen=True)
class Memo:
    """One per-process memo: the module that keeps it, its switch, and whether it holds font configurations."""

    module: str  # under brochure.render
    env: str  # BROCHURE_<NAME>=off turns it off
    switch: str  # the module's function taking True/False (off also forgets what it kept)
    holds_fonts: bool  # its keys hold a font configuration: dropped with it (fontsets.drop)


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
    for memo in MEMOS:
        if memo.holds_fonts:
            _module(memo).forget(fonts)
