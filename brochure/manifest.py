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
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from .files import write_atomic

FORMAT = 1
PACKAGE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Entry:
    """One PDF: its source file, which output it is, its inputs and its own hash."""

    source: str  # resolved path of the content file
    output: str  # "print" or "email"
    variant: str | None
    settings: str
    inputs: dict[str, str]  # resolved path -> sha256 (or "missing": an override not there yet)
    sha256: str


def file_hash(path: Path) -> str:
    """sha256 of a file's bytes, or "missing"."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return "missing"


@lru_cache(maxsize=1)
def tool_fingerprint() -> str:
    """brochure's own code, WeasyPrint's version and Python's: a new tool rebuilds everything."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and path.suffix != ".pyc" and "__pycache__" not in path.parts:
            digest.update(path.name.encode() + path.read_bytes())
    from importlib import metadata  # here, not at import: the no-op path needs it only once

    for package in ("weasyprint", "pydyf", "fonttools", "pikepdf", "segno", "markdown-it-py", "jinja2"):
        digest.update(metadata.version(package).encode())
    digest.update(platform.python_version().encode())
    return digest.hexdigest()


def settings_fingerprint(output: str, variant: str | None) -> str:
    """Everything besides input files that changes a PDF's bytes."""
    text = "\0".join([tool_fingerprint(), output, variant or "", os.environ.get("SOURCE_DATE_EPOCH", "")])
    return hashlib.sha256(text.encode()).hexdigest()


class Manifest:
    """The manifest of one output folder."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.path = out_dir / "manifest.json"
        self.entries: dict[str, Entry] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("format") == FORMAT:
                self.entries = {pdf: Entry(**entry) for pdf, entry in data["pdfs"].items()}
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            self.entries = {}  # no manifest, or an unreadable one: everything is rebuilt

    def fresh(self, pdf: Path, settings: str, source: Path) -> bool:
        """True when ``pdf`` exists as recorded from ``source`` and none of its inputs changed."""
        entry = self.entries.get(pdf.name)
        return (entry is not None and entry.source == str(source.resolve()) and entry.settings == settings
                and file_hash(pdf) == entry.sha256
                and all(file_hash(Path(key)) == value for key, value in entry.inputs.items()))

    def pdfs_of(self, source: Path) -> list[Path]:
        """The PDFs recorded for a content file."""
        resolved = str(source.resolve())
        return [self.out_dir / pdf for pdf, entry in self.entries.items() if entry.source == resolved]

    def up_to_date(self, source: Path) -> list[Path] | None:
        """The PDFs of ``source`` when all are fresh, else None (something must be built)."""
        pdfs = self.pdfs_of(source)
        if not pdfs:
            return None
        for pdf in pdfs:
            entry = self.entries[pdf.name]
            if not self.fresh(pdf, settings_fingerprint(entry.output, entry.variant), source):
                return None
        return pdfs

    def record(self, pdf: Path, entry: Entry) -> None:
        # Keyed by file name: the manifest sits beside the PDFs, however --out was spelt.
        self.entries[pdf.name] = entry

    def forget(self, source: Path, keep: set[str]) -> None:
        """Drop entries of ``source`` (PDF file names) no longer produced (a removed variant)."""
        resolved = str(source.resolve())
        for pdf in [p for p, e in self.entries.items() if e.source == resolved and p not in keep]:
            del self.entries[pdf]

    def save(self) -> None:
        data = {"format": FORMAT, "pdfs": {pdf: asdict(entry) for pdf, entry in sorted(self.entries.items())}}
        write_atomic(self.path, (json.dumps(data, indent=1, sort_keys=True) + "\n").encode())
