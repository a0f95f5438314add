"""Rarity: words few readers meet in everyday use, left unexplained, in any subject and language.

Why by frequency and not by a list: plain-language reviewers find hard words by how rare
they are, and a list knows only the subjects someone wrote it for (the bundled lists are
mostly about ketamine; a diabetes handout's "hiperglucemia, nefropatía, retinopatía" are in
none). ``wordfreq`` (PyPI, its data ships with it, no network) gives each word's frequency
in everyday text as a Zipf value: about 7 for "the", 4 for "diabetes", 2 for "nefropatía".
A word under ``RARE`` whose every use goes unexplained (as the language writes an
explanation, ``languages``) is a finding, at its first use.

Never reported: names and places (a word the text writes capitalised inside a sentence,
next to another capitalised word, or in a table's cell: "Metformin | 500 mg"), the clinic's own words and any merged value (the words
of ``clinic`` and ``location`` fields, which fill ``{clinic.name}``, ``{location.hours}``),
abbreviations in capitals, words with digits, short words, addresses, and the words of
the clinic's ``checks.glossary`` (in ``brochure.yaml`` for a whole project) or of the
bundled ``wordlists/<folder>/everyday.txt``. The bundled term lists stay as additions:
their terms are reported by ``terms.jargon``, not twice here.
"""

from __future__ import annotations

import bisect
import gzip
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache

from ..content import Brochure, Checks
from .findings import Finding
from .languages import Language
from .terms import WORDLISTS, explanation, load_terms
from .text import Block

RARE = 3.0  # Zipf: under about one use per million words of everyday text
_MIN_LETTERS = 5
# A word: letters (any script) with inner apostrophes or hyphens; not part of an address.
_WORD = re.compile(r"(?<![\w@./:-])[^\W\d_](?:[^\W\d_]|['\u2019-](?=[^\W\d_]))*(?![\w@]|\.[^\W\d_]|/)")
_SENTENCE_START = re.compile(r"(?:^|[.!?\u2026:;]\s+|[\u00bf\u00a1\"\u201c(\-\u2013\u2014•*]\s*)$")


# What wordfreq's look-ups need, read without loading wordfreq (tools/common_words.py made it).
COMMON = WORDLISTS / "common"


@lru_cache(maxsize=1)
def _languages() -> frozenset[str]:
    return frozenset((COMMON / "languages.txt").read_text(encoding="utf-8").split())


def knows(code: str) -> bool:
    """Whether word frequencies of the language ``code`` (``fr``) are known."""
    return code in _languages()


@lru_cache(maxsize=65536)
def zipf(word: str, code: str) -> float:
    """How often ``word`` is used in everyday ``code`` text: a Zipf value, 0 when unknown."""
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, code))


# Endings (and Arabic's attached words) that make a common word look rare: "registramos",
# "llámenos" (call us), "drips", "بالكيتامين" (with the ketamine). A word is common when one
# of its forms without them is, or when it starts like a common word ("abrigada", "abrigo").
_PREFIXES = {"ar": ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "ك", "س")}
_SUFFIXES = {
    "en": ("'s", "s", "es", "ed", "d", "ing", "ly", "ness", "er", "ers", "ment", "ments"),
    "es": ("nos", "los", "las", "les", "lo", "la", "le", "me", "te", "se", "s", "es", "mos", "remos", "ron",
           "ado", "ada", "ados", "adas", "ido", "ida", "idos", "idas", "ando", "iendo", "mente"),
    "ar": ("هما", "هم", "هن", "ها", "كم", "نا", "ني", "ه", "ك", "ي", "ات", "ون", "ين", "ان", "ة"),
}
_STEM = 5  # letters a word shares with a common word's start, at least, to count as its form


def _fold(word: str) -> str:
    """``word`` without accents: "llámenos" -> "llamenos"."""
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


def _forms(word: str, code: str) -> set[str]:
    """``word`` and its forms without up to two attached words ("وبجرعات": "and with doses") and
    an ending (never under 3 letters)."""
    bases = {word}
    for _ in range(2):
        bases |= {base[len(p):] for base in bases for p in _PREFIXES.get(code, ())
                  if base.startswith(p) and len(base) - len(p) >= 3}
    forms = set(bases)
    for base in bases:
        forms |= {base[:-len(s)] for s in _SUFFIXES.get(code, ()) if base.endswith(s) and len(base) - len(s) >= 3}
    return forms | {_fold(form) for form in forms}


