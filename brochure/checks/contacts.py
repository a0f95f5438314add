"""Contacts: a phone number, email or web address typed into the text that is not this
location's own.

Why: a chain's handouts are written once, often from the main site's copy, and built for
every location. "Call us at (816) 555-0199" then sends every location's patients to the
main number, while the contact block shows the right one. The text should say
``{clinic.phone}``, which each location fills in with its own.

Phone numbers and emails in the text are compared with the location's own (phones by
their digits). A web address is reported only when it is the website of another location
of the same handout (or of the main clinic): handouts rightly point to other sites, such as
988lifeline.org. Numbers and addresses listed in ``checks.other_contacts`` are never reported.
"""

from __future__ import annotations

import re

from ..content import Brochure, Checks, Source
from .findings import Finding
from .text import Block

_PHONE = re.compile(r"(?<![\w/])(\+\d{1,3}[\s.-]?)?(\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}\b")
_EMAIL = re.compile(r"\b[\w.+-]+@[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)*\.[a-zA-Z]{2,}\b")


def _digits(phone: str) -> str:
    """A phone number's digits, without the North American country code."""
    digits = re.sub(r"\D", "", phone)
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


def _site(address: str) -> str:
    """A web address as compared: no scheme, no www., no trailing slash, lowercase."""
    return re.sub(r"^(https?://)?(www\.)?", "", address.strip().lower()).rstrip("/")


def contacts(brochure: Brochure, source: Source, blocks: list[Block], settings: Checks) -> list[Finding]:
    """A finding for each phone, email or sibling's website in the text that is not the unit's own."""
    clinic = brochure.clinic
    variant = (brochure.location or {}).get("id")
    whose = f"location {variant}'s" if variant else "this handout's"
    other_phones = {_digits(c) for c in settings.other_contacts}
    other_texts = {c.strip().lower() for c in settings.other_contacts}
    own_sites = {_site(clinic.website)} if clinic.website else set()
    sites = {_site(s) for s in source.contacts.get("website", set())} - own_sites
    found = []

    def add(block: Block, offset: int, said: str, field: str, own: str | None) -> None:
        if own:
            message = f"this text says {said}; {whose} {field} is {own}: use {{clinic.{field}}}"
        else:
            message = (f"this text says {said}, but {whose} clinic.{field} is empty: add it there and "
                       f"write {{clinic.{field}}} in the text")
        found.append(Finding("contact", "warning", source.file, block.line_at(offset), block.key,
                             message + " (or list it under checks.other_contacts if it is another service's)"))

    for block in blocks:
        for match in _PHONE.finditer(block.text):
            digits = _digits(match.group())
            if digits != _digits(clinic.phone or "") and digits not in other_phones:
                add(block, match.start(), match.group(), "phone", clinic.phone)
        for match in _EMAIL.finditer(block.text):
            said = match.group().lower()
            if said != (clinic.email or "").lower() and said not in other_texts:
                add(block, match.start(), match.group(), "email", clinic.email)
        lowered = block.text.lower()
        for site in sorted(sites):
            if any(_site(o) == site for o in other_texts):
                continue
            for at in re.finditer(r"(?<![\w.@-])(https?://)?(www\.)?" + re.escape(site) + r"(?![\w-])", lowered):
                if not any(_site(lowered[at.start():]).startswith(own) for own in own_sites):  # a page of its own site
                    add(block, at.start(), block.text[at.start():at.end()], "website", clinic.website)
    return found
