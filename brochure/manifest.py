"""Manifest: what each PDF in ``out/`` was made from, so an unchanged rebuild writes nothing.

``out/manifest.json`` records, per PDF, the hash of every file that went into it (content,
CSV, templates, stylesheets, fonts, images: exactly the files Jinja and WeasyPrint read),
a fingerprint of the tool and its settings, and the PDF's own hash. Checking it needs no
YAML parser, no pydantic and no WeasyPrint: that is what keeps a no-op build near instant.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .files import file_hash, locked, read_cache, write_together

FORMAT = 2  # 2: paths relative to out/ (a copied project stays valid); bundled files by name
PACKAGE = Path(__file__).resolve().parent
_BUNDLED_PREFIX = "bundled:"


@dataclass(frozen=True)
class Entry:
    """One PDF: its source file, which output it is, its inputs and its own hash.

    Paths are written relative to the manifest's folder (``../content.yaml``), and bundled
    templates as ``bundled:css/print.css``: the manifest stays true when the project folder
    is copied or moved, and says nothing of where the tool is installed.
    """

    source: str
    output: str  # a key of outputs.KINDS
    variant: str | None
    settings: str
    inputs: dict[str, str]  # path as above -> sha256 (or "missing": an override not there yet)
    sha256: str


def bytes_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@lru_cache(maxsize=1)
def tool_fingerprint() -> str:
    """brochure's own code, WeasyPrint's version and Python's: a new tool rebuilds everything."""
    digest = hashlib.sha256()
    for path in _code_files():
        with open(path, "rb") as file:
            digest.update(os.path.basename(path).encode() + file.read())
    for version in _installed_versions(FINGERPRINTED):
        digest.update(version.encode())
    digest.update(platform.python_version().encode())
    return digest.hexdigest()


def _code_files() -> list[str]:
    """brochure's files (no bytecode, no templates: those are a PDF's inputs), in the order of
    their paths' parts, as ``sorted(PACKAGE.rglob("*"))`` gave them: by ``os.walk`` and strings,
    not a ``Path`` a file (about 10 ms less of a no-op build)."""
    files = []
    for folder, subfolders, names in os.walk(PACKAGE):
        parts = Path(folder).relative_to(PACKAGE).parts
        if parts[:1] == ("templates",) or "__pycache__" in parts:
            subfolders.clear()
            continue
        files += [(*parts, name) for name in names if os.path.splitext(name)[1] != ".pyc"
                  and os.path.isfile(os.path.join(folder, name))]
    return [os.path.join(PACKAGE, *parts) for parts in sorted(files)]


FINGERPRINTED = ("weasyprint", "pydyf", "fonttools", "pikepdf", "segno", "markdown-it-py", "jinja2", "babel", "pyphen")
_METADATA_FOLDER = re.compile(r"(?P<name>[^-]+)-(?P<version>[^-]+)(?:-[^-]*)?\.(?:dist|egg)-info")


def _normal(name: str) -> str:
    """A project's name as ``importlib.metadata`` compares it (PEP 503, ``-`` as ``_``)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def _installed_versions(packages: Iterable[str]) -> list[str]:
    """Each package's installed version, from the name of its ``.dist-info`` (or ``.egg-info``)
    folder, the first on ``sys.path`` as ``importlib.metadata`` finds it.

    Not ``importlib.metadata.version``: importing it (email, zipfile, csv) and parsing each
    package's METADATA took about 40 ms of a 0.18 s no-op build, whose up-to-date check asks
    for ``tool_fingerprint`` first. A package not found so (a folder without its version in
    its name, an install in a zip) is asked of ``importlib.metadata``."""
    wanted = {_normal(package): package for package in packages}
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:  # a zip, a file, a folder gone or unreadable
            continue
        for name in sorted(names):
            match = _METADATA_FOLDER.fullmatch(name)
            if match and _normal(match["name"]) in wanted:
                found.setdefault(_normal(match["name"]), match["version"])
    versions = []
    for key, package in wanted.items():
        if key not in found:
            from importlib import metadata  # here, not at import: only for an odd install

            found[key] = metadata.version(package)
        versions.append(found[key])
    return versions


def settings_fingerprint(output: str, variant: str | None) -> str:
    """Everything besides input files that changes a PDF's bytes."""
    from .environment import source_date_epoch

    pinned = source_date_epoch()
    text = "\0".join([tool_fingerprint(), output, variant or "", "" if pinned is None else str(pinned)])
    return hashlib.sha256(text.encode()).hexdigest()


MAX_BYTES = 1 << 30  # a manifest larger than this was not written by brochure (1,000 locations: ~10 MB)


def _load(path: Path) -> object:
    """The JSON of ``path`` when it is a regular file (not a link, folder, pipe or device), else None."""
    data = read_cache(path, MAX_BYTES)
    try:
        return None if data is None else json.loads(data)
    except (ValueError, RecursionError):  # odd bytes, not JSON, nested past the parser's depth
        return None


_TEXT_FIELDS = ("source", "output", "settings", "sha256")