@lru_cache(maxsize=20_000)
def _key(word: str, code: str) -> str:
    """One word for all its forms, so each is reported once: the shortest form (remembered:
    ``watch`` looks at the same words at every save)."""
    return min(_forms(word, code), key=lambda form: (len(form), form))


@lru_cache(maxsize=8)
def _common_starts(code: str, rare: float) -> frozenset[str]:
    """The starts (``_STEM`` letters or more, accents folded) of every common word of ``code``."""
    from wordfreq import get_frequency_dict

    least = 10 ** (rare - 9)  # a Zipf value is log10 of the frequency per billion words
    starts: set[str] = set()
    for word, frequency in get_frequency_dict(code).items():
        if frequency < least:
            continue
        folded = _fold(word)
        starts.update(folded[:n] for n in range(_STEM, len(folded) + 1))
    return frozenset(starts)


@dataclass(frozen=True)
class _Common:
    """A language's common tokens (``COMMON/<code>.txt.gz``): each one's wordfreq bucket, and
    the letters whose words wordfreq reads as they are."""

    alphabet: frozenset[str]
    buckets: dict[str, int]  # token: centibels under 1 (its frequency is 10 ** (-bucket / 100))

    def tokens(self, form: str) -> list[str] | None:
        """wordfreq's tokens of ``form``, or None when it may read it otherwise (another letter,
        an elision such as "l'eau" that it splits): split at hyphens, no apostrophe at the end."""
        tokens = []
        for part in form.split("-"):
            part = part.rstrip("'")
            if not part:
                continue
            if not self.alphabet.issuperset(part.replace("'", "")) or "'" in part[:3]:
                return None
            tokens.append(part)
        return tokens

    def common(self, tokens: list[str], rare: float) -> bool:
        """wordfreq's ``zipf_frequency(form) >= rare`` for a form of these ``tokens``, worked out
        as wordfreq does (its frequencies combined, then rounded); a token rarer than the
        table's threshold makes the whole rarer still."""
        if not tokens:
            return False
        one_over = 0.0
        for token in tokens:
            bucket = self.buckets.get(token)
            if bucket is None:
                return False
            one_over += 1.0 / 10 ** (-bucket / 100)
        frequency = 1.0 / one_over
        frequency = round(frequency, math.floor(-math.log(frequency, 10)) + 3)
        return round(math.log(frequency, 10) + 9, 2) >= rare

    @cached_property
    def starts(self) -> list[str]:
        """Every common token with its accents folded, sorted: the starts of common words."""
        return sorted({token if token.isascii() else _fold(token) for token in self.buckets})

    def starts_like(self, start: str) -> bool:
        """Whether a common word, accents folded, starts with ``start`` (``_STEM`` letters or more)."""
        if len(start) < _STEM:
            return False
        index = bisect.bisect_left(self.starts, start)
        return index < len(self.starts) and self.starts[index].startswith(start)


@lru_cache(maxsize=8)
def _table(code: str) -> _Common | None:
    """``code``'s common tokens at ``RARE``, or None when brochure ships none for it."""
    path = COMMON / f"{code}.txt.gz"
    if not path.is_file():
        return None
    header, alphabet, *lines = gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()
    if f"Zipf {RARE} or more" not in header:
        return None
    buckets = {}
    for line in lines:
        bucket, _, tokens = line.partition("\t")
        buckets.update(dict.fromkeys(tokens.split(" "), int(bucket)))
    return _Common(frozenset(alphabet), buckets)


