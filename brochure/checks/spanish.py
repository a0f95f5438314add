"""Spanish: syllables by Spanish rules, and the readability formulas made for Spanish.

Why not Flesch-Kincaid on Spanish: its weights were fitted to English, where words are
shorter; a Spanish word has about two syllables where its English twin has one and a half,
so the same message scores grades higher in Spanish. The formulas here were fitted to Spanish:

- Fernández-Huerta (1959): L = 206.84 − 60 Y/W − 1.02 W/S (syllables per word, words per
  sentence; often misquoted with "sentences per 100 words", which rewards long sentences).
  0 to 100, higher is easier; 60 to 70 reads at 7th to 8th grade.
- Szigriszt-Pazos (1993): P = 206.835 − 62.3 Y/W − W/S, read on the INFLESZ scale of
  Barrio-Cantalejo et al. (2008), which patient-education research in Spanish uses:
  under 40 very difficult, 40-55 somewhat difficult, 55-65 normal (the floor asked of
  health texts), 65-80 quite easy, over 80 very easy.

A Spanish syllable has one vowel nucleus, so syllables are counted from the vowels: two
strong vowels (a, e, o) side by side are two syllables (le-er), an accented í or ú beside
another vowel too (dí-a, pa-ís); any other pair or trio is one (cie-lo, buey); the u of
que, qui, gue, gui is silent, and a y that ends a word is a vowel (hoy, muy). pyphen's
Spanish dictionary agrees wherever its rules let it split (it never splits next to a word's
ends, nor between vowels); the tests compare the two.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from ..content import Path_, dotted
from .findings import Finding
from .text import spelt, words

_STRONG = set("aeoáéó")
_ACCENTED_WEAK = set("íú")
_VOWELS = _STRONG | _ACCENTED_WEAK | set("iuü")


def _nuclei(group: str) -> int:
    """Syllables in a run of vowels: one, plus one for each hiatus inside it."""
    count = 1
    for first, second in pairwise(group):
        if (first in _STRONG and second in _STRONG) or first in _ACCENTED_WEAK or second in _ACCENTED_WEAK:
            count += 1
    return count


@lru_cache(maxsize=20_000)
def syllables(word: str) -> int:
    """Syllables in a Spanish ``word``; a number counts one, an acronym one a letter."""
    said = spelt(word, "A-ZÁÉÍÓÚÑ")  # NMDA, TEPT: said letter by letter
    if said is not None:
        return said
    total = 0
    for part in re.split(r"[-.'\u2019]", word.lower()):
        part = re.sub(r"(?<=[qg])u(?=[eéií])", "", part)  # que, qui, gue, gui: the u is silent
        part = re.sub(r"y$", "i", part)  # hoy, muy, rey: a final y is a vowel
        part = re.sub(r"y(?![aeiouáéíóúü])", "i", part)  # "y" alone, and before a consonant
        groups = re.findall(r"[aeiouáéíóúü]+", part)
        total += sum(_nuclei(group) for group in groups)
    return max(1, total)


@dataclass(frozen=True)
class Score:
    """Counts of a Spanish text and its two readability scores (0 to 100, higher is easier)."""

    sentences: int
    words: int
    syllables: int

    @property
    def fernandez_huerta(self) -> float:
        if not self.words:
            return 100.0
        return 206.84 - 60 * self.syllables / self.words - 1.02 * self.words / self.sentences

    @property
    def szigriszt_pazos(self) -> float:
        """The perspicuity index, read on the INFLESZ scale."""
        if not self.words:
            return 100.0
        return 206.835 - 62.3 * self.syllables / self.words - self.words / self.sentences


def score(sentences: Iterable[str]) -> Score:
    """Counts and scores of sentences already split (each bullet its own sentence)."""
    n_sentences = n_words = n_syllables = 0
    for sentence in sentences:
        counts = [syllables(w) for w in words(sentence)]
        if counts:
            n_sentences += 1
            n_words += len(counts)
            n_syllables += sum(counts)
    return Score(n_sentences, n_words, n_syllables)


# Fernández-Huerta's scale with the school grades it was published with (as Flesch's):
# 90 4th grade, 80 5th, 70 6th, 60 7th-8th, 50 9th-10th, 30 college.
_GRADES = ((100.0, 3.0), (90.0, 4.0), (80.0, 5.0), (70.0, 6.0), (60.0, 8.0), (50.0, 10.0), (30.0, 14.0), (0.0, 18.0))

INFLESZ = ((80.0, "very easy"), (65.0, "quite easy"), (55.0, "normal"), (40.0, "somewhat difficult"),
           (float("-inf"), "very difficult"))
FERNANDEZ_HUERTA = ((90.0, "very easy"), (80.0, "easy"), (70.0, "fairly easy"), (60.0, "normal"),
                    (50.0, "fairly difficult"), (30.0, "difficult"), (float("-inf"), "very difficult"))


def band(value: float, scale: tuple[tuple[float, str], ...]) -> str:
    return next(name for floor, name in scale if value >= floor)


def grade(fernandez_huerta: float) -> float:
    """The school grade a Fernández-Huerta score stands for, between the published points."""
    value = min(100.0, max(0.0, fernandez_huerta))
    for (high, high_grade), (low, low_grade) in pairwise(_GRADES):
        if value >= low:
            return high_grade + (high - value) / (high - low) * (low_grade - high_grade)
    return _GRADES[-1][1]


def minimum_fernandez_huerta(target_grade: float) -> float:
    """The lowest Fernández-Huerta score that still reads at ``target_grade`` or lower: 60 for grade 8."""
    target = min(18.0, max(3.0, target_grade))
    for (high, high_grade), (low, low_grade) in pairwise(_GRADES):
        if target <= low_grade:
            return high - (target - high_grade) / (low_grade - high_grade) * (high - low)
    return 0.0


def minimum_inflesz(target_grade: float) -> float:
    """The lowest INFLESZ score for the target: 55 ("normal", the floor for health texts) from grade 7
    on, 65 ("quite easy") for grades 5 and 6, 80 ("very easy") below."""
    if target_grade >= 7:
        return 55.0
    return 65.0 if target_grade >= 5 else 80.0


def _message(what: str, value: Score, target: float) -> str:
    fh, sp = value.fernandez_huerta, value.szigriszt_pazos
    return (f"{what} reads at {fh:.1f} on Fernández-Huerta ({band(fh, FERNANDEZ_HUERTA)}, about grade "
            f"{grade(fh):.1f}) and {sp:.1f} on Szigriszt-Pazos ({band(sp, INFLESZ)} on the INFLESZ scale); for grade "
            f"{target:g} or lower, aim at {minimum_fernandez_huerta(target):.0f} or more and {minimum_inflesz(target):.0f} "
            f"or more (higher is easier)")


def _over(value: Score, target: float) -> bool:
    return (round(value.fernandez_huerta, 1) < minimum_fernandez_huerta(target)
            or round(value.szigriszt_pazos, 1) < minimum_inflesz(target))


def reading_level(texts: list[tuple[Path_, list[str]]], file: str, lines: dict[Path_, int], parts: str,
                  target: float) -> list[Finding]:
    """Fernández-Huerta and INFLESZ of the whole article and of each part, below the target's scores.

    ``texts`` are the intro and each section body as sentences; ``parts`` names them for the message.
    """
    findings = []
    whole = score(s for _, sentences in texts for s in sentences)
    if whole.sentences:  # within the target, a note: the staff see which formulas measured the Spanish
        findings.append(Finding("reading-level", "warning" if _over(whole, target) else "info", file, None, "",
                                _message(f"the article as a whole ({parts})", whole, target)))
    for path, sentences in texts:
        value = score(sentences)
        if value.sentences and _over(value, target):
            findings.append(Finding("reading-level", "warning", file, lines.get(path), dotted(path),
                                    _message("this text", value, target)))
    return findings
