"""Review of session 9's memos and hot paths, attacked as a batch, ``watch`` and the studio use them.

- A body's HTML remembered per process (``render.markup``): the same body in two handouts of
  other languages built one after the other in one process (a batch's worker, ``watch``), and a
  clinic's label catalog saved between two builds: each PDF says its own language's words and
  links its own emergency numbers, the same bytes as without the memo.
- The memo's bound is what it keeps in memory, not only the characters of its texts: a batch of
  short bodies (a location's values make every body a new key) stays within it.
- WeasyPrint's hot paths (``render.hotpaths``) with what the seed does not use: ``var()``,
  ``min()``, ``clamp()``, ``calc()`` of ``em`` and ``%`` in line heights and font sizes, a zero
  font size, fixed tables with percentage cells, fixed and relative positions: every call answered as
  WeasyPrint answers, the same PDF bytes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pypdf
import pytest
from conftest import HANG, REPO
from test_hotpaths import _pdf, _render, checked  # noqa: F401  (checked: the fixture comparing every call)

from brochure.build import build_file
from brochure.render import blocks, hotpaths, markup, patches

SHARED_BODY = "::: warning\nCall 112.\n:::\n\n- [ ] 112\n"


@pytest.fixture(autouse=True)
def _memo_on() -> Any:
    markup.remember(True)
    yield
    markup.remember(True)


def _text(pdf: Path) -> str:
    return " ".join((page.extract_text() or "") for page in pypdf.PdfReader(pdf).pages)


def _links(pdf: Path) -> set[str]:
    found = set()
    for page in pypdf.PdfReader(pdf).pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is not None and "/URI" in action:
                found.add(str(action["/URI"]))
    return found


def _project(folder: Path, source: str, *replace: tuple[str, str]) -> Path:
    folder.mkdir(parents=True)
    text = (REPO / "tests" / "corpus" / source).read_text(encoding="utf-8")
    for old, new in replace:
        assert old in text, old
        text = text.replace(old, new, 1)
    body = "\n".join("      " + line for line in SHARED_BODY.splitlines())
    text = text.replace("sections:\n", f"sections:\n  - heading: Shared\n    body: |\n{body}\n", 1)
    (folder / "content.yaml").write_text(text, encoding="utf-8")
    shutil.copy(REPO / "logo.svg", folder / "logo.svg")
    return folder / "content.yaml"


def _pdfs(out: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(out.glob("*.pdf"))}


def test_a_body_shared_by_an_english_and_a_spanish_handout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker builds the English handout, then the Spanish one with the same body: the Spanish
    PDFs label the callout in Spanish and link Spain's 112, byte for byte as without the memo."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    english = _project(tmp_path / "en", "short-handout.yaml")
    spanish = _project(tmp_path / "es", "es-diabetes-handout.yaml", ("lang: es-US", "lang: es"))
    build_file(english, tmp_path / "out-en")
    assert any(text == SHARED_BODY.strip() for text, _ in markup.remembered())
    build_file(spanish, tmp_path / "out-es")
    warm = _pdfs(tmp_path / "out-es")
    markup.remember(False)
    build_file(spanish, tmp_path / "out-es-cold")
    assert warm == _pdfs(tmp_path / "out-es-cold") and len(warm) >= 2
    for name in warm:
        text = _text(tmp_path / "out-es" / name)
        assert "Advertencia" in text and "Warning" not in text, name
    email = next(name for name in warm if "email" in name)
    assert "tel:112" in _links(tmp_path / "out-es" / email)
    english_email = next(path for path in (tmp_path / "out-en").glob("*.pdf") if "email" in path.name)
    assert "tel:112" not in _links(english_email), "English (North America) does not link 112"


def test_a_label_catalog_saved_between_two_builds_of_one_process(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """``watch``: the clinic rewords the callout's label in its catalog; the next build says the new word."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    content = _project(tmp_path / "p", "short-handout.yaml")
    catalog = tmp_path / "p" / "messages" / "en.yaml"
    catalog.parent.mkdir()
    found: list[str] = []
    for word in ("Careful", "Stop now"):
        catalog.write_text(f"callout_warning: {word}\n", encoding="utf-8")
        out = tmp_path / f"out-{len(found)}"
        build_file(content, out)
        found.append(" ".join(_text(path) for path in sorted(out.glob("*.pdf"))))
    assert "Careful" in found[0] and "Stop now" not in found[0]
    assert "Stop now" in found[1] and "Careful" not in found[1]


