"""Required: findings for the parts every handout needs: contact, revision and review
dates, and the 988 crisis line where mental health is discussed."""

from __future__ import annotations

import re
from datetime import date

from ..content import Brochure, Path_, Source, dotted
from .findings import Finding, Severity
from .text import Block

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


def required(brochure: Brochure, source: Source, today: date, blocks: list[Block]) -> list[Finding]:
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
    elif brochure.review_by < today:
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