def _entry(pdf: object, fields: object) -> Entry | None:
    """One entry as this tool writes it, else None: every field there, of its type, nothing else."""
    if not isinstance(pdf, str) or not _plain_pdf_name(pdf) or not isinstance(fields, dict) \
            or set(fields) != {*_TEXT_FIELDS, "variant", "inputs"}:
        return None
    inputs, variant = fields["inputs"], fields["variant"]
    if not all(isinstance(fields[name], str) for name in _TEXT_FIELDS) \
            or not (variant is None or isinstance(variant, str)) or not isinstance(inputs, dict) \
            or not all(isinstance(k, str) and k and isinstance(v, str) for k, v in inputs.items()) \
            or not fields["source"]:
        return None
    return Entry(**fields)


def _plain_pdf_name(name: str) -> bool:
    """A PDF's name in out/, never a path elsewhere: a hand-made entry must not make a file
    outside out/ look like one of ours."""
    return name.endswith(".pdf") and "/" not in name and "\\" not in name and "\0" not in name \
        and name not in (".", "..")


def _entries(data: object) -> dict[str, Entry] | None:
    """The entries of a manifest's JSON, or None when any part of it is not as written."""
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("pdfs"), dict):
        return None
    entries = {}
    for pdf, fields in data["pdfs"].items():
        entry = _entry(pdf, fields)
        if entry is None:
            return None
        entries[pdf] = entry
    return entries


def _write(resolved: Path, follow: bool, out: str) -> str:
    """``Manifest.key`` of a path whose links are followed (``resolved``), unless ``follow``."""
    from .render.assets import BUNDLED

    if follow and resolved.is_relative_to(BUNDLED):
        return _BUNDLED_PREFIX + resolved.relative_to(BUNDLED).as_posix()
    return Path(os.path.relpath(resolved, out)).as_posix()


_written = lru_cache(maxsize=4096)(_write)


# Out folder -> the content files (as manifest keys) of the batch this process is building into
# it, inherited by the workers it forks. Every commit records them as unfinished ("failed"),
# so a batch cut short (Ctrl-C, a lost cluster, a killed process) leaves none of them up to
# date: the next build makes the units this one did not. ``Manifest.settle`` clears them.
_UNFINISHED: dict[Path, frozenset[str]] = {}


@contextmanager
def unfinished(out_dir: Path, keys: Iterable[str]) -> Iterator[None]:
    """While a batch builds the content files ``keys`` (``Manifest.key``) into ``out_dir``."""
    folder = out_dir.resolve()
    _UNFINISHED[folder] = frozenset(keys)
    try:
        yield
    finally:
        _UNFINISHED.pop(folder, None)


@dataclass
class Removed:
    """PDFs of an earlier build no longer made: removed, or kept because changed since."""

    removed: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


