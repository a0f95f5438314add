"""The layout's hot paths (render.hotpaths): every answer is WeasyPrint's own, so the PDFs are the same bytes.

Each function is checked against WeasyPrint's on every call a real layout makes: a document that
asks for what the functions resolve (percentages of pages, blocks and cells, ``calc()``,
``min()``/``max()``, box-sizing, floats, flex items that were floats, tables with collapsed
borders, absolute and running elements, footnotes, columns, heights in percent of an auto height),
then whole builds (a tri-fold with its trial layouts, a long handout with a table) with the
functions and without: the same bytes.
"""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO

from brochure.build import build_file
from brochure.render import hotpaths, patches

WORDS = "Ketamine infusions are given in a quiet room while a nurse watches your breathing. " * 3

# Every property resolve_percentages sets on a box.
USED = ("margin_left", "margin_right", "margin_top", "margin_bottom", "padding_left", "padding_right",
        "padding_top", "padding_bottom", "width", "min_width", "max_width", "height", "min_height", "max_height",
        "border_top_width", "border_right_width", "border_bottom_width", "border_left_width")

DOCUMENT = f"""<!doctype html><html lang="en"><head><style>
@page {{ size: 120mm 160mm; margin: 5% 4% calc(3% + 2mm); padding: 1%;
        @top-center {{ content: element(header) }} @bottom-center {{ content: counter(page) }} }}
@page wide {{ size: 200mm 120mm; margin: 10mm 8%; }}
body {{ font-family: 'Open Sans', sans-serif; font-size: 10pt; margin: 2% }}
.pct {{ width: 60%; margin-left: 10%; padding: 2% 3%; min-width: 20%; max-width: 90% }}
.calc {{ width: calc(100% - 20px); margin: calc(1em + 2%) auto; padding-left: max(2%, 5px); min-height: calc(10px + 1em) }}
.bb {{ box-sizing: border-box; width: 50%; padding: 10px 4%; border: 3px solid red; min-height: 30px; max-height: 200px }}
.thin {{ box-sizing: border-box; width: 30%; padding: 0.2px; border: 0.1px solid; max-height: 50mm }}
.pb {{ box-sizing: padding-box; width: 40%; padding: 5%; min-width: 10%; max-width: 80% }}
.fl {{ float: left; width: 30%; margin-right: 2% }}
.fr {{ float: right; width: 25%; height: 20mm; padding: 1% }}
.fs {{ float: inline-start; width: 20% }}
.flex {{ display: flex; gap: 2% }} .flex > div {{ float: left; flex: 1; padding: 3% }}
table {{ border-collapse: collapse; width: 80%; margin: 0 auto }} td, th {{ border: 2px solid; padding: 1% 2% }}
table.sep {{ border-collapse: separate; border-spacing: 2px; width: auto }}
.rel {{ position: relative; top: 5%; left: -2% }}
.abs {{ position: absolute; top: 10%; right: 5%; width: 20%; height: 15%; border: 1px solid }}
.fixed-height {{ height: 60mm }} .fixed-height > div {{ height: 50%; min-height: 10%; max-height: 90% }}
.auto-height > div {{ height: 50%; min-height: 10% }}
.run {{ position: running(header) }}
.note {{ float: footnote }}
.cols {{ column-count: 2; column-gap: 4% }}
.ib {{ display: inline-block; width: 30%; padding: 1%; vertical-align: middle }}
.wide {{ page: wide }}
.grid {{ display: grid; grid-template-columns: 30% 1fr; gap: 2% }}
img {{ width: 40%; max-width: 100% }}
</style></head><body>
<div class="run">Running header</div>
<p class="pct">{WORDS}</p>
<p class="calc">{WORDS}<span class="note">A footnote.</span></p>
<div class="bb">{WORDS}</div>
<div class="pb">{WORDS}</div>
<div class="thin">{WORDS}</div>
<div><div class="fl">{WORDS}</div><div class="fr">Right</div><div class="fs">Start</div>{WORDS * 2}</div>
<div class="flex"><div>{WORDS}</div><div>{WORDS}</div></div>
<table><tr><th>Dose</th><td>{WORDS}</td></tr><tr><td colspan="2">{WORDS}</td></tr></table>
<table class="sep"><tr><td>1</td><td style="width: 50%">{WORDS}</td></tr></table>
<div class="rel">{WORDS}<div class="abs">Absolute</div></div>
<div class="fixed-height"><div>{WORDS}</div></div>
<div class="auto-height"><div>{WORDS}</div></div>
<div class="cols">{WORDS * 4}</div>
<p>{WORDS}<span class="ib">{WORDS}</span>{WORDS}</p>
<div class="grid"><div>{WORDS}</div><div>{WORDS}</div></div>
<section class="wide"><p class="pct">{WORDS * 3}</p></section>
<p>{WORDS * 8}</p>
<p dir="rtl" class="pct">{WORDS}<span class="ib">{WORDS}</span></p>
</body></html>"""