# Run in a fresh interpreter: in the suite's process, what earlier tests left in other caches (and
# the allocator's state) moved the measure by more than the memo holds (458 kB for 400 kB in CI).
BOUND_SCRIPT = """\
import gc, re, sys, tracemalloc
from brochure.render import blocks, markup
markup.BODIES_KEPT = 200_000
bodies = [f"Call us {n}." for n in range(40)]
labels = {"callout_warning": "Warning", "box_to_tick": "Box to tick"}.get
def batch():
    for unit in range(250):
        notes = blocks.Notes(labels=labels)
        notes.env[blocks.MERGED] = (f"Clinic {unit} of the Valley", f"{unit} Alameda Boulevard")
        for body in bodies:
            markup.markdown(body, notes, True)
        del notes
markup.remember(False)
batch()  # what else a render keeps per word or value (bounded caches), kept before the measure
markup.remember(True)
re.purge()
gc.collect()
tracemalloc.start()
before = tracemalloc.get_traced_memory()[0]
batch()
re.purge()  # the patterns of each location's values, compiled by re (its cache has its own bound)
gc.collect()
print(tracemalloc.get_traced_memory()[0] - before, len(markup.remembered()), markup.BODIES_KEPT)
"""


def test_the_bound_holds_in_memory_for_short_bodies() -> None:
    """A batch of locations: each location's values (``blocks.MERGED``) make each body a new key,
    and many bodies are a line. What the memo holds in memory (its keys, their HTML, the
    bookkeeping) stays within a small multiple of ``BODIES_KEPT``, whatever the bodies' sizes."""
    env = {**os.environ}
    env.pop("BROCHURE_BODIES", None)
    env.pop("BROCHURE_MEMOS", None)
    run = subprocess.run([sys.executable, "-c", BOUND_SCRIPT], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=HANG)
    assert run.returncode == 0, run.stderr
    held, entries, bound = (int(word) for word in run.stdout.split())
    assert entries < 250 * 40, "the bound was reached"
    assert held <= 2 * bound, f"{held:,} bytes held for a bound of {bound:,}"


def test_an_email_body_is_one_entry_for_every_location_a_print_body_one_each() -> None:
    """The merged values change only a hyphenated output's HTML (its whole words): the email body of
    every location of a batch is one entry, the print body one per location; each as rendered cold."""
    body = "Park at the garden entrance behind the pharmacy building before your appointment."
    found: dict[tuple[bool, str], str] = {}
    for whole in (False, True):
        for place in ("garden entrance", "pharmacy building"):
            for flag in (False, True):
                markup.remember(flag)
                notes = blocks.Notes()
                notes.env[blocks.MERGED] = (place,)
                html = str(markup.markdown(body, notes, whole))
                assert found.setdefault((whole, place), html) == html, (whole, place)
            markup.remember(True)
    assert found[True, "garden entrance"] != found[True, "pharmacy building"]
    assert found[False, "garden entrance"] == found[False, "pharmacy building"]
    markup.remember(True)
    for place in ("a", "b", "c"):
        notes = blocks.Notes()
        notes.env[blocks.MERGED] = (f"garden {place} entrance",)
        markup.markdown(body, notes, False)
    assert [text for text, _ in markup.remembered()] == [body]

# -- hot paths --------------------------------------------------------------------------------

WORDS = "Ketamine infusions are given in a quiet room while a nurse watches your breathing. " * 2

VARIED = f"""<!doctype html><html lang="en"><head><style>
:root {{ --gap: 3%; --wide: 70%; --lead: 1.4; }}
@page {{ size: 110mm 150mm; margin: var(--gap) min(8mm, 5%) clamp(5mm, 4%, 12mm); }}
body {{ font-size: max(9pt, 12px); line-height: var(--lead) }}
.v {{ width: var(--wide); margin: 0 auto; padding: var(--gap) calc(var(--gap) + 2px) }}
.mn {{ width: min(80%, 300px); min-height: clamp(10px, 5%, 40px); max-width: max(50%, 100px) }}
.lh {{ line-height: calc(1em + 4px); font-size: calc(10pt + 2px) }}
.lhp {{ line-height: 150%; font-size: 120% }}
.zero {{ font-size: 0 }} .zero span {{ font-size: 10pt }}
.bbc {{ box-sizing: border-box; width: calc(100% - 10mm); padding: 2% 5px; border: 2px solid }}
table.fixed {{ table-layout: fixed; width: 90%; border-collapse: collapse }}
table.fixed td {{ width: 25%; padding: 1%; border: 1px solid; height: 10% }}
table.fixed td.calc {{ width: calc(50% - 4px) }}
.fixedpos {{ position: fixed; bottom: 2%; left: 5%; width: 30% }}
.rel {{ position: relative; top: calc(1% + 1px); left: var(--gap) }}
.flexcol {{ display: flex; flex-direction: column; height: 40mm }} .flexcol > div {{ flex: 1 1 20%; min-height: 0 }}
.ib {{ display: inline-block; width: calc(33% - 1em); height: min(20mm, 10%) }}
.mx {{ margin-left: max(2%, 4px); margin-right: var(--missing, 3%) }}
</style></head><body>
<div class="fixedpos">Fixed</div>
<p class="v">{WORDS}</p>
<div class="mn">{WORDS}</div>
<p class="lh">{WORDS}</p>
<p class="lhp">{WORDS}</p>
<p class="zero"><span>{WORDS}</span></p>
<div class="bbc">{WORDS}</div>
<table class="fixed"><tr><td>1</td><td class="calc">{WORDS}</td><td>3</td></tr></table>
<div class="rel">{WORDS}</div>
<div class="flexcol"><div>{WORDS}</div><div>{WORDS}</div></div>
<p><span class="ib">{WORDS}</span><span class="ib">{WORDS}</span></p>
<p class="mx">{WORDS * 3}</p>
</body></html>"""


