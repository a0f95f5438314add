"""Fields: ``{clinic.phone}`` in a text replaced by the unit's own value, never evaluated.

Why plain substitution and not a template language: the text is the clinic's, read by
people who are not programmers, and whatever it holds must print as typed. So the one
form recognised is a name in braces, ``{clinic.phone}`` or ``{location.hours}``; nothing
else is read, and an inserted value is never looked at again. ``{{clinic.phone}}`` prints
``{clinic.phone}`` as typed; any other brace (``{{ }}``, ``{ a }``) is left alone.

In Markdown texts (intro, section bodies) an inserted value is escaped, so its ``*`` or
``_`` are characters, not formatting; a phone number, email or website becomes a link. In
one-line texts (title, subtitle, headings, disclaimer, alt text) it is plain text, which
the templates escape like every other value. A value of several lines (an address) is
joined with commas, as one reads it in a sentence.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import Problem
from .source import Path_, dotted

CLINIC_FIELDS = ("name", "phone", "website", "email", "address")
LOCATION_KEY = re.compile(r"[a-z][a-z0-9_]*")
# {clinic.phone}, {{clinic.phone}} (printed as typed) and {phone} (a field without its group).
FIELD = re.compile(r"\{\{(?P<escaped>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)\}\}"
                   r"|\{(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)\}")
_MARKDOWN_KEYS = {"intro", "body"}
# Phone and email as the Markdown renderer links them by itself (brochure.render.markup).
_PHONE_TEXT = re.compile(r"(\+\d{1,3}[\s.-]?)?(\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}")
_EMAIL_TEXT = re.compile(r"[\w.+-]+@[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)*\.[a-zA-Z]{2,}")
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")

# A text's path, the text and an offset in it -> (file, line, key) where that is written.
Locate = Callable[[Path_, str, int], tuple[str, int | None, str]]


def yaml_line(line: int | None, text: str, offset: int) -> int | None:
    """The file line of ``offset`` in a text whose key is on ``line``: a block scalar (``|``,
    the only kind whose text keeps its line breaks) starts on the line after its key."""
    if line is None or "\n" not in text:
        return line
    return line + 1 + text.count("\n", 0, offset)


def text_paths(data: dict[str, Any]) -> Iterator[Path_]:
    """Where text a reader sees is written: title, subtitle, intro, headings, bodies, alt, disclaimer."""
    for key in ("title", "subtitle", "intro", "disclaimer"):
        yield (key,)
    sections = data.get("sections")
    if isinstance(sections, list):
        for index, section in enumerate(sections):
            if isinstance(section, dict):
                yield ("sections", index, "heading")
                yield ("sections", index, "body")
                if isinstance(section.get("image"), dict):
                    yield ("sections", index, "image", "alt")


def _get(data: Any, path: Path_) -> Any:
    for part in path:
        if isinstance(data, dict) and isinstance(part, str):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def _set(data: dict[str, Any], path: Path_, value: Any) -> dict[str, Any]:
    """``data`` with ``value`` at ``path``, copying only the containers on the way."""
    def put(node: Any, rest: Path_) -> Any:
        if not rest:
            return value
        head = rest[0]
        copy: Any = dict(node) if isinstance(node, dict) else list(node)
        copy[head] = put(node[head], rest[1:])
        return copy
    result: dict[str, Any] = put(data, path)
    return result


def names(location_keys: set[str], variant: bool) -> list[str]:
    """Every field a text may name: the clinic's, and the location's own (its id in a variant)."""
    fields = [f"clinic.{name}" for name in CLINIC_FIELDS]
    if variant:
        fields.append("location.id")
    fields += sorted(f"location.{key}" for key in location_keys if key != "id")
    return fields


def values(data: dict[str, Any], variant: str | None) -> dict[str, str]:
    """The unit's own value of each field it has (empty values left out)."""
    found: dict[str, str] = {}
    for group in ("clinic", "location"):
        items = data.get(group)
        if isinstance(items, dict):
            for key, value in items.items():
                if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value).strip():
                    found[f"{group}.{key}"] = str(value).strip()
    if variant:
        found["location.id"] = variant
    return found


def location_keys(data: dict[str, Any]) -> set[str]:
    items = data.get("location")
    return {str(k) for k in items} if isinstance(items, dict) else set()


def one_line(value: str) -> str:
    """An address typed on several lines, as it reads in a sentence: "1 Main St, Suite 2"."""
    lines = [line.strip().rstrip(",") for line in value.splitlines() if line.strip()]
    return ", ".join(lines)


def escape_markdown(text: str) -> str:
    """``text`` as Markdown that shows it as typed: every ASCII punctuation backslash-escaped."""
    return _PUNCTUATION.sub(r"\\\1", text)


