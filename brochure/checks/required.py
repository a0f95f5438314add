"""Required: findings for the parts every handout needs: contact, revision and review
dates, and the 988 crisis line where mental health is discussed."""

from __future__ import annotations

from datetime import date

from ..content import Brochure, Path_, Source, dotted
from .findings import Finding, Severity
from .languages import ENGLISH, Language
from .text import Block

# --- required parts -------------------------------------------------------------------------------

def _missing(source: Source, path: Path_) -> int | None:
    """The line of the nearest written parent of a missing key, or None for the file itself."""
    line = source.line(path)
    while path and path not in source.lines:
        path = path[:-1]
    return line if path else None


def required(brochure: Brochure, source: Source, today: date, blocks: list[Block],
             language: Language = ENGLISH) -> list[Finding]:
    """Contact details, a disclaimer, a revision and review date, and 988 for mental-health topics
    (found by ``language``'s words, with a suggested line in it)."""
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
    found += _crisis_line(blocks, file, language)
    return found


def _crisis_line(blocks: list[Block], file: str, language: Language = ENGLISH) -> list[Finding]:
    """A mental-health handout in the US should give the 988 Suicide & Crisis Lifeline, and, in a
    language the Lifeline answers in, how to reach it in that language."""
    if language.mental_health is None:
        return []
    given = [block for block in blocks if language.crisis_line.search(block.text)]
    if given:
        if language.in_language is None or any(language.in_language.search(block.text) for block in blocks):
            return []
        block = given[0]
        match = language.crisis_line.search(block.text)
        return [Finding("required", "info", file, block.line_at(match.start() if match else 0), block.key,
                        f"the 988 Lifeline answers in {language.name}, but the handout does not say how to reach it "
                        f"that way; add a line such as \u201c{language.crisis_example}\u201d")]
    for block in blocks:
        topic = language.mental_health.search(block.text)
        if topic:
            return [Finding("required", "warning", file, block.line_at(topic.start()), block.key,
                            f"\u201c{topic.group()}\u201d makes this a mental-health handout, but it never gives "
                            f"the 988 Suicide & Crisis Lifeline; add a line such as \u201c{language.crisis_example}\u201d")]
    return []
