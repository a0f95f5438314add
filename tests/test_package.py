"""The package as a whole: no import cycle, every module says what it produces, and an
installed wheel builds without the repository."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from conftest import REPO, seed_project

PACKAGE = REPO / "brochure"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every brochure module ``path`` imports, at the top or inside a function."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("brochure")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("brochure"):
                for alias in node.names:  # ``from . import markup`` imports a module
                    candidate = f"{target}.{alias.name}"
                    found.add(candidate if _exists(candidate) else target)
    return found


def _exists(module: str) -> bool:
    path = REPO.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {i for i in _imports(path) if i in modules and i != name} for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle() -> None:
    graph = _graph()
    assert "brochure.checks.review" in graph["brochure.reviewed"], "the graph reader found no imports"
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_stages_never_import_the_layers_above() -> None:
    top = {"brochure.build", "brochure.units", "brochure.prepared", "brochure.documents", "brochure.reviewed",
           "brochure.runner", "brochure.cli", "brochure.watch", "brochure.serve", "brochure.proof", "brochure.manifest",
           "brochure.console"}
    for name, imported in _graph().items():
        if name.startswith(("brochure.content", "brochure.render", "brochure.checks")):
            assert not imported & top, f"{name} imports {imported & top}"
        if name.startswith("brochure.content"):
            assert not any(i.startswith(("brochure.render", "brochure.checks")) for i in imported), name


def test_every_module_has_a_docstring_and_stays_small() -> None:
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{path} has no docstring"
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 450, f"{path} is over 450 lines"


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to copy the committed tree")
def test_the_wheel_installs_and_builds_outside_the_repository(tmp_path: Path) -> None:
    """``pip install .`` into a fresh venv, then ``brochure`` in a folder with only content.yaml."""
    env = tmp_path / "venv"
    venv.create(env, with_pip=True, system_site_packages=False)
    python = env / "bin" / "python"
    wheel_dir = tmp_path / "wheel"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheel_dir), str(REPO)],
                   check=True, capture_output=True)
    wheel = next(wheel_dir.glob("brochure-*.whl"))
    # The dependencies are this interpreter's: offer its site-packages, so no download is needed.
    site = subprocess.run([sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True, capture_output=True)
    (env / "lib").joinpath(f"python{sys.version_info.major}.{sys.version_info.minor}", "site-packages",
                           "deps.pth").write_text(site + "\n", encoding="utf-8")
    work = tmp_path / "elsewhere"
    seed_project(work)
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    version = subprocess.run([str(env / "bin" / "brochure"), "--version"], cwd=work, capture_output=True, text=True,
                             env=clean, check=True)
    assert version.stdout.strip().startswith("brochure ")
    run = subprocess.run([str(env / "bin" / "brochure")], cwd=work, capture_output=True, text=True, env=clean,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    pdfs = sorted(p.name for p in (work / "out").glob("*.pdf"))
    assert pdfs == ["how-ketamine-affects-the-brain-email.pdf", "how-ketamine-affects-the-brain-print.pdf"]
    where = subprocess.run([str(python), "-c", "import brochure.render.html as h; print(h.BUNDLED)"], cwd=work,
                           capture_output=True, text=True, env=clean, check=True).stdout.strip()
    assert Path(where).is_relative_to(env), f"templates came from {where}, not the installed package"
