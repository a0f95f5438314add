"""Make brochure/checks/wordlists/common/: the words wordfreq calls common, per language (checks.rarity).

A cold build checks each handout's words for rare ones. Loading wordfreq for that (its
imports, langcodes, a language's whole frequency list of 300,000 words) cost about half a
second of CPU per build, for a few hundred look-ups. This writes what those look-ups need,
taken from the installed wordfreq (the version ``pyproject.toml`` pins):

- ``<code>.txt.gz``: every token of the language at or above ``rarity.RARE`` (Zipf 3.0,
  a frequency of 10^-6: buckets 0 to 600 of wordfreq's centibel list), by bucket, one line
  each (``<bucket>\\t<token> <token> ...``), after a header of two lines: the wordfreq
  version and the threshold, and the alphabet: the letters whose words wordfreq reads as
  they are (no normalisation, case folding or mark removal changes them, and a run of them
  is one token), checked here against wordfreq's own tokenizer;
- ``languages.txt``: the languages wordfreq has frequencies for.

``rarity.common`` answers from these for a word of the alphabet (with inner apostrophes and
hyphens), exactly as wordfreq would, and asks wordfreq itself for any other word.
tests/test_rarity_table.py checks that the two agree on every word of the seed, the examples
and the corpus, and on every word of these lists.

    .venv/bin/python tools/common_words.py [en es ar ...]
"""

from __future__ import annotations

import gzip
import itertools
import math
import sys
import unicodedata
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from brochure.checks.rarity import RARE  # noqa: E402

FOLDER = ROOT / "brochure" / "checks" / "wordlists" / "common"
LANGUAGES = ("en", "es", "ar")  # brochure's languages with checks, and the examples' Arabic
_SCRIPTS = {"Latn": "LATIN", "Arab": "ARABIC"}  # the letters kept: of the language's own script


def _zipf_of_bucket(index: int) -> float:
    """wordfreq's zipf_frequency of a single token in bucket ``index`` (its rounding too)."""
    from wordfreq import cB_to_freq, freq_to_zipf

    freq = cB_to_freq(-index)
    freq = round(freq, math.floor(-math.log(freq, 10)) + 3)
    return round(freq_to_zipf(freq), 2)


def _alphabet(code: str, words: list[str]) -> str:
    """The letters of ``code``'s common words that wordfreq reads as they are, each checked."""
    from wordfreq.language_info import get_language_info
    from wordfreq.tokens import lossy_tokenize

    info = get_language_info(code)
    letters = sorted({c for word in words for c in word})
    kept = [c for c in letters
            if unicodedata.category(c) in ("Ll", "Lo") and c.casefold() == c
            and unicodedata.name(c, "").startswith(_SCRIPTS[info["script"]] + " ")
            and unicodedata.normalize("NFKC", c) == c and unicodedata.normalize("NFC", c) == c
            and c != "\u0640"
            and lossy_tokenize(c * 3, code) == [c * 3]]
    assert info["tokenizer"] == "regex" and info["transliteration"] is None and not info["dotless_i"] \
        and info["diacritics_under"] is None and info["lookup_transliteration"] is None, (code, info)
    for a, b in itertools.product(kept, repeat=2):  # a run of them is one token, as it is
        pair = a + b + a
        assert lossy_tokenize(pair, code) == [pair], (code, pair)
        assert lossy_tokenize(pair + "'" + b, code) == [pair + "'" + b], (code, pair)
        assert lossy_tokenize(pair + "-" + b + a, code) == [pair, b + a], (code, pair)
    return "".join(kept)


def write(code: str, folder: Path = FOLDER) -> Path:
    from wordfreq import get_frequency_list

    assert all(_zipf_of_bucket(i) >= RARE for i in range(601)) and _zipf_of_bucket(601) < RARE
    buckets = get_frequency_list(code)[:601]
    alphabet = _alphabet(code, [w for bucket in buckets for w in bucket])
    lines = [f"wordfreq {version('wordfreq')} {code}: tokens of Zipf {RARE} or more, by centibel bucket",
             alphabet]
    lines += [f"{index}\t{' '.join(bucket)}" for index, bucket in enumerate(buckets) if bucket]
    path = folder / f"{code}.txt.gz"
    data = gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), compresslevel=9, mtime=0)
    path.write_bytes(data)
    return path


def languages() -> str:
    """The languages file's text: every language wordfreq has frequencies for."""
    from wordfreq import available_languages

    return " ".join(sorted(available_languages())) + "\n"


def main(argv: list[str]) -> int:
    FOLDER.mkdir(parents=True, exist_ok=True)
    for code in argv or LANGUAGES:
        print(f"wrote {write(code)}")
    (FOLDER / "languages.txt").write_text(languages(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
