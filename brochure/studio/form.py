"""Form: a content file as the editor's fields, and the fields written back into the file's own text.

The YAML file stays the truth and stays the user's. ruamel.yaml reads it keeping comments,
key order, quoting, block styles and indentation; only the values that changed are set,
each in the style it had (a quoted title stays quoted, a ``|`` body stays a ``|`` body, a
folded ``>-`` intro is folded again at word boundaries); everything else is written back
byte for byte, line endings and a byte-order mark included.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)
from ruamel.yaml.util import load_yaml_guess_indent
from yaml.nodes import ScalarNode as BuildScalarNode
from yaml.resolver import Resolver

from ..content.model import STATUSES


@dataclass(frozen=True)
class Field:
    """One control of the form: where its value lives in the file, its label, its kind."""

    key: str  # dotted, as the build's messages name it: clinic.phone
    label: str
    # line (one line), text (several lines), markdown (toolbar), colour, date, choice (one of ``choices``)
    kind: str = "line"
    hint: str = ""
    group: str = "Handout"  # the fieldset it is shown in (``GROUPS``)
    choices: tuple[str, ...] = ()  # a choice's values; "not set" (the key left out) is always one more


CONTROL, CONTACTS, THEME = "Document control", "Clinic contacts", "Theme"
SECTIONS = "Sections"  # where the sections' own list goes among the groups
GROUPS = ("Handout", CONTROL, SECTIONS, CONTACTS, THEME)

# The registry of the form's fields (sections are their own list): a new field is one record.
# The hints say, in plain words, what each does for the clinic (what the build and the catalog make of it).
FIELDS = [
    Field("title", "Title"),
    Field("subtitle", "Subtitle"),
    Field("intro", "Introduction", "markdown", "Shown before the sections."),
    Field("disclaimer", "Disclaimer", "text", "Printed on the handout: a short note that it is general information, "
                                              "not medical advice. The checks warn when there is none."),
    Field("revised", "Revision date", "date", "The date of this version, printed on the handout: staff can tell "
                                               "which printout is current."),
    Field("lang", "Language", hint="A code like en, en-US or es-US (blank: en, or the project's): screen readers read the "
                                   "handout in this language, and the words brochure prints (Call, Revised) follow it."),
    Field("status", "Status", "choice", "Where the handout is in its review; the catalog shows it. In a project "
                                        "that requires approval (require_approval: true), a handout goes to print "
                                        "only once approved: build --strict fails on any other.", CONTROL, STATUSES),
    Field("version", "Version", hint="As your clinic numbers it, like 2, 1.10 or 2026-A: kept exactly as typed, "
                                     "shown in the catalog.", group=CONTROL),
    Field("review_by", "Review by", "date", "The date by which staff check this handout again. Once it has "
                                            "passed, every build warns and the catalog marks it OVERDUE.", CONTROL),
    Field("owner", "Owner", hint="Who keeps this handout up to date: a person or a team. The catalog lists "
                                 "handouts by owner.", group=CONTROL),
    Field("approved_by", "Approved by", hint="Who approved this version for patients; shown in the catalog.",
          group=CONTROL),
    Field("clinic.name", "Clinic name", group=CONTACTS),
    Field("clinic.phone", "Phone", hint="Like (913) 871-9888.", group=CONTACTS),
    Field("clinic.website", "Website", hint="Like example.com.", group=CONTACTS),
    Field("clinic.email", "Email", group=CONTACTS),
    Field("clinic.address", "Address", "text", group=CONTACTS),
    Field("theme.primary", "Main colour", "colour", "# and six hex digits, like #1d5c73, or cmyk(74 12 6 61).",
          THEME),
    Field("theme.accent", "Second colour", "colour", "Rules and highlights, like #c8682c.", THEME),
]
# The fields whose content-check notes (a passed or missing review date, no disclaimer) show under
# them too, as notes, not mistakes; the text's reading notes stay in the Content checks beside the pages.
NOTED = ("disclaimer", "revised", *(field.key for field in FIELDS if field.group == CONTROL))
SECTION_FIELDS = ("heading", "body")
MAX_VALUE = 200_000  # characters in one field: a whole handout is a few thousand
MAX_SECTIONS = 200
FOLD_WIDTH = 88  # a re-folded ``>-`` text is wrapped near the width the seed is written at


class FormError(ValueError):
    """The file cannot be shown as a form (not YAML, not a mapping), or a request's form is malformed."""


