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
