"""Variants: the brochures (one per location) a content file describes, from a list or a CSV.

Each variant is the content file's data with the variant's overrides merged in, validated
on its own; its problems are located in the content file or at the CSV row.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import ContentError, Problem
from .messages import problems_of
from .model import Brochure, local_file
from .source import Source, dotted

ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        merged[key] = _merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return merged


def _nested(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row's dotted columns (``clinic.phone``) as nested keys; empty cells change nothing."""
    result: dict[str, Any] = {}
    for column, value in row.items():
        if column is None or value is None or not value.strip() or column == "id":
            continue
        *parents, last = column.strip().split(".")
        target = result
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value.strip()
    return result


MAX_CSV_BYTES = 5_000_000


def _delimiter(text: str) -> str:
    """The CSV's separator, from its first row: a comma, or the semicolon Excel writes where
    the comma is the decimal mark, or a tab."""
    header = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=header.count) if header else ","


def _csv_rows(source: Source, root: Path, name: str) -> list[tuple[str, int, dict[str, Any]]]:
    """(id, line, overrides) per row of the variants CSV."""
    import csv

    line = source.line(("variants",))
    try:
        relative = local_file(name, root, {".csv"}, "a CSV file")
    except ValueError as error:
        raise ContentError([Problem(source.file, line, "variants", str(error))]) from None
    path = root / relative
    raw = path.read_bytes()
    source.inputs[path.resolve()] = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ContentError([Problem(name, raw[:error.start].count(b"\n") + 1, "",
                                    "this is not UTF-8 text; save the CSV as UTF-8 (in Excel: CSV UTF-8)")]) from None
    if len(raw) > MAX_CSV_BYTES:
        raise ContentError([Problem(name, None, "", f"the file is larger than {MAX_CSV_BYTES // 1_000_000} MB; "
                                                    "this is not a list of locations")])
    # Rows are numbered as a spreadsheet shows them (the names are row 1), whatever line
    # breaks a cell holds (Alt+Enter in Excel); newline="" keeps those inside their cell.
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows = []
    number = 1
    try:
        columns = [c.strip() for c in reader.fieldnames or []]
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        if repeated:
            raise ContentError([Problem(name, 1, repeated[0], "this column is there twice; keep one of them")])
        for column in columns:
            clash = next((c for c in columns if c != column and c.startswith(column + ".")), None)
            if clash:
                raise ContentError([Problem(name, 1, column, f"conflicts with the column {clash}; keep one of them")])
        for number, row in enumerate(reader, start=2):
            if None in row:
                raise ContentError([Problem(name, number, "", "this row has more cells than the first row has names")])
            rows.append((row.get("id") or "", number, _nested(row)))
    except csv.Error as error:
        raise ContentError([Problem(name, number + 1, "", f"this row cannot be read as CSV: {error}")]) from None
    if not rows:
        raise ContentError([Problem(source.file, line, "variants", f"'{name}' has no rows")])
    return rows


def variants(brochure: Brochure, source: Source, root: Path) -> list[tuple[str | None, Brochure]]:
    """The brochures a content file describes: itself, or one per variant (location)."""
    if brochure.variants is None:
        return [(None, brochure)]
    base = {k: v for k, v in source.data.items() if k != "variants"}
    if isinstance(brochure.variants, str):
        table = brochure.variants
        rows: list[tuple[str, int, dict[str, Any], str | None]] = [
            (row_id, line, overrides, table) for row_id, line, overrides in _csv_rows(source, root, table)]
    else:
        rows = [(str(v.get("id", "")), source.line(("variants", i)), {k: x for k, x in v.items() if k != "id"}, None)
                for i, v in enumerate(brochure.variants)]
    results: list[tuple[str | None, Brochure]] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, (variant_id, line, overrides, csv_name) in enumerate(rows):
        file = csv_name or source.file
        key = "id" if csv_name else f"variants[{index}].id"
        if not ID.fullmatch(variant_id):
            shape = f"'{variant_id}' must be lowercase words joined by dashes, like north-clinic"
            problems.append(Problem(file, line, key, shape if variant_id else "required"))
            continue
        if variant_id in seen:
            problems.append(Problem(file, line, key, f"'{variant_id}' is used twice (also on line {seen[variant_id]})"))
            continue
        seen[variant_id] = line

        def located(loc: tuple[Any, ...], index: int = index, line: int = line, csv_name: str | None = csv_name,
                    overrides: dict[str, Any] = overrides, variant_id: str = variant_id) -> tuple[int, str]:
            if csv_name:
                return line, dotted(loc)
            path = ("variants", index) + loc
            if _within(overrides, loc):
                return source.line(path), dotted(path)
            return source.line(loc), f"variants[{index}] ({variant_id}): {dotted(loc)}"

        try:
            results.append((variant_id, Brochure.model_validate(_merge(base, overrides), context={"root": root})))
        except ValidationError as error:
            problems += problems_of(error, file, located)
    if problems:
        raise ContentError(problems)
    return results


def _within(overrides: dict[str, Any], loc: tuple[Any, ...]) -> bool:
    node: Any = overrides
    for part in loc:
        if (isinstance(node, dict) and part in node) or (isinstance(node, list) and isinstance(part, int) and part < len(node)):
            node = node[part]
        else:
            return False
    return True

