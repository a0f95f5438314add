"""Architecture: one registry of output kinds, read by every stage; no module reaches into
another's private names. Read from the source with ``ast``: what a reviewer would grep."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import get_args

from brochure.content.model import Brochure
from brochure.outputs import DEFAULTS, KINDS, Name

PACKAGE = Path(__file__).resolve().parent.parent / "brochure"


def _modules() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in sorted(PACKAGE.rglob("*.py"))}


def test_the_model_allows_the_registered_kinds_and_no_other() -> None:
    assert get_args(Name) == tuple(KINDS)
    schema = Brochure.model_json_schema()
    assert schema["properties"]["outputs"]["items"]["enum"] == list(KINDS)
    assert schema["properties"]["outputs"]["default"] == DEFAULTS
    for name in KINDS:
        assert name in schema["properties"]["outputs"]["description"]


def test_the_committed_schema_is_the_models() -> None:
    committed = json.loads((PACKAGE.parent / "content.schema.json").read_text(encoding="utf-8"))
    assert committed["properties"]["outputs"] == Brochure.model_json_schema()["properties"]["outputs"]


def test_output_kind_names_are_written_in_at_most_three_code_files() -> None:
    """Stages read the kind's record; a kind's name as a string literal compared or looked
    up belongs to the registry (and at most two other files)."""
    users = set()
    for path, tree in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, (ast.Compare, ast.Subscript, ast.Call)):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Constant) and inner.value in KINDS:
                        users.add(path.relative_to(PACKAGE).as_posix())
    users.discard("outputs.py")
    assert len(users) <= 2, f"output kinds compared by name outside brochure/outputs.py: {sorted(users)}"


def test_no_module_imports_another_modules_private_name() -> None:
    """``from x import _y`` and ``x._y`` of a brochure module: a private name is its own module's."""
    ours = {".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__") for p in _modules()}
    found = []
    for path, tree in _modules().items():
        aliases: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("brochure")):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{path.name}: from {'.' * node.level}{node.module or ''} import {alias.name}")
                    aliases.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                aliases |= {alias.asname or alias.name for alias in node.names if alias.name in ours}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases \
                    and node.attr.startswith("_") and not node.attr.startswith("__"):
                found.append(f"{path.name}: {node.value.id}.{node.attr}")
    assert found == []


def test_the_weasyprint_patches_match_the_installed_weasyprint() -> None:
    """A new WeasyPrint may fix, move or change what a patch wraps: each is then revisited."""
    import importlib

    import weasyprint

    from brochure.render.patches import PATCHES, TESTED_WITH, install

    revisit = "\n".join(f"  {p.target}: {p.why}; retire when {p.retire_when}" for p in PATCHES)
    assert weasyprint.__version__ == TESTED_WITH, (
        f"WeasyPrint is {weasyprint.__version__}, the patches were written for {TESTED_WITH}; revisit:\n{revisit}")
    install()
    install()  # once: a second call changes nothing
    for patch in PATCHES:
        module, attribute = patch.target.split(":")
        owner = importlib.import_module(module)
        for part in attribute.split("."):
            owner = getattr(owner, part)
        assert getattr(owner, "__wrapped__", None) is not None or "brochure" in getattr(owner, "__module__", ""), \
            f"{patch.target} is not brochure's wrapper after install()"
