"""Reading: findings for reading level (Flesch-Kincaid, SMOG) and sentences too long."""

from __future__ import annotations

from ..content import Brochure, Checks, Source, dotted
from . import spanish
from .findings import Finding, Severity
from .languages import language_of
from .text import WORD, Readability, articles, readability, sentences_in, words

# --- reading level and long sentences ------------------------------------------------------

FEW_SENTENCES = 3  # under this, SMOG (a formula for 30 sentences) says next to nothing


def _grade_message(what: str, score: Readability, target: float) -> str:
    fk, smog = round(score.flesch_kincaid, 1), round(score.smog, 1)
    if _severity(score, target) == "info":
        count = f"{score.sentences} sentence{'s' * (score.sentences != 1)}"
        return (f"{what} reads at grade {fk:.1f} (Flesch-Kincaid), within the target of grade {target:g}; "
                f"SMOG gives {smog:.1f}, but on {count} SMOG says little: look at its longest words")
    message = (f"{what} reads at grade {fk:.1f} (Flesch-Kincaid) and {smog:.1f} (SMOG); "
               f"the target is grade {target:g} or lower")
    if score.sentences < 30:
        message += f". SMOG is rough under 30 sentences (this text has {score.sentences})"
    return message


def _over(score: Readability, target: float) -> bool:
    return round(score.flesch_kincaid, 1) > target or round(score.smog, 1) > target


def _severity(score: Readability, target: float) -> Severity:
    """A warning, except when only SMOG is over on a text of one or two sentences: a note.

    Why: SMOG counts words of three syllables per 30 sentences; on one sentence a single
    "medication" moves it by grades, so alone it would cry wolf on every short section.
    """
    if score.sentences < FEW_SENTENCES and round(score.flesch_kincaid, 1) <= target:
        return "info"
    return "warning"


def reading_level(brochure: Brochure, source: Source, settings: Checks) -> list[Finding]:
    """SMOG and Flesch-Kincaid grades of the whole article and of each part, over the target.

    Spanish is measured with Spanish formulas (``spanish``); a language with no formula gets a
    note saying so, never English's grades.
    """
    texts = articles(brochure, source)
    language = language_of(brochure.lang)
    parts = "the intro and " * bool(brochure.intro) + f"{len(brochure.sections)} sections"
    if language.code == "es":
        sentences = [(path, [s for _, _, s in sentences_in(blocks, language.never_end)]) for path, blocks in texts]
        return spanish.reading_level(sentences, source.file, source.lines, parts, settings.target_grade)
    if language.code != "en":
        return [Finding("reading-level", "info", source.file, source.lines.get(("lang",)), "lang",
                        f"the reading level is not measured: brochure has no readability formula for {language.name}, "
                        "and English's would give wrong grades; have a reader of the language review it")]
    findings = []
    whole = readability(s for _, blocks in texts for _, _, s in sentences_in(blocks))
    if whole.sentences and _over(whole, settings.target_grade):
        findings.append(Finding("reading-level", _severity(whole, settings.target_grade), source.file, None, "",
                                _grade_message(f"the article as a whole ({parts})", whole, settings.target_grade)))
    for path, blocks in texts:
        score = readability(s for _, _, s in sentences_in(blocks))
        if score.sentences and _over(score, settings.target_grade):
            findings.append(Finding("reading-level", _severity(score, settings.target_grade), source.file,
                                    source.lines.get(path), dotted(path),
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
    never_end = language_of(brochure.lang).never_end
    for path, blocks in articles(brochure, source):
        for block, offset, sentence in sentences_in(blocks, never_end):
            count = len(words(sentence))
            if count > limit:
                findings.append(Finding(
                    "long-sentence", "warning", source.file, block.line_at(offset), dotted(path),
                    f"a sentence of {count} words (the limit is {limit}): {_opening(sentence)}"))
    return findings
