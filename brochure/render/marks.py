"""Marks: crop and fold marks in the registration colour, drawn outside the bleed (and a
page cut to its trim, with no other box, for the office PDF).

Why our own and not WeasyPrint's ``marks: crop``: WeasyPrint draws those in RGB black, which
a CMYK workflow separates onto the black plate alone; a press registers its plates by marks
printed on every one of them. The colour is ``/Separation /All``, which PDF defines as all
plates at once.
"""

from __future__ import annotations

import io

import pikepdf

MARK_OFFSET_PT = 13.5  # crop and fold marks start 0.1875 in from the trim, clear of the 0.125 in bleed
MARK_LENGTH_PT = 13.5
RESOURCE = "/Registration"

Line = tuple[float, float, float, float]


def registration_colour(pdf: pikepdf.Pdf) -> pikepdf.Array:
    """The ``/Separation /All`` colour space: 1 is full ink on every plate."""
    tint = pdf.make_indirect(pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[0, 0, 0, 0], C1=[1, 1, 1, 1],
                                                N=1))
    return pikepdf.Array([pikepdf.Name.Separation, pikepdf.Name.All, pikepdf.Name.DeviceCMYK, tint])


def crop_lines(left: float, bottom: float, right: float, top: float) -> list[Line]:
    """Two short lines at each corner of the trim, starting ``MARK_OFFSET_PT`` outside it."""
    o, n = MARK_OFFSET_PT, MARK_LENGTH_PT
    lines = []
    for x, dx in ((left, -1), (right, 1)):
        for y, dy in ((bottom, -1), (top, 1)):
            lines.append((x + dx * o, y, x + dx * (o + n), y))
            lines.append((x, y + dy * o, x, y + dy * (o + n)))
    return lines


def stroke(lines: list[Line], dash: bool = False) -> bytes:
    """Content-stream operators drawing ``lines`` in the registration colour (resource ``RESOURCE``)."""
    ops = [f"q {RESOURCE} CS 1 SCN 0.5 w", "[3 2] 0 d" if dash else "[] 0 d"]
    ops += [f"{x0:.3f} {y0:.3f} m {x1:.3f} {y1:.3f} l S" for x0, y0, x1, y1 in lines]
    return ("\n".join(ops) + "\nQ\n").encode()


def add_crop_marks(data: bytes) -> bytes:
    """Every page of a PDF with crop marks at its TrimBox, in the registration colour."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        colour = registration_colour(pdf)
        for page in pdf.pages:
            left, bottom, right, top = (float(v) for v in page.obj.TrimBox)
            if "/Resources" not in page.obj:
                page.obj.Resources = pikepdf.Dictionary()
            if "/ColorSpace" not in page.obj.Resources:
                page.obj.Resources.ColorSpace = pikepdf.Dictionary()
            page.obj.Resources.ColorSpace[RESOURCE] = colour
            page.contents_add(pdf.make_stream(stroke(crop_lines(left, bottom, right, top))), prepend=False)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, static_id=True)
        return out.getvalue()


def trim_only(data: bytes) -> bytes:
    """Every page cut to its TrimBox, with no other box: the office PDF, for a desktop printer.

    A page's MediaBox becomes its trim, and its BleedBox, TrimBox, CropBox and ArtBox go:
    nothing outside the page is left to show, and no box names an area beyond it.
    """
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            if "/TrimBox" in page.obj:
                page.obj.MediaBox = pikepdf.Array([float(v) for v in page.obj.TrimBox])
            for box in ("/CropBox", "/BleedBox", "/TrimBox", "/ArtBox"):
                if box in page.obj:
                    del page.obj[box]
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, static_id=True)
        return out.getvalue()
