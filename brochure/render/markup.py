"""Markup: Markdown bodies to safe HTML, with every phone, email and web address a live link.

Why in Python and not in the template: Markdown is the only content field that becomes
HTML, so it is rendered here with raw HTML switched off and marked safe in this one
place; every other string from YAML stays text and is escaped by Jinja.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markupsafe import Markup, escape

from ..content.links import TLDS, emergency_numbers, safe_href
from . import blocks, memos

# A web address (with scheme, www. or a known top-level domain), an email, or a phone number:
# North American, or international with its "+". Short emergency numbers are added per language.
_TLD = "|".join(sorted((re.escape(t) for t in TLDS), key=len, reverse=True))
_PATH = r"(/[^\s<>()\"]*[^\s<>()\".,;:!?])?"
_ADDRESSES = (
    r"(?P<url>\bhttps?://[^\s<>()\"]+[^\s<>()\".,;:!?])"
    r"|(?P<www>\bwww\.[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)+" + _PATH + ")"
    r"|(?P<email>\b[\w.+-]+@[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)*\.[a-zA-Z]{2,}\b)"
    # A bare domain: "cdc.gov/flu", "NIH.gov"; its last part lowercase and a known domain,
    # so "e.g.", "2.5" and "v1.2" are never links.
    r"|(?P<bare>(?<![\w@./-])([a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?\.)+(?:" + _TLD + r")(?![\w-])" + _PATH + ")"
    r"|(?P<phone>(?<![\w/+])((\+?1[\s.-])?(\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}"
    r"|\+\d{1,3}([\s.-]\(?\d{1,4}\)?){2,5})(?![\w-]|[.,]\d))"
)


@lru_cache(maxsize=32)
def links_pattern(lang: str = "en") -> re.Pattern[str]:
    """Every address in a text of language ``lang``: its emergency numbers too (911 and 988
    in English, 112 besides in Spanish...), as whole numbers, never part of a longer number,
    a decimal, a time or an amount ("112 mg", "911.5", "9:11")."""
    short = "|".join(re.escape(n) for n in emergency_numbers(lang))
    crisis = (r"|(?P<crisis>(?<![\w.,:/#+$€£-])(?:" + short + r")(?![\w%°/-]|[.,:]\d|\s?(?:mg|mcg|ml|mL|g|kg|cm|mm)\b))"
              if short else "")
    return re.compile(_ADDRESSES + crisis)


def tel_href(phone: str) -> str:
    """``(913) 871-9888`` as ``tel:+19138719888``; ten-digit numbers are taken as North American."""
    digits = re.sub(r"\D", "", phone)
    if phone.strip().startswith("+"):
        return f"tel:+{digits}"
    if len(digits) == 10:
        return f"tel:+1{digits}"
    if len(digits) == 11 and digits.startswith("1") and len(phone.strip()) > 11:  # 1-800-273-8255
        return f"tel:+{digits}"
    return f"tel:{digits}"


def web_href(address: str) -> str:
    """``example.com/x`` as ``https://example.com/x``; a given scheme is kept."""
    return address if re.match(r"https?://", address) else f"https://{address}"


def web_label(address: str) -> str:
    """A web address as people read it: no scheme, no trailing slash."""
    return re.sub(r"^https?://", "", address).rstrip("/")


