"""Bench: what each check step of a build costs on the long handouts, and how it grows (issue 24).

For each text size (``run.py``'s ``text_sizes`` handouts, made by its ``long_handout``) this
builds the handout once, keeping the email PDF as WeasyPrint wrote it, then runs each step
on its own in this process: the checks of the words (``check_content``), the checks of each
PDF (``check_pdf``, one per output kind), and the mending of the email PDF's structure tree
(``render.tagging.mend``). Each step is run once to pay its one-off costs (imports, word
lists, colour transforms), then timed in CPU time, then counted under cProfile. Every page
background is rendered each time, as in a cold build.

A step linear in the document shows about 4x its calls and CPU time for 4x the text; the
last columns give that factor from one size to the next. The last line gives each step's
first run at the first size, one-off costs included (for ``check_content``, the word lists).

    .venv/bin/python bench/checks.py [--sizes 10,40,160]
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("SOURCE_DATE_EPOCH", "1764547200")  # the same PDFs each run

import run as bench  # bench/run.py: the long handouts

from brochure.build import Unit, build_unit
from brochure.checks.design import ImageSource, content_images, forget_backgrounds
from brochure.checks.review import check_content, check_pdf
from brochure.checks.traced import Texts
from brochure.content import Checks, load_with_source
from brochure.render import tagging


def steps(folder: Path, kb: int) -> dict[str, Callable[[], object]]:
    """The check steps of a ``kb`` kB handout built in ``folder``."""
    path = bench.copy_content(folder)
    path.write_text(bench.long_handout(path.read_text(encoding="utf-8"), kb), encoding="utf-8")
    unmended: list[bytes] = []
    mend = tagging.mend

    def keep(data: bytes, *args: object, **kwargs: object) -> bytes:
        unmended.append(data)
        return mend(data, *args, **kwargs)  # type: ignore[arg-type]

    tagging.mend = keep
    try:
        result = build_unit(Unit(path, str(path)), folder / "out", force=True)
    finally:
        tagging.mend = mend
    brochure, source = load_with_source(path, str(path))
    images, texts = content_images(brochure, source, folder), Texts(brochure, source)
    found: dict[str, Callable[[], object]] = {"check_content": lambda: check_content(brochure, source)}
    for name, pdf in result.outputs.items():
        found[f"check_pdf {name}"] = _checking(pdf, name, brochure.checks, images, texts)
    if unmended:
        found["mend (email)"] = lambda: mend(unmended[0])
    return found


def _checking(pdf: Path, name: str, settings: Checks, images: list[ImageSource], texts: Texts) -> Callable[[], object]:
    return lambda: check_pdf(pdf, name, settings, images, texts)


def measure(step: Callable[[], object]) -> tuple[float, int, float]:
    """CPU seconds of one run of ``step``, its Python calls (another run, under cProfile), and
    the CPU seconds of its first run in this process (with its one-off costs: imports, word
    lists, colour transforms; the first size's steps pay them, as a cold build does)."""
    start = time.process_time()
    step()
    first = time.process_time() - start
    forget_backgrounds()
    start = time.process_time()
    step()
    cpu = time.process_time() - start
    forget_backgrounds()
    profile = cProfile.Profile()
    profile.enable()
    step()
    profile.disable()
    return cpu, sum(entry[1] for entry in pstats.Stats(profile).stats.values()), first  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,40,160", help="kB of body text (default 10,40,160)")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    figures: dict[str, dict[int, tuple[float, int, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="brochure-bench-checks-") as temporary:
        for kb in sizes:
            folder = Path(temporary) / f"text-{kb}"
            folder.mkdir()
            for name, step in steps(folder, kb).items():
                figures.setdefault(name, {})[kb] = measure(step)
    print(f"{'step':<20}" + "".join(f"{f'{kb} kB: CPU s, calls':>26}" for kb in sizes)
          + "".join(f"{f'x{b // a} text: CPU, calls':>24}" for a, b in itertools.pairwise(sizes)))
    for name, by_size in figures.items():
        line = f"{name:<20}" + "".join(f"{by_size[kb][0]:>12.2f} s {by_size[kb][1]:>10,}" for kb in sizes)
        for a, b in itertools.pairwise(sizes):
            line += f"{by_size[b][0] / max(by_size[a][0], 1e-9):>14.1f}x {by_size[b][1] / by_size[a][1]:>7.1f}x"
        print(line)
    print(f"\nfirst run in the process, CPU s ({sizes[0]} kB, with the one-off costs): "
          + ", ".join(f"{name} {by_size[sizes[0]][2]:.2f}" for name, by_size in figures.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
