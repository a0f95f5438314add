"""The memo of rendered Markdown bodies (``markup.markdown``), attacked: every body's HTML, with
the memo warm from other documents, is the HTML the renderer writes without it.

What a body's HTML depends on beyond its text is changed between two renders of that text:
the labels, the language, the merged values, hyphenation and heading level, one character of
the text; and what a body reads from the other bodies of its document: footnotes, numbered
through the document, and link references (``[x]: url``) one body defines for the next.
Threads render at once; the memo keeps no more than its bound.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from brochure.render import blocks, markup

Words = Callable[[str], str]
ENGLISH = {"callout_warning": "Warning", "callout_tip": "Tip", "callout_note": "Note", "callout_caution": "Caution",
           "callout_important": "Important", "box_to_tick": "Box to tick", "ticked_box": "Ticked box",
           "sources": "Sources"}
SPANISH = {**ENGLISH, "callout_warning": "Advertencia", "callout_tip": "Consejo", "box_to_tick": "Casilla para marcar"}

BODIES = [
    "Call **(913) 871-9888** or visit cdc.gov/flu. Northwestern patients park behind the hospital early.",
    "::: warning When to call\nCall 911 or 112 if you faint. Do not drive for 24 hours.\n:::",
    "# Before\n\nSome text.\n\n## Details\n\n- [ ] Your insurance card\n- [x] Your medicines\n",
    "| Medicine | When |\n|---|---|\n| Acetaminophen | Every 6 hours |\n",
    "Ask at 4500 Alameda Boulevard, Northwestern Tower, about transportation and parking.",
    "Email info@valley-gastroenterology.org or write to northwestern-rehabilitation-institute.org.",
    "1. First\n2. Second\n3. Third\n",
]


@pytest.fixture(autouse=True)
def _fresh_memo() -> Iterator[None]:
    markup.remember(True)
    yield
    markup.remember(True)


def _notes(lang: str = "en", labels: dict[str, str] | None = None, merged: Sequence[str] = ()) -> blocks.Notes:
    words: Words | None = None if labels is None else labels.__getitem__
    notes = blocks.Notes(labels=words)
    notes.env[blocks.LANG] = lang
    notes.env[blocks.MERGED] = tuple(merged)
    return notes


def _document(bodies: Sequence[str], **options: Any) -> list[str]:
    """Every body of one document, as the template renders them (print: whole words, the
    intro at level 2), then its notes."""
    notes = _notes(**options)
    html = [str(markup.markdown(body, notes, True, 2 if n == 0 else 3)) for n, body in enumerate(bodies)]
    return [*html, str(notes.html())]


def _cold(bodies: Sequence[str], **options: Any) -> list[str]:
    markup.remember(False)
    try:
        return _document(bodies, **options)
    finally:
        markup.remember(True)


def _warm(bodies: Sequence[str], **options: Any) -> list[str]:
    """The document rendered twice with the memo on: the second from the memo."""
    first = _document(bodies, **options)
    second = _document(bodies, **options)
    assert first == second
    return second


def test_a_warm_document_is_the_cold_one_and_is_remembered() -> None:
    expected = _cold(BODIES)
    assert _warm(BODIES) == expected
    assert sorted(text for text, _ in markup.remembered()) == sorted(BODIES)


@pytest.mark.parametrize("change", [
    {"labels": SPANISH}, {"labels": {**ENGLISH, "ticked_box": "Box ticked"}}, {"lang": "es"}, {"lang": "es-MX", "labels": SPANISH},
    {"merged": ("Alameda Boulevard", "transportation")}, {"merged": ("behind the hospital",)},
])
def test_a_label_language_or_merged_value_changed_between_builds(change: dict[str, Any]) -> None:
    _warm(BODIES)  # remembered in English, no labels, nothing merged
    expected = _cold(BODIES, **change)
    assert expected != _cold(BODIES), "the change shows in the HTML"
    assert _warm(BODIES, **change) == expected
    assert _warm(BODIES) == _cold(BODIES)


def test_hyphenation_and_heading_level_are_in_the_key() -> None:
    body = BODIES[2] + "\n" + BODIES[0]
    outs = {}
    for whole in (True, False):
        for level in (2, 3, 4):
            markup.remember(False)
            cold = str(markup.markdown(body, None, whole, level))
            markup.remember(True)
            outs[whole, level] = cold
    for _ in range(2):
        for (whole, level), cold in outs.items():
            assert str(markup.markdown(body, None, whole, level)) == cold
    assert len(set(outs.values())) == len(outs)


def test_a_text_changed_by_one_character() -> None:
    _warm(BODIES)
    for n, body in enumerate(BODIES):
        for i in (0, len(body) // 2, len(body) - 1):
            changed = [*BODIES]
            changed[n] = body[:i] + ("x" if body[i] != "x" else "y") + body[i + 1:]
            assert _warm(changed) == _cold(changed)


def test_a_link_reference_defined_in_another_body() -> None:
    alone = ["Intro.", "See [our page] for more."]
    assert "<a " not in _warm(alone)[1]  # remembered without a link
    bodies = ["[our page]: https://clinic.example.org/after\n\nIntro.", "See [our page] for more."]
    html = _warm(bodies)
    assert html == _cold(bodies)
    assert 'href="https://clinic.example.org/after"' in html[1]
    assert _warm(alone) == _cold(alone)


def test_footnotes_are_numbered_through_the_document() -> None:
    bodies = ["First.[^a]\n\n[^a]: Note a.", BODIES[0], "Second.[^b] And a again.[^a]\n\n[^b]: Note b.",
              BODIES[1], "Third, from a later body.[^c]", "[^c]: Note c, defined last."]
    _warm(BODIES)
    assert _warm(bodies) == _cold(bodies)
    reordered = [bodies[2], bodies[0], *bodies[3:]]
    assert _warm(reordered) == _cold(reordered)
    notes = _warm(reordered)[-1]
    assert notes.index("Note b.") < notes.index("Note a.") and 'id="note-2"' in notes


def test_a_body_without_notes_leaves_the_documents_notes_as_they_were() -> None:
    notes = _notes()
    markup.markdown("Text.[^a]\n\n[^a]: Note a.", notes, True)
    state = repr(notes.env["footnotes"])
    for _ in range(2):
        markup.markdown(BODIES[0], notes, True)
        assert repr(notes.env["footnotes"]) == state


def test_a_missing_label_fails_with_and_without_the_memo() -> None:
    lacking = {k: v for k, v in ENGLISH.items() if k != "callout_warning"}
    for flag in (False, True, True):
        markup.remember(flag)
        assert _document([BODIES[0]], labels=lacking) == _cold([BODIES[0]], labels=lacking)
        with pytest.raises(KeyError):
            _document([BODIES[1]], labels=lacking)


def test_threads_render_at_once() -> None:
    variants = [{"lang": lang, "labels": labels} for lang in ("en", "es") for labels in (None, ENGLISH, SPANISH)]
    texts = [BODIES[n:] + BODIES[:n] for n in range(len(BODIES))]
    expected = {(v, t): _cold(texts[t], **variants[v]) for v in range(len(variants)) for t in range(len(texts))}
    failures: list[str] = []

    def work(seed: int) -> None:
        for round_ in range(3):
            for v in range(len(variants)):
                t = (seed + v + round_) % len(texts)
                if _document(texts[t], **variants[v]) != expected[v, t]:
                    failures.append(f"thread {seed}: variant {v}, text {t}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a thread hangs"
    assert failures == []


def test_the_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(markup, "BODIES_KEPT", 20_000)
    markup.remember(True)
    for n in range(300):
        markup.markdown(f"Paragraph {n}: " + "word " * 40, None, True)
    kept = markup.remembered()
    assert sum(size for _, size in kept) <= 20_000
    assert 20 < len(kept) < 300
    assert kept[-1][0].startswith("Paragraph 299:"), "the most recent is kept"
    huge = "Long. " * 5_000
    shown = str(markup.markdown(huge, None, True))
    markup.remember(False)
    assert shown == str(markup.markdown(huge, None, True))
    markup.remember(True)
    assert all(text != huge for text, _ in markup.remembered()), "a body larger than the bound is never kept"


def test_off_forgets_everything() -> None:
    _warm(BODIES)
    markup.remember(False)
    assert not markup.remembered()
    _document(BODIES)
    assert not markup.remembered()
