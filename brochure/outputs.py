"""Outputs: the registry of output kinds, the PDFs a brochure can be made into.

Each kind is one frozen record of data: its template, its WeasyPrint options, and what
the render, finishing and check stages do with it. The HTML, PDF, job, colour, review,
serve and model code read these fields and never compare a kind's name, so a new kind
is one record here (plus its stylesheet, if it needs its own). Data only, importing
nothing of brochure's: every stage may read it, like ``errors``, without a cycle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, get_args


@dataclass(frozen=True)
class OutputKind:
    """One kind of PDF: everything the stages need to know to make and check it."""

    name: str  # in content files' ``outputs:`` and in PDF names: ``<slug>-<name>.pdf``
    purpose: str  # who it is for, in the schema's description of ``outputs``
    template: str  # the HTML template; ``{layout}`` is the brochure's layout (trifold, handout)
    weasyprint: Mapping[str, Any]  # WeasyPrint's render and write_pdf options
    links: bool  # live links kept; PDF/X allows no annotations: a printed link is its words
    tagged: bool  # the structure tree mended for screen readers (render.tagging)
    qr: bool  # the back panel's QR code (useless on the phone the PDF is read on)
    cmyk: bool  # colours and pictures made CMYK through the print shop's output profile
    sheet: bool  # the layout's sheet: a tri-fold's panels imposed on it, ending at sentence ends
    trimmed: bool  # bleed, crop marks, and checked as cut at the trim (else: its page's edge)
    default: bool  # made when the content file does not say ``outputs:``


# Print: PDF/X-4 whose output intent is the document's ``@color-profile device-cmyk`` (a
# CMYK printer profile), which WeasyPrint picks when no other intent is named.
# Email: PDF/UA-1, which makes WeasyPrint tag the structure for screen readers; images at
# 150 dpi: sharp on a phone, small in a mailbox.
PRINT = OutputKind("print", "for the print shop", "{layout}.html", MappingProxyType({"pdf_variant": "pdf/x-4"}),
                   links=False, tagged=False, qr=True, cmyk=True, sheet=True, trimmed=True, default=True)
EMAIL = OutputKind("email", "for phones", "handout.html",
                   MappingProxyType({"pdf_variant": "pdf/ua-1", "pdf_tags": True, "optimize_images": True,
                                     "dpi": 150, "jpeg_quality": 85}),
                   links=True, tagged=True, qr=False, cmyk=False, sheet=False, trimmed=False, default=True)
OFFICE = OutputKind("office", "for the clinic's own Letter or A4 printer: no bleed, no marks", "{layout}.html",
                    MappingProxyType({}),  # an ordinary PDF for a desktop printer: RGB, links kept
                    links=True, tagged=False, qr=True, cmyk=False, sheet=True, trimmed=False, default=False)

# Every kind by name, in the order a brochure's PDFs are made and listed.
KINDS: Mapping[str, OutputKind] = MappingProxyType({kind.name: kind for kind in (PRINT, EMAIL, OFFICE)})

# The names as a type, for the content model (mypy needs them written out; a test checks they match KINDS).
Name = Literal["print", "email", "office"]
assert get_args(Name) == tuple(KINDS), "Name must list KINDS' names, in order"

DEFAULTS: list[Name] = [kind.name for kind in KINDS.values() if kind.default]  # type: ignore[misc]


def kind_of(stem: str) -> OutputKind:
    """The kind of a PDF from its file name's stem (``flu-print``); a PDF named by no kind
    is shown as a screen PDF, the email one."""
    return next((kind for kind in KINDS.values() if stem.endswith(f"-{kind.name}")), EMAIL)


def listed(names: Sequence[str]) -> str:
    """``a, b and c``: names in a sentence."""
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)
