"""HTML articles (and Word files, which mammoth turns into HTML) as ``Item``s of Markdown.

Only the structure is taken: headings, paragraphs, lists, bold, italic, links (web, email and
phone addresses only) and pictures. Scripts, styles, forms and every attribute but a link's
address and a picture's source and words are dropped: the result is text, never markup.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

from .article import Item

_SKIPPED = {"script", "style", "head", "template", "noscript", "svg", "math", "form", "button", "select", "nav"}
_BLOCKS = {"p", "div", "section", "article", "blockquote", "pre", "table", "tr", "figure", "figcaption", "header",
           "footer", "main", "dd", "dt", "address"}
_LINK = re.compile(r"^(https?://|mailto:|tel:)", re.I)
# Characters that would be read as Markdown marks at the start of a line, or anywhere.
_ESCAPE = re.compile(r"([\\`*_\[\]<>|])")


def _escaped(text: str) -> str:
    return _ESCAPE.sub(r"\\\1", text)


class _Reader(HTMLParser):
    def __init__(self, picture: Callable[[str, str], str | None]) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[Item] = []
        self.picture = picture
        self.skipping = 0
        self.text = ""  # the block being read, as Markdown
        self.heading: int | None = None
        self.subtitle = False
        self.lists: list[str] = []  # "ul" or "ol", innermost last
        self.list_lines: list[str] = []
        self.link: str | None = None
        self.title = ""
        self.in_title = False

    # --- blocks ------------------------------------------------------------------------------
    def _flush(self) -> None:
        text = re.sub(r"[ \t]+", " ", self.text).strip()
        text = re.sub(r" *\n *", "\n", text)
        self.text = ""
        if not text:
            return
        if self.lists:
            depth = "  " * (len(self.lists) - 1)
            marker = "1." if self.lists[-1] == "ol" else "-"
            self.list_lines.append(f"{depth}{marker} {text}")
        elif self.heading is not None:
            self.items.append(Item(re.sub(r"[*\\]", "", text), self.heading))
        else:
            self.items.append(Item(text, subtitle=self.subtitle))

    def _end_list(self) -> None:
        if self.list_lines:
            self.items.append(Item("\n".join(self.list_lines)))
            self.list_lines = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag in _SKIPPED:
            self.skipping += 1
            self.in_title = self.in_title or tag == "title"
            return
        if tag == "title":
            self.in_title = True
            return
        if self.skipping:
            return
        if re.fullmatch(r"h[1-6]", tag):
            self._flush()
            self.heading = 0 if "title" in values.get("class", "").split() else int(tag[1])
        elif tag in ("ul", "ol"):
            self._flush()
            self.lists.append(tag)
        elif tag == "li":
            self._flush()
        elif tag in _BLOCKS:
            self._flush()
            self.subtitle = "subtitle" in values.get("class", "").split()
        elif tag == "br":
            self.text += "\n"
        elif tag in ("strong", "b"):
            self.text += "**"
        elif tag in ("em", "i"):
            self.text += "*"
        elif tag == "a":
            href = values.get("href", "").strip()
            self.link = href if _LINK.match(href) else None
            if self.link:
                self.text += "["
        elif tag == "img":
            src = self.picture(values.get("src", ""), values.get("alt", ""))
            if src:
                alt = _escaped(" ".join(values.get("alt", "").split()))
                self._flush()
                self.items.append(Item(f"![{alt}]({src})"))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
            if tag == "title" or tag == "head":
                self.in_title = False
            return
        if tag == "title":
            self.in_title = False
            return
        if self.skipping:
            return
        if re.fullmatch(r"h[1-6]", tag):
            self._flush()
            self.heading = None
        elif tag in ("ul", "ol"):
            self._flush()
            if self.lists:
                self.lists.pop()
            if not self.lists:
                self._end_list()
        elif tag == "li":
            self._flush()
        elif tag in _BLOCKS:
            self._flush()
            self.subtitle = False
        elif tag in ("strong", "b", "em", "i"):
            # A mark closes against its word: Word's "<strong>raised </strong>" is "**raised** ".
            space = self.text[len(self.text.rstrip()):]
            self.text = self.text.rstrip() + ("**" if tag in ("strong", "b") else "*") + space
        elif tag == "a" and self.link:
            self.text += f"]({self.link})"
            self.link = None

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data
        elif not self.skipping:
            self.text += _escaped(data.replace("\n", " "))

    def close(self) -> None:
        super().close()
        self._flush()
        self.lists = []
        self._end_list()


def _tidy(text: str) -> str:
    """Bold runs that Word splits in two (``**a****b**``) joined again."""
    return re.sub(r"(?<=\S)\*\*\*\*(?=\S)", "", text)


def html_items(html: str, picture: Callable[[str, str], str | None]) -> list[Item]:
    """An HTML article as items; ``picture(src, alt)`` copies a picture and gives its new name (None: left out)."""
    reader = _Reader(picture)
    reader.feed(html)
    reader.close()
    items = [Item(_tidy(i.text), i.level, i.subtitle) for i in reader.items]
    if reader.title.strip() and not any(i.level is not None and i.level <= 1 for i in items):
        items.insert(0, Item(" ".join(reader.title.split()), 0))
    return items
