"""Translation: findings for a translation that no longer matches the handout it translates.

A translation (``infusion.es.yaml`` beside ``infusion.yaml``, see ``content.translations``) is
compared with its source by structure, since the words differ: the number of sections, the
picture of each section, whether each has an intro and a disclaimer, and the number of bullet
points in each section. A translation whose ``revised`` date is older than its source's was
made from an earlier version of the source's text: it is stale. What it was made from is the
lock file ``brochure translated`` writes beside it (``content.translated``); each part of the
source whose text changed since is named. A translation without one falls back on the dates.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from markdown_it import MarkdownIt

from ..content import Brochure, Source, load_with_source, read_source, translated
from ..content.translations import own_path, source_of
from ..errors import ContentError
from .findings import Finding

_MARKDOWN = MarkdownIt("commonmark", {"html": False})


def translation(brochure: Brochure, source: Source) -> list[Finding]:
    """What no longer matches between ``brochure``, a translation, and the handout it translates."""
    path = own_path(source)
    original_path = source_of(path) if path else None
    if original_path is None:
        return []
    shown = str(Path(source.file).parent / original_path.name)
    file = source.file

    def finding(line: int | None, key: str, message: str) -> Finding:
        return Finding("translation", "warning", file, line, key, message)

    try:
        original, original_source = load_with_source(original_path, shown)
    except ContentError as error:
        return [finding(None, "", f"it translates {shown}, which has {len(error.problems)} mistake(s); "
                                  "build that file to see them")]
    found = _stale(brochure, source, path, original_path, original, shown, finding) if path else []
    mine, theirs = len(brochure.sections), len(original.sections)
    if mine != theirs:
        if mine < theirs:
            missing = "; ".join(f"sections[{i}] \u201c{original.sections[i].heading}\u201d (line "
                                f"{original_source.line(('sections', i))})" for i in range(mine, theirs))
            message = f"has {mine} sections, {shown} has {theirs}: not translated yet, or removed here: {missing}"
        else:
            message = (f"has {mine} sections, {shown} has {theirs}: sections[{theirs}] onwards are not in the source; "
                       "add them there too, or remove them here")
        found.append(finding(source.lines.get(("sections",)), "sections", message))
    for key in ("intro", "disclaimer"):
        if bool(getattr(brochure, key)) != bool(getattr(original, key)):
            has, lacks = ("this translation", shown) if getattr(brochure, key) else (shown, "this translation")
            found.append(finding(source.line((key,)), key, f"{has} has {'an' * (key == 'intro') or 'a'} {key}, "
                                                         f"{lacks} has none"))
    for index, (section, theirs_section) in enumerate(zip(brochure.sections, original.sections)):
        key = f"sections[{index}]"
        mine_src = section.image.src if section.image else None
        their_src = theirs_section.image.src if theirs_section.image else None
        if mine_src != their_src:
            found.append(finding(source.line(("sections", index)), key,
                                 f"shows {mine_src or 'no picture'}, where section {index} of {shown} "
                                 f"(\u201c{theirs_section.heading}\u201d) shows {their_src or 'no picture'}: "
                                 "are the sections in the same order?"))
        bullets, their_bullets = _bullets(section.body), _bullets(theirs_section.body)
        if bullets != their_bullets:
            found.append(finding(source.line(("sections", index, "body")), f"{key}.body",
                                 f"has {bullets} bullet points, where section {index} of {shown} "
                                 f"(\u201c{theirs_section.heading}\u201d) has {their_bullets}: a point added or "
                                 "dropped in one of them?"))
    return found


def _bullets(body: str) -> int:
    """Bullet points (and numbered steps) in a Markdown body."""
    return sum(token.type == "list_item_open" for token in _MARKDOWN.parse(body))


def _stale(brochure: Brochure, source: Source, path: Path, original_path: Path, original: Brochure, shown: str,
           finding: Callable[[int | None, str, str], Finding]) -> list[Finding]:
    """The parts of the source whose text changed since the translation was made, one finding
    each; without a lock file, a source revised after the translation."""
    then = translated.recorded(path)
    command = f"brochure translated {source.file}"
    if then is None:
        if original.revised and (brochure.revised is None or brochure.revised < original.revised):
            when = brochure.revised.isoformat() if brochure.revised else "no date"
            return [finding(source.lines.get(("revised",)), "revised",
                            f"stale translation: {shown} was revised on {original.revised.isoformat()}, this "
                            f"translation on {when}; translate what changed, then run {command}")]
        return [Finding("translation", "info", source.file, None, "",
                        f"no record of which text of {shown} this translates: once it matches, run {command}, "
                        "so that a later change to that text is reported")]
    try:
        now = translated.parts(read_source(original_path, shown).data)
    except ContentError:
        return []  # its mistakes are reported with it
    found = []
    for change in translated.changes(then, now):
        name = f"the section \u201c{change.heading}\u201d" if change.key.startswith("sections[") else f"the {change.key}"
        if change.what == "changed":
            message = f"stale translation: {name} of {shown} changed since this was translated; translate it again"
        elif change.what == "added":
            message = f"stale translation: {name} was added to {shown} since this was translated; translate it"
        else:
            message = f"stale translation: {name} was removed from {shown} since this was translated; remove it here"
        key = change.key if change.what != "removed" else "sections"
        line = source.lines.get(_path_of(change.key)) if change.what != "removed" else None
        found.append(finding(line or source.lines.get((key.split("[")[0],)), key,
                             f"{message}, then run {command}"))
    return found


def _path_of(key: str) -> tuple[str | int, ...]:
    """``("sections", 2)`` for ``sections[2]``."""
    if key.startswith("sections["):
        return ("sections", int(key[len("sections["):-1]))
    return (key,)