_PIECES = re.compile(r"(?<=[@.])|(?<=/)(?!/)")  # after each "@", "." and "/" (not the first of "//")
# The longest piece of an address (between two of those breaks) that fits every line brochure
# sets addresses on: the narrowest, the email PDF's contact block in bold, holds 25 letters
# ("valley-gastroenterology." fits, "northside-community-health." does not). A piece that fits
# keeps no break at its hyphens: it moves whole to the next line, as before.
# Letters, not widths, because the line's own width is known only as that count, and for the
# letters addresses are made of it holds: in the bold Open Sans, "valley-gastroenterology."
# (24) is 12.1 em and "northside-community-health." (27) 14.7 em. But letters differ threefold
# (24 "i" are 7.3 em, 24 "m" 23.6 em), so a piece of 24 letters or fewer that is wider than
# _WIDEST_WHOLE_EM, the width known not to fit, breaks at its hyphens too (measured with the
# font's advance widths, read only for a piece long enough to be that wide).
_LONGEST_WHOLE = 24
_WIDEST_WHOLE_EM = 14.7
_ADDRESS_FONT = "fonts/OpenSans-Bold.ttf"
_WIDEST_CHARACTER_EM = 1.32  # its widest advance (1.319 em; tests/test_address_widths.py checks it)


@lru_cache(maxsize=1)
def _advances() -> tuple[dict[int, float], float]:
    """The address font's advance width of each character, in em, and the widest of them."""
    from fontTools.ttLib import TTFont

    from .assets import BUNDLED

    font = TTFont(BUNDLED / _ADDRESS_FONT, lazy=True)
    metrics, em = font["hmtx"].metrics, font["head"].unitsPerEm
    widths = {code: metrics[name][0] / em for code, name in font.getBestCmap().items()}
    return widths, max(widths.values())


def _too_long(piece: str) -> bool:
    """Whether an address piece is longer than a line: more than _LONGEST_WHOLE letters, or
    wider than _WIDEST_WHOLE_EM in the address font."""
    if len(piece) > _LONGEST_WHOLE:
        return True
    if len(piece) * _WIDEST_CHARACTER_EM <= _WIDEST_WHOLE_EM:  # too short to be that wide: no font read
        return False
    widths, widest = _advances()
    return sum(widths.get(ord(c), widest) for c in piece) > _WIDEST_WHOLE_EM


def _address_breaks(address: str, space: str, joiner: str) -> str:
    """``address`` with ``space`` (a break) after each "@", "." and "/" (not the first of
    "//") and ``joiner`` (no break) after each "-"; a piece longer than a line (``_too_long``)
    also gets ``space`` before each of its own "-" but a leading one."""
    pieces = []
    for piece in _PIECES.split(address):
        if _too_long(piece):
            piece = re.sub(r"(?<=.)-", lambda _: space + "-", piece)
        pieces.append(piece.replace("-", "-" + joiner))
    return space.join(pieces)


def breakable(address: str) -> str:
    """An email or web address that may break after each "@", "." and "/" (not the first of
    "//"), never after a "-", and before a "-" only in a piece too long for a line.

    Why: a long address in running text otherwise has no break opportunity but its hyphens,
    so it breaks after a hyphen (which reads as a hyphenated word: is the "-" part of the
    address?) or, with none, mid-word or past the panel. A zero-width space after "@", "."
    and "/" allows a break there; a word joiner after "-" forbids one. A piece between those
    breaks that is longer than a line ("northwestern-rehabilitation-institute.") would still
    break mid-word ("institu" / "te."), so it may break before its own "-", which then begins
    the next line and reads as part of the address (Chicago Manual of Style, 6.80), never as a
    hyphen brochure added. Only the shown text changes; the link's target is the address as written.
    """
    return _address_breaks(address, "\u200b", "\u2060")


def breakable_html(address: str) -> Markup:
    """``breakable`` for a template: the address HTML-escaped, its breaks as character references."""
    return Markup(_address_breaks(str(escape(address)), "&#8203;", "&#8288;"))


def _shown(match: re.Match[str]) -> str:
    """A link's text: addresses may break after "@", "." and "/" (not after "-"); phone numbers never break."""
    return breakable(match.group(0)) if match.lastgroup in ("url", "www", "bare", "email") else match.group(0)


def _href(match: re.Match[str]) -> str:
    kind = match.lastgroup
    text = match.group(0)
    if kind in ("url", "www", "bare"):
        return web_href(text)
    if kind == "email":
        return f"mailto:{text}"
    return tel_href(text)


