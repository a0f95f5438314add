"""PDF: HTML to the print PDF (PDF/X-4, bleed, marks) and the email PDF (PDF/UA-1, tagged).

WeasyPrint is imported lazily so commands that render nothing (``schema``, a no-op build)
stay fast. Its log is part of the result: an image or stylesheet that fails to load is an
error that fails the build, naming the file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from ..files import NotAFile, file_hash, read_regular
from ..outputs import KINDS
from . import fontsets, previous, resume, separations
from .glyphs import coverage
from .paper import BLEED_PT

# Each output kind's WeasyPrint options, by name (from the registry, outputs.KINDS).
OPTIONS: dict[str, dict[str, Any]] = {kind.name: dict(kind.weasyprint) for kind in KINDS.values()}


class RenderError(Exception):
    """WeasyPrint could not load something the document needs (an image, a stylesheet)."""


class _Log(logging.Handler):
    """Collects WeasyPrint's warnings and errors while one document renders: those said on its thread
    (WeasyPrint renders on the caller's), the logger being the process's: the studio renders in threads."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        # The thread saying it now (a handler runs on it), not ``record.thread``: None when logging.logThreads is
        # off, and a kept stylesheet's message replayed here was first said on another thread.
        if threading.get_ident() != self.thread:
            return  # another render's, said meanwhile
        message = record.getMessage()
        # A font that cannot be loaded is only a warning to WeasyPrint, which then falls back
        # to whatever the machine has: for us it is an error, fonts must be the bundled ones.
        fatal = record.levelno >= logging.ERROR or "cannot be loaded" in message
        (self.errors if fatal else self.warnings).append(message)


@contextmanager
def _collect_log() -> Iterator[_Log]:
    logger = logging.getLogger("weasyprint")
    handler = _Log()
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@contextmanager
def _source_date(epoch: int) -> Iterator[None]:
    """Pin ``SOURCE_DATE_EPOCH`` while writing: font subsetting stamps fonts with it."""
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = before if before and before.isdigit() else str(epoch)
    try:
        yield
    finally:
        if before is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


# sha256 of the bytes last served for each file: fonts stay registered between builds
# (fetched once), yet they are inputs of every later PDF with the hash of what was read.
FETCHED: dict[Path, str] = {}
SAVED_MID_BUILD_TRIES = 2  # a PDF made again once when a file it read changed meanwhile


def _fetcher(roots: list[Path], seen: set[Path], cmyk: bool = False, profile: Path | None = None,
             versions: dict[Path, set[str]] | None = None, checked: dict[Path, str] | None = None,
             changed: set[Path] | None = None, hashes: dict[Path, str] | None = None,
             registering: fontsets.Registered | None = None) -> Any:
    """A URL fetcher that reads local files under ``roots`` and nothing else: no network.

    Every file it reads is added to ``seen`` and its bytes' hash to ``FETCHED``: the PDF's
    inputs for the manifest, as read, even when a file is saved again mid-build. ``versions``
    gathers every hash read of each file: more than one means a save mid-build. ``checked``:
    the hash of the bytes validation checked, per file (pictures, fonts, profile); a file read
    with other bytes is added to ``changed``: a PDF of bytes nobody checked is never written.
    ``hashes``: what this fetcher read, its own: ``FETCHED`` is the process's, which another
    thread's render (the studio) may set to other bytes of the same file meanwhile. ``registering``: the font
    configuration's files, a font noted as it is read (while WeasyPrint registers it, one face at a time), not
    once the PDF is made: another thread's render finding the face registered lays out with it meanwhile.
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    allowed = [root.resolve() for root in roots]
    own: dict[Path, str] = {} if hashes is None else hashes

    class LocalFetcher(URLFetcher):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.seen = seen  # the files read: what a layout depended on (flow keys its choice on them)
            self.hashes = own  # and the hash of the bytes this fetcher read of each

        def record(self, url: str) -> None:
            """Note a file this PDF is made from, as ``fetch`` would, without answering for it:
            a font a reused stylesheet names (stylesheets._replay). Nothing when it is refused or
            cannot be read, as a failed fetch notes nothing."""
            if url.startswith("data:"):
                return
            try:
                path = self.local(url)
                body = read_regular(path)
            except (ValueError, OSError):
                return
            self.note(path, body)

        def note(self, path: Path, body: bytes) -> None:
            """``path`` read, with the hash of the bytes read: an input of this PDF."""
            seen.add(path)
            digest = own[path] = FETCHED[path] = hashlib.sha256(body).hexdigest()
            if versions is not None:
                versions.setdefault(path, set()).add(digest)
            if checked is not None and changed is not None and checked.get(path, digest) != digest:
                changed.add(path)
            resume.read(path, digest)  # a layout resumed from this one keeps no page made of other bytes

        def local(self, url: str) -> Path:
            """The file ``url`` names, if it is one brochure may read; else ValueError."""
            parsed = urlparse(url)
            if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
                raise ValueError(f"refused {url}: only files in the content's folder are used")
            path = Path(unquote(parsed.path)).resolve()
            if not any(path.is_relative_to(root) for root in allowed):
                raise ValueError(f"refused {path}: it is outside the content's folder")
            return path

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)  # the QR code, made CMYK where it is made
            path = self.local(url)
            local = _read_local(path)
            if local is None:  # missing, unreadable: WeasyPrint's own fetch, and its words for it
                response = super().fetch(path.as_uri(), headers)
                try:
                    body = response.read()
                finally:
                    response.close()
            else:
                response = local
                body = response.read()
            self.note(path, body)
            named = Path(unquote(urlparse(url).path))
            if named != path:  # reached through a link: its name is an input too (the manifest sees it re-pointed)
                seen.add(named)
                own[named] = FETCHED[named] = own[path]
                resume.read(named, own[path])  # a kept page drew the file its name pointed to then: re-pointed, other bytes
                if checked is not None and changed is not None and checked.get(named, own[path]) != own[path]:
                    changed.add(named)  # re-pointed since the check, to other bytes
            if registering is not None:
                fontsets.registered(registering, {path, named}, own)
            if profile is not None and cmyk and path.suffix.lower() in {".svg", ".png", ".jpg", ".jpeg"}:
                body, kind = separations.for_print(body, path.suffix.lower(), profile)
                if kind:
                    response.headers.replace_header("Content-Type", kind) if "Content-Type" in response.headers \
                        else response.headers.add_header("Content-Type", kind)
            url_out = response.url
            if path.suffix.lower() in {".png", ".jpg", ".jpeg"}:
                # WeasyPrint reads a picture at a local path again from disk when it writes the
                # PDF; a fragment makes it use these bytes: the ones hashed, and made CMYK.
                url_out += "#as-read"
            return URLFetcherResponse(url_out, body, response.headers, response.status)

    return LocalFetcher(allowed_protocols={"file", "data"}, fail_on_errors=False)


def _read_local(path: Path) -> Any:
    """A local file as WeasyPrint's fetcher would answer for it, read directly, or None when
    it cannot be read (the caller then fetches it as WeasyPrint does, for the same message).

    Why: WeasyPrint opens ``file:`` URLs through urllib's opener, about 0.5 ms a file against
    0.04 ms for reading it; a build fetches some 23 files (stylesheets, the fonts they name
    again, the profile, pictures). Same URL, headers and status as urllib's ``FileHandler``
    gives: the URL quoted as WeasyPrint quotes it, the type guessed from it, size and date.
    """
    import email.utils
    import mimetypes

    from weasyprint.urls import URLFetcherResponse, iri_to_uri

    url = iri_to_uri(path.as_uri())
    try:
        body = read_regular(path)  # a pipe or a device raises NotAFile: said, never waited on
        stats = path.stat()
    except NotAFile:
        raise
    except OSError:
        return None
    kind = mimetypes.guess_type(url.removeprefix("file://"))[0]
    headers = (("Content-type", kind or "text/plain"), ("Content-length", str(stats.st_size)),
               ("Last-modified", email.utils.formatdate(stats.st_mtime, usegmt=True)))
    return URLFetcherResponse(url, body, _message(headers), None)


def _message(headers: tuple[tuple[str, str], ...]) -> Any:
    """``headers`` as the ``EmailMessage`` WeasyPrint's response holds: a new one (``fetch``
    may change its type), with the header objects parsed once per process (about 1 ms a file
    each time, parsing the type and the date: a third of a fetch). A header is immutable."""
    from email.message import EmailMessage

    message = EmailMessage()
    for name, value in _parsed(headers):
        message.set_raw(name, value)
    return message


@lru_cache(maxsize=256)
def _parsed(headers: tuple[tuple[str, str], ...]) -> tuple[tuple[str, Any], ...]:
    from email.message import EmailMessage

    message = EmailMessage()
    for name, value in headers:
        message[name] = value
    return tuple(message.raw_items())


# ICC profiles deflated once per process: WeasyPrint deflates the output intent's profile
# (227 kB, about 50 ms at level 9) anew for every PDF. Keyed by the profile's bytes.
_DEFLATED: dict[bytes, bytes] = {}
_DEFLATED_MAX = 8


def _deflated(raw: bytes) -> bytes:
    """``raw`` deflated exactly as pydyf deflates a stream (zlib level 9), once per process."""
    import zlib

    if raw not in _DEFLATED:
        if len(_DEFLATED) >= _DEFLATED_MAX:
            _DEFLATED.pop(next(iter(_DEFLATED)))
        compressor = zlib.compressobj(level=9)
        _DEFLATED[raw] = compressor.compress(raw) + compressor.flush()
    return _DEFLATED[raw]


def deflated_profiles(profiles: set[Path]) -> dict[bytes, bytes]:
    """Each profile file's bytes and those bytes deflated, as a PDF embedding it writes them: a
    build's helper works them out while this process imports WeasyPrint (``known_profiles``).
    One that cannot be read is left out: the render reads it and says what is wrong, as before."""
    found = {}
    for path in sorted(profiles):
        try:
            raw = read_regular(path)  # a pipe is never waited on
        except OSError:
            continue
        found[raw] = _deflated(raw)
    return found


def known_profiles(deflated: dict[bytes, bytes]) -> None:
    """Profiles deflated elsewhere (``deflated_profiles``), kept as if deflated here: keyed by
    the bytes, so a profile that differs when the PDF embeds it is deflated then, as before."""
    for raw, done in deflated.items():
        if raw not in _DEFLATED:
            if len(_DEFLATED) >= _DEFLATED_MAX:
                _DEFLATED.pop(next(iter(_DEFLATED)))
            _DEFLATED[raw] = done


def _finisher(identifier: str, bleed: float = BLEED_PT) -> Any:
    """Post-process the PDF before it is written: exact bleed box, reproducible XMP id, colour
    profiles deflated once per process (the same bytes as WeasyPrint would write)."""

    def finish(document: Any, pdf: Any) -> None:
        import pydyf

        profiles = {profile.pdf_reference for profile in document.color_profiles.values()}
        for obj in pdf.objects:
            if (isinstance(obj, pydyf.Stream) and obj.compress and obj.reference in profiles
                    and len(obj.stream) == 1 and isinstance(obj.stream[0], bytes) and "Filter" not in obj.extra):
                # pydyf would add /Filter, deflate and add /Length, in this order: the same bytes.
                obj.extra["Filter"] = "/FlateDecode"
                obj.stream, obj.compress = [_deflated(obj.stream[0])], False
            elif isinstance(obj, pydyf.Dictionary) and "TrimBox" in obj:
                left, top, right, bottom = obj["TrimBox"]
                obj["BleedBox"] = pydyf.Array([left - bleed, top - bleed, right + bleed, bottom + bleed])
            elif isinstance(obj, pydyf.Stream) and obj.extra.get("Type") == "/Metadata":
                # WeasyPrint writes a random xmpMM:DocumentID for PDF/X-4; same input, same id.
                obj.stream = [re.sub(rb"xmp\.did:[0-9a-f-]{36}", f"xmp.did:{identifier}".encode(), chunk)
                              if isinstance(chunk, bytes) else chunk for chunk in obj.stream]

    return finish


def _plain(message: str, base_dir: Path) -> str:
    """WeasyPrint's "Failed to load image at 'file:///…/logo.png': …" as words staff can act on."""
    font = re.match(r"Font-face '([^']+)' cannot be loaded", message)
    if font:
        return (f"the font '{font[1]}' could not be loaded; a stylesheet's fonts must be files in "
                "the content's folder (or the bundled ones), never on the web or elsewhere on disk")
    match = re.match(r"Failed to (load|render) (image|stylesheet|SVG image)( at)? '?([^' ]+)'?:?\s*(.*)", message)
    if not match:
        return message
    url, detail = match[4], match[5].strip()
    path = Path(unquote(urlparse(url).path)) if url.startswith("file:") else Path(url)
    try:
        shown = str(path.resolve().relative_to(base_dir.resolve()))
    except ValueError:
        shown = url
    what = "stylesheet" if match[2] == "stylesheet" else "image"
    reason = f" ({detail})" if detail else " (the file may be damaged, or not really a PNG, JPEG or SVG)"
    return f"could not read the {what} '{shown}'{reason}"


