"""Source: read a content file into plain data, remembering the line of every key.

Why not ``yaml.safe_load``: it forgets where things were, accepts duplicate keys silently,
and expands aliases, so a small hostile file ("billion laughs") can exhaust memory in
whatever walks the result. Here the file is size-limited, decoded strictly as UTF-8,
composed with PyYAML's safe loader, and aliases, deep nesting and duplicate keys are
refused, each reported at its line.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import ContentError, Problem
from ..files import read_regular

MAX_BYTES = 1_000_000
MAX_DEPTH = 20
MAX_NODES = 50_000

Path_ = tuple[str | int, ...]


@dataclass
class Source:
    """The data of one content file and where each key path was written."""

    file: str
    data: dict[str, Any]
    lines: dict[Path_, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # found while reading; reported with the rest
    # sha256 of the bytes read, per file (this one, its CSV): what the brochure was made from,
    # however the files change on disk while it is being built.
    inputs: dict[Path, str] = field(default_factory=dict)
    # The project file this one inherits from (``brochure.yaml``): where inherited keys are written.
    parent: Source | None = None
    # Every location's phone, email and website (the base's too): what the contact check
    # knows to belong to another location of the same handout.
    contacts: dict[str, set[str]] = field(default_factory=dict)
    # Each picture, font and profile validation read, by the path it is named by: where it led
    # and the sha256 of the very bytes that were checked (``model.read_checked``). What the
    # validated content is kept by (``described``) and what its PDFs may be rendered from.
    checked: dict[Path, tuple[str, str]] = field(default_factory=dict)

    def line(self, path: Path_) -> int:
        """Line of ``path``, or of its nearest written parent when it is missing."""
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def origin(self, path: Path_) -> tuple[str, int]:
        """The file and line where ``path`` (or its nearest written parent) is written: this
        file, or the project file a key is inherited from."""
        while path:
            if path in self.lines:
                return self.file, self.lines[path]
            if self.parent is not None and path in self.parent.lines:
                return self.parent.origin(path)
            path = path[:-1]
        return self.file, self.lines.get((), 1)


class _Refused(Exception):
    def __init__(self, line: int, message: str, key: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.message = message
        self.key = key


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses aliases and limits depth and size while composing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(line, "aliases (*name) are not supported; write the text out in full")
        self._depth += 1
        self._nodes += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(line, f"nested more than {MAX_DEPTH} levels deep")
        if self._nodes > MAX_NODES:
            raise _Refused(line, f"more than {MAX_NODES} values; this is not a brochure")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _decode(name: str, raw: bytes) -> str:
    if len(raw) > MAX_BYTES:
        raise ContentError([Problem(name, None, "", f"the file is larger than {MAX_BYTES // 1000} kB; this is not a brochure")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ContentError([Problem(
            name, line, "",
            f"this is not UTF-8 text (byte 0x{raw[error.start]:02x}); save the file as UTF-8")]) from None
    if not text.strip() or all(not row.strip() or row.lstrip().startswith("#") for row in text.splitlines()):
        raise ContentError([Problem(name, 1, "", "the file is empty; start from the example content.yaml")])
    hidden = _hidden_characters(name, text)
    if hidden:
        raise ContentError(hidden)
    return text


# What YAML refuses to read: control characters, often pasted from a word processor.
_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE


def _hidden_characters(name: str, text: str) -> list[Problem]:
    """One problem per line holding characters YAML cannot read, each named by its code."""
    problems = []
    for number, row in enumerate(text.split("\n"), start=1):
        found = sorted(set(_NON_PRINTABLE.findall(row)))
        if found:
            codes = ", ".join(f"U+{ord(c):04X}" for c in found)
            problems.append(Problem(name, number, "", f"an invisible control character ({codes}) is on this line, "
                                                      "probably pasted from another program; retype the line"))
    return problems


def _compose(name: str, text: str) -> yaml.Node:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except _Refused as error:
        raise ContentError([Problem(name, error.line, "", error.message)]) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        hint = " (check the indentation, and put text that contains ': ' or starts with a special character in quotes)"
        lines = text.splitlines()
        if line and line <= len(lines) and re.search(r"(^|:\s+|-\s+)\{\w+\.\w+\}", lines[line - 1]):
            hint = (" (a text that starts with a field such as {clinic.name} must be in quotes: "
                    "heading: \"{clinic.name} near you\")")
        raise ContentError([Problem(name, line, "", f"YAML syntax error: {error.problem}{hint}")]) from None
    finally:
        loader.dispose()
    if node is None:  # only comments or a bare document marker
        raise ContentError([Problem(name, 1, "", "the file is empty; start from the example content.yaml")])
    return node


_PLAIN_TAGS = {f"tag:yaml.org,2002:{kind}" for kind in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")}


def _check_tag(node: yaml.Node, path: Path_) -> None:
    """Refuse ``!!python/object`` and any other explicit tag: content is plain data only."""
    if node.tag not in _PLAIN_TAGS:
        raise _Refused(node.start_mark.line + 1, f"the tag {node.tag.replace('tag:yaml.org,2002:', '!!')} "
                                                 "is not supported in content; remove it", dotted(path))


_NUMBER_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int], problems: list[Problem], name: str) -> Any:
    _check_tag(node, path)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(Problem(name, key_node.start_mark.line + 1, dotted(path), "a key must be a plain word"))
                continue
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in result:
                problems.append(Problem(name, line, dotted(path + (key,)),
                                        f"written twice (also on line {lines[path + (key,)]}); keep one"))
                continue
            lines[path + (key,)] = line
            result[key] = _walk(value_node, path + (key,), lines, problems, name)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            lines[path + (index,)] = item.start_mark.line + 1
            items.append(_walk(item, path + (index,), lines, problems, name))
        return items
    if isinstance(node, yaml.ScalarNode) and node.tag in _NUMBER_TAGS and node.style is None:
        # YAML 1.1 reads "1:30" as 90, "0x1F" as 31 and "1_000" as 1000: keep what was
        # written. Number fields (checks.target_grade...) still read "8" as 8.
        return node.value
    try:
        return yaml.SafeLoader("").construct_object(node)
    except (yaml.YAMLError, ValueError) as error:  # e.g. an impossible date such as 2024-02-31
        problems.append(Problem(name, node.start_mark.line + 1, dotted(path), f"cannot be read: {error}"))
        return None


def dotted(path: Path_) -> str:
    """``('sections', 2, 'heading')`` as ``sections[2].heading``, the way errors name keys."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def read_source(path: Path, name: str | None = None, raw: bytes | None = None) -> Source:
    """Read ``path`` into a ``Source``; raise ``ContentError`` when it cannot be read at all.
    ``raw``: its bytes, already read (what a caller keyed a cache on), never read again."""
    name = name or str(path)
    try:
        if raw is None:
            raw = read_regular(path)  # a pipe or a device named as the content: said, never waited on
    except FileNotFoundError:
        raise ContentError([Problem(name, None, "", "file not found")]) from None
    except IsADirectoryError:
        raise ContentError([Problem(name, None, "", "this is a folder; give a content .yaml file")]) from None
    except OSError as error:  # a loop of links, a file this user may not read
        raise ContentError([Problem(name, None, "", f"cannot be read: {error.strerror or error}")]) from None
    root = _compose(name, _decode(name, raw))
    lines: dict[Path_, int] = {(): 1}
    problems: list[Problem] = []
    try:
        data = _walk(root, (), lines, problems, name)
    except _Refused as error:
        raise ContentError([Problem(name, error.line, error.key, error.message)]) from None
    if not isinstance(data, dict):
        raise ContentError([Problem(name, root.start_mark.line + 1, "",
                                    "the file must be made of keys such as 'title: ...', not a list or a single value")])
    return Source(name, data, lines, problems, {path.resolve(): hashlib.sha256(raw).hexdigest()})
