"""Checks: what a health-literacy reviewer would flag in a brochure's words, read from its content.

``content.yaml --source/content--> Brochure --checks--> findings`` (``pdfcheck`` adds the
findings read from the built PDFs; ``report`` prints them). It reports; it never changes
the clinic's text.

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
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .content import Brochure
from .errors import located
from .source import Path_, Source, dotted

Severity = Literal["warning", "info"]

# Every kind of finding, in the order reports list them.
KINDS = ("required", "reading-level", "long-sentence", "jargon", "claim",
         "contrast", "type-size", "image-resolution", "alt-text", "tagging", "fonts")

WORDLISTS = Path(__file__).resolve().parent / "wordlists"


@dataclass(frozen=True)
class Finding:
    """One thing a reviewer would point out: what kind, how serious, where, and why."""

    kind: str
    severity: Severity
    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        # The same shape as brochure.errors.Problem, so editors can jump to the line.
        return located(self.file, self.line, self.key, self.message)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def sort_key(self) -> tuple[str, int, str, int, str]:
        """File, line, then key with numbers compared as numbers (page 2 before page 10)."""
        key = re.sub(r"\d+", lambda m: m.group().zfill(6), self.key)
        return (self.file, self.line or 0, key, KINDS.index(self.kind) if self.kind in KINDS else 99, self.message)


@dataclass(frozen=True)
class CheckSettings:
    """Thresholds a clinic may change; the defaults follow the patient-education guides."""

    target_grade: float = 8  # CDC: 8th grade or lower; AMA/NIH ask for 6th to 8th
    max_sentence_words: int = 20  # plain-language guides: 15 to 20 words at most
    extra_terms: tuple[str, ...] = ()  # more medical terms to explain, beside wordlists/terms.txt
    extra_claims: tuple[str, ...] = ()  # more claim phrases, beside wordlists/claims.txt
    min_ppi: float = 300  # print shops' minimum for photos at printed size
    min_type_pt: float = 9  # tri-fold panels commonly use 10 to 11 pt, never below 9
    today: date = field(default_factory=date.today)


def check_content(brochure: Brochure, source: Source, settings: CheckSettings) -> list[Finding]:
    """Every finding about the words of ``brochure``: reading level, jargon, claims, required parts."""
    blocks = list(text_blocks(brochure, source))
    findings = (required(brochure, source, settings, blocks)
                + reading_level(brochure, source, settings)
                + long_sentences(brochure, source, settings)
                + jargon(blocks, source.file, load_terms(settings.extra_terms))
                + claims(blocks, source.file, load_claims(settings.extra_claims)))
    return sorted(findings, key=Finding.sort_key)


def check_file(path: Path, name: str | None = None, settings: CheckSettings | None = None,
               out_dir: Path | None = None) -> list[Finding]:
    """Check a content file: its words, then the PDFs built from it (each variant's, if it has variants).

    The PDFs are built into ``out_dir``, or into a temporary folder that is removed afterwards
    (then PDF findings name the PDF by its file name alone). Raises ``ContentError``, as a build
    does, when the file has mistakes.
    """
    import tempfile

    from . import build

    name = name or str(path)
    findings: set[Finding] = set()
    with tempfile.TemporaryDirectory(prefix="brochure-check-") as temporary:
        folder = Path(out_dir) if out_dir is not None else Path(temporary)
        for variant, _, _ in build.brochures(path, name):
            result = build.build_unit(build.Unit(path, name, variant), folder)
            for finding in check_built(path, name, variant, result.pdfs, settings):
                if out_dir is None and finding.file in {str(p) for p in result.pdfs}:
                    finding = replace(finding, file=Path(finding.file).name)
                findings.add(finding)  # variants share most text: a set
    return sorted(findings, key=Finding.sort_key)


def settings_for(brochure: Brochure) -> CheckSettings:
    """The check settings a content file asks for in its ``checks:`` key."""
    own = brochure.checks
    return CheckSettings(target_grade=own.target_grade, max_sentence_words=own.max_sentence_words,
                         extra_terms=tuple(own.extra_terms), extra_claims=tuple(own.extra_claims),
                         min_ppi=own.min_ppi)


def check_built(path: Path, name: str, variant: str | None, pdfs: list[Path],
                settings: CheckSettings | None = None) -> list[Finding]:
    """Findings for one brochure (a file or one of its variants) whose PDFs are built."""
    from . import build
    from .pdfcheck import check_pdfs, content_images

    for each, brochure, source in build.brochures(path, name):
        if each == variant:
            settings = settings or settings_for(brochure)
            print_pdf = next(p for p in pdfs if p.name.endswith("-print.pdf"))
            email_pdf = next(p for p in pdfs if p.name.endswith("-email.pdf"))
            images = content_images(brochure, source, path.resolve().parent)
            found = check_content(brochure, source, settings) + check_pdfs(print_pdf, email_pdf, settings, images)
            return sorted(set(found), key=Finding.sort_key)
    return []


# --- text as a reader sees it ------------------------------------------------------------

@dataclass(frozen=True)
class Block:
    """One paragraph, bullet point or one-line field as plain text, and where it was written."""

    path: Path_
    line: int | None
    text: str  # keeps a "\n" wherever the source wrapped, so offsets map back to lines

    @property
    def key(self) -> str:
        return dotted(self.path)

    def line_at(self, offset: int) -> int | None:
        return None if self.line is None else self.line + self.text.count("\n", 0, offset)


_MARKDOWN = MarkdownIt("commonmark", {"html": False})


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
    for token in _MARKDOWN.parse(text):
        if token.type == "inline" and token.map is not None:
            plain = _plain(token)
            if plain.strip():
                yield Block(path, None if base is None else base + token.map[0], plain)


def text_blocks(brochure: Brochure, source: Source) -> Iterator[Block]:
    """Every piece of text a patient reads, in reading order."""

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


def _articles(brochure: Brochure, source: Source) -> list[tuple[Path_, list[Block]]]:
    """The prose texts measured on their own: the intro and each section body."""
    texts: list[tuple[Path_, list[Block]]] = []
    if brochure.intro:
        texts.append((("intro",), list(markdown_blocks(brochure.intro, ("intro",), source))))
    for index, section in enumerate(brochure.sections):
        path: Path_ = ("sections", index, "body")
        texts.append((path, list(markdown_blocks(section.body, path, source))))
    return texts


# --- sentences, words and syllables ----------------------------------------------------------

# Abbreviations that never end a sentence: they come before a name or an example.
_NEVER_END = {"dr", "mr", "mrs", "ms", "prof", "st", "vs", "e.g", "i.e", "approx", "cf"}
_STOP = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*(?=\s|$)")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['\u2019.\-][A-Za-z0-9]+)*")


def _ends_sentence(text: str, stop: re.Match[str]) -> bool:
    if "?" in stop.group() or "!" in stop.group():
        return True
    before = re.search(r"[A-Za-z][A-Za-z.]*$", text[:stop.start()])
    word = before.group() if before else ""
    if word.lower() in _NEVER_END or re.fullmatch(r"[A-Z]", word):  # Dr. Lee; J. Smith
        return False
    following = text[stop.end():].lstrip()
    # "9 a.m. on Monday", "etc. and": a lowercase word goes on with the same sentence.
    return not (following and following[0].islower())


def split_sentences(text: str) -> list[tuple[int, str]]:
    """``text`` cut into sentences, each with the offset it starts at."""
    sentences: list[tuple[int, str]] = []
    start = 0
    for stop in _STOP.finditer(text):
        if _ends_sentence(text, stop):
            sentences.append((start, text[start:stop.end()]))
            start = stop.end()
    sentences.append((start, text[start:]))
    result = []
    for offset, sentence in sentences:
        stripped = sentence.strip()
        if _WORD.search(stripped):
            result.append((offset + len(sentence) - len(sentence.lstrip()), " ".join(stripped.split())))
    return result


def words(text: str) -> list[str]:
    """The words of ``text``; "don't", "3-hour" and "a.m." are one word each."""
    return _WORD.findall(text)


@lru_cache(maxsize=1)
def _hyphenator() -> Any:
    import pyphen

    return pyphen.Pyphen(lang="en_US")


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
def syllables(word: str) -> int:
    """Syllables in ``word``: the larger of pyphen's and the vowel-group count."""
    if any(ch.isdigit() for ch in word):
        return 1
    if re.fullmatch(r"[A-Z]{2,6}s?", word):  # an acronym is spelt out: N-M-D-A
        return len(word.rstrip("s"))
    total = 0
    for part in re.split(r"[-.]", word):
        if part:
            hyphenated = len(_hyphenator().positions(part.lower())) + 1
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


def _sentences(blocks: Iterable[Block]) -> Iterator[tuple[Block, int, str]]:
    for block in blocks:
        for offset, sentence in split_sentences(block.text):
            yield block, offset, sentence


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


def reading_level(brochure: Brochure, source: Source, settings: CheckSettings) -> list[Finding]:
    """SMOG and Flesch-Kincaid grades of the whole article and of each part, over the target."""
    texts = _articles(brochure, source)
    findings = []
    whole = readability(s for _, blocks in texts for _, _, s in _sentences(blocks))
    if whole.sentences and _over(whole, settings.target_grade):
        parts = "the intro and " * bool(brochure.intro) + f"{len(brochure.sections)} sections"
        findings.append(Finding("reading-level", "warning", source.file, None, "",
                                _grade_message(f"the article as a whole ({parts})", whole, settings.target_grade)))
    for path, blocks in texts:
        score = readability(s for _, _, s in _sentences(blocks))
        if score.sentences and _over(score, settings.target_grade):
            findings.append(Finding("reading-level", "warning", source.file, source.lines.get(path), dotted(path),
                                    _grade_message("this text", score, settings.target_grade)))
    return findings


def _opening(sentence: str, count: int = 8) -> str:
    """The first words of a sentence, quoted, so the clinic can find it."""
    found = list(_WORD.finditer(sentence))
    if len(found) <= count:
        return f"\u201c{sentence}\u201d"
    return f"\u201c{sentence[:found[count - 1].end()]} \u2026\u201d"


def long_sentences(brochure: Brochure, source: Source, settings: CheckSettings) -> list[Finding]:
    """Each sentence of the article longer than ``max_sentence_words``."""
    findings = []
    limit = settings.max_sentence_words
    for path, blocks in _articles(brochure, source):
        for block, offset, sentence in _sentences(blocks):
            count = len(words(sentence))
            if count > limit:
                findings.append(Finding(
                    "long-sentence", "warning", source.file, block.line_at(offset), dotted(path),
                    f"a sentence of {count} words (the limit is {limit}): {_opening(sentence)}"))
    return findings


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


@lru_cache(maxsize=8)
def load_terms(extra: tuple[str, ...] = ()) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The medical terms to explain: the bundled list and the clinic's own."""
    entries = dict.fromkeys(read_wordlist("terms.txt") + tuple(e.strip() for e in extra if e.strip()))
    return tuple((term, _pattern(term, r"(?:s|es)?")) for term in entries)


@lru_cache(maxsize=8)
def load_claims(extra: tuple[str, ...] = ()) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The claim phrases to flag: the bundled list and the clinic's own."""
    entries = dict.fromkeys(read_wordlist("claims.txt") + tuple(e.strip() for e in extra if e.strip()))
    return tuple((phrase, _pattern(phrase, r"(?:s|es|d|ed)?")) for phrase in entries)


# An explanation right after a term: "(…)", ", a …", ", which is …", " means …", " — …".
_EXPLAINED_AFTER = re.compile(
    r"""\s*(?:
        \(
      | [,:\u2014\u2013]\s*(?:or|meaning|that\ is|i\.e\.|also\ called|also\ known\ as|a|an|the)\s
      | [,\u2014\u2013]?\s*(?:which|that|this)\s+(?:is|are|was|were|means|mean)\s
      | means\s | (?:is|are)\s+(?:a|an|the|when|how|what)\s
      | [\u2014\u2013]\s*\w
    )""", re.VERBOSE | re.IGNORECASE)
# ... or just before it: "a chemical messenger called glutamate", "N-methyl-D-aspartate (NMDA)".
_EXPLAINED_BEFORE = re.compile(r"(?:\b(?:called|known\ as|named|termed)\s+|\(\s*)$", re.IGNORECASE)


@dataclass(frozen=True)
class _Use:
    term: str
    block: Block
    match: re.Match[str]
    explanation: str | None  # the explaining words, or None when there are none


def _explanation(text: str, match: re.Match[str]) -> str | None:
    after = text[match.end():]
    if _EXPLAINED_BEFORE.search(text[:match.start()]):
        return ""
    explains = _EXPLAINED_AFTER.match(after)
    if not explains:
        # "NMDA receptors (doors on nerve cells)": the explanation may follow the word the term describes.
        head = re.match(r"\s*[\w\u2019'-]+", after)
        after = after[head.end():] if head else after
        explains = _EXPLAINED_AFTER.match(after)
    if not explains:
        return None
    end = after.find(")") if explains.group().strip().startswith("(") else -1
    if end < 0:
        stop = re.search(r"[.;!?]", after)
        end = stop.start() if stop else len(after)
    return after[:end]


def _first_uses(blocks: list[Block], terms: tuple[tuple[str, re.Pattern[str]], ...]) -> list[_Use]:
    uses = []
    for term, pattern in terms:
        for block in blocks:
            match = pattern.search(block.text)
            if match:
                uses.append(_Use(term, block, match, _explanation(block.text, match)))
                break
    return uses


def jargon(blocks: list[Block], file: str, terms: tuple[tuple[str, re.Pattern[str]], ...]) -> list[Finding]:
    """Each listed term whose first use has no plain explanation right beside it."""
    uses = _first_uses(blocks, terms)
    unexplained = {use.term for use in uses if use.explanation is None}
    findings = []
    for use in uses:
        word = use.match.group()
        if use.explanation is None:
            message = (f"\u201c{word}\u201d is not explained where it first appears; add plain words right "
                       f"after it, in brackets or with \u201cwhich means \u2026\u201d")
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


_NEGATED = re.compile(r"\b(?:not|never|no|cannot|can[\u2019']t|isn[\u2019']t|won[\u2019']t|don[\u2019']t"
                      r"|doesn[\u2019']t|nor|without)\b(?:\s+\w+){0,2}\s*$", re.IGNORECASE)


def claims(blocks: list[Block], file: str, phrases: tuple[tuple[str, re.Pattern[str]], ...]) -> list[Finding]:
    """Each absolute or unsupported claim ("cure", "immediate relief"), unless negated ("not a cure")."""
    findings = []
    for block in blocks:
        spans: dict[int, re.Match[str]] = {}
        for _, pattern in phrases:
            for match in pattern.finditer(block.text):
                if _NEGATED.search(block.text[:match.start()]):
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
                f"claims need scientific evidence: soften it or say what the evidence shows"))
    return findings


