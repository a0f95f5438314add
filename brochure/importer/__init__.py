"""Importer: ``brochure import FILE``, a clinic's article (.docx, .md, .txt, .html) as a content file.

The title, the intro, sections from the headings, lists, bold and italic, links, and the
pictures (copied into a folder beside the new file). A file that cannot be read is one line
(``CannotImport``); what the person should check afterwards is said in notes.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..files import read_regular, write_atomic
from .article import Article, group, to_yaml
from .markup import html_items
from .text import markdown_items, text_items

READERS = {".docx": "a Word file", ".md": "Markdown", ".markdown": "Markdown", ".txt": "plain text",
           ".html": "a web page", ".htm": "a web page"}
MAX_BYTES = 25_000_000  # a Word file with a few photos; an article's text is some kB
MAX_TEXT = 2_000_000  # characters of text, after reading
PICTURES = {"png": ".png", "jpeg": ".jpg", "jpg": ".jpg", "svg+xml": ".svg"}


class CannotImport(Exception):
    """The file cannot be imported; the message says why in one line."""


@dataclass
class Imported:
    path: Path
    article: Article
    pictures: list[Path] = field(default_factory=list)


def _read_bytes(source: Path) -> bytes:
    if source.suffix.lower() not in READERS:
        kinds = ", ".join(sorted({s for s in READERS if s in (".docx", ".md", ".txt", ".html")}))
        raise CannotImport(f"{source}: cannot import a '{source.suffix or 'no extension'}' file; save the article "
                           f"as {kinds} and import that")
    try:
        if source.is_dir():
            raise CannotImport(f"{source}: is a folder, not a file")
        size = source.stat().st_size
        if size > MAX_BYTES:
            raise CannotImport(f"{source}: is {size // 1_000_000} MB, too large for an article (at most "
                               f"{MAX_BYTES // 1_000_000} MB); make its pictures smaller")
        data = read_regular(source)  # a pipe or a device: one line, never waited on or read without end
    except FileNotFoundError:
        raise CannotImport(f"{source}: no such file") from None
    except OSError as error:
        raise CannotImport(f"{source}: cannot be read ({error.strerror or error})") from None
    if not data.strip():
        raise CannotImport(f"{source}: is empty")
    return data


def _decoded(source: Path, data: bytes) -> str:
    """Text files as UTF-8 (Windows' own encoding as a fallback); anything binary is refused."""
    if b"\0" in data[:65536]:
        raise CannotImport(f"{source}: is not a text file (it holds binary data); save it as {READERS[source.suffix.lower()]}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise CannotImport(f"{source}: is not readable text; save it as UTF-8") from None
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\n\r\f")
    if controls > len(text) // 100:
        raise CannotImport(f"{source}: is not a text file (it holds binary data)")
    if len(text) > MAX_TEXT:
        raise CannotImport(f"{source}: is {len(text)} characters long, too long for a handout")
    return text


class _Pictures:
    """Pictures copied beside the new content file, in ``<name>-pictures/``, by safe names."""

    def __init__(self, source: Path, target: Path) -> None:
        self.source_folder = source.resolve().parent
        self.folder = target.parent / f"{target.stem}-pictures"
        self.copied: list[Path] = []
        self.notes: list[str] = []

    def _name(self, suffix: str) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder / f"picture-{len(self.copied) + 1}{suffix}"

    def _relative(self, path: Path) -> str:
        return f"{self.folder.name}/{path.name}"

    def add_bytes(self, data: bytes, suffix: str, alt: str) -> str:
        path = self._name(suffix)
        write_atomic(path, data)  # never half a picture, the disk full or not
        self.copied.append(path)
        if not alt.strip():
            self.notes.append(f"{self._relative(path)} has no words for screen readers: write what it shows "
                              "between the [ ] before it")
        return self._relative(path)

    def __call__(self, src: str, alt: str) -> str | None:
        """A picture named in the document: a data: address or a file beside it (never the web)."""
        data_url = re.fullmatch(r"data:image/([a-z+]+);base64,(.*)", src.strip(), re.S)
        if data_url:
            suffix = PICTURES.get(data_url[1])
            if suffix is None:
                self.notes.append(f"left out a picture stored as image/{data_url[1]}: save it as PNG or JPEG and add it")
                return None
            try:
                return self.add_bytes(base64.b64decode(data_url[2], validate=False), suffix, alt)
            except (binascii.Error, ValueError):
                self.notes.append("left out a picture that could not be read")
                return None
        if re.match(r"^[a-z][a-z0-9+.-]*:|^//", src, re.I) or not src:
            self.notes.append(f"left out the picture '{src[:60]}': only pictures saved beside the article are copied")
            return None
        found = (self.source_folder / src).resolve()
        suffix = found.suffix.lower()
        if not found.is_file() or suffix not in (".png", ".jpg", ".jpeg", ".svg"):
            self.notes.append(f"left out the picture '{src[:60]}': no PNG, JPEG or SVG file of that name beside the article")
            return None
        return self.add_bytes(found.read_bytes(), suffix, alt)


def _markdown_pictures(text: str, pictures: _Pictures) -> str:
    def copy(match: re.Match[str]) -> str:
        new = pictures(match[2], match[1])
        return match[0].replace(f"({match[2]}", f"({new}", 1) if new else ""

    return re.sub(r"!\[([^\]]*)\]\(\s*<?([^)\s>]+)>?", copy, text)


def _docx_html(source: Path, data: bytes, pictures: _Pictures) -> str:
    import io
    import zipfile

    import mammoth

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise CannotImport(f"{source}: is not a Word document (.docx); open it in Word and save it as .docx")

    def image(picture: object) -> dict[str, str]:
        kind = str(getattr(picture, "content_type", "")).removeprefix("image/")
        alt = str(getattr(picture, "alt_text", "") or "")
        suffix = PICTURES.get(kind)
        if suffix is None:
            pictures.notes.append(f"left out a picture stored as image/{kind}: save it as PNG or JPEG and add it")
            return {}
        with picture.open() as stream:  # type: ignore[attr-defined]
            return {"src": pictures.add_bytes(stream.read(), suffix, alt), "alt": alt}

    style_map = "p[style-name='Title'] => h1.title:fresh\np[style-name='Subtitle'] => p.subtitle:fresh"
    try:
        result = mammoth.convert_to_html(io.BytesIO(data), convert_image=mammoth.images.img_element(image),
                                         style_map=style_map)
    except (KeyError, zipfile.BadZipFile, ValueError) as error:
        raise CannotImport(f"{source}: is not a readable Word document ({error}); open it in Word and save it again") from None
    html: str = result.value  # its pictures already copied through ``image``: their src is the new name
    return html


def import_file(source: Path, target: Path, force: bool = False) -> Imported:
    """Read ``source`` and write the content file ``target``; ``CannotImport`` when it cannot be read."""
    from ..discover import find_project
    from ..files import write_atomic

    data = _read_bytes(source)
    if target.exists() and not force:
        raise CannotImport(f"{target}: exists already; name another file with --to, or replace it with --force")
    suffix = source.suffix.lower()
    pictures = _Pictures(source, target)
    fallback = re.sub(r"[-_]+", " ", source.stem).strip().capitalize() or "Imported article"
    if suffix == ".docx":
        html = _docx_html(source, data, pictures)
        items = html_items(html, lambda src, alt: src if src.startswith(pictures.folder.name + "/") else None)
    elif suffix in (".html", ".htm"):
        items = html_items(_decoded(source, data), pictures)
    elif suffix in (".md", ".markdown"):
        items = markdown_items(_markdown_pictures(_decoded(source, data), pictures))
    else:
        items = text_items(_decoded(source, data))
    if not any(i.text.strip() for i in items):
        raise CannotImport(f"{source}: has no text to import")
    article = group(items, fallback)
    article.notes += pictures.notes
    text = to_yaml(article, source.name, find_project(target) is not None)
    write_atomic(target, text.encode("utf-8"))
    return Imported(target, article, pictures.copied)


def default_target(source: Path) -> Path:
    """The content file an import writes when not told: the article's name, .yaml, in this folder."""
    return Path((re.sub(r"[^\w.-]+", "-", source.stem).strip("-.") or "article") + ".yaml")


def summary(imported: Imported, prog: str) -> list[str]:
    """What an import says: what it wrote, what to check, what to do next."""
    article, target = imported.article, imported.path
    count, pictures = len(article.sections), len(imported.pictures)
    said = f", {pictures} picture{'s' * (pictures != 1)}" if pictures else ""
    return ([f"wrote {target}: '{article.title}', {count} section{'s' * (count != 1)}{said}"]
            + [f"{target}: note: {note}" for note in article.notes]
            + [f"next: {prog} serve {target}  (edit it beside its pages)"])