def test_var_min_clamp_and_calc_answer_as_weasyprint_at_every_call(checked: dict[str, int]) -> None:  # noqa: F811
    document = _render(VARIED)
    assert len(document.pages) >= 2
    assert checked["resolve_percentages"] > 50 and checked["strut"] > 20 and checked["math"] > 5


def test_var_min_clamp_and_calc_are_the_same_bytes_with_and_without() -> None:
    patches.install()
    try:
        hotpaths.enabled(False)
        theirs = _pdf(VARIED)
        hotpaths.enabled(True)
        mine = _pdf(VARIED)
        again = _pdf(VARIED)  # the strut keys kept on styles of the first: a new document's styles
    finally:
        hotpaths.enabled(True)
    assert mine == theirs == again


# -- the files a render names -------------------------------------------------------------------

def test_a_font_registered_earlier_is_recorded_with_the_bytes_it_was_registered_from(tmp_path: Path) -> None:
    """A font registered by an earlier render is not fetched again, so its hash comes from the
    process's ``FETCHED``, which another thread sets when it fetches that path anew (the studio:
    the font saved again, a new font configuration made by the other thread). The PDF drawn with
    the old bytes is then recorded with the new bytes' hash, and never rebuilt. Here the other
    thread's write is made by hand between two builds."""
    import json

    from brochure.files import file_hash
    from brochure.render import pdf

    content = _project(tmp_path / "p", "short-handout.yaml")
    build_file(content, tmp_path / "out")
    fonts = [path for path in pdf.FETCHED if path.suffix.lower() in (".ttf", ".otf", ".woff", ".woff2")]
    assert fonts
    for path in fonts:
        pdf.FETCHED[path] = "0" * 64  # another thread's read of other bytes under that name
    try:
        build_file(content, tmp_path / "out")
        data = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    finally:
        for path in fonts:
            pdf.FETCHED[path] = file_hash(path)
    recorded = {key: digest for entry in data["pdfs"].values() for key, digest in entry["inputs"].items()
                if key.endswith((".ttf", ".otf", ".woff", ".woff2"))}
    assert recorded and "0" * 64 not in recorded.values(), recorded


def test_threads_build_an_english_and_a_spanish_handout_at_once(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The studio's threads: two handouts sharing a body, built at once twice over with every memo
    warm, are the bytes each builds alone with the bodies memo and the hot paths off."""
    import threading

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    sources = {"en": _project(tmp_path / "en", "short-handout.yaml"),
               "es": _project(tmp_path / "es", "es-diabetes-handout.yaml", ("lang: es-US", "lang: es"))}
    patches.install()
    alone: dict[str, dict[str, bytes]] = {}
    markup.remember(False)
    hotpaths.enabled(False)
    try:
        for lang, content in sources.items():
            build_file(content, tmp_path / f"alone-{lang}")
            alone[lang] = _pdfs(tmp_path / f"alone-{lang}")
    finally:
        markup.remember(True)
        hotpaths.enabled(True)
    failures: list[str] = []

    def work(lang: str, round_: int) -> None:
        out = tmp_path / f"at-once-{lang}-{round_}"
        try:
            build_file(sources[lang], out)
        except Exception as error:  # said below, with the thread's language
            failures.append(f"{lang} {round_}: {error!r}")
            return
        if _pdfs(out) != alone[lang]:
            failures.append(f"{lang} {round_}: other bytes")

    for round_ in range(2):
        threads = [threading.Thread(target=work, args=(lang, round_)) for lang in sources]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
        assert not any(thread.is_alive() for thread in threads), "a build hangs"
    assert failures == []
