"""Languages: what the word checks need to know of a handout's language.

For each language brochure checks: the abbreviations that never end a sentence, its word
lists (``wordlists/`` for English, ``wordlists/<code>/`` for the others), how an explanation
and a negation are written, which words make a handout a mental-health one and how the 988
Lifeline is named, and the examples quoted in the advice. English and Spanish are known;
any other language gets no formula and no bundled list (and a note saying so), never
English's. Messages to the staff stay in English; quoted text is in the handout's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# An explanation right after a term: "(…)", ", a …", ", which is …", " means …", " — …".
_EN_AFTER = re.compile(
    r"""\s*(?:
        \(
      | [,:\u2014\u2013]\s*(?:or|meaning|that\ is|i\.e\.|also\ called|also\ known\ as|a|an|the)\s
      | [,\u2014\u2013]?\s*(?:which|that|this)\s+(?:is|are|was|were|means|mean)\s
      | means\s | (?:is|are)\s+(?:a|an|the|when|how|what)\s
      | [\u2014\u2013]\s*\w
    )""", re.VERBOSE | re.IGNORECASE)
_ES_AFTER = re.compile(
    r"""\s*(?:
        \(
      | [,:\u2014\u2013]\s*(?:o|es\ decir|o\ sea|también\ llamad[oa]s?|un|una|unos|unas|el|la|los|las)[\s,]
      | [,\u2014\u2013]?\s*(?:que|lo\ que|el\ cual|la\ cual)\s+(?:es|son|era|eran|significa|significan|quiere\ decir)\s
      | (?:significa|significan|quiere\ decir|quieren\ decir)\s | (?:es|son)\s+(?:un|una|el|la|los|las|cuando|como)\s
      | [\u2014\u2013]\s*\w
    )""", re.VERBOSE | re.IGNORECASE)

_EN_BEFORE = re.compile(r"(?:\b(?:called|known\ as|named|termed)\s+|\(\s*)$", re.IGNORECASE)
_ES_BEFORE = re.compile(r"(?:\b(?:llamad[oa]s?|conocid[oa]s?\ como|denominad[oa]s?|se\ llama)\s+|\(\s*)$", re.IGNORECASE)

_EN_NEGATED = re.compile(r"\b(?:not|never|no|cannot|can[\u2019']t|isn[\u2019']t|won[\u2019']t|don[\u2019']t"
                         r"|doesn[\u2019']t|nor|without)\b(?:\s+\w+){0,2}\s*$", re.IGNORECASE)
_ES_NEGATED = re.compile(r"\b(?:no|nunca|jamás|ni|tampoco|sin)\b(?:\s+\w+){0,2}\s*$", re.IGNORECASE)

_EN_MENTAL = re.compile(
    r"\b(?:depress\w*|anxiety|anxious|PTSD|post-?traumatic|suicid\w*|mental[\s-]+health|mental\s+illness"
    r"|bipolar|self-harm|psychiatric|OCD|panic\s+attacks?|eating\s+disorders?)\b", re.IGNORECASE)
_ES_MENTAL = re.compile(
    r"\b(?:depresi[oó]n\w*|depresiv\w*|ansiedad|ansios\w*|TEPT|estr[eé]s\s+postraum[aá]tico|suicid\w*"
    r"|salud\s+mental|enfermedad(?:es)?\s+mental(?:es)?|bipolar|autolesi\w*|psiqui[aá]tric\w*|TOC"
    r"|ataques?\s+de\s+p[aá]nico|trastornos?\s+(?:de\s+la\s+conducta\s+)?alimentari\w*)\b", re.IGNORECASE)

_988 = r"(?<![\d-])988(?![\d-])"
_EN_CRISIS = re.compile(_988 + r"|crisis\s+lifeline", re.IGNORECASE)
_ES_CRISIS = re.compile(_988 + r"|crisis\s+lifeline|l[ií]nea\s+(?:de\s+)?(?:prevenci[oó]n\s+del\s+suicidio|crisis)",
                        re.IGNORECASE)
# How a Spanish speaker reaches the Lifeline in Spanish: press 2 on a call, or text AYUDA.
_ES_IN_SPANISH = re.compile(r"\b(?:oprim\w*|marqu\w*|presion\w*|pulse|teclee)\s+(?:el\s+)?(?:2|dos)\b|\bAYUDA\b")


@dataclass(frozen=True)
class Language:
    """What the word checks use for one language."""

    code: str
    name: str
    wordlists: str | None  # folder of terms.txt and claims.txt under wordlists/ ("" for English); None: none
    never_end: frozenset[str]  # abbreviations (lower case, without the last ".") that never end a sentence
    explained_after: re.Pattern[str]
    explained_before: re.Pattern[str]
    negated: re.Pattern[str]
    mental_health: re.Pattern[str] | None
    crisis_line: re.Pattern[str]
    crisis_example: str  # the line the advice suggests, in the language
    explain_example: str  # how to explain a term, in the language
    soften_example: str  # a softened claim, in the language
    in_language: re.Pattern[str] | None = None  # how the 988 Lifeline is reached in this language


ENGLISH = Language(
    "en", "English", "", frozenset({"dr", "mr", "mrs", "ms", "prof", "st", "vs", "e.g", "i.e", "approx", "cf"}),
    _EN_AFTER, _EN_BEFORE, _EN_NEGATED, _EN_MENTAL, _EN_CRISIS,
    "In a crisis, call or text 988.", "in brackets or with \u201cwhich means \u2026\u201d", "")  # English words its advice as before

SPANISH = Language(
    "es", "Spanish", "es",
    frozenset({"dr", "dra", "sr", "sra", "srta", "ud", "uds", "lic", "prof", "profa", "ej", "p.ej", "aprox", "núm",
               "tel", "av", "avda", "vs", "pág", "etc"}),
    _ES_AFTER, _ES_BEFORE, _ES_NEGATED, _ES_MENTAL, _ES_CRISIS,
    "Si está en crisis, llame al 988 y oprima 2 para hablar en español, o envíe un mensaje de texto con la "
    "palabra AYUDA al 988.",
    "entre paréntesis o con \u201cque quiere decir \u2026\u201d", "puede ayudar a algunas personas",
    _ES_IN_SPANISH)

KNOWN = {"en": ENGLISH, "es": SPANISH}


def language_of(lang: str) -> Language:
    """The checks' view of a language code (``es-US`` is Spanish); an unknown language has no
    formula, no word lists and no mental-health words of its own."""
    code = lang.split("-")[0].lower()
    if code in KNOWN:
        return KNOWN[code]
    return Language(code, _display_name(lang), None, frozenset(), re.compile(r"\s*\("), re.compile(r"\(\s*$"),
                    re.compile(r"(?!)"), None, _EN_CRISIS, "", "in brackets", "")


def _display_name(lang: str) -> str:
    from babel import Locale, UnknownLocaleError

    try:
        return str(Locale.parse(lang.replace("-", "_")).get_display_name("en"))
    except (UnknownLocaleError, ValueError):
        return f"'{lang}'"
