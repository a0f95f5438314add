"""The tri-fold's layouts before its print PDF: how many, what for, and what they cost.

``.venv/bin/python bench/trials.py [FILE ...]`` renders the print PDF of each tri-fold (default:
the seed, the examples with their translations, the corpus tri-folds) in this process, as a
build does, and counts WeasyPrint layouts by what asked for them: the build's own (``first``),
``render.panels.fill`` (a short article's panels) and the sentence-break search
(``render.flow``), each with its CPU time (``time.process_time``, one sample: the machine's
load sways it, the counts not). The choice kept per process (``flow.CHOSEN``) is cleared
before each file, so every search runs.

Then, for the first file, each search layout again, page by page (``remake_page``'s CPU): in
full, and resumed from the layout it fixes as the search does (``render.resume``: the cover
and back pages kept are not made again).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SOURCE_DATE_EPOCH", "1780000000")

from brochure.build import Unit, prepare
from brochure.render import flow, job, panels

DEFAULT = ["content.yaml", "examples/arabic/content.yaml", "examples/arabic/content.ar.yaml",
           "examples/bilingual/content.es.yaml", "examples/knee-surgery/content.yaml",
           *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "corpus").glob("*-trifold.yaml"))]


class Tally:
    """Layouts and their CPU seconds, by what asked for them."""

    def __init__(self) -> None:
        self.phase = "first"
        self.count: dict[str, int] = defaultdict(int)
        self.cpu: dict[str, float] = defaultdict(float)
        self.search: list[tuple[str, Any]] = []  # each search layout's HTML and the layout it fixes
        self.like: tuple[Any, dict[str, Any]] | None = None  # the document they were laid out like, and options

    @contextlib.contextmanager
    def within(self, phase: str) -> Iterator[None]:
        before, self.phase = self.phase, phase
        try:
            yield
        finally:
            self.phase = before


def _spied(tally: Tally) -> None:
    """Count every WeasyPrint layout, and note which phase of the choice asked for it."""
    from weasyprint import HTML

    render = HTML.render
    fill, best, lay_out = panels.fill, flow._best, flow._lay_out

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return render(self, *args, **kwargs)
        finally:
            tally.count[tally.phase] += 1
            tally.cpu[tally.phase] += time.process_time() - start

    def in_fill(*args: Any) -> Any:
        with tally.within("fill"):
            return fill(*args)

    def in_search(*args: Any) -> Any:
        with tally.within("search"):
            return best(*args)

    def noted(text: str, like: Any, options: dict[str, Any], parent: Any = None) -> Any:
        if tally.phase == "search":
            tally.search.append((text, parent))
            tally.like = like, options
        return lay_out(text, like, options, parent)

    HTML.render = counted  # type: ignore[method-assign]
    panels.fill, flow._best, flow._lay_out = in_fill, in_search, noted


def _pages(texts: list[tuple[str, Any]], like: Any, options: dict[str, Any]) -> None:
    """Each layout's CPU by page made (the least of seven): laid out in full, then resumed from
    the layout it fixes, as the search does (``render.resume``: the pages kept are not made)."""
    import weasyprint.layout.page as page_module

    remake = page_module.remake_page
    times: list[float] = []

    def timed(index: int, *args: Any) -> Any:
        start = time.process_time()
        try:
            return remake(index, *args)
        finally:
            times.append(time.process_time() - start)

    page_module.remake_page = timed
    try:
        for n, (text, parent) in enumerate(texts):
            for how, given in (("full", None), ("resumed", parent)):
                best: list[float] | None = None
                for _ in range(7):
                    times.clear()
                    start = time.process_time()
                    flow._lay_out_like(text, like, options, given)
                    total = time.process_time() - start
                    if best is None or total < best[0]:
                        best = [total, *times]
                assert best is not None
                pages = " ".join(f"{t * 1000:5.1f}" for t in best[1:])
                print(f"  search layout {n + 1}, {how:7}: {best[0] * 1000:6.1f} ms, pages made (ms): {pages}")
    finally:
        page_module.remake_page = remake


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", default=DEFAULT)
    args = parser.parse_args(argv)
    tally = Tally()
    _spied(tally)
    print(f"{'file':46} {'first':>5} {'fill':>5} {'search':>6}   CPU s: first / fill / search")
    first_search: tuple[list[str], Any, dict[str, Any]] | None = None
    for name in args.files:
        path = (ROOT / name) if not Path(name).is_absolute() else Path(name)
        made = next(j for j in prepare(Unit(path, name)) if j.output == "print")
        flow.CHOSEN.clear()
        tally.count.clear()
        tally.cpu.clear()
        tally.search = []
        tally.like = None
        job.render(made)
        count, cpu = tally.count, tally.cpu
        print(f"{name:46} {count['first']:5} {count['fill']:5} {count['search']:6}   "
              f"{cpu['first']:.2f} / {cpu['fill']:.2f} / {cpu['search']:.2f}")
        if first_search is None and tally.search and tally.like is not None:
            first_search = (list(tally.search), *tally.like)
    if first_search is not None:
        print("Search layouts of the first file with one, by page (cover, flap, inside x3, back):")
        _pages(*first_search)
    return 0


if __name__ == "__main__":
    sys.exit(main())
