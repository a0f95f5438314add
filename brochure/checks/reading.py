"""Reading: findings for reading level (Flesch-Kincaid, SMOG) and sentences too long."""

from __future__ import annotations

from ..content import Brochure, Checks, Source, dotted
from .findings import Finding
from .text import WORD, Readability, articles, readability, sentences_in, words

# --- reading level and long sentences ------------------------------------------------------

def _grade_message(what: str, score: Readability, target: float) -> str:
    fk, smog = round(score.flesch_kincaid, 1), round(score.smog, 1)
    message = (f"{what} reads at grade {fk:.1f} (Flesch-Kincaid) and {smog:.1f} (SMOG); "
               f"the target is grade {target:g} or lower")
    if score.sentences < 30:
        message += f". SMOG is rough under 30 sentences (this text has {score.sentences})"
    return message


def _over(score: Readability, target: float) -> bool:
    return round(score.flesch_kincaid, 1) > target or round(score.smog, 1) > target


def reading_level(brochure: Brochure, source: Source, settings: Checks) -> list[Finding]:
    """SMOG and Flesch-Kincaid grades of the whole article and of each part, over the target."""
    texts = articles(brochure, source)
    findings = []
    whole = readability(s for _, blocks in texts for _, _, s in sentences_in(blocks))
    if whole.sentences and _over(whole, settings.target_grade):
        parts = "the intro and " * bool(brochure.intro) + f"{len(brochure.sections)} sections"
        findings.append(Finding("reading-level", "warning", source.file, None, "",
                                _grade_message(f"the article as a whole ({parts})", whole, settings.target_grade)))
    for path, blocks in texts:
        score = readability(s for _, _, s in sentences_in(blocks))
        if score.sentences and _over(score, settings.target_grade):
            findings.append(Finding("reading-level", "warning", source.file, source.lines.get(path), dotted(path),
                                    _grade_message("this text", score, settings.target_grade)))
    return findings


def _opening(sentence: str, count: int = 8) -> str:
    """The first words of a sentence, quoted, so the clinic can find it."""
    found = list(WORD.finditer(sentence))
    if len(found) <= count:
        return f"\u201c{sentence}\u201d"
    return f"\u201c{sentence[:found[count - 1].end()]} \u2026\u201d"


def long_sentences(brochure: Brochure, source: Source, settings: Checks) -> list[Finding]:
    """Each sentence of the article longer than ``max_sentence_words``."""
    findings = []
    limit = settings.max_sentence_words
    for path, blocks in articles(brochure, source):
        for block, offset, sentence in sentences_in(blocks):
            count = len(words(sentence))
            if count > limit:
                findings.append(Finding(
                    "long-sentence", "warning", source.file, block.line_at(offset), dotted(path),
                    f"a sentence of {count} words (the limit is {limit}): {_opening(sentence)}"))
    return findings
