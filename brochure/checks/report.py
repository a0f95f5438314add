"""Report: the findings of every check as text for people and as JSON for tools.

Why each text line is ``str(finding)``: it is the ``FILE:LINE: key: message`` shape of
build errors, so the same editors and ``grep`` habits work; rich only adds the grouping
by kind, the severity label and colour.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence

from .findings import KINDS, Finding

JSON_VERSION = 1


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def counts(findings: Sequence[Finding]) -> tuple[int, int]:
    """How many warnings and how many notes (info)."""
    warnings = sum(f.severity == "warning" for f in findings)
    return warnings, len(findings) - warnings


def verdict(findings: Sequence[Finding], file: str) -> str:
    """One line that says whether the handout is ready."""
    warnings, notes = counts(findings)
    if warnings:
        return f"{file}: {_plural(warnings, 'warning')} and {_plural(notes, 'note')} to review before printing or sending."
    if notes:
        return f"{file}: no warnings; {_plural(notes, 'note')}."
    return f"{file}: no warnings; nothing to report."


def summary(findings: Sequence[Finding], file: str) -> str | None:
    """The one line a build prints: how many warnings, of which kinds, and how to see them;
    then, in full, a warning that the text is too short or too long for its layout."""
    warnings = [f for f in findings if f.severity == "warning"]
    if not warnings:
        return None
    kinds = [kind for kind in KINDS if any(f.kind == kind for f in warnings)]
    parts = ", ".join(f"{sum(f.kind == kind for f in warnings)} {KINDS[kind].lower()}" for kind in kinds)
    line = (f"{file}: warning: {_plural(len(warnings), 'finding')} to review ({parts}); "
            f"see them with: python build.py check {file}")
    # Whether the text suits its layout is said in full: what to add or cut, or which layout.
    fit = [str(f) for f in warnings if f.kind == "layout" and f.key == "layout"]
    return "\n".join([line, *fit])


def exit_status(findings: Sequence[Finding], strict: bool = False) -> int:
    """0, or 1 under ``--strict`` when there is any warning (notes never fail)."""
    return int(strict and counts(findings)[0] > 0)


def _by_kind(findings: Sequence[Finding]) -> list[tuple[str, list[Finding]]]:
    order = list(KINDS) + sorted({f.kind for f in findings} - set(KINDS))
    groups = {kind: sorted((f for f in findings if f.kind == kind), key=Finding.sort_key) for kind in order}
    return [(kind, items) for kind, items in groups.items() if items]


def render_text(findings: Sequence[Finding], file: str, color: bool = False, width: int = 100) -> str:
    """Findings grouped by kind, one ``FILE:LINE: key: message`` line each, then the verdict."""
    from rich.console import Console  # here: a build prints only the summary line, without rich
    from rich.markup import escape

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=width,
                      highlight=False, emoji=False, soft_wrap=True)
    for kind, items in _by_kind(findings):
        warnings, notes = counts(items)
        tally = ", ".join(part for part in (_plural(warnings, "warning") * bool(warnings),
                                            _plural(notes, "note") * bool(notes)) if part)
        console.print(f"[bold]{escape(KINDS.get(kind, kind))}[/bold] ({tally})")
        for finding in items:
            label = "[yellow]warning[/yellow]" if finding.severity == "warning" else "[cyan]note[/cyan]   "
            console.print(f"  {label} {escape(str(finding))}")
        console.print()
    style = "bold red" if counts(findings)[0] else "bold green"
    console.print(f"[{style}]{escape(verdict(findings, file))}[/{style}]")
    return buffer.getvalue()


def render_json(findings: Sequence[Finding], file: str | None = None) -> str:
    """Findings as JSON (schema ``version`` 1, documented in docs/checks.md); same input, same text.

    ``file`` is the content file checked, or None when one document covers several.
    """
    warnings, notes = counts(findings)
    by_kind = {kind: {"warning": sum(f.severity == "warning" for f in findings if f.kind == kind),
                      "info": sum(f.severity == "info" for f in findings if f.kind == kind)} for kind in KINDS}
    document = {
        "version": JSON_VERSION,
        "file": file,
        "summary": {"warnings": warnings, "info": notes, "by_kind": by_kind,
                    "verdict": verdict(findings, file or "all files")},
        "findings": [f.as_dict() for f in sorted(findings, key=Finding.sort_key)],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
