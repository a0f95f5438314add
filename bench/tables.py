"""Bench: the time a table's layout takes, against its number of cells (issue 20).

A table's shape (short, stacked, first cell, last row) is set by classes in the HTML
(render/blocks.py), not by CSS selectors that count (``:has(tr:nth-child(7))``), whose cost
grew with the cells squared: a 50 x 30 table took over a minute. This builds handouts with one
table of 30 columns and 10, 20, 40 and 80 rows, each in a fresh process, and prints the CPU time
of each build less that of a build without a table, per cell and as a ratio to the smallest:
linear layout gives a time per cell that stays about the same.

    .venv/bin/python bench/tables.py
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = 30


def content(folder: Path, rows: int) -> Path:
    head = "| " + " | ".join(f"H{c}" for c in range(COLUMNS)) + " |\n|" + "---|" * COLUMNS + "\n"
    table = head + "".join("| " + " | ".join(str(r) for _ in range(COLUMNS)) + " |\n" for r in range(rows))
    data = {"title": f"Table {rows}", "clinic": {"name": "Clinic"}, "layout": "handout", "revised": "2026-01-01",
            "sections": [{"heading": "A table", "body": table if rows else "No table."}]}
    path = folder / f"table-{rows}.yaml"
    path.write_text(yaml.safe_dump(data, width=100_000), encoding="utf-8")
    return path


def cpu_seconds(path: Path, out: Path) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, str(ROOT / "build.py"), "build", str(path), "--out", str(out), "--force",
                    "--jobs", "1"], check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        base = cpu_seconds(content(Path(folder), 0), Path(folder) / "out")
        print(f"no table: {base:.1f} s of CPU")
        first = None
        for rows in (10, 20, 40, 80):
            cells = rows * COLUMNS
            spent = cpu_seconds(content(Path(folder), rows), Path(folder) / "out") - base
            per_cell = spent / cells * 1000
            first = first or per_cell
            print(f"{rows:3} x {COLUMNS} table ({cells:5} cells): {spent:6.1f} s, {per_cell:5.2f} ms a cell, "
                  f"{per_cell / first:4.2f} x the smallest's time a cell")


if __name__ == "__main__":
    main()
