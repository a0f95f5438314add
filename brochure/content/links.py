"""Links: which link targets a handout may carry, written as a patient's phone opens them.

A link in a Markdown body is a web address, an email or a phone number; nothing else. A
relative target (``page.html``, ``/etc/x``, ``#top``) would become a ``file://`` address
of the computer that built the PDF, so it is refused at its key and line.
"""

from __future__ import annotations

import re

from .dialect import tokens

_DOMAIN = r"[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)*\.[a-zA-Z]{2,}"
_WEB = re.compile(rf"https?://{_DOMAIN}(:\d+)?([/?#]\S*)?", re.IGNORECASE)
_BARE = re.compile(rf"(//)?({_DOMAIN})([/?#]\S*)?")  # example.com/x, www.example.com, //example.com
_MAIL = re.compile(r"mailto:[^@\s]+@" + _DOMAIN, re.IGNORECASE)
_TEL = re.compile(r"tel:\+?[\d().\s-]{3,}", re.IGNORECASE)


# Top-level domains a bare address in running text may end with (``cdc.gov/flu``, ``fda.gov``,
# ``salud.gob.mx``). A known list, not "any two letters": "e.g.", "i.e.", "a.m.", "2.5" or a
# version number are not addresses and must never become links.
TLDS = ("com", "org", "net", "gov", "edu", "mil", "int", "info", "health", "care", "clinic", "io", "us", "ca", "mx",
        "es", "ar", "cl", "co", "pe", "ec", "gt", "cr", "pr", "uy", "ve", "bo", "py", "hn", "sv", "ni", "pa", "do", "cu",
        "uk", "ie", "au", "nz", "de", "fr", "it", "pt", "br", "eu", "nl", "be", "ch", "at", "se", "dk", "fi", "pl",
        "sa", "ae", "eg", "jo", "ma", "qa", "kw", "lb", "in", "ph", "jp", "kr", "cn", "tw", "vn", "org.uk", "nhs.uk")

# Short numbers that call for help, by the handout's language (and region, when it says
# one): each is a link wherever the text names it. The language alone implies where its
# readers most likely are: English and Spanish handouts of a North American clinic; Spain's
# and Europe's 112 besides for Spanish with no region. A region's own entry replaces the
# language's. Numbers are of three digits or more: "15" or "18" would catch ordinary numbers.
EMERGENCY: dict[str, tuple[str, ...]] = {
    "en": ("911", "988"),
    "en-GB": ("999", "111", "112"), "en-IE": ("112", "999"), "en-AU": ("000", "112"), "en-NZ": ("111",),
    "es": ("911", "988", "112"),
    "es-ES": ("112", "061"), "es-MX": ("911",), "es-US": ("911", "988"), "es-AR": ("911", "107"),
    "es-CO": ("123",), "es-CL": ("131", "133"), "es-PE": ("105", "106"),
    "fr": ("112",), "fr-CA": ("911", "988"), "de": ("112",), "it": ("112",), "pt": ("112",), "pt-BR": ("190", "192"),
    "ar": ("911", "988", "112"),  # an Arabic translation of a North American clinic's handout
}


def emergency_numbers(lang: str) -> tuple[str, ...]:
    """The short emergency numbers a handout in ``lang`` links: its region's, else its language's,
    else North America's (``911``, ``988``)."""
    parts = lang.replace("_", "-").split("-")
    tag = parts[0].lower() + ("-" + parts[1].upper() if len(parts) > 1 else "")
    return EMERGENCY.get(tag) or EMERGENCY.get(parts[0].lower()) or EMERGENCY["en"]


def safe_href(href: str) -> str | None:
    """``href`` as a link a reader's phone can open, or None when it is not one."""
    if _WEB.fullmatch(href) or _MAIL.fullmatch(href) or _TEL.fullmatch(href):
        return href
    bare = _BARE.fullmatch(href)
    if bare and "." in bare[2] and not re.search(r"\.(html?|pdf|php|aspx?|jpe?g|png|svg)$", bare[2], re.IGNORECASE):
        return "https://" + href.removeprefix("//")
    return None


def bad_links(markdown: str) -> list[str]:
    """The link targets in a Markdown text that are not web addresses, emails or phones."""
    bad = []
    for block in tokens(markdown):  # links in tables, callouts and notes too
        for token in block.children or []:
            href = token.attrs.get("href") if token.type == "link_open" else None
            if isinstance(href, str) and safe_href(href) is None:
                bad.append(href)
    return bad