def _linkify(state: StateCore) -> None:
    """Core rule: split text tokens outside links at phone numbers, emails and web addresses."""
    lang = state.env.get(blocks.LANG, "en") if isinstance(state.env, dict) else "en"
    pattern = links_pattern(str(lang))
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        in_link = 0
        for token in block.children:
            in_link += token.type == "link_open"
            in_link -= token.type == "link_close"
            if token.type != "text" or in_link:
                children.append(token)
                continue
            position = 0
            for match in pattern.finditer(token.content):
                if match.start() > position:
                    children.append(_text(token.content[position:match.start()]))
                link = Token("link_open", "a", 1)
                link.attrs = {"href": _href(match)}
                children += [link, _text(_shown(match)), Token("link_close", "a", -1)]
                position = match.end()
            children.append(_text(token.content[position:]) if position else token)
        block.children = children


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _safe_links(state: StateCore) -> None:
    """Core rule: every link target as a reader's phone opens it; a link to anything else
    (which the content model refuses) keeps its words and loses its target, so no address
    of this computer can ever reach a PDF."""
    for block in state.tokens:
        kept: list[Token] = []
        dropped = 0
        for token in block.children or []:
            if token.type == "link_open":
                href = safe_href(str(token.attrs.get("href", "")))
                if href is None:
                    dropped += 1
                    continue
                token.attrs["href"] = href
            elif token.type == "link_close" and dropped:
                dropped -= 1
                continue
            kept.append(token)
        if block.children:
            block.children = kept


_LEVEL = "brochure_heading_level"  # the env key: the level of a body's first heading


def _nest_headings(state: StateCore) -> None:
    """Core rule: a body's headings nest under the heading above the body, whatever the text
    says. The outermost level the body uses becomes ``env[_LEVEL]`` (3 under a section's
    h2), each deeper one the next level: ``#`` then ``####`` is h3 then h4, never a second
    h1 or a skipped level (PDF/UA-1 and screen readers' outline need the nesting)."""
    top = state.env.get(_LEVEL, 3) if isinstance(state.env, dict) else 3
    open_levels: list[int] = []  # the written levels of the headings enclosing this one
    current = "h3"
    for token in state.tokens:
        if token.type == "heading_open":
            written = int(token.tag[1:])
            while open_levels and open_levels[-1] >= written:
                open_levels.pop()
            current = f"h{min(6, top + len(open_levels))}"
            open_levels.append(written)
            token.tag = current
        elif token.type == "heading_close":
            token.tag = current


# A web or email address written as words (cdc.gov/flu, www.x.org, a@b.org): not "e.g.",
# "U.S." or "2.5".
_ADDRESS = re.compile(r"[\w-]\.[a-z]{2,}\b|\w@[\w-]+\.\w", re.I)
WHOLE_WORDS = "brochure_whole_words"  # env key: mark the words never to hyphenate (not in the email PDF)
_HYPHENATED_FROM = 6  # brochure.css: hyphenate-limit-chars 6 3 3; a shorter word is never split


def _whole(word: str, last: bool, merged: bool = False) -> bool:
    """Whether ``word`` must not be hyphenated: the last of its paragraph, a name or a place
    (a capital: "Northwestern", "Alameda"), a number or code ("1-800-222-1222", "A1C"), an
    address ("cdc.gov/flu", "info@clinic.org"), or a word of a value a field put in the text
    (``merged``: a location's street, hours or directions, even in lower case). A sentence's
    first word is spared too: the cost of not knowing a name from it."""
    letters = word.strip("([{¿¡\"'“‘«»”’)]}.,;:!?")
    if sum(ch.isalnum() for ch in letters) < _HYPHENATED_FROM:
        return False
    return (last or merged or letters[:1].isupper() or any(ch.isdigit() for ch in letters) or "@" in letters
            or re.search(r"\w[./]\w", letters) is not None)