def _render(text: str) -> Any:
    from weasyprint import HTML

    return HTML(string=text, base_url=str(REPO)).render()


def _pdf(text: str) -> bytes:
    return bytes(_render(text).write_pdf(uncompressed_pdf=False))


def _used(box: Any) -> tuple[Any, ...]:
    return tuple(getattr(box, name, "(unset)") for name in USED)


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Each hot path answered by brochure's function and by WeasyPrint's, compared at every call."""
    import importlib

    from weasyprint.formatting_structure import boxes

    patches.install()
    ours_percent = hotpaths.resolve_percentages
    ours_flow = boxes.Box.is_in_normal_flow
    assert ours_flow is hotpaths.is_in_normal_flow
    original = {name: hotpaths.original(name)
                for name in ("resolve_percentages", "is_in_normal_flow", "check_math", "strut", "avoid_collisions")}
    calls = {"resolve_percentages": 0, "is_in_normal_flow": 0, "check_math": 0, "math": 0, "strut": 0,
             "collisions": 0, "floats": 0}

    def resolve_percentages(box: Any, containing_block: Any) -> None:
        twin = copy.copy(box)  # the same style (read only), its own used values
        original["resolve_percentages"](twin, containing_block)
        ours_percent(box, containing_block)
        assert _used(box) == _used(twin), type(box).__name__
        calls["resolve_percentages"] += 1

    def is_in_normal_flow(self: Any) -> bool:
        answer = ours_flow(self)
        assert answer == original["is_in_normal_flow"](self), (type(self).__name__, self.style["float"])
        calls["is_in_normal_flow"] += 1
        return answer

    def check_math(token: Any) -> Any:
        answer = hotpaths.check_math_fast(token)
        theirs = original["check_math"](token)
        assert (answer, type(answer)) == (theirs, type(theirs)), repr(token)
        calls["check_math"] += 1
        calls["math"] += bool(answer)
        return answer

    def strut(style: Any) -> Any:
        answer = hotpaths.strut(style)
        assert answer == original["strut"](style)
        calls["strut"] += 1
        return answer

    def avoid_collisions(context: Any, box: Any, containing_block: Any, outer: bool = True) -> Any:
        answer = hotpaths.avoid_collisions(context, box, containing_block, outer)
        assert answer == original["avoid_collisions"](context, box, containing_block, outer), type(box).__name__
        calls["collisions"] += 1
        calls["floats"] += bool(context.excluded_shapes)
        return answer

    for name in hotpaths.COLLISION_USERS:
        module = importlib.import_module(f"weasyprint.layout.{name}")
        if getattr(module, "avoid_collisions", None) is hotpaths.avoid_collisions:
            monkeypatch.setattr(module, "avoid_collisions", avoid_collisions)
    for name in hotpaths.STRUT_USERS:
        module = importlib.import_module(name)
        if getattr(module, "strut", None) is hotpaths.strut:
            monkeypatch.setattr(module, "strut", strut)
    for name in hotpaths.MATH_USERS:
        module = importlib.import_module(name)
        if getattr(module, "check_math", None) is hotpaths.check_math_fast:
            monkeypatch.setattr(module, "check_math", check_math)
    for name in hotpaths.PERCENT_USERS:
        module = importlib.import_module(f"weasyprint.layout.{name}")
        if getattr(module, "resolve_percentages", None) is ours_percent:
            monkeypatch.setattr(module, "resolve_percentages", resolve_percentages)
    monkeypatch.setattr(boxes.Box, "is_in_normal_flow", is_in_normal_flow)
    return calls


def test_every_call_of_a_varied_layout_answers_as_weasyprint(checked: dict[str, int]) -> None:
    document = _render(DOCUMENT)
    assert len(document.pages) >= 3
    assert checked["resolve_percentages"] > 100
    assert checked["is_in_normal_flow"] > 100
    assert checked["check_math"] > 1000 and checked["math"] > 5  # calc(), max() in the document
    assert checked["strut"] > 100
    assert checked["collisions"] > 100 and 10 < checked["floats"] < checked["collisions"]  # beside floats and not
    laid_out = [box for page in document.pages for box in page._page_box.descendants() if hasattr(box, "style")]
    for wanted in ("left", "right", "inline-start"):  # the floats were laid out
        assert any(box.style["float"] == wanted for box in laid_out), wanted
    assert any(type(box).__name__ == "FootnoteAreaBox" and box.children for box in laid_out)
    assert any(box.style["position"] == "absolute" for box in laid_out)
    assert any(box.style["box_sizing"] == "padding-box" for box in laid_out)
    assert sorted({round(page.width / 96 * 25.4) for page in document.pages}) == [120, 200]  # @page wide too


def test_the_seed_trifold_answers_as_weasyprint_in_every_trial(checked: dict[str, int], tmp_path: Path) -> None:
    for name in ("content.yaml", "logo.svg"):
        shutil.copy(REPO / name, tmp_path / name)
    build_file(tmp_path / "content.yaml", tmp_path / "out")
    assert checked["resolve_percentages"] > 1000 and checked["is_in_normal_flow"] > 1000


def test_a_style_changed_after_its_strut_gets_weasyprints_new_answer() -> None:
    """A style's kept key is used only while every value is the same object: a value set anew, even an
    equal one of another type (1 and 1.0 make other strings in WeasyPrint's key), is keyed again."""
    from weasyprint.css.properties import Dimension
    from weasyprint.text import line_break

    patches.install()
    document = _render(DOCUMENT)
    style = next(box.style for page in document.pages for box in page._page_box.descendants()
                 if type(box).__name__ == "LineBox")
    theirs = hotpaths.original("strut")
    assert hotpaths.strut(style) == theirs(style)
    for name, value in (("line_height", Dimension(31.5, "px")), ("font_size", 21.0), ("font_size", 21),
                        ("font_weight", 700), ("line_height", 1.7),
                        ("font_family", ("monospace",)), ("lang", "es")):
        style[name] = value
        assert hotpaths.strut(style) == theirs(style), (name, value)
        # The key looked up is WeasyPrint's own for the values now (21 and 21.0 make two).
        assert style.__dict__[hotpaths.STRUT_KEY_ATTRIBUTE][1] == line_break._font_style_cache_key(style, True)
    assert hotpaths.strut(style)[0] == pytest.approx(1.7 * 21)


def test_a_varied_document_is_the_same_bytes_with_and_without() -> None:
    patches.install()
    try:
        hotpaths.enabled(False)
        theirs = _pdf(DOCUMENT)
        hotpaths.enabled(True)
        mine = _pdf(DOCUMENT)
    finally:
        hotpaths.enabled(True)
    assert mine == theirs


@pytest.mark.parametrize("source", ["content.yaml", "tests/corpus/table-3col-handout.yaml",
                                    "tests/corpus/pictures-trifold.yaml"])
def test_builds_are_the_same_bytes_with_and_without(source: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(REPO / source, project / "content.yaml")
    shutil.copy(REPO / "logo.svg", project / "logo.svg")
    if "pictures" in source:
        shutil.copytree(REPO / "tests" / "corpus" / "pictures", project / "pictures")
    patches.install()
    found = {}
    try:
        for flag in (False, True):
            hotpaths.enabled(flag)
            out = tmp_path / f"out-{flag}"
            build_file(project / "content.yaml", out)
            found[flag] = {path.name: path.read_bytes() for path in sorted(out.glob("*.pdf"))}
    finally:
        hotpaths.enabled(True)
    assert found[True].keys() == found[False].keys() and len(found[True]) >= 2
    for name in found[True]:
        assert found[True][name] == found[False][name], name


def test_an_edited_title_lays_out_the_same_with_and_without(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An edit makes new HTML: the trials run again (flow), each resolved by these functions."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    for name in ("content.yaml", "logo.svg"):
        shutil.copy(REPO / name, tmp_path / name)
    content = tmp_path / "content.yaml"
    text = content.read_text(encoding="utf-8")
    title = re.findall(r"^title:.*$", text, re.M)[0]
    patches.install()
    found: list[bytes] = []
    try:
        for flag, number in ((False, 1), (True, 1), (True, 2), (False, 2)):
            hotpaths.enabled(flag)
            content.write_text(text.replace(title, f'title: "Ketamine infusion {number}"', 1), encoding="utf-8")
            out = tmp_path / f"out-{len(found)}"
            build_file(content, out)
            found.append(b"".join(path.read_bytes() for path in sorted(out.glob("*.pdf"))))
    finally:
        hotpaths.enabled(True)
    assert found[0] == found[1] and found[2] == found[3]


def test_weasyprint_overrides_no_flow_method_on_a_box_but_flex_items_is_floated() -> None:
    """``is_in_normal_flow`` trusts a box's float and position unless it has its own ``is_floated``:
    a WeasyPrint that sets another of these methods on a box, or a subclass its own, needs it revisited."""
    import weasyprint

    names = "is_floated|is_absolutely_positioned|is_running|is_footnote|is_note|is_in_normal_flow"
    found = []
    for path in sorted(Path(weasyprint.__file__).parent.rglob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.search(rf"\.({names})\s*=[^=]", line):
                found.append(f"{path.name}: {line.strip()}")
            if re.search(rf"^\s+def ({names})\(", line) and path.name != "boxes.py":
                found.append(f"{path.name}: {line.strip()}")
    assert found == ["build.py: child.is_floated = lambda: False"]
    boxes_source = (Path(weasyprint.__file__).parent / "formatting_structure" / "boxes.py").read_text(encoding="utf-8")
    assert len(re.findall(rf"^\s+def ({names})\(", boxes_source, re.M)) == 6  # on Box alone, no subclass


def test_no_weasyprint_module_keeps_its_own_check_math() -> None:
    """A module that imported ``check_math`` by name and is not in ``MATH_USERS`` would keep WeasyPrint's."""
    import sys

    import weasyprint.layout  # noqa: F401  (every layout and text module loaded)
    from weasyprint.text import line_break  # noqa: F401

    patches.install()
    theirs = hotpaths.original("check_math")
    kept = [name for name, module in sys.modules.items()
            if name.startswith("weasyprint") and getattr(module, "check_math", None) is theirs]
    assert kept == []


def test_off_in_the_environment_uses_weasyprints_own() -> None:
    import subprocess
    import sys

    script = ("from brochure.render import patches, hotpaths; patches.install(); "
              "print(hotpaths.is_enabled())")
    for value, expected in (("off", "False"), ("", "True")):
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                                env={"BROCHURE_HOTPATHS": value, "PATH": "/usr/bin:/bin"}, cwd=REPO)
        assert result.stdout.strip() == expected, result.stderr
