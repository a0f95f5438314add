"""Content model: the typed ``Brochure`` a content file describes, and its JSON Schema.

Why pydantic with ``extra="forbid"``: a misspelt key (``heding:``) must be an error with
"did you mean", not silently ignored. Every pydantic error is translated into one plain
sentence and located at its YAML line through ``Source.lines``.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from datetime import date
from pathlib import Path
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from .errors import ContentError, Problem
from .source import Source, dotted, read_source

IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".svg"}
_URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]+:")


def _local_file(value: str, root: Path, suffixes: set[str], kind: str) -> str:
    """A path to a file inside the content's folder, written relative to it."""
    what = "the image" if kind == "an image" else "the file"
    if _URL_SCHEME.match(value) or value.startswith("//"):
        raise ValueError(
            f"'{value}' is a web address or URL; save {what} in the content's folder and give its file name")
    if Path(value).is_absolute() or value.startswith("\\"):
        raise ValueError(f"'{value}' is an absolute path; give a path relative to the content's folder")
    resolved = (root / value).resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise ValueError(f"'{value}' is outside the content's folder; copy {what} into that folder")
    if not resolved.is_file():
        raise ValueError(f"no file '{value}' in the content's folder")
    if resolved.suffix.lower() not in suffixes:
        raise ValueError(f"'{value}' is not {kind}; use " + ("a PNG, JPEG or SVG file" if kind == "an image" else kind))
    return Path(value).as_posix()


def _local_image(value: str, info: ValidationInfo) -> str:
    return _local_file(value, Path((info.context or {}).get("root", ".")), IMAGE_TYPES, "an image")


def _colour(value: str) -> str:
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        raise ValueError(f"'{value}' is not a colour; write it as # and six hex digits, like #1d5c73")
    return value.lower()


def _phone(value: str) -> str:
    if len(re.sub(r"\D", "", value)) < 7 or not re.fullmatch(r"[+\d\s().-]+", value):
        raise ValueError(f"'{value}' is not a phone number; write it like (913) 871-9888")
    return value


def _email(value: str) -> str:
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[a-zA-Z]{2,}", value):
        raise ValueError(f"'{value}' is not an email address; write it like hello@example.com")
    return value


def _website(value: str) -> str:
    if not re.fullmatch(r"(https?://)?[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)+(/[^\s<>\"]*)?", value):
        raise ValueError(f"'{value}' is not a web address; write it like example.com or https://example.com/page")
    return value


Text = Annotated[str, Field(min_length=1)]
ImagePath = Annotated[str, AfterValidator(_local_image)]
Colour = Annotated[str, AfterValidator(_colour)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, str_strip_whitespace=True,
                              frozen=True)


class Image(_Model):
    """An image with the words a screen reader says in its place."""

    src: ImagePath = Field(description="Image file, relative to the content file's folder (PNG, JPEG or SVG).")
    alt: Text = Field(description="What the image shows, read aloud by screen readers.")


class Section(_Model):
    """One part of the article: a heading and its text."""

    heading: Text = Field(description="The section's heading.")
    body: Text = Field(description="The section's text in Markdown: blank lines between paragraphs, "
                                   "'- ' for bullet points, **bold**, [links](https://example.com).")
    image: Image | None = Field(None, description="An optional picture shown with the section.")


class Clinic(_Model):
    """Who the patient contacts; printed on the handout and made into live links."""

    name: Text = Field(description="The clinic's name; also the PDF's author.")
    phone: Annotated[str, AfterValidator(_phone)] | None = Field(None, description="Phone number, e.g. (913) 871-9888.")
    website: Annotated[str, AfterValidator(_website)] | None = Field(None, description="Web address, e.g. example.com.")
    email: Annotated[str, AfterValidator(_email)] | None = Field(None, description="Email address.")
    address: str | None = Field(None, description="Street address; line breaks are kept.")
    logo: ImagePath | None = Field(None, description="Logo file, relative to the content file's folder.")