def _merged_spans(text: str, values: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where the merged ``values`` (``blocks.MERGED``) are in ``text``, as whole words."""
    long = sorted((v for v in values if any(len(w) >= _HYPHENATED_FROM for w in re.findall(r"\w+", v))),
                  key=len, reverse=True)
    if not long:
        return []
    pattern = r"(?<!\w)(?:" + "|".join(re.escape(v) for v in long) + r")(?!\w)"
    return [match.span() for match in re.finditer(pattern, text)]


def _whole_words(state: StateCore) -> None:
    """Core rule: the words a designer never hyphenates (``_whole``) each in a
    ``<span class="nohyphen">`` (brochure.css), outside links (never hyphenated at all), when
    the env asks (the email PDF is not hyphenated, and its tags stay lean). Either way an
    address written without a link breaks only after "/" or "." (``breakable``)."""
    whole = bool((state.env or {}).get(WHOLE_WORDS))
    merged_values = tuple((state.env or {}).get(blocks.MERGED, ())) if whole else ()
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        in_link = 0
        texts = []
        for n, token in enumerate(block.children):
            in_link += token.type == "link_open"
            in_link -= token.type == "link_close"
            if token.type == "text" and not in_link:
                texts.append(n)
        last = texts[-1] if texts else -1
        children: list[Token] = []
        for n, token in enumerate(block.children):
            if n not in texts:
                children.append(token)
                continue
            pieces = re.split(r"(\s+)", token.content)
            final = max((i for i, piece in enumerate(pieces) if piece.strip()), default=-1)
            spans = _merged_spans(token.content, merged_values)
            buffer = ""
            start = 0
            for i, piece in enumerate(pieces):
                begin, start = start, start + len(piece)
                merged = any(a < start and begin < b for a, b in spans)
                if piece.strip() and not whole:  # not hyphenated: only an address's breaks to mend
                    buffer += breakable(piece) if _ADDRESS.search(piece) else piece
                elif piece.strip() and _whole(piece, n == last and i == final, merged):
                    if buffer:
                        children.append(_text(buffer))
                        buffer = ""
                    opened = Token("span_open", "span", 1)
                    opened.attrs = {"class": "nohyphen"}
                    # An address not written as a link breaks as a link's words do: after "/"
                    # or ".", never at its own "-".
                    shown = breakable(piece) if _ADDRESS.search(piece) else piece
                    children += [opened, _text(shown), Token("span_close", "span", -1)]
                else:
                    buffer += piece
            if buffer:
                children.append(_text(buffer))
        block.children = children


def _make_parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.core.ruler.push("brochure_headings", _nest_headings)
    parser.core.ruler.push("brochure_safe_links", _safe_links)
    blocks.install(parser)  # tables, callouts, checklists, pictures (each checked by the content model), notes
    # After the blocks are made, so a callout's title and a picture's caption get their links
    # too; before the notes are set aside, so theirs do.
    parser.core.ruler.before("brochure_notes", "brochure_links", _linkify)
    parser.core.ruler.push("brochure_whole_words", _whole_words)
    return parser


_PARSER = _make_parser()

# The bodies rendered before, by everything their HTML depends on (``_memo_key``), the least
# recently used first. A warm build renders every body of both PDFs again (80 of the seed's,
# a tenth of brochure's own Python), and an edit changes one of them. Bounded by the
# characters kept (each text and its HTML) and ENTRY_COST for each entry's key and bookkeeping
# (about 310 bytes, by tracemalloc: without it a batch's one-line bodies, a new key at each
# location, held 25 times the bound): BODIES_KEPT, under a lock (the studio renders in
# threads). ``BROCHURE_BODIES=off`` in the environment, or ``remember(False)``, turns it off.
BODIES_KEPT = 4_000_000
ENTRY_COST = 320
BODIES: memos.Kept[tuple[Any, ...], str] = memos.Kept(
    "BROCHURE_BODIES", lambda: BODIES_KEPT, cost=lambda key, html: len(key[0]) + len(html) + ENTRY_COST)
remember = BODIES.enabled  # off also forgets them all: for tests and the benchmark
# The keys a body's render leaves in its env: any other (a plugin's state) is not remembered.
_ENV_KEYS = frozenset({WHOLE_WORDS, _LEVEL, blocks.LANG, blocks.MERGED, "brochure_notes", "footnotes", "references"})


def remembered() -> list[tuple[str, int]]:
    """The bodies remembered, least recently used first: each text and the characters it keeps."""
    return [(key[0], BODIES.cost(key, html)) for key, html in BODIES.items()]


def _memo_key(text: str, env: dict[str, Any]) -> tuple[Any, ...] | None:
    """What a body's HTML depends on, or None when it depends on the other bodies of its
    document: a footnote (``[^``: numbered through the document, its note kept for the end),
    or a link reference another body defined (``[x]: url``, kept in the env). Otherwise the
    HTML is the text's, in the env's language (its emergency numbers), merged values, heading
    level, hyphenation and labels (``blocks.label_words``). The merged values only where
    they are read (``_whole_words``: a hyphenated output): an email body is the same at every
    location of a batch."""
    if "[^" in text or env.get("references"):
        return None
    whole = env[WHOLE_WORDS]
    return (text, whole, env[_LEVEL], str(env.get(blocks.LANG, "en")),
            tuple(env.get(blocks.MERGED, ())) if whole else (), blocks.label_words(env))


def markdown(text: str, notes: blocks.Notes | None = None, whole_words: bool = False, level: int = 3) -> Markup:
    """Render a Markdown body; raw HTML in it is shown as text, never interpreted. ``notes``:
    the document's, which numbers footnotes through every body and prints them at its end.
    ``whole_words``: mark the words never to hyphenate (a hyphenated output: print, office).
    ``level``: the level of the body's outermost headings (3 in a section under its h2; 2 in
    the intro, under the title)."""
    env = notes.env if notes is not None else {}
    env[WHOLE_WORDS] = whole_words
    env[_LEVEL] = max(1, min(6, level))
    key = _memo_key(text, env) if BODIES.on else None
    if key is not None:
        html = BODIES.get(key)
        if html is not None:
            return Markup(html)
    html = _PARSER.render(text, env)
    # Remembered only when the render left no state a later body reads (a link reference).
    if key is not None and not env.get("references") and _ENV_KEYS.issuperset(env):
        BODIES.put(key, html)
    return Markup(html)


def linkify(text: str, lang: str = "en", merged: Sequence[str] = ()) -> Markup:
    """Plain text with its phone numbers, emails and web addresses as links (HTML-escaped);
    ``lang``: the text's language, which says what its emergency numbers are; ``merged``: the
    values fields put in the text (``blocks.merged_values``), whose words are never hyphenated
    (a hyphenated output's disclaimer: "This handout from {clinic.name}...")."""
    out = Markup("")
    position = 0
    for match in links_pattern(lang).finditer(text):
        out += _merged_whole(text[position:match.start()], tuple(merged))
        out += Markup('<a href="{}">{}</a>').format(_href(match), _shown(match))
        position = match.end()
    return out + _merged_whole(text[position:], tuple(merged))


def _merged_whole(text: str, merged: tuple[str, ...]) -> Markup:
    """``text`` HTML-escaped, each word of a merged value in it that could be hyphenated in a
    ``<span class="nohyphen">`` (as ``_whole_words`` marks them in Markdown texts)."""
    spans = _merged_spans(text, merged)
    if not spans:
        return Markup(escape(text))
    out, start = Markup(""), 0
    for piece in re.split(r"(\s+)", text):
        begin, start = start, start + len(piece)
        if piece.strip() and any(a < start and begin < b for a, b in spans) and _whole(piece, False, True):
            out += Markup('<span class="nohyphen">{}</span>').format(piece)
        else:
            out += piece
    return out
