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
from ..files import read_regular
from .fields import in_yaml, location_keys, names, substitute, yaml_line
from .load import where
from .messages import problems_of
from .model import Brochure
from .named import local_file
from .source import Path_, Source, dotted

ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        merged[key] = _merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return merged


def _nested(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row's dotted columns (``clinic.phone``) as nested keys; empty cells change nothing.

    A column that is no content key (``hours``, ``parking``) is one of the location's own
    fields, which texts name as ``{location.hours}``.
    """
    result: dict[str, Any] = {}
    for column, value in row.items():
        if column is None or value is None or not value.strip() or column == "id":
            continue
        parts = column.strip().split(".")
        if len(parts) == 1 and parts[0] not in Brochure.model_fields:
            parts = ["location", parts[0]]
        *parents, last = parts
        target = result
        for part in parents:
            target = target.setdefault(part, {})
        # A cell typed on several lines (Alt+Enter in Excel) keeps its lines, whatever they end with.
        target[last] = "\n".join(line.rstrip() for line in value.strip().splitlines())
    return result


MAX_CSV_BYTES = 5_000_000


def delimiter(text: str) -> str:
    """The CSV's separator, from its first row: a comma, or the semicolon Excel writes where
    the comma is the decimal mark, or a tab."""
    header = re.split(r"\r\n|\n|\r", text, maxsplit=1)[0]  # a Mac CSV ends its rows with CR alone
    return max((",", ";", "\t"), key=header.count) if header else ","


Row = tuple[str, int, dict[str, Any], list[Problem]]  # id, spreadsheet row, overrides, the row's own problems


def _csv_rows(source: Source, root: Path, name: str) -> list[Row]:
    """(id, row, overrides, problems) per row of the variants CSV; a mistake in the file as a
    whole (it cannot be read, its column names) raises ``ContentError``."""
    import csv

    file, line = source.origin(("variants",))
    try:
        relative = local_file(name, root, {".csv"}, "a CSV file", where(source))
    except ValueError as error:
        raise ContentError([Problem(file, line, _key(source, ("variants",)), str(error))]) from None
    path = root / relative
    raw = read_regular(path)
    source.inputs[path.resolve()] = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ContentError([Problem(name, raw[:error.start].count(b"\n") + 1, "",
                                    "this is not UTF-8 text; save the CSV as UTF-8 (in Excel: CSV UTF-8)")]) from None
    if len(raw) > MAX_CSV_BYTES:
        raise ContentError([Problem(name, None, "", f"the file is larger than {MAX_CSV_BYTES // 1_000_000} MB; "
                                                    "this is not a list of locations")])
    # Rows are numbered as a spreadsheet shows them (the names are row 1, an empty row
    # counts), whatever line breaks a cell holds (Alt+Enter in Excel): newline="" keeps
    # those inside their cell, and each record is one row.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter(text))
    rows: list[Row] = []
    number = 1
    try:
        columns = [c.strip() for c in next(reader, [])]
        repeated = sorted({c for c in columns if columns.count(c) > 1 and c})
        if repeated:
            raise ContentError([Problem(name, 1, repeated[0], "this column is there twice; keep one of them")])
        misspelt = [problem for column in columns if (problem := _unknown_column(name, column, columns))]
        if misspelt:  # one line per column, at the names' row, rather than one per location
            raise ContentError(misspelt)
        for column in columns:
            clash = next((c for c in columns if c != column and c.startswith(column + ".")), None)
            if clash:
                raise ContentError([Problem(name, 1, column, f"conflicts with the column {clash}; keep one of them")])
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # an empty row of the spreadsheet
            row = dict(zip(columns, cells, strict=False))
            problems = []
            if len(cells) > len(columns):
                problems.append(Problem(name, number, "", f"this row has {len(cells)} cells but the first row names "
                                                          f"{len(columns)} columns; remove the extra cells"))
            rows.append(((row.get("id") or "").strip(), number, _nested(row), problems))
    except csv.Error as error:
        raise ContentError([Problem(name, number + 1, "", f"this row cannot be read as CSV: {error}")]) from None
    if not rows:
        raise ContentError([Problem(file, line, _key(source, ("variants",)), f"'{name}' has no rows")])
    return rows


def _unknown_column(name: str, column: str, columns: list[str]) -> Problem | None:
    """A column name no content key has (``clinic.phon``), or the missing ``id`` column, as one
    problem at row 1 with the nearest name; None when the column is fine."""
    import difflib

    from .messages import model_at

    if column == "id" or not column:
        return None
    if "id" not in columns and column.lower().strip() in {"id", "ids", "iid", "di"}:
        return Problem(name, 1, column, "the column of the locations' ids must be named id (lowercase)")
    parts = tuple(column.split("."))
    if len(parts) == 1:
        return None  # a location's own field: {location.hours}
    model = model_at(parts)
    if parts[0] in Brochure.model_fields and (model is None or parts[-1] in model.model_fields
                                              or model.model_config.get("extra") != "forbid"):
        return None
    if parts[0] not in Brochure.model_fields:
        known = sorted(Brochure.model_fields)
        close = difflib.get_close_matches(parts[0], known, n=1, cutoff=0.6)
        hint = f"did you mean '{'.'.join((close[0], *parts[1:]))}'?" if close else "the groups are " + ", ".join(known)
        return Problem(name, 1, column, f"no content key is named {parts[0]}; {hint}")
    assert model is not None
    fields = list(model.model_fields)
    close = difflib.get_close_matches(parts[-1], fields, n=1, cutoff=0.6)
    hint = f"did you mean '{'.'.join((*parts[:-1], close[0]))}'?" if close else "the keys here are " + ", ".join(fields)
    return Problem(name, 1, column, f"unknown column; {hint}")


def variants(brochure: Brochure, source: Source, root: Path) -> list[tuple[str | None, Brochure]]:
    """The brochures a content file describes: itself, or one per variant (location).

    Raises ``ContentError`` with every problem, of the file or of any variant.
    """
    built, failed = expand(brochure, source, root)
    if failed:
        raise ContentError([problem for problems in failed.values() for problem in problems])
    return built


def expand(brochure: Brochure, source: Source, root: Path) -> tuple[list[tuple[str | None, Brochure]],
                                                                     dict[str, list[Problem]]]:
    """The brochures a content file describes, and the variants that failed with their problems.

    A mistake of the file as a whole raises ``ContentError``; a mistake in one variant (a
    CSV row) fails that variant alone, keyed by its id (or ``#<row>`` when it has none).
    """
    if brochure.variants is None:
        return [(None, brochure)], {}
    base = {k: v for k, v in source.data.items() if k != "variants"}
    if isinstance(brochure.variants, str):
        table = brochure.variants
        rows: list[tuple[str, int, dict[str, Any], str | None, list[Problem]]] = [
            (row_id, line, overrides, table, problems) for row_id, line, overrides, problems in _csv_rows(source, root, table)]
    else:
        rows = [(str(v.get("id", "")), source.origin(("variants", i))[1], {k: x for k, x in v.items() if k != "id"},
                 None, []) for i, v in enumerate(brochure.variants)]
    known = names(location_keys(base).union(*(location_keys(overrides) for _, _, overrides, _, _ in rows)), True)
    _check_names(base, rows, source, known)
    source.contacts = _contacts([base] + [_merge(base, overrides) for _, _, overrides, _, _ in rows])
    results: list[tuple[str | None, Brochure]] = []
    failed: dict[str, list[Problem]] = {}
    # An id on two rows is ambiguous: which row is that location? Neither is built, both are named.
    lines_of: dict[str, list[int]] = {}
    for variant_id, line, _, _, _ in rows:
        lines_of.setdefault(variant_id, []).append(line)
    for index, (variant_id, line, overrides, csv_name, row_problems) in enumerate(rows):
        file = csv_name or source.origin(("variants", index))[0]
        key = "id" if csv_name else _key(source, ("variants", index, "id"))
        twice = ID.fullmatch(variant_id) is not None and len(lines_of[variant_id]) > 1
        unit = variant_id if ID.fullmatch(variant_id) and not twice else f"#{line}"
        problems = list(row_problems)
        if not ID.fullmatch(variant_id):
            shape = f"'{variant_id}' must be lowercase words joined by dashes, like north-clinic"
            failed[unit] = problems + [Problem(file, line, key, shape if variant_id else "required")]
            continue
        if twice:
            where_ = "rows" if csv_name else "lines"
            others = " and ".join(str(n) for n in lines_of[variant_id])
            failed[unit] = problems + [Problem(file, line, key, (
                f"'{variant_id}' is the id of {where_} {others}: each location needs an id of its own, so no PDF "
                f"is made for '{variant_id}' until one of them is renamed"))]
            continue

        def located(loc: tuple[Any, ...], index: int = index, line: int = line, csv_name: str | None = csv_name,
                    overrides: dict[str, Any] = overrides, variant_id: str = variant_id) -> tuple[int, str]:
            if csv_name:
                return line, dotted(loc)
            path = ("variants", index) + loc
            if _within(overrides, loc):
                return source.origin(path)[1], _key(source, path)
            return source.origin(loc)[1], f"{_key(source, ('variants', index))} ({variant_id}): {dotted(loc)}"

        def file_of(loc: tuple[Any, ...], file: str = file, overrides: dict[str, Any] = overrides,
                    index: int = index, csv_name: str | None = csv_name) -> str:
            if csv_name:
                return file
            return source.origin(("variants", index) + loc if _within(overrides, loc) else loc)[0]

        def locate(path: Path_, text: str, offset: int, located: Any = located, file_of: Any = file_of,
                   csv_name: str | None = csv_name, overrides: dict[str, Any] = overrides) -> tuple[str, int | None, str]:
            line, key = located(path)
            # A CSV cell is one row, whatever its lines; a text of the YAML that names a field this
            # row leaves empty is reported at the row too, as the spreadsheet numbers it.
            if not csv_name:
                line = yaml_line(line, text, offset)
            return file_of(path), line, key

        merged, field_problems = substitute(_merge(base, overrides), locate, known, variant_id)
        problems += field_problems
        location = merged.get("location")
        merged["location"] = {**(location if isinstance(location, dict) else {}), "id": variant_id}
        try:
            built = Brochure.model_validate(merged, context={"root": root, "where": where(source),
                                                             "checked": source.checked})
        except ValidationError as error:
            problems += problems_of(error, file, located, file_of)
        if problems:
            failed[unit] = problems
        else:
            results.append((variant_id, built))
    return results, failed


def _key(source: Source, path: Path_) -> str:
    """How messages name a variant's key: ``variants[0].id`` in a content file, ``locations[0].id``
    when the variants are the project's locations (written so in ``brochure.yaml``)."""
    inherited = ("variants",) not in source.lines and source.parent is not None and ("locations",) in source.parent.lines
    return dotted((("locations",) + path[1:]) if inherited and path[:1] == ("variants",) else path)


def _check_names(base: dict[str, Any], rows: list[Any], source: Source, known: list[str]) -> None:
    """A field name no location has, in the file's own texts: a mistake of the file, reported once."""
    problems = [p for p in substitute(base, in_yaml(source.origin), known, "-", strict=True)[1]
                if "is not a field" in p.message or "YAML reads" in p.message]
    if problems:
        raise ContentError(problems)


def _contacts(datas: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Every phone, email and website the file's locations have."""
    found: dict[str, set[str]] = {"phone": set(), "email": set(), "website": set()}
    for data in datas:
        clinic = data.get("clinic")
        if isinstance(clinic, dict):
            for kind, known in found.items():
                if isinstance(clinic.get(kind), str) and clinic[kind].strip():
                    known.add(clinic[kind].strip())
    return found


def _within(overrides: dict[str, Any], loc: tuple[Any, ...]) -> bool:
    node: Any = overrides
    for part in loc:
        if (isinstance(node, dict) and part in node) or (isinstance(node, list) and isinstance(part, int) and part < len(node)):
            node = node[part]
        else:
            return False
    return True

