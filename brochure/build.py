"""Build: one content file in, its print and email PDFs out, or nothing written at all.

Both PDFs are rendered in memory first and only then renamed into place, so a content
mistake or a failed render never costs the last good pair.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import content, html, pdf, trifold
from .errors import ContentError, Problem


@dataclass
class Result:
    """What one build wrote, and WeasyPrint's warnings about it."""

    source: str
    pdfs: list[Path]
    warnings: list[str] = field(default_factory=list)


def epoch_for(brochure: content.Brochure, path: Path) -> int:
    """The date stamped into the PDFs: ``SOURCE_DATE_EPOCH``, else the revision date, else the file's."""
    if os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():
        return int(os.environ["SOURCE_DATE_EPOCH"])
    if brochure.revised:
        return int(datetime(brochure.revised.year, brochure.revised.month, brochure.revised.day,
                            tzinfo=timezone.utc).timestamp())
    return int(path.stat().st_mtime)


def pdf_paths(brochure: content.Brochure, out_dir: Path) -> dict[str, Path]:
    """Where each output of ``brochure`` is written: ``out/<slug>-<output>.pdf``."""
    return {o.name: out_dir / f"{brochure.file_slug}-{o.name}.pdf" for o in html.outputs(brochure)}


def _finisher(brochure: content.Brochure, output: html.Output) -> Callable[[bytes, Any], bytes] | None:
    """The tri-fold's print PDF is laid out as six panel pages, then imposed on the sheet."""
    if output.name == "print" and brochure.layout == "trifold":
        sheet = trifold.SHEETS[brochure.paper]
        return lambda data, document: trifold.impose(data, document, sheet)
    return None


def build_file(path: Path, out_dir: Path, name: str | None = None) -> Result:
    """Build ``path`` into ``out_dir``; raise ``ContentError`` (nothing written) on a mistake."""
    name = name or str(path)
    brochure = content.load(path, name)
    content_dir = path.resolve().parent
    epoch = epoch_for(brochure, path)
    stamp = datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    targets = pdf_paths(brochure, out_dir)
    rendered: dict[Path, bytes] = {}
    warnings: list[str] = []
    for output in html.outputs(brochure):
        document = html.render(brochure, output, content_dir, stamp)
        try:
            data, logged = pdf.render_pdf(document, output.name, content_dir,
                                          [content_dir, html.BUNDLED], epoch, _finisher(brochure, output))
        except pdf.RenderError as error:
            raise ContentError([Problem(name, None, "", f"the {output.name} PDF could not be made: {error}")]) from None
        except trifold.Overflow as error:
            raise ContentError([Problem(name, None, "", f"{error}.")]) from None
        rendered[targets[output.name]] = data
        warnings += logged
    for target, data in rendered.items():
        pdf.write_atomic(target, data)
    return Result(name, list(rendered), list(dict.fromkeys(warnings)))