def _uuid_like(digest: str) -> str:
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


@dataclass
class Rendered:
    """A PDF in memory, WeasyPrint's warnings about it, and the files it was made from."""

    data: bytes
    warnings: list[str]
    files: dict[Path, str]  # each file read, with the hash of the bytes read


def render_pdf(html: str, output: str, base_dir: Path, roots: list[Path], epoch: int,
               finish: Callable[[bytes, Any], bytes] | None = None, profile: Path | None = None,
               descriptions: dict[str, str] | None = None, bleed: float = BLEED_PT,
               choose: Callable[[str, Callable[[str], Any]], tuple[str, Any]] | None = None,
               forget: Callable[[], None] | None = None, checked: dict[Path, str] | None = None) -> Rendered:
    """Render one HTML document to PDF bytes, with WeasyPrint's warnings and the files read.

    ``finish(pdf_bytes, document)`` post-processes the written PDF with the laid-out
    document at hand (the tri-fold's imposition). Raise ``RenderError`` when WeasyPrint
    logged an error (a resource that did not load). ``forget()`` drops what ``choose`` kept,
    when a file read changed during the render. ``checked``: the hash of the bytes validation
    checked of each picture, font and profile (by resolved path): one read with other bytes (cut
    short, replaced since) is a ``RenderError``, never a PDF drawn from what was not checked.
    """
    from weasyprint import HTML

    from . import patches

    patches.install()  # WeasyPrint's line breaking, tags and stylesheet parsing: once per process

    # One font configuration per set of folders, kept between builds: @font-face rules
    # already registered (the bundled Open Sans) are not loaded again in watch or a batch.
    fonts, font_files = fontsets.kept(roots)
    kind = KINDS[output]
    source = html
    base_url = base_dir.resolve().as_uri() + "/"
    # The last render's layouts of this document (``previous``): pages an edit cannot change are kept.
    session = previous.Session(previous.key(output, base_url, roots, profile, fonts), fonts)
    # A file saved while this PDF is made (a picture, a stylesheet) can be read twice with two
    # contents: the tri-fold's layouts, WeasyPrint's last pass (backgrounds) and a page a trial
    # kept (resume) would then mix them in one PDF, or the manifest name bytes the PDF does not
    # show. So the PDF is made again, from nothing chosen or kept before; a file that changes
    # again meanwhile is a mistake to say, never a PDF to write.
    for attempt in range(SAVED_MID_BUILD_TRIES):
        # The file identifier comes from the document, not from where it sits on disk: the
        # HTML names stylesheets and images by absolute file: URLs, so those are neutralised.
        files: set[Path] = set()
        versions: dict[Path, set[str]] = {}
        changed: set[Path] = set()
        hashes: dict[Path, str] = {}  # this render's reads (a font registered by an earlier one: font_files.read)
        fetcher = _fetcher(roots, files, kind.cmyk, profile, versions, checked, changed, hashes, font_files)

        def lay_out(text: str, fetcher: Any = fetcher) -> Any:  # this try's fetcher
            return session.lay_out(text, lambda: HTML(string=text, base_url=base_url, url_fetcher=fetcher).render(
                font_config=fonts, **OPTIONS[output]))

        with _collect_log() as log, _source_date(epoch), session.active():
            html, document = choose(source, lay_out) if choose is not None else (source, lay_out(source))
            portable = html
            for index, root in enumerate([base_dir, *roots]):
                portable = portable.replace(root.resolve().as_uri(), f"root{index}:")
            digest = hashlib.sha256(f"{output}\0{portable}".encode()).hexdigest()
            if not kind.links:  # PDF/X: no annotations; a printed link is its words
                for page in document.pages:
                    page.links.clear()
            # Only a PDF cut at its trim has a bleed: a screen's or a desktop printer's page names no area beyond it.
            data = document.write_pdf(finisher=_finisher(_uuid_like(digest), bleed if kind.trimmed else 0.0),
                                      pdf_identifier=digest[:32].encode(), **OPTIONS[output])
        # The pictures were made CMYK with the print profile as it was on disk then (``separations``
        # opens it by its path), not with the bytes fetched: one saved meanwhile is a change too.
        if kind.cmyk and profile is not None and checked and checked.get(profile, "") not in ("", file_hash(profile)):
            changed.add(profile)
        # Fonts fetched once stay registered (not fetched by a next try): inputs of every later PDF all the same.
        fontsets.registered(font_files, files, hashes)
        if changed:  # the content is checked again by the next build, which then says what is wrong with it
            if forget is not None:
                forget()  # nor is a choice made from a layout of bytes nobody checked kept
            dropped = fontsets.CONFIGS.pop(tuple(roots), None)  # nor a font registered from them, under the name of other bytes
            if dropped is not None:
                fontsets.drop(dropped[0])
            raise RenderError(f"{', '.join(sorted(path.name for path in changed))} changed after the content was "
                              "checked (saved or copied again during the build); build again once it is saved")
        saved = sorted(path for path, seen_hashes in versions.items() if len(seen_hashes) > 1)
        if not saved:
            break
        if forget is not None:
            forget()  # a choice made from mixed layouts is not kept for the next try
        session.again()  # nor a layout made of them resumed from
        if attempt == SAVED_MID_BUILD_TRIES - 1:
            raise RenderError(f"{', '.join(path.name for path in saved)} changed while the PDF was being made "
                              "(saved again during the build); build again once it is saved")
    strangers = fontsets.machine_fonts(document, font_files)
    if strangers:
        covered = set().union(*(coverage(path) for path in font_files)) if font_files else set()
        text = re.sub(r"<[^>]*>|&\w+;|&#\d+;", " ", html)
        missing = "".join(sorted({c for c in text if not c.isspace() and ord(c) not in covered}))
        if missing:
            log.errors.append(f"some characters ({missing}) are not in the bundled font, so this computer's "
                              f"{', '.join(strangers)} would be used; remove symbols such as arrows or check marks, "
                              "or add a font that has them (templates/fonts and a stylesheet beside the content)")
        else:
            pictures = sorted({f.name for f in files if f.suffix.lower() == ".svg"})
            asks = f"a stylesheet or a picture ({', '.join(pictures)})" if pictures else "a stylesheet"
            log.errors.append(f"{asks} asks for a font that is not bundled, so this computer's "
                              f"{', '.join(strangers)} would be used; use font-family: \"Open Sans\" "
                              "or add the font's file beside the content")
    if log.errors:
        raise RenderError("; ".join(dict.fromkeys(_plain(e, base_dir) for e in log.errors)))
    if kind.tagged:  # the structure tree a screen reader follows, mended (see tagging)
        from .tagging import mend

        data = mend(data, descriptions)
    if finish:
        data = finish(data, document)
    session.commit(html, document)  # the PDF is made: its layouts are the next render's to resume from
    # A font registered by an earlier render is not fetched again: named by the bytes it registered.
    return Rendered(data, log.warnings, {f: hashes.get(f) or font_files.read[f] for f in files | font_files.keys()})
