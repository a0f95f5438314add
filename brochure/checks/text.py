"""Text: a brochure's words as a reader meets them: blocks, sentences, words, syllables, grades.

Why our own readability code and not ``textstat``: textstat downloads a dictionary at run
time (no network here), joins a bullet list into one sentence and breaks sentences at
"Dr.". Here Markdown is stripped first, each paragraph and bullet is split on its own,
common abbreviations do not end sentences, and syllables come from pyphen's en_US
hyphenation corrected by vowel-group rules (pyphen never splits near a word's ends, so
alone it counts "medicine" as one syllable).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from markdown_it.token import Token

from ..content import Brochure, Path_, Source, dialect, dotted


@dataclass(frozen=True)
class Block:
    """One paragraph, bullet point or one-line field as plain text, and where it was written."""

    path: Path_
    line: int | None
    text: str  # keeps a "\n" wherever the source wrapped, so offsets map back to lines
    # "prose" (sentences, measured), or words that are not sentences: "cell" (a table's),
    # "label" (a callout's title, a picture's caption) and "note" (a footnote's source).
    kind: str = "prose"

    @property
    def key(self) -> str:
        return dotted(self.path)

    def line_at(self, offset: int) -> int | None:
        return None if self.line is None else self.line + self.text.count("\n", 0, offset)




def _plain(inline: Token) -> str:
    """An inline Markdown token's words, with formatting and link targets dropped."""
    parts = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts)


def _raw(source: Source, path: Path_) -> Any:
    node: Any = source.data
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def markdown_blocks(text: str, path: Path_, source: Source) -> Iterator[Block]:
    """The paragraphs and bullets of a Markdown field, each its own block with its line."""
    raw = _raw(source, path)
    # The model strips whitespace; the file's own text keeps the lines the map counts.
    if isinstance(raw, str) and raw.strip() == text:
        text = raw
    key_line = source.lines.get(path)
    # A block scalar (``|``) starts on the line after its key; a folded or plain one has no "\n".
    base = None if key_line is None else key_line + (1 if "\n" in text else 0)
    tokens = dialect.tokens(text)
    in_table = in_note = False
    for token in tokens:
        in_table = (in_table or token.type == "table_open") and token.type != "table_close"
        in_note = (in_note or token.type == "footnote_block_open") and token.type != "footnote_block_close"
        line = None if base is None or token.map is None else base + token.map[0]
        if dialect.is_callout(token):
            title = dialect.callout_title(token)[1]
            if title:
                yield Block(path, line, title, "label")
        if token.type != "inline" or token.map is None:
            continue  # a callout's own kind word ("Tip") has no line: it is not the clinic's words
        plain = _plain(token)
        if plain.strip():
            yield Block(path, line, plain, "note" if in_note else "cell" if in_table else "prose")
        for child in token.children or []:
            caption = str(child.attrs.get("title", "")).strip() if child.type == "image" else ""
            if caption:
                yield Block(path, line, caption, "label")


def all_blocks(brochure: Brochure, source: Source) -> Iterator[Block]:
    """Every piece of text of the handout, in reading order, sources too."""

    def one(path: Path_, text: str | None) -> Iterator[Block]:
        if text:
            yield Block(path, source.lines.get(path), text)

    yield from one(("title",), brochure.title)
    yield from one(("subtitle",), brochure.subtitle)
    if brochure.intro:
        yield from markdown_blocks(brochure.intro, ("intro",), source)
    for index, section in enumerate(brochure.sections):
        yield from one(("sections", index, "heading"), section.heading)
        yield from markdown_blocks(section.body, ("sections", index, "body"), source)
    yield from one(("disclaimer",), brochure.disclaimer)


def text_blocks(brochure: Brochure, source: Source) -> Iterator[Block]:
    """Every piece of text a patient reads, in reading order; sources (footnotes) left out."""
    return (block for block in all_blocks(brochure, source) if block.kind != "note")


def articles(brochure: Brochure, source: Source) -> list[tuple[Path_, list[Block]]]:
    """The prose texts measured on their own: the intro and each section body, their sentences
    only (a table's cells, a callout's title, a caption and a source are not sentences)."""
    texts: list[tuple[Path_, list[Block]]] = []
    fields: list[tuple[Path_, str]] = [(("intro",), brochure.intro)] if brochure.intro else []
    fields += [(("sections", index, "body"), section.body) for index, section in enumerate(brochure.sections)]
    for path, text in fields:
        texts.append((path, [b for b in markdown_blocks(text, path, source) if b.kind == "prose"]))
    return texts


# --- sentences, words and syllables ----------------------------------------------------------

_WINDOW = 16  # characters around a full stop that decide whether it ends a sentence
_NEVER_END = dialect.NEVER_END  # abbreviations that never end a sentence
_STOP = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*(?=\s|$)")
# Letters of any alphabet: "infusión" and "niño" are one word each, not "infusi" and "n".
WORD = re.compile(r"[^\W_]+(?:['\u2019.\-][^\W_]+)*")


def _ends_sentence(text: str, stop: re.Match[str], never_end: frozenset[str] | set[str] = _NEVER_END) -> bool:
    if "?" in stop.group() or "!" in stop.group():
        return True
    # Only a few characters either side are looked at, so a long text is read in linear time.
    before = re.search(r"[^\W\d_](?:[^\W\d_]|\.)*$", text[max(0, stop.start() - _WINDOW):stop.start()])
    word = before.group() if before else ""
    if word.lower() in never_end or re.fullmatch(r"[A-Z]", word):  # Dr. Lee; J. Smith
        return False
    following = text[stop.end():stop.end() + _WINDOW].lstrip()
    # "9 a.m. on Monday", "etc. and": a lowercase word goes on with the same sentence.
    return not (following and following[0].islower())


