"""Messages: pydantic's validation errors as plain, located ``Problem`` lines.

Each error becomes one sentence a front-desk worker can act on ("unknown key; did you
mean 'body'?"), at the line a ``located`` callback gives.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BaseModel, ValidationError

from ..errors import Problem
from .model import Brochure


def _plain(error: dict[str, Any], model: type[BaseModel] | None) -> str:
    """One pydantic error as a sentence a front-desk worker can act on."""
    kind = error["type"]
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        key = str(error["loc"][-1])
        known = list(model.model_fields) if model else []
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        if close:
            return f"unknown key; did you mean '{close[0]}'?"
        return "unknown key; the keys allowed here are: " + ", ".join(known)
    if kind in {"string_type"}:
        return "must be text"
    if kind.startswith("date_") or kind == "date_type":
        return "must be a date written YYYY-MM-DD, like 2024-05-31"
    if kind == "list_type":
        return "must be a list: one item per line, each starting with '- '"
    if kind in {"model_type", "dict_type", "model_attributes_type"}:
        return "must be a group of indented 'key: value' lines"
    if kind == "literal_error":
        expected = str(error["ctx"]["expected"])
        choices = re.findall(r"'([^']*)'", expected)
        given = error.get("input")
        close = difflib.get_close_matches(given.lower(), choices, n=1, cutoff=0.5) if isinstance(given, str) else []
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return "must be one of: " + expected.replace(" or ", ", ") + hint
    if kind == "too_short":
        return "needs at least one item"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_pattern_mismatch":
        field = str(error["loc"][-1])
        return {"slug": "must be lowercase words joined by dashes, like ketamine-and-your-brain",
                "lang": "must be a language code like en, es or en-US"}.get(field, str(error["msg"]))
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    return str(error["msg"])


def model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model class that holds the key at ``loc`` (for "did you mean")."""
    model: Any = Brochure
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or part not in model.model_fields:
            return None
        model = _unwrap(model.model_fields[part].annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        elif origin in (list, Annotated):
            annotation = typing.get_args(annotation)[0]
        else:
            return annotation


def problems_of(error: ValidationError, file: str, located: Callable[[tuple[Any, ...]], tuple[int, str]],
                file_of: Callable[[tuple[Any, ...]], str] | None = None) -> list[Problem]:
    """pydantic's errors as plain problems; ``located`` gives each error's line and key, and
    ``file_of`` (when given) its file, for a key inherited from a project file."""
    problems = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        line, key = located(loc)
        problems.append(Problem(file_of(loc) if file_of else file, line, key, _plain(dict(item), model_at(loc))))
    return problems