@dataclass
class Loaded:
    """A content file read for editing: its document, and how to write it back the same way."""

    doc: CommentedMap
    yaml: YAML
    newline: str
    bom: bool


def _yaml(text: str) -> YAML:
    _, indent, sequence_offset = load_yaml_guess_indent(text)
    yaml = YAML()  # round-trip: comments, order and styles kept
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a line the user wrote
    yaml.indent(mapping=2, sequence=indent or 2, offset=sequence_offset or 0)
    return yaml


def load(text: str) -> Loaded:
    """``text`` as a round-trip document; ``FormError`` with a located message when it is not
    a YAML mapping."""
    bom = text.startswith("\ufeff")
    text = text.removeprefix("\ufeff")
    newline = "\r\n" if "\r\n" in text else "\n"
    text = text.replace("\r\n", "\n")
    try:
        yaml = _yaml(text)
        doc = yaml.load(text)
    except YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise FormError(f"{where}the file is not valid YAML ({problem}); fix it in a text editor, "
                        "or restore a saved version from History") from None
    if doc is None:
        doc = CommentedMap()
    if not isinstance(doc, CommentedMap):
        raise FormError("the file is not a list of keys (title:, sections:...); restore a saved version from History")
    return Loaded(doc, yaml, newline, bom)


def dump(loaded: Loaded) -> str:
    out = io.StringIO()
    loaded.yaml.dump(loaded.doc, out)
    text = out.getvalue()
    if loaded.newline != "\n":
        text = text.replace("\n", loaded.newline)
    return ("\ufeff" if loaded.bom else "") + text


def _text(value: Any) -> str:
    """A value as the form shows it: text, a number or date as written, nothing for none."""
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        # As written, the way the build reads it (version: 1.10 is "1.10", not 1.1; 0x1F stays 0x1F):
        # ruamel keeps a number's writing, and dumps it back the same.
        out = io.StringIO()
        YAML().dump(value, out)
        return out.getvalue().removesuffix("\n...\n").strip()
    return str(value).rstrip("\n") if isinstance(value, str) else str(value)


def _get(doc: Any, key: str) -> Any:
    for part in key.split("."):
        if not isinstance(doc, dict):
            return None
        doc = doc.get(part)
    return doc


def read_form(text: str) -> dict[str, Any]:
    """The form's values of a content file: each field's text, and the sections in order."""
    doc = load(text).doc
    values: dict[str, Any] = {field.key: _text(_get(doc, field.key)) for field in FIELDS}
    sections = doc.get("sections")
    values["sections"] = [
        {"index": index, **{name: _text(item.get(name)) if isinstance(item, dict) else "" for name in SECTION_FIELDS}}
        for index, item in enumerate(sections if isinstance(sections, list) else [])]
    return values