# --- required parts -------------------------------------------------------------------------------

_MENTAL_HEALTH = re.compile(
    r"\b(?:depress\w*|anxiety|anxious|PTSD|post-?traumatic|suicid\w*|mental[\s-]+health|mental\s+illness"
    r"|bipolar|self-harm|psychiatric|OCD|panic\s+attacks?|eating\s+disorders?)\b", re.IGNORECASE)
_CRISIS_LINE = re.compile(r"(?<![\d-])988(?![\d-])|crisis\s+lifeline", re.IGNORECASE)


def _missing(source: Source, path: Path_) -> int | None:
    """The line of the nearest written parent of a missing key, or None for the file itself."""
    line = source.line(path)
    while path and path not in source.lines:
        path = path[:-1]
    return line if path else None


def required(brochure: Brochure, source: Source, settings: CheckSettings, blocks: list[Block]) -> list[Finding]:
    """Contact details, a disclaimer, a revision and review date, and 988 for mental-health topics."""
    file, clinic = source.file, brochure.clinic
    found = []

    def add(path: Path_, message: str, severity: Severity = "warning", line: int | None = None) -> None:
        found.append(Finding("required", severity, file, line or _missing(source, path), dotted(path), message))

    if not clinic.phone:
        add(("clinic", "phone"), "no phone number: add the clinic's phone so patients can call")
    if not (clinic.website or clinic.email):
        add(("clinic", "website"), "no website or email: add clinic.website or clinic.email, "
                                   "so patients can reach the clinic another way than by phone")
    if not brochure.disclaimer:
        add(("disclaimer",), "no disclaimer: add a short note that this handout is general information, "
                             "not medical advice for the reader's own case")
    if not brochure.revised:
        add(("revised",), "no revision date: add revised: YYYY-MM-DD so staff can tell which printout is current")
    if brochure.review_by is None:
        add(("review_by",), "no review date: add review_by: YYYY-MM-DD so the handout is checked again in time",
            "info")
    elif brochure.review_by < settings.today:
        add(("review_by",), f"the review date {brochure.review_by.isoformat()} has passed; review the handout, "
                            f"then set a new review_by date", line=source.lines.get(("review_by",)))
    found += _crisis_line(blocks, file)
    return found


def _crisis_line(blocks: list[Block], file: str) -> list[Finding]:
    """A mental-health handout in the US should give the 988 Suicide & Crisis Lifeline."""
    if any(_CRISIS_LINE.search(block.text) for block in blocks):
        return []
    for block in blocks:
        topic = _MENTAL_HEALTH.search(block.text)
        if topic:
            return [Finding("required", "warning", file, block.line_at(topic.start()), block.key,
                            f"\u201c{topic.group()}\u201d makes this a mental-health handout, but it never gives "
                            f"the 988 Suicide & Crisis Lifeline; add a line such as \u201cIn a crisis, call or "
                            f"text 988.\u201d")]
    return []
