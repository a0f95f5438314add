"""HTML: the ``Brochure`` rendered through Jinja templates, one document per output.

One environment: autoescape on, ``StrictUndefined``, and an ordered search path: the
``templates/`` folder beside the content file first, the bundled ``templates/`` last, so a
clinic overrides one block (``{% extends "bundled/handout.html" %}``) without copying the rest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import jinja2
from jinja2 import meta
from markupsafe import Markup

from .. import __version__
from ..content import Brochure, Clinic
from ..files import NotAFile, file_hash, read_regular
from ..outputs import KINDS, OutputKind
from . import blocks, markup
from . import labels as wording
from .assets import BUNDLED
from .colour import DEFAULT_PROFILE, K_ONLY, NO_INK, palette, tint_hex
from .paper import SHEETS
from .typeface import typeface


@dataclass(frozen=True)
class Output:
    """One of the PDFs made from a brochure: which template and which stylesheet."""

    name: str  # a key of ``outputs.KINDS``
    template: str

    @property
    def kind(self) -> OutputKind:
        return KINDS[self.name]


def outputs(brochure: Brochure) -> list[Output]:
    """The outputs the content asks for, in the registry's order, each with its template:
    the layout's, or its own (the email PDF is always portrait reading order)."""
    return [Output(kind.name, kind.template.format(layout=brochure.layout))
            for kind in KINDS.values() if kind.name in brochure.outputs]


def search_path(content_dir: Path) -> list[Path]:
    """Folders templates and stylesheets are looked up in, first match wins."""
    own = content_dir / "templates"
    return [own, BUNDLED] if own.is_dir() and own.resolve() != BUNDLED else [BUNDLED]


def environment(content_dir: Path) -> jinja2.Environment:
    """The Jinja environment for content in ``content_dir`` (cached: templates parse once).

    The cache is keyed on the search path, so a ``templates/`` folder created while
    ``watch`` runs is picked up at the next build.
    """
    return _environment(tuple(search_path(content_dir)))


# sha256 of each template's bytes as Jinja last loaded them: the version it has compiled
# and renders from (it reloads a template only when the file's mtime changes).
LOADED: dict[Path, str] = {}


class _HashingLoader(jinja2.FileSystemLoader):
    """A FileSystemLoader that reads each template's bytes once and records their hash."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        pieces = jinja2.loaders.split_template_path(template)
        for folder in self.searchpath:
            path = Path(folder, *pieces)
            try:
                raw = read_regular(path)  # a pipe is no template (as a missing one), never waited on
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError, NotAFile):
                continue
            mtime = path.stat().st_mtime_ns
            digest = LOADED[path.resolve()] = hashlib.sha256(raw).hexdigest()
            text = raw.decode(self.encoding)

            def uptodate(path: Path = path, mtime: int = mtime, digest: str = digest) -> bool:
                # The bytes too, not only the time: a save in pieces can land within one tick of
                # the clock that stamps files (a few ms; 2 s on a FAT or SMB share), and the
                # piece compiled would then be rendered, and found stale, at every build.
                try:
                    return path.stat().st_mtime_ns == mtime and file_hash(path) == digest
                except OSError:
                    return False

            return text, str(path.resolve()), uptodate
        raise jinja2.TemplateNotFound(template)


@lru_cache(maxsize=8)
def _environment(folders: tuple[Path, ...]) -> jinja2.Environment:
    loader = jinja2.ChoiceLoader([
        jinja2.PrefixLoader({"bundled": _HashingLoader(BUNDLED)}),
        _HashingLoader(folders),
    ])
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, auto_reload=True)
    env.filters.update(markdown=markup.markdown, linkify=markup.linkify, tel=markup.tel_href,
                       web=markup.web_href, web_label=markup.web_label, long_date=long_date, tint=tint_hex,
                       breakable=markup.breakable_html)
    env.globals.update(asset=lambda name: asset(list(folders), name), version=__version__)
    env.globals["references"] = blocks.Notes  # one per article: its footnotes, numbered through it
    env.globals["blocks_stylesheet"] = lambda body: blocks_stylesheet(list(folders), body)  # base.html
    return env


BLOCKS_CSS = "css/blocks.css"  # linked only where needed (blocks_stylesheet), but always an input
_TEMPLATE_FILES: dict[tuple[tuple[Path, ...], str], tuple[set[Path], dict[Path, int]]] = {}


def template_files(content_dir: Path, output: Output) -> set[Path]:
    """The template files one output is rendered from: its template and all it extends or
    imports, and the blocks.css the template chose on (``blocks_stylesheet``), linked or not: a
    clinic's copy added later changes the document even where the bundled one was left out.

    Cached while none of those files changed (the search path is part of the key).
    """
    return _templates(content_dir, output) | {_asset_file(search_path(content_dir.resolve()), BLOCKS_CSS)}


def _templates(content_dir: Path, output: Output) -> set[Path]:
    key = (tuple(search_path(content_dir.resolve())), output.template)
    cached = _TEMPLATE_FILES.get(key)
    if cached and all(_mtime(f) == t for f, t in cached[1].items()):
        return cached[0]
    files = _referenced(content_dir, output)
    _TEMPLATE_FILES[key] = (files, {f: _mtime(f) for f in files})
    return files


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return -1


def _referenced(content_dir: Path, output: Output) -> set[Path]:
    env = environment(content_dir.resolve())
    files: set[Path] = set()
    queue, done = [output.template], set()
    while queue:
        name = queue.pop()
        if name in done:
            continue
        done.add(name)
        # The compiled template, not a fresh read: the files of the version that renders.
        template = env.get_template(name)
        filename = template.filename
        if filename:
            files.add(Path(filename).resolve())
        source = Path(filename).read_text(encoding="utf-8") if filename else ""
        referenced: list[str | None] = list(meta.find_referenced_templates(env.parse(source)))
        if None in referenced:  # a computed name: count every template as an input
            referenced = list(env.list_templates(extensions=["html"]))
        queue += [r for r in referenced if r]
    return files


def asset(folders: list[Path], name: str) -> str:
    """``file:`` URL of a stylesheet or font, the clinic's own copy first."""
    return _asset_file(folders, name).as_uri()