def _normal(text: str) -> str:
    """Text as the model reads it: line endings made ``\\n``, no space at the ends."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _folded(text: str) -> Any:
    """``text`` as a ``>-`` block folded at spaces near ``FOLD_WIDTH``; a paragraph break stays one."""
    value = FoldedScalarString(text)
    positions, start = [], 0
    for match in re.finditer(r"(?<=\S) (?=\S)", text):
        if "\n" in text[start:match.start()]:
            start = text.rindex("\n", start, match.start()) + 1
        if match.start() - start > FOLD_WIDTH - 4:
            positions.append(match.start())
            start = match.start() + 1
    value.fold_pos = positions
    return value


def _read_as_text(text: str) -> bool:
    """Whether ``text`` written plain is read as text both by the build (PyYAML, YAML 1.1: ``yes``
    and ``off`` are a yes and a no there, which ruamel would write plain) and by YAML 1.2 tools
    (``1.10`` is a number in both; ``0o17`` in 1.2 only)."""
    plain = (True, False)  # a plain scalar, not quoted
    twelve = VersionedResolver().resolve(ScalarNode, text, plain)
    return bool(Resolver().resolve(BuildScalarNode, text, plain) == _STR == twelve)  # type: ignore[no-untyped-call]


_STR = "tag:yaml.org,2002:str"


def _quote_of(doc: CommentedMap) -> Any:
    """How the file quotes a value that must be quoted: its double or single quotes, the more used."""
    counts = {DoubleQuotedScalarString: 0, SingleQuotedScalarString: 0}
    stack: list[Any] = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif type(node) in counts:
            counts[type(node)] += 1
    return DoubleQuotedScalarString if counts[DoubleQuotedScalarString] > counts[SingleQuotedScalarString] \
        else SingleQuotedScalarString


def _styled(old: Any, new: str, kind: str = "line", quote: Any = SingleQuotedScalarString) -> Any:
    """``new`` in the style ``old`` was written in, where that style can carry it."""
    if kind == "date" and not isinstance(old, (DoubleQuotedScalarString, SingleQuotedScalarString)):
        # A date as YAML writes one (revised: 2026-12-07, unquoted), as the file had it; text
        # that is no date is written as typed, and the build's message says what is wrong.
        try:
            return date.fromisoformat(new) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", new) else new
        except ValueError:
            return new
    if "\n" in new:
        if isinstance(old, FoldedScalarString) and "\n\n" not in new and not re.search(r"^\s*([-*+]|\d+[.)]) ", new, re.M):
            return _folded(" ".join(new.split("\n")))
        return LiteralScalarString(new + "\n")  # a block keeps every line as typed
    if isinstance(old, FoldedScalarString):
        return _folded(new)
    if isinstance(old, LiteralScalarString):
        return LiteralScalarString(new + ("\n" if str(old).endswith("\n") else ""))
    if isinstance(old, (DoubleQuotedScalarString, SingleQuotedScalarString)):
        return type(old)(new)
    if not _read_as_text(new):
        return quote(new)  # version: '1.10' stays 1.10, owner: 'No' stays text: what was typed is what is read
    return new  # plain; ruamel quotes it when YAML needs it (#1d5c73, a: b)


def _set(mapping: CommentedMap, key: str, new: str, kind: str = "line", quote: Any = SingleQuotedScalarString) -> None:
    """Set ``key`` (a name, not a path) to ``new`` unless it already says that; empty removes it."""
    new = _normal(new)
    old = mapping.get(key)
    if key in mapping and _normal(_text(old)) == new and not isinstance(old, (dict, list)):
        return  # unchanged: not touched, so written back exactly as it was
    if not new:
        if key in mapping:
            del mapping[key]
        return
    mapping[key] = _styled(old, new, kind, quote)


def _set_path(doc: CommentedMap, key: str, new: str, kind: str = "line", quote: Any = SingleQuotedScalarString) -> None:
    *parents, name = key.split(".")
    mapping = doc
    for part in parents:
        inner = mapping.get(part)
        if not isinstance(inner, CommentedMap):
            if not _normal(new):
                return  # nothing to write: no empty group made
            inner = CommentedMap()
            mapping[part] = inner
        mapping = inner
    _set(mapping, name, new, kind, quote)


def checked(form: Any) -> dict[str, Any]:
    """A request's form, shape-checked: known keys, text values of bounded size, a list of sections.
    Raises ``FormError``: the page sent something it never sends."""
    if not isinstance(form, dict):
        raise FormError("the form is not a set of fields")
    known = {field.key for field in FIELDS} | {"sections"}
    unknown = set(form) - known
    if unknown:
        raise FormError(f"unknown field {sorted(unknown)[0]!r}")
    for key, value in form.items():
        if key != "sections" and (not isinstance(value, str) or len(value) > MAX_VALUE):
            raise FormError(f"{key} must be text of at most {MAX_VALUE} characters")
    sections = form.get("sections", [])
    if not isinstance(sections, list) or len(sections) > MAX_SECTIONS:
        raise FormError(f"sections must be a list of at most {MAX_SECTIONS}")
    for section in sections:
        if not isinstance(section, dict) or set(section) - {"index", *SECTION_FIELDS}:
            raise FormError("a section is a heading, a body and its place in the file")
        if not all(isinstance(section.get(name, ""), str) and len(section.get(name, "")) <= MAX_VALUE
                   for name in SECTION_FIELDS):
            raise FormError("a section's heading and body must be text")
        index = section.get("index")
        if index is not None and (not isinstance(index, int) or isinstance(index, bool) or index < 0):
            raise FormError("a section's place in the file must be a number")
    return form


def apply_form(text: str, form: dict[str, Any], shown: dict[str, Any] | None = None) -> str:
    """``text`` with the form's values in it; unchanged values, comments and all else as they were.

    ``shown`` is the form as it was loaded: a field the person did not change there is left as
    the file says now, so a save over a file changed elsewhere keeps the other change too."""
    form = checked(form)
    shown = checked(shown) if shown is not None else {}
    loaded = load(text)
    doc = loaded.doc
    quote = _quote_of(doc)
    for field in FIELDS:
        if field.key in form and (field.key not in shown or _normal(shown[field.key]) != _normal(form[field.key])):
            _set_path(doc, field.key, form[field.key], field.kind, quote)
    if "sections" in form and shown.get("sections") != form["sections"]:
        _apply_sections(doc, form["sections"], quote)
    return dump(loaded) if doc or text.strip() else ""


def _apply_sections(doc: CommentedMap, sections: list[dict[str, Any]], quote: Any = SingleQuotedScalarString) -> None:
    """The sections in the form's order: each kept one is its own mapping (image, comments and
    all), edited in place; a new one is a heading and a body."""
    old = doc.get("sections")
    if old is None and not sections:
        return  # none in the file (a project's or a translation's), none in the form: none made
    items = list(old) if isinstance(old, list) else []
    result = []
    for section in sections:
        index = section.get("index")
        item = items[index] if index is not None and index < len(items) and isinstance(items[index], CommentedMap) \
            else CommentedMap()
        for name in SECTION_FIELDS:
            _set(item, name, section.get(name, ""), quote=quote)
        result.append(item)
    if isinstance(old, CommentedSeq) and len(result) == len(items) and all(a is b for a, b in zip(result, items)):
        return  # the same sections in the same order: the list itself is untouched
    seq = old if isinstance(old, CommentedSeq) else CommentedSeq()
    if len(result) != len(items) or any(a is not b for a, b in zip(result, items)):
        seq.ca.items.clear()  # comments between items belong to their old places; the items keep their own
    seq[:] = result
    doc["sections"] = seq


def field_id(key: str) -> str:
    """The page's id of a field: ``sections[2].heading`` is ``f-sections-2-heading``."""
    return "f-" + re.sub(r"[^a-zA-Z0-9]+", "-", key).strip("-")


def field_of(problem_key: str, section_count: int) -> str | None:
    """The form field a build message is about (``sections[1].body``), the nearest one for a
    message about a group (``sections[1]``: its heading), or None when no field shows it."""
    keys = [field.key for field in FIELDS]
    keys += [f"sections[{i}].{name}" for i in range(section_count) for name in SECTION_FIELDS]
    key = problem_key
    while key:
        if key in keys:
            return key
        inside = [k for k in keys if k.startswith((key + ".", key + "["))]
        if inside:
            return inside[0]
        parent = re.sub(r"(\.[^.\[\]]+|\[\d+\])$", "", key)  # sections[1].image.src: sections[1]'s heading
        key = parent if parent != key else ""
    return None
