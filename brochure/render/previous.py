"""Previous: a build's layout resumed from the last build's layout of the same document, in one process.

A warm process (``watch``, the studio, a batch's worker, a library call) lays a document out again for each
build, though an edit changes a few of its pages, or none (a forced rebuild, the same content again). Each
layout a render makes records what a layout resumed from it needs (``resume.Kept``); after a render that wrote
its PDF, its layouts are kept here, under what every layout of it depends on besides its HTML: the output kind
(WeasyPrint's options), the base URL (the project's folder), the folders files may be read from, the print
profile and the font configuration (a font file changed: a new one, ``fontsets``). The next render with the
same key resumes each layout from the one of those whose HTML leaves most pages unchanged (``unchanged``): the
same HTML keeps every page, a title edit the article and the back, a body edit the cover and the back; resume
then keeps a page only when WeasyPrint finds where it starts the same and every element on it styled and
built alike, of the same file bytes (a picture saved under the same name is other bytes: nothing is kept).

One render at a time uses a key's layouts: a render takes them all (``Session``), and puts them back with its
own once its PDF is written; one that fails puts none back (a layout made half-way, or its pages kept, is never
resumed from). A second thread building the same document meanwhile finds none, and lays out in full: kept
pages share their boxes with the layouts they were kept from, and WeasyPrint's last pass sets values on them
(each layout resumed from makes that pass anew on its pages). The sentence-break search's trials (``flow``)
resume from the layout each fixes or from the last build's same fix (``lay_out``, within ``Session.active``).
Bounded: ``KEYS`` documents, ``PER_KEY`` layouts each (about 2.5 MiB a layout: the seed's two PDFs, 30 MiB).
``BROCHURE_LAYOUTS=off`` (or ``BROCHURE_MEMOS=off``) turns it off.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import memos, resume
from .unchanged import unchanged

KEYS = 4  # documents (with their output kinds) whose layouts are kept: a watch session's, a studio's few
PER_KEY = 6  # layouts each: a tri-fold's first, its trials, its chosen one, and those of the build before (an undo)


@dataclass(frozen=True)
class Laid:
    """A layout a render made, and the HTML it was made from."""

    text: str
    document: Any  # its ``resume.ATTRIBUTE`` holds what a layout resumed from it needs


@dataclass(frozen=True)
class Layouts:
    """A key's layouts, the newest first, and the font configuration they were made with."""

    fonts: Any
    laid: tuple[Laid, ...]


LAYOUTS: memos.Kept[tuple[Any, ...], Layouts] = memos.Kept(
    "BROCHURE_LAYOUTS", lambda: KEYS, fonts=lambda layouts: layouts.fonts)


def enabled(flag: bool) -> None:
    """Keep layouts between renders, or not (off forgets them)."""
    LAYOUTS.enabled(flag)


def key(output: str, base_url: str, roots: list[Path], profile: Path | None, fonts: Any) -> tuple[Any, ...]:
    """What a document's layouts depend on besides its HTML and the bytes of the files it reads."""
    return output, base_url, tuple(roots), profile, id(fonts)


@dataclass
class Session:
    """One render's use of its key's layouts: those taken at the start, and those it made since."""

    key: tuple[Any, ...]
    fonts: Any
    taken: list[Laid] = field(default_factory=list)
    made: list[Laid] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)  # pages kept by each layout made (for tests and bench)

    def __post_init__(self) -> None:
        found = LAYOUTS.take(self.key)
        if found is not None and found.fonts is self.fonts:
            self.taken = list(found.laid)

    def lay_out(self, text: str, make: Callable[[], Any], parent: Laid | None = None) -> Any:
        """``make()``'s layout of ``text``, resumed from the layout whose HTML leaves most pages unchanged:
        ``parent`` (the layout a trial fixes), or one taken (the last build's: its first layout, its
        trials, its chosen one)."""
        document, kept = _resumed(text, make, _best(text, [*([parent] if parent is not None else []), *self.taken]))
        self.made.append(Laid(text, document))
        self.kept.append(kept)
        return document

    @contextlib.contextmanager
    def active(self) -> Iterator[Session]:
        """Within: the trials of the render (``flow``, ``lay_out``) are this session's too."""
        token = _ACTIVE.set(self)
        try:
            yield self
        finally:
            _ACTIVE.reset(token)

    def again(self) -> None:
        """The render starts again (a file saved meanwhile): nothing taken or made so far is resumed from."""
        self.taken, self.made = [], []

    def commit(self, text: str, document: Any) -> None:
        """The render wrote ``document`` (of ``text``): keep its layouts, then those it took (an undo finds
        the layouts before the edit), as many as ``PER_KEY``. Kept pages share boxes with the layout they were
        kept from; each layout resumed from again makes WeasyPrint's last pass on its pages anew (``resume``)."""
        laid = [Laid(text, document), *self.made,
                *self.taken]
        unique: dict[str, Laid] = {}
        for each in laid:
            if getattr(each.document, resume.ATTRIBUTE, None) is not None:
                unique.setdefault(each.text, each)
        if unique:
            LAYOUTS.put(self.key, Layouts(self.fonts, tuple(unique.values())[:PER_KEY]), replace=True)


_ACTIVE: contextvars.ContextVar[Session | None] = contextvars.ContextVar("brochure_previous", default=None)


def lay_out(text: str, make: Callable[[], Any], parent: Laid | None = None) -> Any:
    """``make()``'s layout of ``text`` (a trial of the sentence-break search, fixing ``parent``), resumed from
    the layout that leaves most pages unchanged: ``parent``, or one of the render's session (``active``)."""
    session = _ACTIVE.get()
    if session is not None:
        return session.lay_out(text, make, parent)
    return _resumed(text, make, _best(text, [parent] if parent is not None else []))[0]


def _best(text: str, candidates: list[Laid]) -> tuple[Laid, frozenset[int]] | None:
    """The layout of ``candidates`` whose HTML leaves most pages of it unchanged by ``text``, and those pages."""
    best: tuple[Laid, frozenset[int]] | None = None
    for laid in candidates:
        if getattr(laid.document, resume.ATTRIBUTE, None) is None:
            continue
        keep = unchanged(laid.text, laid.document, text)
        if keep and (best is None or len(keep) > len(best[1])):
            best = laid, keep
    return best


def _resumed(text: str, make: Callable[[], Any], best: tuple[Laid, frozenset[int]] | None) -> tuple[Any, int]:
    """``make()``'s layout, resumed from ``best`` (a layout, the pages to keep), recorded for the layouts
    resumed from it; and how many pages it kept."""
    kept = getattr(best[0].document, resume.ATTRIBUTE) if best is not None else None
    try:
        with resume.recording(kept, best[1] if best is not None else frozenset()) as plan:
            document = make()
    except resume.Unkept:  # a page kept would have missed what the one before left it: in full
        with resume.recording() as plan:
            document = make()
    setattr(document, resume.ATTRIBUTE, plan.record)
    return document, len(plan.record.reused) if plan.record is not None else 0
