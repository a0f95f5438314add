"""Where a warm build's CPU goes, phase by phase and per document: ``.venv/bin/python bench/phases.py``.

Builds a copy of the seed (``build_file``) in this process: a warm-up, then ``--rounds`` warm builds of the same
content and as many edited ones (the title changed before each, outside the timing), alternated. Each phase's
own CPU (``time.process_time``, a phase nested in another counted in the inner one only) is summed per document
(print, email; "unit" for what a unit does once) and the median per build printed. The phases: WeasyPrint's
parse (``HTML()``), styles (``get_all_computed_styles``), boxes (``build_formatting_structure``), layout
(``layout_document``), draw (``draw_page``), write (``generate_pdf`` and pydyf's write, less drawing), and
brochure's own steps around them. "other" is what no phase claims (the rest of a render and of a build).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (phase, module, attribute): the function wrapped, where callers look it up.
PHASES = [
    ("content: load, validate", "brochure.build", "described"),
    ("printable (glyphs, labels)", "brochure.prepared", "printable"),
    ("HTML (Jinja, markdown)", "brochure.prepared", "document_html"),
    ("prepare: rest", "brochure.build", "prepare_unit"),
    ("parse (HTML())", "weasyprint.HTML", "__init__"),
    ("styles", "weasyprint.document", "get_all_computed_styles"),
    ("styles: matched (StyleFor)", "weasyprint.css.StyleFor", "__init__"),
    ("boxes: anchors, metadata", "weasyprint.document", "get_html_metadata"),
    ("boxes", "weasyprint.document", "build_formatting_structure"),
    ("layout", "weasyprint.document", "layout_document"),
    ("flow: choose, rest", "brochure.render.flow", "sentence_breaks"),
    ("draw", "weasyprint.document", "draw_page"),
    ("write (generate_pdf, pydyf)", "weasyprint.document.Document", "write_pdf"),
    ("tagging (mend)", "brochure.render.tagging", "mend"),
    ("impose / marks", "brochure.render.trifold", "impose"),
    ("impose / marks", "brochure.render.marks", "add_crop_marks"),
    ("impose / marks", "brochure.render.marks", "trim_only"),
    ("manifest entries", "brochure.build", "_record"),
    ("commit (atomic writes)", "brochure.build", "_commit"),
]

TOTALS: dict[tuple[str, str], float] = defaultdict(float)
_STACK: list[list[float]] = []  # per active phase: the CPU its nested phases took
_DOCUMENT = ["unit"]


def _timed(phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        _STACK.append([0.0])
        try:
            return function(*args, **kwargs)
        finally:
            nested = _STACK.pop()[0]
            spent = time.process_time() - start
            TOTALS[(_DOCUMENT[0], phase)] += spent - nested
            if _STACK:
                _STACK[-1][0] += spent
    return timed


def _stepped(phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """A generator function (``layout_document`` yields pages): each step timed."""
    def stepped(*args: Any, **kwargs: Any) -> Any:
        steps = _timed(phase, lambda: function(*args, **kwargs))()
        step = _timed(phase, next)
        while True:
            try:
                yield step(steps)
            except StopIteration:
                return
    return stepped


def _chooser(phase: str, make: Callable[..., Any]) -> Callable[..., Any]:
    """flow.sentence_breaks makes the chooser: the chooser is what is timed."""
    def made(*args: Any, **kwargs: Any) -> Any:
        return _timed(phase, make(*args, **kwargs))
    return made


def install() -> None:
    from brochure.render import job, patches

    patches.install()
    for phase, module_name, attribute in PHASES:
        owner: Any
        if module_name.endswith((".HTML", ".Document", ".StyleFor")):
            module_name, cls = module_name.rsplit(".", 1)
            owner = getattr(importlib.import_module(module_name), cls)
        else:
            owner = importlib.import_module(module_name)
        original = getattr(owner, attribute)
        wrapper = (_chooser(phase, original) if attribute == "sentence_breaks" else
                   _stepped(phase, original) if inspect.isgeneratorfunction(original) else _timed(phase, original))
        setattr(owner, attribute, wrapper)
    rendering = job.render

    def render(made: Any, search: bool = True) -> Any:
        _DOCUMENT[0] = made.output
        try:
            return _timed("other (render)", rendering)(made, search)
        finally:
            _DOCUMENT[0] = "unit"
    job.render = render  # type: ignore[assignment]


def _switch(env: str) -> Callable[[bool], None]:
    """The function turning the memo (or fast path) of switch ``env`` on and off (``memos.MEMOS``)."""
    from brochure.render import memos

    for memo in memos.MEMOS:
        if memo.env == env:
            return getattr(importlib.import_module(f"brochure.render.{memo.module}"), memo.switch)  # type: ignore[no-any-return]
    raise SystemExit(f"{env}: no such switch; one of {', '.join(memo.env for memo in memos.MEMOS)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--content", type=Path, default=ROOT / "content.yaml")
    parser.add_argument("--switch", help="a memo's switch (BROCHURE_PARSING): each round built with it off, then on")
    args = parser.parse_args(argv)
    from brochure import build

    install()
    states: list[tuple[str, Callable[[bool], None] | None, bool]] = [("", None, True)]
    if args.switch:
        turn = _switch(args.switch)
        states = [(f"{args.switch} off", turn, False), (f"{args.switch} on", turn, True)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for path in args.content.parent.iterdir():
            if path.is_file():
                shutil.copy(path, folder / path.name)
        content = folder / args.content.name
        text = content.read_text(encoding="utf-8")
        title = re.findall(r"^title:.*$", text, re.M)[0]
        samples: dict[str, list[dict[tuple[str, str], float]]] = {}
        build.build_file(content, folder / "out")
        for n in range(args.rounds):
            for state, switch, flag in states:
                if switch is not None:
                    switch(flag)
                for kind in ("warm", "edited"):
                    if kind == "edited":
                        edited = f'title: "An edited title {n} {state}"'
                        content.write_text(text.replace(title, edited, 1), encoding="utf-8")
                    else:
                        content.write_text(text, encoding="utf-8")
                        build.build_file(content, folder / "out")  # the same content as the warm sample's
                    TOTALS.clear()
                    start = time.process_time()
                    _timed("other (build)", build.build_file)(content, folder / "out")
                    TOTALS[("unit", "total")] = time.process_time() - start
                    samples.setdefault(f"{kind} {state}".strip(), []).append(dict(TOTALS))
    for kind, runs in samples.items():
        keys = sorted({key for run in runs for key in run}, key=lambda k: (k[0] != "unit" or k[1] == "total", k))
        totals = [run[("unit", "total")] for run in runs]
        print(f"\n{kind}: {len(runs)} builds, total CPU min {min(totals) * 1000:.1f} ms, "
              f"median {statistics.median(totals) * 1000:.1f} ms")
        for document in ("unit", "print", "email"):
            for key in (k for k in keys if k[0] == document):
                median = statistics.median(run.get(key, 0.0) for run in runs) * 1000
                print(f"  {document:6} {key[1]:32} {median:7.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
