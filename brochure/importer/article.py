"""Article: the parts of an imported document (title, intro, sections of Markdown), grouped from a
reader's stream of headings and blocks, and written as a content file.

Readers (``text``, ``markup``) turn a document into ``Item``s: headings with their level, and
blocks of Markdown (a paragraph, a list, a picture). Grouping is the same for every format:
the title is the document's title (or its one top heading), the highest heading level below
it starts sections, deeper headings become bold lines in their section, what comes before
the first section is the intro.
"""

from __future__ import annotations

import io
import re
import textwrap
from dataclasses import dataclass, field

WRAP = 88  # the seed's line length: a content file reads well in any text editor


@dataclass(frozen=True)
class Item:
    """A heading (``level`` 1 to 6; 0 for the document's own title) or a Markdown block (level None)."""

    text: str
    level: int | None = None
    subtitle: bool = False  # a block the document marks as its subtitle


@dataclass
class Article:
    title: str = ""
    subtitle: str = ""
    intro: list[str] = field(default_factory=list)
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the person should look at, said after the import


def group(items: list[Item], fallback_title: str) -> Article:
    """Items as an article (see the module's docstring)."""
    article = Article()
    items = [i for i in items if i.text.strip()]
    titles = [i for i in items if i.level == 0]
    headings = [i for i in items if i.level]
    if titles:
        article.title = titles[0].text
    elif headings:
        top = min(i.level or 0 for i in headings)
        first = headings[0]
        # One heading at the top level, before any other: the document's title.
        if first.level == top and sum(i.level == top for i in headings) == 1 and len(headings) > 1:
            article.title = first.text
            items = [i for i in items if i is not first]
    if not article.title:
        article.title = fallback_title
        article.notes.append(f"no title found: the title is '{fallback_title}'; change it")
    rest = [i for i in items if i.level != 0]
    levels = [i.level for i in rest if i.level]
    section_level = min(levels) if levels else None
    current: list[str] = article.intro
    for item in rest:
        if item.subtitle and not article.subtitle and not article.sections and not article.intro:
            article.subtitle = " ".join(item.text.split())
        elif item.level is not None and item.level == section_level:
            article.sections.append((" ".join(item.text.split()), []))
            current = article.sections[-1][1]
        elif item.level:
            current.append(f"**{' '.join(item.text.split())}**")  # a sub-heading: a bold line in its section
        else:
            current.append(item.text.strip("\n"))
    kept = []
    for heading, blocks in article.sections:
        if blocks:
            kept.append((heading, blocks))
        else:
            article.notes.append(f"left out the heading '{heading}': no text follows it")
    article.sections = kept
    if not article.sections:
        # No headings: the whole text is one section, titled by the title (the build needs one).
        article.sections = [(article.title, article.intro)] if article.intro else []
        article.intro = []
        article.notes.append("no headings found: the text is one section; split it into sections in the editor")
    return article


def wrapped(block: str) -> str:
    """A paragraph or a list folded at ``WRAP`` columns: Markdown reads a line break inside a
    paragraph as a space. Pictures, tables and lines already short are left as they are."""
    lines = block.split("\n")
    if any(line.lstrip().startswith(("|", "![", ":::", "```")) for line in lines) or max(map(len, lines)) <= WRAP:
        return block
    out = []
    for line in lines:
        marker = re.match(r"^(\s*(?:[-*+]|\d+[.)])\s+)", line)
        indent = " " * len(marker[1]) if marker else re.match(r"^\s*", line)[0]  # type: ignore[index]
        out.append(textwrap.fill(line, WRAP, subsequent_indent=indent, break_long_words=False,
                                 break_on_hyphens=False) if len(line) > WRAP else line)
    return "\n".join(out)


def to_yaml(article: Article, source_name: str, in_project: bool) -> str:
    """The article as a content file, in the seed's layout: literal blocks for the texts."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import LiteralScalarString

    def text(blocks: list[str]) -> str | LiteralScalarString:
        value = "\n\n".join(wrapped(b) for b in blocks).strip()
        block = "\n" in value or len(value) > WRAP or re.match(r"([-*+]|\d+[.)])\s", value)
        return LiteralScalarString(value + "\n") if block else value

    doc = CommentedMap()
    doc["title"] = article.title
    if article.subtitle:
        doc["subtitle"] = article.subtitle
    if article.intro:
        doc["intro"] = text(article.intro)
    sections = CommentedSeq()
    for heading, blocks in article.sections:
        sections.append(CommentedMap([("heading", heading), ("body", text(blocks))]))
    doc["sections"] = sections
    if not in_project:
        doc["clinic"] = CommentedMap([("name", "")])
        doc.yaml_set_comment_before_after_key("clinic", before="\nWho patients contact: the clinic's name, phone, "
                                                               "website (the build asks for the name).")
    for index in range(len(sections) - 1):
        sections.yaml_set_comment_before_after_key(index + 1, before="\n", indent=2)
    doc.yaml_set_start_comment(f"Imported from {source_name} by brochure import. Check the title, the headings "
                               "and each picture's words;\nthen build, or edit it beside the pages: brochure serve")
    yaml = YAML()
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(doc, out)
    return re.sub(r"\n\s*\n(\s*\n)+", "\n\n", out.getvalue())
