"""Patches: every change brochure makes to WeasyPrint's own code, installed here, once.

Each wraps one WeasyPrint function; the line-breaking wrapper is here, the others live
beside what they serve (``roles``, ``stylesheets``), and only this module installs them. They were written against
WeasyPrint ``TESTED_WITH``; ``tests/test_architecture.py`` fails, naming each patch, when
the installed WeasyPrint is another version: read the patch's reason below, check whether
upstream changed, then update ``TESTED_WITH``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

TESTED_WITH = "70.0"  # the WeasyPrint version the patches were written against


@dataclass(frozen=True)
class Patch:
    """One WeasyPrint function wrapped: where, why, and what upstream change would retire it."""

    target: str  # module:attribute patched
    why: str
    retire_when: str


PATCHES = (
    Patch("weasyprint.layout.inline:split_first_line",
          "a run of text ending in a space is measured with the space and found unsplittable when "
          "only the space overflows: 'If' is set alone on a line before a link (render.flow)",
          "split_first_line measures a run without its trailing (hanging) spaces"),
    Patch("weasyprint.pdf.tags:_build_box_tree",
          "elements are tagged by HTML name alone: a callout, figure, note or header cell needs its "
          "own structure type, title, /ID or /Scope in the email PDF's tree (render.roles)",
          "WeasyPrint tags from an attribute (role) or maps aside/figure/th scope itself"),
    Patch("weasyprint:CSS.__init__",
          "each stylesheet is parsed again at every layout (a fifth of a tri-fold build, with its "
          "trial layouts); the parse is reused when the same bytes were seen (render.stylesheets)",
          "WeasyPrint caches parsed stylesheets across documents"),
)


_LINES_INSTALLED = False


def _line_breaking() -> None:
    """Put the fixed ``split_first_line`` in WeasyPrint's inline layout (see ``flow``'s docstring); once per process."""
    global _LINES_INSTALLED
    if _LINES_INSTALLED:
        return
    from weasyprint.layout import inline

    original = inline.split_first_line

    def split_first_line(text: str, style: Any, context: Any, max_width: float | None, justification_spacing: float,
                         is_line_start: bool = True, minimum: bool = False) -> Any:
        result = original(text, style, context, max_width, justification_spacing, is_line_start, minimum)
        if (result[2] is not None and max_width is not None and text.endswith(" ") and text.strip(" ")
                and style["white_space"] in ("normal", "pre-line")):
            # Split: measure again without the trailing spaces, which hang at a line's end.
            stripped = original(text.rstrip(" "), style, context, max_width, justification_spacing,
                                is_line_start, minimum)
            if stripped[2] is None and stripped[3] <= max_width:
                return original(text, style, context, None, justification_spacing, is_line_start, minimum)
        return result

    inline.split_first_line = split_first_line
    _LINES_INSTALLED = True


def _installers() -> list[Callable[[], None]]:
    from . import roles, stylesheets

    return [_line_breaking, roles.install, stylesheets.install]


def install() -> None:
    """Install every patch; each installer does its work once per process."""
    for installer in _installers():
        installer()