def common(word: str, code: str, rare: float = RARE) -> bool:
    """Whether ``word`` (lower case) is in everyday use in ``code``: it, or one of its forms, is
    not rare, or it starts like a common word for all but its last four letters.

    Answered from the shipped table (``_table``) where it holds the answer, which is wordfreq's;
    wordfreq itself is asked only about a form the table cannot read, or at another threshold."""
    table = _table(code) if rare == RARE else None
    forms = _forms(word, code)
    if table is not None:
        unsure = []
        for form in forms:
            tokens = table.tokens(form)
            if tokens is None:
                unsure.append(form)
            elif table.common(tokens, rare):
                return True
        forms = set(unsure)
    if any(zipf(form, code) >= rare for form in forms):
        return True
    folded = _fold(word)
    start = folded[:max(_STEM, len(folded) - 4)]
    return table.starts_like(start) if table is not None else start in _common_starts(code, rare)


@lru_cache(maxsize=16)
def _everyday(folder: str) -> frozenset[str]:
    """A language's bundled exceptions: words rare in print yet everyday for patients."""
    path = WORDLISTS / folder / "everyday.txt" if folder else WORDLISTS / "everyday.txt"
    if not path.is_file():
        return frozenset()
    entries = (line.split("#", 1)[0].strip().lower() for line in path.read_text(encoding="utf-8").splitlines())
    return frozenset(entry for entry in entries if entry)


def own_words(brochure: Brochure) -> set[str]:
    """The clinic's own words: its name, address, website, email and every location field,
    as they fill merged values (lower case)."""
    clinic = brochure.clinic
    texts = [clinic.name, clinic.address or "", clinic.website or "", clinic.email or ""]
    texts += list((brochure.location or {}).values())
    return {w.lower() for text in texts for w in re.findall(r"[^\W\d_]+", str(text))}


@dataclass(frozen=True)
class _Use:
    block: Block
    match: re.Match[str]


def _capitalised(word: str) -> bool:
    return word[:1].isupper() and not word.isupper()


def rare_words(blocks: list[Block], file: str, language: Language, settings: Checks, brochure: Brochure,
               rare: float = RARE) -> list[Finding]:
    """A finding for each rare word the text never explains, at its first use."""
    code = language.code
    if not knows(code):
        return []
    skip = own_words(brochure) | (_everyday(language.wordlists) if language.wordlists is not None else frozenset())
    skip |= {w.lower() for entry in settings.glossary for w in re.findall(r"[^\W\d_]+", entry)}
    listed = load_terms(tuple(settings.extra_terms), language.wordlists)
    uses: dict[str, list[_Use]] = {}
    names: set[str] = set()
    for block in blocks:
        if block.kind == "note":
            continue
        listed_spans = [m.span() for _, pattern in listed for m in pattern.finditer(block.text)]
        for match in _WORD.finditer(block.text):
            word = match.group()
            lower = word.lower().replace("\u2019", "'")
            if word.isupper() or len(word) < _MIN_LETTERS:
                continue
            if any(start <= match.start() < end for start, end in listed_spans):
                continue  # a listed term: terms.jargon reports it
            before = block.text[:match.start()]
            if _capitalised(word):
                following = re.match(r"[\s,]*([^\W\d_]+)", block.text[match.end():])
                if not _SENTENCE_START.search(before) or (following is not None and _capitalised(following[1])) \
                        or block.kind == "cell":
                    # A name or a place: capitalised inside a sentence, or before another, or in a
                    # table's cell, which is no sentence ("Metformin | 500 mg | twice a day").
                    names.add(lower)
                    continue
            uses.setdefault(_key(lower, code), []).append(_Use(block, match))
    findings = []
    for found in uses.values():
        lower = found[0].match.group().lower().replace("\u2019", "'")
        if lower in skip or lower in names or any(part in skip or part in names for part in lower.split("-")):
            continue
        if common(lower, code, rare) or all(common(part, code, rare) for part in lower.split("-") if part):
            continue
        if any(explanation(use.block.text, use.match, language) is not None for use in found):
            continue
        first = found[0]
        findings.append(Finding(
            "jargon", "warning", file, first.block.line_at(first.match.start()), first.block.key,
            f"\u201c{first.match.group()}\u201d is a word few readers know; explain it in plain words where it first "
            f"appears, {language.explain_example}, or add it to checks.glossary if your readers know it"))
    return findings


def measured(words: Iterable[str], code: str) -> dict[str, float]:
    """Each word's Zipf value (a helper for reports and tests)."""
    return {word: zipf(word.lower(), code) for word in words}
