"""What ``render.hotpaths`` saves: each function's own CPU in one edited build, WeasyPrint's against brochure's.

``.venv/bin/python bench/hotpaths.py [--rounds 15]`` builds a copy of the seed, edits its title
and builds it again (the tri-fold's trial layouts run), recording every call of
``resolve_percentages`` (the box as it was before the call, its containing block),
``Box.is_in_normal_flow``, ``check_math``, ``strut`` and ``avoid_collisions`` (the box, its
containing block and the floats beside it then). It then replays the calls, WeasyPrint's function and brochure's alternated,
``--rounds`` times, and prints the least CPU (``time.process_time``) of each: a measure the
machine's load sways far less than a whole build's, since the work is the same every round
and the style values are computed already (as the first reader of each computes them either way).
"""

from __future__ import annotations

import argparse
import copy
import gc
import importlib
import re
import shutil
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PERCENT, FLOW, MATH, STRUT = "resolve_percentages", "is_in_normal_flow", "check_math", "strut"  # recorded
COLLISIONS = "avoid_collisions"
RECORDED: dict[str, list[Any]] = {COLLISIONS: []}  # the calls of avoid_collisions: (floats, box, block, outer)
sys.path.insert(0, str(ROOT))


def _record(folder: Path) -> tuple[list[tuple[Any, Any]], list[Any], list[Any], list[Any]]:
    """Every call of the two functions in an edited build of the seed copied to ``folder``."""
    from weasyprint.formatting_structure import boxes

    from brochure.build import build_file
    from brochure.render import hotpaths, patches

    patches.install()
    content = folder / "content.yaml"
    build_file(content, folder / "out")  # warm: fonts, stylesheets, the first choice
    percentages: list[tuple[Any, Any]] = []
    flows: list[Any] = []
    tokens: list[Any] = []
    styles: list[Any] = []
    ours, flow = hotpaths.resolve_percentages, boxes.Box.is_in_normal_flow

    def resolve_percentages(box: Any, containing_block: Any) -> None:
        block = containing_block if not isinstance(containing_block, boxes.Box) else \
            (containing_block.width, containing_block.height)
        percentages.append((copy.copy(box), block))
        ours(box, containing_block)

    def is_in_normal_flow(self: Any) -> bool:
        flows.append(self)
        return bool(flow(self))

    def check_math(token: Any) -> Any:
        tokens.append(token)
        return hotpaths.check_math_fast(token)

    def strut(style: Any) -> Any:
        styles.append(style)
        return hotpaths.strut(style)

    def avoid_collisions(context: Any, box: Any, containing_block: Any, outer: bool = True) -> Any:
        floats = types.SimpleNamespace(excluded_shapes=list(context.excluded_shapes))  # as they were then
        RECORDED[COLLISIONS].append((floats, copy.copy(box), containing_block, outer))
        return hotpaths.avoid_collisions(context, box, containing_block, outer)

    collision_users = [module for module in (importlib.import_module(f"weasyprint.layout.{name}")
                                             for name in hotpaths.COLLISION_USERS)
                       if getattr(module, COLLISIONS, None) is hotpaths.avoid_collisions]
    for module in collision_users:
        setattr(module, COLLISIONS, avoid_collisions)
    strut_users = [module for module in map(importlib.import_module, hotpaths.STRUT_USERS)
                   if getattr(module, STRUT, None) is hotpaths.strut]
    for module in strut_users:
        setattr(module, STRUT, strut)
    math_users = [module for module in map(importlib.import_module, hotpaths.MATH_USERS)
                  if getattr(module, MATH, None) is hotpaths.check_math_fast]
    for module in math_users:
        setattr(module, MATH, check_math)
    users = [importlib.import_module(f"weasyprint.layout.{name}") for name in hotpaths.PERCENT_USERS]
    wrapped = [module for module in users if getattr(module, "resolve_percentages", None) is ours]
    for module in wrapped:
        setattr(module, PERCENT, resolve_percentages)
    setattr(boxes.Box, FLOW, is_in_normal_flow)
    try:
        text = content.read_text(encoding="utf-8")
        title = re.findall(r"^title:.*$", text, re.M)[0]
        content.write_text(text.replace(title, 'title: "An edited title"', 1), encoding="utf-8")
        build_file(content, folder / "out")
    finally:
        for module in wrapped:
            setattr(module, PERCENT, ours)
        setattr(boxes.Box, FLOW, flow)
        for module in math_users:
            setattr(module, MATH, hotpaths.check_math_fast)
        for module in strut_users:
            setattr(module, STRUT, hotpaths.strut)
        for module in collision_users:
            setattr(module, COLLISIONS, hotpaths.avoid_collisions)
    return percentages, flows, tokens, styles


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    from brochure.render import hotpaths

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in ("content.yaml", "logo.svg"):
            shutil.copy(ROOT / name, folder / name)
        percentages, flows, tokens, styles = _record(folder)
    theirs_percent, theirs_flow = hotpaths.original("resolve_percentages"), hotpaths.original("is_in_normal_flow")

    def percent(function: Callable[[Any, Any], None] | None) -> Callable[[], None]:
        def run() -> None:
            for box, block in percentages:
                twin = copy.copy(box)  # a fresh box each call, as layout gives one
                if function is not None:
                    function(twin, block)
        return run

    def flow(function: Callable[[Any], bool]) -> Callable[[], None]:
        def run() -> None:
            for box in flows:
                function(box)
        return run

    def math(function: Callable[[Any], Any]) -> Callable[[], None]:
        def run() -> None:
            for token in tokens:
                function(token)
        return run

    def struts(function: Callable[[Any], Any]) -> Callable[[], None]:
        def run() -> None:
            for style in styles:
                function(style)
        return run

    def collisions(function: Callable[..., Any]) -> Callable[[], None]:
        def run() -> None:
            for call in RECORDED[COLLISIONS]:
                function(*call)
        return run

    runs = {"copies alone": percent(None), "resolve_percentages, WeasyPrint's": percent(theirs_percent),
            "resolve_percentages, brochure's": percent(hotpaths.resolve_percentages),
            "is_in_normal_flow, WeasyPrint's": flow(theirs_flow),
            "is_in_normal_flow, brochure's": flow(hotpaths.is_in_normal_flow),
            "check_math, WeasyPrint's": math(hotpaths.original("check_math")),
            "check_math, brochure's": math(hotpaths.check_math_fast),
            "strut, WeasyPrint's": struts(hotpaths.original("strut")),
            "strut, brochure's": struts(hotpaths.strut),
            "avoid_collisions, WeasyPrint's": collisions(hotpaths.original(COLLISIONS)),
            "avoid_collisions, brochure's": collisions(hotpaths.avoid_collisions)}
    least = dict.fromkeys(runs, float("inf"))
    for _ in range(args.rounds):
        for name, run in runs.items():
            gc.collect()
            start = time.process_time()
            run()
            least[name] = min(least[name], time.process_time() - start)
    copies = least.pop("copies alone")
    print(f"one edited build of the seed: {len(percentages)} calls of resolve_percentages, "
          f"{len(flows)} of is_in_normal_flow, {len(tokens)} of check_math, "
          f"{len(styles)} of strut, {len(RECORDED[COLLISIONS])} of avoid_collisions; least CPU ms of {args.rounds} rounds")
    for name, seconds in least.items():
        own = seconds - copies if name.startswith("resolve") else seconds
        print(f"  {name:38} {own * 1000:6.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