class Manifest:
    """The manifest of one output folder."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.path = out_dir / "manifest.json"
        # Content files (as keys) some of whose variants failed at their last build: never
        # "up to date", so each build reports those variants again until they are fixed.
        self.failed: set[str] = set()
        self.entries: dict[str, Entry] = self._read()

    def _read(self) -> dict[str, Entry]:
        """The entries, or none when the file is not one this tool wrote: a cache miss.

        The manifest is a cache, and a cache is never trusted: whatever shape a hand edit,
        a copy or a crash left it in (not JSON, other types, a folder, a link, a device),
        everything is simply rebuilt, and the next commit writes a good one.
        """
        data = _load(self.path)
        entries = _entries(data)
        failed = data.get("failed", []) if isinstance(data, dict) else []
        if entries is None or not isinstance(failed, list) or not all(isinstance(key, str) for key in failed):
            self.failed = set()
            return {}
        self.failed = set(failed)
        return entries

    def key(self, path: Path, follow: bool = True) -> str:
        """How ``path`` is written in the manifest (see ``Entry``); unless ``follow``, a link
        on the way stays as named (``path`` is absolute, and its folder the project's)."""
        resolved = Path(os.path.realpath(path)) if follow else path
        return self._key(resolved, follow, self._out)

    def keys(self, resolved: dict[Path, Path]) -> dict[Path, str]:
        """``key`` of each path, given with its links followed (``os.path.realpath``): the
        out folder resolved once, not once a path (a resolve is a look at each folder on the way)."""
        out = self._out
        return {path: self._key(real, True, out) for path, real in resolved.items()}

    @staticmethod
    def _key(resolved: Path, follow: bool, out: str) -> str:
        # Of strings alone when both paths are absolute (``out`` is): remembered, as a build
        # writes the same inputs' keys for every PDF (about 70 a unit, 0.1 ms each).
        return _written(resolved, follow, out) if resolved.is_absolute() else _write(resolved, follow, out)

    @property
    def _out(self) -> str:
        return os.path.realpath(self.out_dir)

    def _where_recorded(self, entry: Entry) -> bool:
        """Whether every input is still reached as when it was read: a link that leads to a
        file not read then (a picture replaced by a link out of the project, a link pointed at
        another picture) is a change, even when the bytes there are the same."""
        out = self._out
        for key in entry.inputs:
            if key.startswith(_BUNDLED_PREFIX):
                continue
            reached = os.path.realpath(os.path.join(out, key))
            if reached != os.path.normpath(os.path.join(out, key)) \
                    and Path(os.path.relpath(reached, out)).as_posix() not in entry.inputs:
                return False
        return True

    def path_of(self, key: str) -> Path:
        """The file a manifest key names."""
        if key.startswith(_BUNDLED_PREFIX):
            from .render.assets import BUNDLED

            return BUNDLED / key.removeprefix(_BUNDLED_PREFIX)
        return self.out_dir / key

    def _is_source(self, entry: Entry, source: Path) -> bool:
        return os.path.realpath(self.path_of(entry.source)) == os.path.realpath(source)  # a loop of links raises not

    def fresh(self, pdf: Path, settings: str, source: Path) -> bool:
        """True when ``pdf`` exists as recorded from ``source`` and none of its inputs changed."""
        entry = self.entries.get(pdf.name)
        return (entry is not None and self._is_source(entry, source) and entry.settings == settings
                and file_hash(pdf) == entry.sha256 and self._where_recorded(entry)
                and all(file_hash(self.path_of(key)) == value for key, value in entry.inputs.items()))

    def pdfs_of(self, source: Path) -> list[Path]:
        """The PDFs recorded for a content file."""
        return [self.out_dir / pdf for pdf, entry in self.entries.items() if self._is_source(entry, source)]

    def source_of(self, pdf: Path) -> Path | None:
        """The content file a PDF was recorded as made from, if it still exists."""
        entry = self.entries.get(pdf.name)
        source = self.path_of(entry.source) if entry else None
        return source if source is not None and source.is_file() else None

    def up_to_date(self, source: Path) -> list[Path] | None:
        """The PDFs of ``source`` when all are fresh, else None (something must be built)."""
        pdfs = self.pdfs_of(source)
        if not pdfs or self.key(source) in self.failed:
            return None
        for pdf in pdfs:
            entry = self.entries[pdf.name]
            if not self.fresh(pdf, settings_fingerprint(entry.output, entry.variant), source):
                return None
        return pdfs

    def commit(self, pdfs: dict[Path, bytes], entries: dict[str, Entry]) -> None:
        """Write one unit's PDFs and their manifest entries together, or nothing at all.

        Under the folder's lock, the manifest is read again first: another build into the
        same folder may have recorded its own PDFs since this one started.
        """
        with locked(self.out_dir):
            self.entries = self._read() | entries
            self.failed |= _UNFINISHED.get(self.out_dir.resolve(), frozenset())
            write_together({**pdfs, self.path: self._text()})

    def forget(self, source: Path, keep: set[str]) -> Removed:
        """Drop entries of ``source`` (PDF file names) no longer produced (a removed variant, a
        new title or slug) and remove those PDFs: what is left in out/ is what is current."""
        return self._drop(lambda entry: self._is_source(entry, source), keep)

    def forget_gone(self) -> Removed:
        """Drop the entries, and remove the PDFs, of content files that no longer exist."""
        return self._drop(lambda entry: not entry.source.startswith(_BUNDLED_PREFIX)
                          and not self.path_of(entry.source).is_file()
                          and not self.path_of(entry.source).is_symlink(), set())  # a link to nowhere: a mistake to say

    def _drop(self, chosen: Callable[[Entry], bool], keep: set[str]) -> Removed:
        """Remove the PDFs of the ``chosen`` entries but ``keep``, each only if its bytes are still
        those brochure wrote: a file someone changed since is kept (and no longer listed)."""
        removed = Removed()
        if not any(chosen(e) and p not in keep for p, e in self.entries.items()):
            return removed
        with locked(self.out_dir):
            self.entries = self._read()
            gone = [p for p, e in self.entries.items() if chosen(e) and p not in keep]
            for pdf in gone:
                path = self.out_dir / pdf
                if file_hash(path) == self.entries[pdf].sha256:
                    path.unlink()
                    removed.removed.append(path)
                elif path.is_file():
                    removed.kept.append(path)
                del self.entries[pdf]
            if gone:
                write_together({self.path: self._text()})
        return removed

    def settle(self, failed: dict[Path, bool]) -> None:
        """Record, once a batch is over, which of its content files had some variants fail
        (never up to date until they build) and which built whole; written only on a change.

        Read again under the lock: the batch's commits recorded its files as unfinished.
        """
        if not self.out_dir.is_dir():  # nothing was committed: nothing is recorded either
            return
        with locked(self.out_dir):
            self.entries = self._read()
            keys = {self.key(source): value for source, value in failed.items()}
            now = {key for key in self.failed if keys.get(key, True)} | {key for key, value in keys.items() if value}
            if now != self.failed:
                self.failed = now
                write_together({self.path: self._text()})

    def _text(self) -> bytes:
        data: dict[str, object] = {"format": FORMAT,
                                   # vars, not asdict: the same JSON without a deep copy of every entry
                                   # of the folder (a project's hundreds) at each commit
                                   "pdfs": {pdf: vars(entry) for pdf, entry in sorted(self.entries.items())}}
        if self.failed:
            data["failed"] = sorted(self.failed)
        return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode()
