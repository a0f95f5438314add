"""Origin: a finding about a key that a handout inherits from its project file is placed
in the project file, at that key's line.

Why: a chain's handouts take the clinic, the disclaimer and the theme from ``brochure.yaml``.
A finding about one of those ("this text says (816) 555-0199...") must send the editor to the
line that says it, in the file that says it, not to the handout, which has no such line.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..content import Path_, Source
from .findings import Finding

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def key_path(key: str) -> Path_ | None:
    """``sections[2].body`` as ``("sections", 2, "body")``; None for what is not a key (``page 2``)."""
    if not key or " " in key:
        return None
    parts: list[str | int] = []
    for match in _PART.finditer(key):
        parts.append(match[1] if match[1] is not None else int(match[2]))
    return tuple(parts) if parts else None


def placed(finding: Finding, source: Source) -> Finding:
    """``finding`` with no line, about a key: at the line of that key (or of the nearest key
    above it that is written), in the handout or, when the handout inherits it, in the project
    file (``clinic.phone`` is inherited even when the handout writes a ``clinic:`` of its own
    with only an email). Anything else (a page of a PDF) as it is."""
    if finding.file != source.file or finding.line is not None:
        return finding
    path = key_path(finding.key)
    written = {**(source.parent.lines if source.parent else {}), **source.lines}
    while path and path not in written:
        path = path[:-1]
    if not path:
        return finding
    file, line = source.origin(path)
    return replace(finding, file=file, line=line)