def split_sentences(text: str, never_end: frozenset[str] | None = None) -> list[tuple[int, str]]:
    """``text`` cut into sentences, each with the offset it starts at; ``never_end`` are the
    language's abbreviations that never end one (default: English's)."""
    sentences: list[tuple[int, str]] = []
    start = 0
    for stop in _STOP.finditer(text):
        if _ends_sentence(text, stop, _NEVER_END if never_end is None else never_end):
            sentences.append((start, text[start:stop.end()]))
            start = stop.end()
    sentences.append((start, text[start:]))
    result = []
    for offset, sentence in sentences:
        stripped = sentence.strip()
        if WORD.search(stripped):
            result.append((offset + len(sentence) - len(sentence.lstrip()), " ".join(stripped.split())))
    return result


def words(text: str) -> list[str]:
    """The words of ``text``; "don't", "3-hour" and "a.m." are one word each."""
    return WORD.findall(text)


READING_HYPHENATION = "en_US"  # the patterns English syllables are counted with


@lru_cache(maxsize=1)
def hyphenator() -> Any:
    """pyphen's hyphenation of ``READING_HYPHENATION``: its patterns are read once per process
    (about 70 ms), and shared with WeasyPrint's hyphenation of a document in the same language."""
    import pyphen

    return pyphen.Pyphen(lang=READING_HYPHENATION)


def hyphenated_alike(lang: str) -> bool:
    """Whether WeasyPrint hyphenates a document in ``lang`` (``hyphens: auto``) with the patterns
    syllables are counted with: then ``hyphenator`` made in a process serves both."""
    import pyphen

    fallback = pyphen.language_fallback(lang)
    return fallback is not None and pyphen.LANGUAGES[fallback] == pyphen.LANGUAGES[READING_HYPHENATION]


# Suffixes that keep the silent e of their stem silent: care-ful-ly, man-age-ment.
_SUFFIXES = (("fully", 2), ("ments", 1), ("ment", 1), ("ness", 1), ("less", 1), ("ful", 1), ("ly", 1))


def _vowel_groups(word: str) -> int:
    """Syllables by spelling: vowel groups, less a silent final e or -es/-ed."""
    w = re.sub(r"[^a-z]", "", word.lower())
    if len(w) <= 3:
        return 1
    for suffix, count in _SUFFIXES:
        stem = w[:-len(suffix)]
        if w.endswith(suffix) and len(stem) >= 2 and re.search(r"[aeiouy]", stem):
            return _vowel_groups(stem) + count
    count = len(re.findall(r"[aeiouy]+", w))
    if w.endswith("e") and not w.endswith(("le", "ee", "ye")):
        count -= 1  # make, ketamine
    elif w.endswith(("es", "ed")) and not re.search(r"(?:[td]ed|[sxz]es|[cs]hes|[gc]es|ies)$", w):
        count -= 1  # helps, called; not wanted, causes
    return max(1, count)


@lru_cache(maxsize=20_000)
def spelt(word: str, capitals: str = "A-Z") -> int | None:
    """The syllables of a word that is not read as one, in any language: a number counts
    one, an acronym (two to six ``capitals``) one a letter, N-M-D-A; None for a word."""
    if any(ch.isdigit() for ch in word):
        return 1
    if re.fullmatch(rf"[{capitals}]{{2,6}}s?", word):
        return len(word.rstrip("s"))
    return None


@lru_cache(maxsize=20_000)
def syllables(word: str) -> int:
    """Syllables in ``word``: the larger of pyphen's and the vowel-group count. Remembered:
    ``watch`` counts the same words at every save (the patterns are the bundled ones)."""
    said = spelt(word)
    if said is not None:
        return said
    total = 0
    for part in re.split(r"[-.]", word):
        if part:
            hyphenated = len(hyphenator().positions(part.lower())) + 1
            total += max(hyphenated, _vowel_groups(part))
    return max(1, total)


@dataclass(frozen=True)
class Readability:
    """Counts of a text and the two grade formulas health materials are rated with."""

    sentences: int
    words: int
    syllables: int
    polysyllables: int  # words of three syllables or more

    @property
    def flesch_kincaid(self) -> float:
        if not self.words:
            return 0.0
        return 0.39 * self.words / self.sentences + 11.8 * self.syllables / self.words - 15.59

    @property
    def smog(self) -> float:
        if not self.sentences:
            return 0.0
        return 1.0430 * math.sqrt(self.polysyllables * 30 / self.sentences) + 3.1291


def readability(sentences: Iterable[str]) -> Readability:
    """Counts and grades of sentences already split (each bullet its own sentence)."""
    n_sentences = n_words = n_syllables = poly = 0
    for sentence in sentences:
        counts = [syllables(w) for w in words(sentence)]
        if counts:
            n_sentences += 1
            n_words += len(counts)
            n_syllables += sum(counts)
            poly += sum(c >= 3 for c in counts)
    return Readability(n_sentences, n_words, n_syllables, poly)


def sentences_in(blocks: Iterable[Block], never_end: frozenset[str] | None = None) -> Iterator[tuple[Block, int, str]]:
    for block in blocks:
        for offset, sentence in split_sentences(block.text, never_end):
            yield block, offset, sentence
