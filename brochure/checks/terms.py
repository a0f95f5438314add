"""Terms: findings for medical terms used unexplained and for absolute or unsupported claims,
from the bundled word lists of the handout's language (``wordlists/`` for English,
``wordlists/es/`` for Spanish) and the clinic's own; how an explanation or a negation is
written comes from ``languages``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .findings import Finding
from .languages import ENGLISH, Language
from .text import Block

WORDLISTS = Path(__file__).resolve().parent / "wordlists"


# --- word lists: medical terms and claims -------------------------------------------------------

def read_wordlist(name: str) -> tuple[str, ...]:
    """A bundled list in ``wordlists/``: one entry a line, ``#`` starts a comment."""
    lines = (WORDLISTS / name).read_text(encoding="utf-8").splitlines()
    return tuple(entry for entry in (line.split("#", 1)[0].strip() for line in lines) if entry)


def _pattern(phrase: str, suffix: str) -> re.Pattern[str]:
    """A phrase matched as whole words, any spacing, with an optional ending on its last word."""
    body = r"\s+".join(re.escape(part) for part in phrase.split())
    # An acronym matches only in capitals, so "IM" is not "im" and "IV" is not "iv".
    flags = 0 if phrase.isupper() else re.IGNORECASE
    return re.compile(rf"(?<![\w]){body}{suffix}(?!\w)", flags)


def _bundled(folder: str | None, name: str) -> tuple[str, ...]:
    """A language's bundled list: ``wordlists/<name>`` for English (folder ""), ``wordlists/<folder>/<name>``
    for another language, none for a language with no lists (folder None)."""
    if folder is None:
        return ()
    return read_wordlist(f"{folder}/{name}" if folder else name)


@lru_cache(maxsize=8)
def load_terms(extra: tuple[str, ...] = (), folder: str | None = "") -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The medical terms to explain: the language's bundled list and the clinic's own."""
    entries = dict.fromkeys(_bundled(folder, "terms.txt") + tuple(e.strip() for e in extra if e.strip()))
    return tuple((term, _pattern(term, r"(?:s|es)?")) for term in entries)


@lru_cache(maxsize=8)
def load_claims(extra: tuple[str, ...] = (), folder: str | None = "") -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The claim phrases to flag: the language's bundled list and the clinic's own."""
    entries = dict.fromkeys(_bundled(folder, "claims.txt") + tuple(e.strip() for e in extra if e.strip()))
    return tuple((phrase, _pattern(phrase, r"(?:s|es|d|ed)?")) for phrase in entries)


@dataclass(frozen=True)
class _Use:
    term: str
    block: Block
    match: re.Match[str]
    explanation: str | None  # the explaining words, or None when there are none


def explanation(text: str, match: re.Match[str], language: Language = ENGLISH) -> str | None:
    """The words explaining the term ``match`` in ``text`` ("" when it is explained before it), or None."""
    after = text[match.end():]
    if language.explained_before.search(text[:match.start()]):
        return ""
    explains = language.explained_after.match(after)
    if not explains:
        # "NMDA receptors (doors on nerve cells)": the explanation may follow the word the term describes.
        head = re.match(r"\s*[\w\u2019'-]+", after)
        after = after[head.end():] if head else after
        explains = language.explained_after.match(after)
    if not explains:
        return None
    end = after.find(")") if explains.group().strip().startswith("(") else -1
    if end < 0:
        stop = re.search(r"[.;!?]", after)
        end = stop.start() if stop else len(after)
    return after[:end]


def _first_uses(blocks: list[Block], terms: tuple[tuple[str, re.Pattern[str]], ...], language: Language) -> list[_Use]:
    uses = []
    for term, pattern in terms:
        for block in blocks:
            match = pattern.search(block.text)
            if match:
                uses.append(_Use(term, block, match, explanation(block.text, match, language)))
                break
    return uses


def jargon(blocks: list[Block], file: str, terms: tuple[tuple[str, re.Pattern[str]], ...],
           language: Language = ENGLISH) -> list[Finding]:
    """Each listed term whose first use has no plain explanation right beside it (as ``language`` writes one)."""
    uses = _first_uses(blocks, terms, language)
    unexplained = {use.term for use in uses if use.explanation is None}
    findings = []
    for use in uses:
        word = use.match.group()
        if use.explanation is None:
            message = (f"\u201c{word}\u201d is not explained where it first appears; add plain words right "
                       f"after it, {language.explain_example}")
        else:
            # An explanation that leans on another unexplained term explains nothing to a patient.
            other = next((m.group() for t, p in terms if t != use.term and t in unexplained
                          for m in [p.search(use.explanation)] if m), None)
            if other is None:
                continue
            message = (f"\u201c{word}\u201d is explained with another medical term, \u201c{other}\u201d; "
                       f"explain it in everyday words")
        findings.append(Finding("jargon", "warning", file, use.block.line_at(use.match.start()),
                                use.block.key, message))
    return findings


def claims(blocks: list[Block], file: str, phrases: tuple[tuple[str, re.Pattern[str]], ...],
           language: Language = ENGLISH) -> list[Finding]:
    """Each absolute or unsupported claim ("cure", "immediate relief"), unless negated ("not a cure")."""
    findings = []
    soften = f"soften it (\u201c{language.soften_example}\u201d)" if language.soften_example else "soften it"
    for block in blocks:
        spans: dict[int, re.Match[str]] = {}
        for _, pattern in phrases:
            for match in pattern.finditer(block.text):
                if language.negated.search(block.text[:match.start()]):
                    continue
                kept = spans.get(match.start())
                if kept is None or match.end() > kept.end():  # "guaranteed" over "guarantee"
                    spans[match.start()] = match
        last_end = -1
        for start in sorted(spans):
            match = spans[start]
            if start < last_end:
                continue  # inside a longer claim already reported
            last_end = match.end()
            findings.append(Finding(
                "claim", "warning", file, block.line_at(start), block.key,
                f"\u201c{' '.join(match.group().split())}\u201d is an absolute or unsupported claim; health "
                f"claims need scientific evidence: {soften} or say what the evidence shows"))
    return findings