def _tel(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    return f"tel:+{digits}" if phone.strip().startswith("+") else (f"tel:+1{digits}" if len(digits) == 10 else f"tel:{digits}")


def _markdown_value(name: str, value: str) -> str:
    """A field's value as Markdown: escaped, and a link when it is a phone, email or website."""
    from .model import valid_email, valid_phone, valid_website

    shown = escape_markdown(one_line(value))
    try:
        if name == "clinic.phone" and not _PHONE_TEXT.fullmatch(valid_phone(value)):
            return f"[{shown}](<{_tel(value)}>)"
        if name == "clinic.email" and not _EMAIL_TEXT.fullmatch(valid_email(value)):
            return f"[{shown}](<mailto:{value}>)"
        if name == "clinic.website":
            valid_website(value)
            href = value if re.match(r"https?://", value) else f"https://{value}"
            label = escape_markdown(re.sub(r"^https?://", "", value).rstrip("/"))
            return f"[{label}](<{href}>)"
    except ValueError:  # not a valid phone, email or address: its own key reports it
        pass
    return shown  # the renderer links phone numbers, emails and www. addresses in the text


def _unknown(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6) or [
        k for k in known if k.split(".")[-1] == name.lower().split(".")[-1]][:1]
    hint = f"did you mean {{{close[0]}}}? " if close else ""
    return (f"{{{name}}} is not a field; {hint}the fields are {', '.join('{' + k + '}' for k in known)} "
            f"(to print the braces as typed, write {{{{{name}}}}})")


def _missing(name: str, variant: str | None) -> str:
    group, field = name.split(".", 1)
    who = f"location {variant}" if variant else "this handout"
    if group == "clinic":
        return f"{{{name}}}: {who} has no clinic.{field}; add it, or take {{{name}}} out of the text"
    return (f"{{{name}}}: {who} has no value for {field}; fill in its {field} "
            f"(a column of the locations, or location.{field} for every location)")


def substitute(data: dict[str, Any], locate: Locate, known: list[str], variant: str | None,
               strict: bool = True) -> tuple[dict[str, Any], list[Problem]]:
    """``data`` with every field in its texts replaced by the unit's value, and the problems.

    ``known`` are the field names any unit of the file may use: a name outside them is a
    mistake of the text (with "did you mean"); a known one this unit has no value for is a
    mistake of this unit. With ``strict`` off, both are left as written, unreported.
    """
    own = values(data, variant)
    problems: list[Problem] = []
    for path in text_paths(data):
        text = _get(data, path)
        if isinstance(text, dict) and text and all(v is None for v in text.values()) \
                and any(FIELD.fullmatch("{" + str(k) + "}") for k in text):
            file, line, key = locate(path, "", 0)
            written = "{" + ", ".join(str(k) for k in text) + "}"
            problems.append(Problem(file, line, key, f"YAML reads a text that starts with {{ as a group of keys; "
                                                     f"put the whole text in quotes: \"{written} ...\""))
            data = _set(data, path, written)  # reported once, not again as "must be text"
            continue
        if not isinstance(text, str) or "{" not in text:
            continue
        markdown = path[-1] in _MARKDOWN_KEYS

        def replace(match: re.Match[str], path: Path_ = path, markdown: bool = markdown) -> str:
            if match["escaped"]:
                literal = "{" + match["escaped"] + "}"
                return escape_markdown(literal) if markdown else literal
            name = match["name"]
            if "." not in name:  # {phone}: a field without its group, or braces meant as typed
                close = [k for k in known if k.split(".")[-1] == name.lower()]
                if close and strict:
                    file, line, key = locate(path, match.string, match.start())
                    problems.append(Problem(file, line, key, f"{{{name}}} is not a field; did you mean {{{close[0]}}}?"))
                return match.group(0)
            if name not in known:
                if strict:
                    file, line, key = locate(path, match.string, match.start())
                    problems.append(Problem(file, line, key, _unknown(name, known)))
                return match.group(0)
            value = own.get(name)
            if value is None:
                if strict:
                    file, line, key = locate(path, match.string, match.start())
                    problems.append(Problem(file, line, key, _missing(name, variant)))
                return match.group(0)
            return _markdown_value(name, value) if markdown else one_line(value)

        data = _set(data, path, FIELD.sub(replace, text))
    return data, problems


def in_yaml(origin: Callable[[Path_], tuple[str, int]]) -> Locate:
    """A ``Locate`` for texts written in YAML files; ``origin`` gives a key's file and line."""
    def locate(path: Path_, text: str, offset: int) -> tuple[str, int | None, str]:
        file, line = origin(path)
        return file, yaml_line(line, text, offset), dotted(path)
    return locate