class Theme(_Model):
    """The clinic's colours and the typeface."""

    primary: Colour = Field("#1d5c73", description="Main colour: cover band, headings (#rrggbb).")
    accent: Colour = Field("#c8682c", description="Second colour: rules and highlights (#rrggbb).")
    font: Literal["Open Sans"] = Field("Open Sans", description="Typeface; Open Sans is bundled and embedded.")


class Checks(_Model):
    """The clinic's own settings for ``python build.py check`` (and the summary every build prints)."""

    target_grade: float = Field(8, ge=1, le=20, description="Highest acceptable reading grade (default 8).")
    max_sentence_words: int = Field(20, ge=5, description="Longest acceptable sentence, in words (default 20).")
    extra_terms: list[str] = Field([], description="More medical terms to explain, beside the bundled list.")
    extra_claims: list[str] = Field([], description="More claim phrases to flag, beside the bundled list.")
    min_ppi: int = Field(300, ge=72, description="Lowest acceptable image resolution in the print PDF (default 300).")


class Brochure(_Model):
    """A patient-education brochure: the whole of one content file."""

    title: Text = Field(description="The brochure's title, on the cover and in the PDF's title bar.")
    subtitle: str | None = Field(None, description="A line under the title.")
    slug: Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")] | None = Field(
        None, description="Base of the PDF file names (lowercase words and dashes); made from the title if left out.")
    lang: Annotated[str, Field(pattern=r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")] = Field(
        "en", description="Language of the text, e.g. en or es-US; screen readers use it.")
    intro: str | None = Field(None, description="Opening paragraph(s) in Markdown, shown before the sections.")
    sections: Annotated[list[Section], Field(min_length=1)] = Field(description="The article, in order.")
    clinic: Clinic = Field(description="The clinic's name and contact details.")
    disclaimer: str | None = Field(None, description="A short note that this is information, not medical advice.")
    revised: date | None = Field(None, description="Date of this revision, written YYYY-MM-DD.")
    review_by: date | None = Field(None, description="Date by which the handout should be reviewed again (YYYY-MM-DD).")
    theme: Theme = Field(Theme(), description="Colours and typeface.")
    layout: Literal["trifold", "handout"] = Field(
        "trifold", description="Print layout: trifold (one sheet folded in three) or handout (portrait pages).")
    paper: Literal["letter", "a4"] = Field("letter", description="Paper size of the print PDF: letter or a4.")
    checks: Checks = Field(Checks(), description="Settings of the content checks.")
    variants: Annotated[list[dict[str, Any]], Field(min_length=1)] | str | None = Field(
        None, description="One brochure per location: a list of overrides, each with an id, "
                          "or the name of a CSV file beside the content file (columns: id and keys such as clinic.phone).")

    @field_validator("variants", mode="before")
    @classmethod
    def _variants_shape(cls, value: Any) -> Any:
        """One plain sentence for a wrong shape, rather than pydantic's view of the union."""
        if value is None or isinstance(value, str):
            return value
        if not isinstance(value, list) or not value:
            raise ValueError("must be a list of variants (each '- id: ...') or the name of a CSV file")
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                raise ValueError(f"item {index} must be a group of keys starting with 'id:', like '- id: north'")
        return value

    @property
    def file_slug(self) -> str:
        """The base of the PDF file names: ``slug``, or the title in lowercase words and dashes."""
        if self.slug:
            return self.slug
        words = re.findall(r"[a-z0-9]+", self.title.lower().replace("'", "").replace("\u2019", ""))
        return "-".join(words)[:60].strip("-") or "brochure"


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
        return "must be one of: " + error["ctx"]["expected"].replace(" or ", ", ")
    if kind == "too_short":
        return "needs at least one item"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_pattern_mismatch":
        field = str(error["loc"][-1])
        return {"slug": "must be lowercase words joined by dashes, like ketamine-and-your-brain",
                "lang": "must be a language code like en, es or en-US"}.get(field, error["msg"])
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    return str(error["msg"])


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
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


def validate(source: Source, root: Path) -> Brochure:
    """Check ``source`` against the model; raise ``ContentError`` with every problem found."""
    problems = list(source.problems)
    try:
        brochure = Brochure.model_validate(source.data, context={"root": root})
    except ValidationError as error:
        problems += _problems(error, source.file, lambda loc: (source.line(loc), dotted(loc)))
    if problems:
        raise ContentError(problems)
    return brochure


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


def _csv_rows(source: Source, root: Path, name: str) -> list[tuple[str, int, dict[str, Any]]]:
    """(id, line, overrides) per row of the variants CSV."""
    import csv

    line = source.line(("variants",))
    try:
        relative = _local_file(name, root, {".csv"}, "a CSV file")
    except ValueError as error:
        raise ContentError([Problem(source.file, line, "variants", str(error))]) from None
    path = root / relative
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ContentError([Problem(name, raw[:error.start].count(b"\n") + 1, "",
                                    "this is not UTF-8 text; save the CSV as UTF-8 (in Excel: CSV UTF-8)")]) from None
    reader = csv.DictReader(text.splitlines())
    columns = [c.strip() for c in reader.fieldnames or []]
    for column in columns:
        clash = next((c for c in columns if c != column and c.startswith(column + ".")), None)
        if clash:
            raise ContentError([Problem(name, 1, column, f"conflicts with the column {clash}; keep one of them")])
    rows = []
    for row in reader:
        if None in row:
            raise ContentError([Problem(name, reader.line_num, "", "this row has more cells than the first row has names")])
        rows.append((row.get("id") or "", reader.line_num, _nested(row)))
    if not rows:
        raise ContentError([Problem(source.file, line, "variants", f"'{name}' has no rows")])
    return rows


def _problems(error: ValidationError, file: str, located: Callable[[tuple[Any, ...]], tuple[int, str]]) -> list[Problem]:
    """pydantic's errors as plain problems; ``located`` gives each error's line and key."""
    problems = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        line, key = located(loc)
        problems.append(Problem(file, line, key, _plain(item, _model_at(loc))))
    return problems


def variants(brochure: Brochure, source: Source, root: Path) -> list[tuple[str | None, Brochure]]:
    """The brochures a content file describes: itself, or one per variant (location)."""
    if brochure.variants is None:
        return [(None, brochure)]
    base = {k: v for k, v in source.data.items() if k != "variants"}
    if isinstance(brochure.variants, str):
        csv_name = brochure.variants
        rows = [(row_id, line, overrides, csv_name) for row_id, line, overrides in _csv_rows(source, root, csv_name)]
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
            problems.append(Problem(file, line, key, f"'{variant_id}' must be lowercase words joined by dashes, like north-clinic" if variant_id else "required"))
            continue
        if variant_id in seen:
            problems.append(Problem(file, line, key, f"'{variant_id}' is used twice (also on line {seen[variant_id]})"))
            continue
        seen[variant_id] = line

        def located(loc: tuple[Any, ...], index: int = index, line: int = line, csv_name: str | None = csv_name,
                    overrides: dict[str, Any] = overrides) -> tuple[int, str]:
            if csv_name:
                return line, dotted(loc)
            path = ("variants", index) + loc
            if _within(overrides, loc):
                return source.line(path), dotted(path)
            return source.line(loc), f"variants[{index}] ({variant_id}): {dotted(loc)}"

        try:
            results.append((variant_id, Brochure.model_validate(_merge(base, overrides), context={"root": root})))
        except ValidationError as error:
            problems += _problems(error, file, located)
    if problems:
        raise ContentError(problems)
    return results


def _within(overrides: dict[str, Any], loc: tuple[Any, ...]) -> bool:
    node: Any = overrides
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return False
    return True


def load(path: Path, name: str | None = None) -> Brochure:
    """Read and validate one content file."""
    return load_with_source(path, name)[0]


def load_with_source(path: Path, name: str | None = None) -> tuple[Brochure, Source]:
    """Read and validate one content file; also return its ``Source`` (for line numbers)."""
    source = read_source(path, name)
    return validate(source, path.resolve().parent), source


def json_schema() -> dict[str, Any]:
    """The JSON Schema editors use to complete and check content files."""
    schema = Brochure.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "content.schema.json"
    return schema
