"""Findings: what a reviewer would point out, and the one registry of their kinds.

Every kind is named once, here, with the title reports print over its group and its
place in their order.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

from ..errors import located

Severity = Literal["warning", "info"]

# Every kind of finding, in the order reports list them, with the title over its group.
KINDS: dict[str, str] = {
    "required": "Required parts",
    "contact": "Contact details in the text",
    "reading-level": "Reading level",
    "long-sentence": "Long sentences",
    "jargon": "Medical terms not explained",
    "claim": "Absolute or unsupported claims",
    "translation": "Translations",
    "layout": "Layout",
    "contrast": "Colour contrast",
    "type-size": "Type size",
    "image-resolution": "Image resolution",
    "alt-text": "Alt text",
    "tagging": "Tagging for screen readers",
    "fonts": "Fonts",
}
_ORDER = {kind: index for index, kind in enumerate(KINDS)}


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
        return (self.file, self.line or 0, key, _ORDER.get(self.kind, len(_ORDER)), self.message)
