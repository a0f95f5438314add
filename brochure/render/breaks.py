"""Breaks: where an element starts in the HTML source, and its start tag marked to begin a new
panel. Shared by flow (sentence ends at panel ends) and panels (a short article spread over
the inside), so neither imports the other."""

from __future__ import annotations

import re
from typing import Any

BREAK_CLASS = "panel-break-before"


# Elements whose content is text, not tags (a clinic's <style> may say "<p>" in a comment):
# the parser makes no element of what they hold, so neither is it counted here.
_RAW_TEXT = ("script", "style", "textarea", "title")


def start_tag(text: str, tag: str, ordinal: int) -> re.Match[str] | None:
    """The ``ordinal``-th (from 0) start tag ``<tag ...>`` of the HTML, outside comments and
    the content of raw-text elements (``<style>``, ``<script>``...)."""
    raw = "|".join(name for name in _RAW_TEXT if name != tag)
    count = 0
    for match in re.finditer(rf"<!--.*?-->|<({raw})(?=[\s>])[^>]*>.*?</\1\s*>|<{tag}(?=[\s>/])[^>]*>",
                             text, re.S | re.I):
        if match.group(0).startswith("<!--") or match.group(1):
            continue
        if count == ordinal:
            return match
        count += 1
    return None


def source_of(text: str, root: Any, element: Any) -> re.Match[str] | None:
    """Where ``element`` starts in the HTML: its tag counted among those of its name."""
    ordinal = next((i for i, e in enumerate(root.iter(element.tag)) if e is element), -1)
    return start_tag(text, element.tag, ordinal) if ordinal >= 0 else None


def with_break_class(tag: str) -> str:
    """A start tag with ``BREAK_CLASS`` added to its classes (and without an id)."""
    tag = re.sub(r"""\sid=("[^"]*"|'[^']*'|[^\s>]+)""", "", tag)
    match = re.search(r"""\sclass=("([^"]*)"|'([^']*)'|([^\s>"']+))""", tag)
    if match:
        classes = next(g for g in match.groups()[1:] if g is not None)
        return f'{tag[:match.start()]} class="{classes} {BREAK_CLASS}"{tag[match.end():]}'
    name = re.match(r"<\w+", tag)
    assert name is not None
    return f'{tag[:name.end()]} class="{BREAK_CLASS}"{tag[name.end():]}'
