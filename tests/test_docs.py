"""The README documents every content key and every command, and CI runs its test command."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from brochure.cli import COMMANDS, _parser
from brochure.content import json_schema

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _keys(schema: dict[str, Any], props: dict[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for name, spec in props.items():
        key = prefix + name
        keys.append(key)
        refs = [spec.get("$ref"), (spec.get("items") or {}).get("$ref")]
        refs += [alt.get("$ref") for alt in spec.get("anyOf", [])]
        ref = next((r for r in refs if r), None)
        if ref:
            child = schema["$defs"][ref.rsplit("/", 1)[1]]
            keys += _keys(schema, child["properties"], key + ("[]." if spec.get("type") == "array" else "."))
    return keys


def test_every_content_key_is_documented() -> None:
    schema = json_schema()
    keys = _keys(schema, schema["properties"])
    assert "sections[].heading" in keys and "clinic.logo" in keys
    missing = [key for key in keys if f"| `{key}` |" not in README]
    assert missing == []


def test_every_command_is_documented_with_help() -> None:
    for command in COMMANDS:
        assert re.search(rf"^\| `{command}\b", README, re.M), command
    help_text = _parser().format_help()
    for command in COMMANDS:
        assert command in help_text


def test_schema_file_is_current() -> None:
    on_disk = json.loads((ROOT / "content.schema.json").read_text(encoding="utf-8"))
    assert on_disk == json_schema(), "run: python build.py schema --write content.schema.json"


def test_ci_runs_the_readme_test_command() -> None:
    blocks = re.findall(r"```sh\n(.+?)\n```", README)
    build_command, test_command = blocks[0], blocks[1]
    assert "setup.sh" in build_command and "build.py" in build_command
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    # Each step of the README's command, in its order (CI adds ruff and mypy between them).
    steps = [step.strip() for step in test_command.split("&&")]
    places = [ci.find(step) for step in steps]
    assert -1 not in places and places == sorted(places), (steps, ci)


def test_project_schema_file_is_current() -> None:
    from brochure.content.project import project_schema

    on_disk = json.loads((ROOT / "brochure.schema.json").read_text(encoding="utf-8"))
    assert on_disk == project_schema(), "run: python build.py schema --project --write brochure.schema.json"
