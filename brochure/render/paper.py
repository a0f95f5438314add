"""Paper: the geometry every output shares: bleed, sheet and panel sizes, in points.

Trade values from shared/notes/print-specs.md; the tri-fold's fold-in panel is 1/16 in
(3 mm) narrower so it folds in without buckling.
"""

from __future__ import annotations

from dataclasses import dataclass

PT_PER_IN = 72.0
PT_PER_MM = 72.0 / 25.4
BLEED_PT = 9.0  # 0.125 in: what US print shops ask for, on every side
# The bleeds a content file may ask for (print.bleed), in points: the US 0.125 in, or the
# 3 mm of European shops. The layouts draw 0.125 in of background beyond the trim, which
# covers either; the PDF's BleedBox says which one the shop gets.
BLEEDS = {"0.125in": BLEED_PT, "3mm": 3 * PT_PER_MM}


@dataclass(frozen=True)
class Sheet:
    """A tri-fold sheet: landscape size and panel widths, left to right on the outside."""

    width: float  # points
    height: float
    panels: tuple[float, float, float]  # outside: flap | back | cover (the flap is the narrow one)

    @property
    def wide(self) -> float:
        return self.panels[2]

    @property
    def narrow(self) -> float:
        return self.panels[0]

    def css(self) -> str:
        """The panel page sizes, in points, for the tri-fold stylesheet."""
        return (f"@page {{ size: {self.wide}pt {self.height}pt; }}\n"
                f"@page article:nth(2) {{ size: {self.narrow}pt {self.height}pt; }}\n"
                f"@page article:nth(5) {{ size: {self.narrow}pt {self.height}pt; }}")


SHEETS = {
    "letter": Sheet(11 * PT_PER_IN, 8.5 * PT_PER_IN, (3.625 * PT_PER_IN, 3.6875 * PT_PER_IN, 3.6875 * PT_PER_IN)),
    "a4": Sheet(297 * PT_PER_MM, 210 * PT_PER_MM, (97 * PT_PER_MM, 100 * PT_PER_MM, 100 * PT_PER_MM)),
}

