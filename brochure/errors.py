"""User errors: mistakes in content a non-programmer can fix, each located in its file.

Why: a bug in brochure keeps its traceback, but a typo in content.yaml must come back as
one plain line naming the file, the line and the key, with every mistake found in one run.
So user errors are their own exception class, carrying a list of ``Problem``.
"""

from __future__ import annotations

from dataclasses import dataclass


def shortened(text: str, limit: int = 40) -> str:
    """A value the user gave, as a message quotes it: at most ``limit`` characters shown."""
    return text if len(text) <= limit else text[:limit] + "..."


def located(file: str, line: int | None, key: str, message: str) -> str:
    """``file:line: key: message``, the one shape every error and finding is printed in."""
    where = f"{file}:{line}" if line else file
    return f"{where}: {key}: {message}" if key else f"{where}: {message}"


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake: where it is and what is wrong, in plain words."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        return located(self.file, self.line, self.key, self.message)


class ContentError(Exception):
    """The content cannot be built; ``problems`` says every reason found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.line or 0, p.key))
        super().__init__("\n".join(str(p) for p in self.problems))
