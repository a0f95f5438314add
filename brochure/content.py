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
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo

from .errors import ContentError, Problem
from .source import Source, dotted, read_source

IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}
_URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]+:")


def _local_image(value: str, info: ValidationInfo) -> str:
    """A path to an image inside the content's folder, written relative to it."""
    root = Path((info.context or {}).get("root", "."))
    if _URL_SCHEME.match(value) or value.startswith("//"):
        raise ValueError(
            f"'{value}' is a web address or URL; save the image in the content's folder and give its file name")
    if Path(value).is_absolute() or value.startswith("\\"):
        raise ValueError(f"'{value}' is an absolute path; give a path relative to the content's folder")
    resolved = (root / value).resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise ValueError(f"'{value}' is outside the content's folder; copy the image into that folder")
    if not resolved.is_file():
        raise ValueError(f"no file '{value}' in the content's folder")
    if resolved.suffix.lower() not in IMAGE_TYPES:
        raise ValueError(f"'{value}' is not an image; use a PNG, JPEG or SVG file")
    return Path(value).as_posix()


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
        for item in error.errors(include_url=False):
            loc = tuple(item["loc"])
            problems.append(Problem(source.file, source.line(loc), dotted(loc), _plain(item, _model_at(loc))))
    if problems:
        raise ContentError(problems)
    return brochure


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
