"""Content model: the typed ``Brochure`` a content file describes, and its JSON Schema.

Why pydantic with ``extra="forbid"``: a misspelt key (``heding:``) must be an error with
"did you mean", not silently ignored (``messages`` words each error; ``load`` locates it).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WrapValidator,
    field_validator,
    model_validator,
)

from ..outputs import DEFAULTS, KINDS, Name, listed
from . import dialect
from .fonts import BUNDLED_FONT, FONT_KIND, THEME_FONT_SUFFIXES, readable_font
from .links import bad_links
from .named import local_image, named_file, print_profile, read_checked


def _colour(value: str) -> str:
    cmyk = re.fullmatch(r"cmyk\(\s*(\d{1,3})%?[\s,]+(\d{1,3})%?[\s,]+(\d{1,3})%?[\s,]+(\d{1,3})%?\s*\)", value.strip(),
                        re.IGNORECASE)
    if cmyk:
        parts = [int(part) for part in cmyk.groups()]
        if max(parts) > 100:
            raise ValueError(f"'{value}': CMYK values are percentages from 0 to 100")
        if sum(parts) > 300:
            raise ValueError(f"'{value}' puts {sum(parts)} % ink on paper; print shops accept at most 300 %")
        return "cmyk({} {} {} {})".format(*parts)
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        raise ValueError(f"'{value}' is not a colour; write it as # and six hex digits, like #1d5c73, "
                         "or as CMYK percentages from a brand guide, like cmyk(74 12 6 61)")
    return value.lower()


def _not_a_number(value: Any) -> Any:
    """YAML reads ``revised: 0`` as a number, which pydantic would take as 1 January 1970."""
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().lstrip("-").isdigit()):
        raise ValueError(f"'{value}' is not a date; write it YYYY-MM-DD, like 2024-05-31")
    return value


def _plausible(value: date) -> date:
    if not 1990 <= value.year <= 2100:
        raise ValueError(f"{value.isoformat()} is not a date of this handout; write it YYYY-MM-DD, like 2024-05-31")
    return value


Day = Annotated[date, BeforeValidator(_not_a_number), AfterValidator(_plausible)]
MAX_WEBSITE = 100  # a QR code of a longer address is too dense to scan at the size it prints


def valid_phone(value: str) -> str:
    """``value`` if it is a phone number (also what ``fields`` links); ``ValueError`` saying how to write one."""
    if not 7 <= len(re.sub(r"\D", "", value)) <= 15 or not re.fullmatch(r"[+\d\s().-]{7,30}", value):
        raise ValueError(f"'{value}' is not a phone number; write it like (913) 871-9888")
    return value


def valid_email(value: str) -> str:
    """``value`` if it is an email address (also what ``fields`` links); ``ValueError`` saying how to write one."""
    if len(value) > 254 or not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[a-zA-Z]{2,}", value):
        raise ValueError(f"'{value}' is not an email address; write it like hello@example.com")
    return value


def valid_website(value: str) -> str:
    """``value`` if it is a web address (also what ``fields`` links); ``ValueError`` saying how to write one."""
    if len(value) > MAX_WEBSITE:
        raise ValueError(f"is {len(value)} characters long; the QR code of a web address over {MAX_WEBSITE} characters "
                         "is too dense to scan once printed: use a shorter address (a short link to the page)")
    if not re.fullmatch(r"(https?://)?[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)+(/[^\s<>\"]*)?", value):
        raise ValueError(f"'{value}' is not a web address; write it like example.com or https://example.com/page")
    return value


def _links(value: str) -> str:
    bad = bad_links(value)
    if bad:
        raise ValueError(f"the link target '{bad[0]}' is not a web address, email or phone number; write it "
                         "in full, like [our page](https://example.com/page) or [email us](mailto:hi@example.com)")
    return value


def _blocks(value: str, info: ValidationInfo) -> str:
    """Tables, callouts, notes and pictures written as the dialect says; each picture a file
    checked like ``image.src`` (inside the content's folder, complete), with words for screen readers."""
    found = dialect.problems(value, (info.context or {}).get("notes"))
    for picture in dialect.pictures(value):
        try:
            local_image(picture.src, info)
        except ValueError as error:
            found.append(str(error))
    if found:
        raise ValueError("; ".join(found))
    return value


Text = Annotated[str, Field(min_length=1)]
Markdown = Annotated[str, AfterValidator(_links), AfterValidator(_blocks)]
ImagePath = Annotated[str, AfterValidator(local_image)]
Colour = Annotated[str, AfterValidator(_colour)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, str_strip_whitespace=True,
                              frozen=True)


class Image(StrictModel):
    """An image with the words a screen reader says in its place."""

    src: ImagePath = Field(description="Image file, relative to the content file's folder (PNG, JPEG or SVG).")
    alt: Text = Field(description="What the image shows, read aloud by screen readers.")


class Section(StrictModel):
    """One part of the article: a heading and its text."""

    heading: Text = Field(description="The section's heading.")
    body: Annotated[Markdown, Field(min_length=1)] = Field(description="The section's text in Markdown: blank lines between paragraphs, "
                                   "'- ' for bullet points, **bold**, [links](https://example.com); also tables, "
                                   "callouts (::: warning When to call 911), checklists (- [ ] ...), numbered steps "
                                   "(1. ...), footnotes ([^1] and [^1]: the source) and pictures "
                                   "(![what it shows](file.png \"caption\"){.half .right}).")
    image: Image | None = Field(None, description="An optional picture shown with the section.")


class Clinic(StrictModel):
    """Who the patient contacts; printed on the handout and made into live links."""

    name: Text = Field(description="The clinic's name; also the PDF's author.")
    phone: Annotated[str, AfterValidator(valid_phone)] | None = Field(None, description="Phone number, e.g. (913) 871-9888.")
    website: Annotated[str, AfterValidator(valid_website)] | None = Field(None, description="Web address, e.g. example.com.")
    email: Annotated[str, AfterValidator(valid_email)] | None = Field(None, description="Email address.")
    address: str | None = Field(None, description="Street address; line breaks are kept.")
    logo: ImagePath | None = Field(None, description="Logo file, relative to the content file's folder.")


def _font_file(value: str, info: ValidationInfo) -> str:
    """A font file inside the project that fontTools can read."""
    root = Path((info.context or {}).get("root", "."))
    relative = named_file(value, root, THEME_FONT_SUFFIXES, FONT_KIND, info)
    readable_font(read_checked(root / relative, value, info), value)
    return relative


def _font(value: str, info: ValidationInfo) -> str:
    """``Open Sans`` (bundled), or a font file of the project."""
    if value == BUNDLED_FONT:
        return value
    if "/" not in value and "." not in value:  # a family's name ("Arial"), not a file's
        where = (info.context or {}).get("where", "the content's folder")
        raise ValueError(f"'{value}' is not a font brochure has; write '{BUNDLED_FONT}', or the path of a font "
                         f"file (.ttf or .otf) in {where}, like fonts/NotoNaskhArabic-Regular.ttf")
    return _font_file(value, info)


FontPath = Annotated[str, AfterValidator(_font_file)]


class FontFamily(StrictModel):
    """A typeface of the clinic's as two files: its regular and bold weights."""

    regular: FontPath = Field(description="The regular weight's .ttf or .otf file, relative to the content's folder.")
    bold: FontPath | None = Field(None, description="The bold weight's file (headings, labels); default: the regular one.")


def _font_choice(value: Any, handler: Any, info: ValidationInfo) -> str | FontFamily:
    """``theme.font`` checked here rather than as a union, so that each mistake is one sentence."""
    import difflib

    if isinstance(value, str):
        return _font(value.strip(), info)
    if not isinstance(value, dict):
        raise ValueError(f"must be '{BUNDLED_FONT}' or the path of a font file, like fonts/NotoNaskhArabic-Regular.ttf")
    for key in value:
        if key not in FontFamily.model_fields:
            close = difflib.get_close_matches(str(key), list(FontFamily.model_fields), n=1)
            raise ValueError(f"unknown key '{key}'" + (f"; did you mean '{close[0]}'?" if close else "; use regular and bold"))
    if not isinstance(value.get("regular"), str):
        raise ValueError("needs regular: the path of the regular weight's font file")
    if not all(isinstance(path, str) for path in value.values() if path is not None):
        raise ValueError("regular and bold must each be the path of a font file")
    files = {weight: _font_file(path.strip(), info) for weight, path in value.items() if path is not None}
    return FontFamily.model_construct(regular=files["regular"], bold=files.get("bold"))


class Theme(StrictModel):
    """The clinic's colours and the typeface."""

    primary: Colour = Field("#1d5c73", description="Main colour: cover band, headings (#rrggbb).")
    accent: Colour = Field("#c8682c", description="Second colour: rules and highlights (#rrggbb).")
    font: Annotated[str | FontFamily, WrapValidator(_font_choice)] = Field(
        BUNDLED_FONT,
        description="Typeface: Open Sans (bundled), or a font file in the project for other scripts, "
                    "e.g. fonts/NotoNaskhArabic-Regular.ttf, or {regular: ..., bold: ...}; embedded in every PDF, "
                    "with Open Sans for the characters it lacks.")


class Print(StrictModel):
    """How the print PDF is made for the print shop."""

    bleed: Literal["0.125in", "3mm"] = Field(
        "0.125in", description="Bleed the print shop asks for: 0.125in (US shops) or 3mm (European shops).")
    profile: Annotated[str, AfterValidator(print_profile)] | None = Field(
        None, description="The print shop's CMYK ICC profile, a .icc file beside the content; "
                          "default: the bundled FOGRA39-based profile (coated offset paper).")


class Checks(StrictModel):
    """Settings of the content checks (``brochure check`` and every build's summary).

    The one settings model of ``brochure.checks``: a clinic sets it under ``checks:``, tests
    and callers construct it directly. The defaults follow the patient-education guides.
    """

    target_grade: float = Field(8, ge=1, le=20, description="Highest acceptable reading grade (default 8).")
    max_sentence_words: int = Field(20, ge=5, description="Longest acceptable sentence, in words (default 20).")
    extra_terms: list[str] = Field([], description="More medical terms to explain, beside the bundled list.")
    extra_claims: list[str] = Field([], description="More claim phrases to flag, beside the bundled list.")
    glossary: list[str] = Field(
        [], description="Words your readers know (the clinic's own terms, local names): never reported as hard "
                        "words, however rare they are in everyday use. Set in brochure.yaml for a whole project.")
    min_ppi: int = Field(300, ge=72, description="Lowest acceptable image resolution in the print PDF (default 300).")
    min_type_pt: float = Field(9, ge=4, le=36, description="Smallest acceptable type size in points (default 9).")
    other_contacts: list[str] = Field(
        [], description="Phone numbers and emails the text may give that are not the clinic's own "
                        "(a poison-control line, a hospital), so the contact check does not report them.")


# Document control: where a handout is in its review, as a patient-education committee says it.
Status = Literal["draft", "in review", "approved", "retired"]
STATUSES: tuple[str, ...] = ("draft", "in review", "approved", "retired")
# A version is text, written as the clinic likes: 2 and 1.3 are read as numbers by YAML, kept as written.
Version = Annotated[str, BeforeValidator(lambda value: str(value) if isinstance(value, int | float)
                                         and not isinstance(value, bool) else value)]


class Brochure(StrictModel):
    """A patient-education brochure: the whole of one content file."""

    title: Text = Field(description="The brochure's title, on the cover and in the PDF's title bar.")
    subtitle: str | None = Field(None, description="A line under the title.")
    slug: Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")] | None = Field(
        None, description="Base of the PDF file names (lowercase words and dashes); made from the title if left out.")
    lang: Annotated[str, Field(pattern=r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")] = Field(
        "en", description="Language of the text, e.g. en or es-US; screen readers use it.")
    intro: Markdown | None = Field(None, description="Opening paragraph(s) in Markdown, shown before the sections.")
    sections: Annotated[list[Section], Field(min_length=1)] = Field(description="The article, in order.")
    clinic: Clinic = Field(description="The clinic's name and contact details.")
    location: dict[str, str] | None = Field(
        None, description="A location's own fields that texts name as {location.hours}: opening hours, "
                          "parking... (lowercase names); the CSV's extra columns fill them per location.")
    disclaimer: str | None = Field(None, description="A short note that this is information, not medical advice.")
    revised: Day | None = Field(None, description="Date of this revision, written YYYY-MM-DD.")
    review_by: Day | None = Field(None, description="Date by which the handout should be reviewed again (YYYY-MM-DD).")
    owner: str | None = Field(None, description="Who keeps this handout up to date: a person or a team.")
    approved_by: str | None = Field(None, description="Who approved this version for patients.")
    status: Status | None = Field(
        None, description="Where the handout is in review: draft, in review, approved or retired.")
    version: Version | None = Field(None, description="The document's version, as the clinic numbers it (2, 1.3, 2026-A).")
    theme: Theme = Field(Theme(), description="Colours and typeface.")
    layout: Literal["trifold", "handout"] = Field(
        "trifold", description="Print layout: trifold (one sheet folded in three) or handout (portrait pages).")
    paper: Literal["letter", "a4"] = Field("letter", description="Paper size of the print PDF: letter or a4.")
    checks: Checks = Field(Checks(), description="Settings of the content checks.")
    print: Print = Field(Print(), description="Settings of the print PDF for the print shop.")
    outputs: Annotated[list[Name], Field(min_length=1)] = Field(
        DEFAULTS,
        description="Which PDFs to make: " + ", ".join(f"{k.name} ({k.purpose})" for k in KINDS.values())
                    + f"; default {listed(DEFAULTS)}.")

    @field_validator("outputs")
    @classmethod
    def _outputs_once(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"lists an output twice; name each of {listed(list(KINDS))} at most once")
        return value
    variants: Annotated[list[dict[str, Any]], Field(min_length=1)] | str | None = Field(
        None, description="One brochure per location: a list of overrides, each with an id, "
                          "or the name of a CSV file beside the content file (columns: id and keys such as clinic.phone).")

    @field_validator("location")
    @classmethod
    def _location_names(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for key in value or {}:
            if not re.fullmatch(r"[a-z][a-z0-9_]*", key):
                raise ValueError(f"'{key}' is not a field name; use lowercase letters, digits and _, like hours "
                                 "or parking_info")
        return value

    @model_validator(mode="before")
    @classmethod
    def _notes(cls, data: Any, info: ValidationInfo) -> Any:
        """The footnotes of the whole article, so that a body's [^1] may find its note in another body."""
        if isinstance(data, dict) and isinstance(info.context, dict):
            sections = data.get("sections")
            texts = [data.get("intro")] + [s.get("body") for s in sections if isinstance(s, dict)] \
                if isinstance(sections, list) else [data.get("intro")]
            info.context["notes"] = dialect.note_labels([t for t in texts if isinstance(t, str)])
        return data

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
        """The base of the PDF file names: ``slug``, or the title in lowercase words and dashes,
        transliterated: "¿Cómo prepararse para su infusión?" gives ``como-prepararse-para-su-infusion``."""
        if self.slug:
            return self.slug
        words = re.findall(r"[a-z0-9]+", transliterate(self.title).lower().replace("'", ""))
        return "-".join(words)[:60].strip("-") or "brochure"


def transliterate(text: str) -> str:
    """``text`` in ASCII letters: accents dropped (NFKD: "infusión" is "infusion", "ñ" is "n"), and
    what is left of other scripts romanized by anyascii ("Кетамин" is "Ketamin", "ß" is "ss")."""
    import unicodedata

    from anyascii import anyascii

    text = text.replace("\u2019", "'")
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    # Chinese and Japanese are written without spaces: each character is a syllable of its own.
    return "".join(f" {anyascii(c)} " if _syllabic(c) else anyascii(c) for c in plain)


def _syllabic(char: str) -> bool:
    import unicodedata

    return unicodedata.name(char, "").startswith(("CJK UNIFIED", "HIRAGANA", "KATAKANA"))


def json_schema() -> dict[str, Any]:
    """The JSON Schema editors use to complete and check content files."""
    schema = Brochure.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "content.schema.json"
    return schema