def _asset_file(folders: list[Path], name: str) -> Path:
    for folder in folders:
        candidate = folder / name
        if candidate.is_file():
            return candidate.resolve()
    raise jinja2.TemplateNotFound(name)


def blocks_stylesheet(folders: list[Path], body: str) -> str | None:
    """``file:`` URL of blocks.css for a document whose body is ``body``, or None when it needs none:
    the body has nothing the bundled stylesheet styles (``blocks.styled``). A clinic's own
    blocks.css is always linked: it may style anything."""
    sheet = _asset_file(folders, BLOCKS_CSS)
    return sheet.as_uri() if blocks.styled(body) or sheet != (BUNDLED / BLOCKS_CSS).resolve() else None


@jinja2.pass_context
def long_date(context: jinja2.runtime.Context, value: date) -> str:
    """``2026-11-25`` as patients read dates in the handout's language: ``November 25, 2026``,
    ``25 de noviembre de 2026`` (by Babel, from the labels ``t`` the document is rendered with)."""
    labels = context.get("t")
    if isinstance(labels, wording.Labels):
        return labels.date(value)
    return f"{value:%B} {value.day}, {value.year}"


def render(brochure: Brochure, output: Output, content_dir: Path, stamp: str,
           labels: wording.Labels | None = None) -> str:
    """The HTML document for one output of ``brochure``; ``stamp`` is its ISO creation date.

    ``labels`` are the words brochure prints around the content, in the brochure's language
    (default: read from the catalogs for ``brochure.lang``; ``ContentError`` when there are none).
    """
    labels = labels or wording.load(brochure.lang, content_dir)
    template = environment(content_dir.resolve()).get_template(output.template)
    sheet_css = Markup(SHEETS[brochure.paper].css())
    profile = output_profile(brochure, content_dir)
    colours = palette(brochure.theme.primary, brochure.theme.accent, output.kind.cmyk, profile)
    return template.render(b=brochure, clinic=brochure.clinic, theme=brochure.theme, colours=colours,
                           profile=profile.as_uri() if output.kind.cmyk else None,
                           output=output.name, stamp=stamp,
                           # A code to scan with the phone the email PDF is read on would be useless there.
                           qr=qr_code(brochure.clinic, output.kind.cmyk) if output.kind.qr else None,
                           sheet_css=sheet_css, t=labels, typeface=typeface(brochure.theme, content_dir),
                           merged=blocks.merged_values(brochure))


def output_profile(brochure: Brochure, content_dir: Path) -> Path:
    """The CMYK profile of the print PDF: the clinic's print shop's, or the bundled one."""
    own = brochure.print.profile
    return (content_dir / own).resolve() if own else DEFAULT_PROFILE


def qr_code(clinic: Clinic, cmyk: bool = True) -> dict[str, str] | None:
    """The back panel's QR code: the website, or a ``tel:`` link when there is none.

    Vector (SVG) so it prints sharp at any size; segno keeps the 4-module quiet zone.
    """
    if clinic.website:
        payload, label = markup.web_href(clinic.website), markup.web_label(clinic.website)
    elif clinic.phone:
        payload, label = markup.tel_href(clinic.phone), clinic.phone
    else:
        return None
    return {"payload": payload, "label": label, "src": _qr_svg(payload, cmyk)}


@lru_cache(maxsize=256)
def _qr_svg(payload: str, cmyk: bool) -> str:
    """The QR code as an SVG data URI; in print, its modules in 100 % K on unprinted paper."""
    from urllib.parse import quote

    import segno

    svg = segno.make(payload, error="m").svg_inline(border=4, dark="#000000", light="#ffffff", omitsize=True)
    if cmyk:
        svg = svg.replace('stroke="#000"', f'stroke="{K_ONLY}"').replace('fill="#fff"', f'fill="{NO_INK}"')
        svg = svg.replace("<svg ", f'<svg fill="{K_ONLY}" ', 1)  # SVG's default fill, drawn as black
    return "data:image/svg+xml;charset=utf-8," + quote(svg, safe=" =:/\"'")
