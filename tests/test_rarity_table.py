"""The shipped table of common words (``checks/wordlists/common``, tools/common_words.py) gives
the rare-word check wordfreq's own answers: on every word of the seed, the examples and the
corpus, in each shipped language, and on every token of the table; and it is what wordfreq
3.1.1 (pinned) makes today, byte for byte."""

from __future__ import annotations

import importlib.util
import itertools
import re
from pathlib import Path

import pytest
from conftest import REPO

pytest.importorskip("wordfreq", reason="wordfreq (PyPI) is a pinned dependency: bash setup.sh")

from wordfreq import available_languages, zipf_frequency

from brochure.checks import rarity

SHIPPED = ("en", "es", "ar")


def _tool() -> object:
    spec = importlib.util.spec_from_file_location("common_words", REPO / "tools" / "common_words.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _wordfreq_common(word: str, code: str) -> bool:
    """``rarity.common`` as it was before the table: every answer from wordfreq itself."""
    if any(zipf_frequency(form, code) >= rarity.RARE for form in rarity._forms(word, code)):
        return True
    folded = rarity._fold(word)
    return folded[:max(rarity._STEM, len(folded) - 4)] in rarity._common_starts(code, rarity.RARE)


def _words() -> set[str]:
    """Every word (as the check finds and lowers it) of the seed, the examples and the corpus."""
    files = [REPO / "content.yaml", *(REPO / "examples").rglob("*.yaml"), *(REPO / "tests" / "corpus").glob("*.yaml")]
    words = {m.group() for path in files for m in rarity._WORD.finditer(path.read_text(encoding="utf-8"))}
    return {w.lower().replace("\u2019", "'") for w in words if len(w) >= rarity._MIN_LETTERS and not w.isupper()}


def test_the_table_is_what_wordfreq_makes(tmp_path: Path) -> None:
    tool = _tool()
    for code in SHIPPED:
        made = tool.write(code, tmp_path)  # type: ignore[attr-defined]
        assert made.read_bytes() == (rarity.COMMON / made.name).read_bytes(), f"run tools/common_words.py {code}"
    assert (rarity.COMMON / "languages.txt").read_text(encoding="utf-8") == tool.languages()  # type: ignore[attr-defined]
    assert all(rarity.knows(code) for code in available_languages()) and not rarity.knows("xx")


@pytest.mark.parametrize("code", SHIPPED)
def test_every_word_of_the_seed_examples_and_corpus_gets_wordfreq_s_answer(code: str) -> None:
    words = sorted(_words())
    assert len(words) > 1000
    differ = [w for w in words if rarity.common(w, code) != _wordfreq_common(w, code)]
    assert not differ
    # The table answered most of them itself, without wordfreq: the point of it.
    table = rarity._table(code)
    assert table is not None
    read = sum(table.tokens(form) is not None for w in words for form in rarity._forms(w, code))
    assert read > 0.9 * sum(len(rarity._forms(w, code)) for w in words) or code == "ar"


@pytest.mark.parametrize("code", SHIPPED)
def test_every_token_of_the_table_and_their_joins_get_wordfreq_s_answer(code: str) -> None:
    table = rarity._table(code)
    assert table is not None
    tokens = sorted(table.buckets)
    for token in tokens:
        if (found := table.tokens(token)) is not None:
            assert table.common(found, rarity.RARE) == (zipf_frequency(token, code) >= rarity.RARE), token
    # Joined by hyphens, with an apostrophe at the end, and near the threshold: the rounding.
    edge = [t for t in tokens if table.buckets[t] >= 590][:300] + tokens[:40] + [t for t in tokens if "'" in t][:40]
    for a, b in itertools.product(edge[::7], repeat=2):
        for form in (f"{a}-{b}", f"{a}'", f"{a}-{b}'", f"{a}x'{b}", f"l'{b}", f"{a}-"):
            if (found := table.tokens(form)) is not None:
                assert table.common(found, rarity.RARE) == (zipf_frequency(form, code) >= rarity.RARE), form


def test_a_word_the_table_cannot_read_is_asked_of_wordfreq() -> None:
    table = rarity._table("en")
    assert table is not None
    # An elision wordfreq splits, a letter of another script, a mark: wordfreq answers.
    for form in ("l'eau", "qu'elle", "naïveté\u0301", "straße", "καλημέρα"):
        assert table.tokens(form) is None
    assert rarity.common("straße", "en") == _wordfreq_common("straße", "en")
    assert rarity.common("nefropatía", "es") is False and rarity.common("llámenos", "es") is True
    assert re.fullmatch(r"[a-z]+", "".join(sorted(table.alphabet))[:26])
