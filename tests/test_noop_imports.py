"""A no-op build (``python build.py`` with everything up to date) loads none of the heavy modules.

What keeps a no-op near instant is what it does not load: the up-to-date check reads the
manifest and hashes files, so WeasyPrint, Jinja, the content model, Dask and the PDF libraries
are never imported, and neither is ``importlib.metadata`` (email, zipfile, csv and each
package's METADATA parsed: about 45 ms, a quarter of a no-op, when the tool's fingerprint
asked it for the installed versions). Each case runs the program as a user does, in a
process of its own, and lists what of ``HEAVY`` it had loaded when it exited.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import HANG, PYTHON, REPO, write_minimal

HEAVY = ("weasyprint", "jinja2", "pydantic", "yaml", "markdown_it", "pikepdf", "pypdf", "pypdfium2", "fontTools",
         "PIL", "dask", "distributed", "babel", "importlib.metadata")

# ``build.py`` as ``python build.py`` runs it; the modules are listed by an atexit handler, which
# the program runs before it ends the process (``program.exit_now``).
PROGRAM = """\
import atexit, runpy, sys
heavy = {heavy!r}
atexit.register(lambda: print("LOADED", sorted(name for name in heavy if name in sys.modules)))
sys.argv = ["build.py", *sys.argv[1:]]
runpy.run_path("build.py", run_name="__main__")
"""


def program(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PYTHON), "-c", PROGRAM.format(heavy=HEAVY), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=HANG)


def loaded(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout.splitlines()[-1]


@pytest.mark.parametrize("variants", [False, True], ids=["one handout", "variants, --jobs 2"])
def test_a_noop_build_loads_no_heavy_module(tmp_path: Path, variants: bool) -> None:
    content = write_minimal(tmp_path / "clinic")
    if variants:
        (content.parent / "locations.csv").write_text("id,clinic.phone\na,(913) 555-0101\nb,(913) 555-0102\n",
                                                      encoding="utf-8")
        content.write_text(content.read_text(encoding="utf-8") + "variants: locations.csv\n", encoding="utf-8")
    out = tmp_path / "out"
    first = program(str(content), "--out", str(out), "--jobs", "2")
    assert loaded(first) != "LOADED []", "the first build loaded nothing: the check below would prove nothing"
    written = [line for line in first.stdout.splitlines() if line.startswith("wrote ")]
    assert len(written) == len(list(out.glob("*.pdf"))) == (4 if variants else 2), first.stdout + first.stderr

    again = program(str(content), "--out", str(out), "--jobs", "2")
    assert loaded(again) == "LOADED []", f"a no-op build loaded heavy modules: {loaded(again)}"
    assert f"{content}: up to date (" in again.stdout, again.stdout
    assert "wrote " not in again.stdout, again.stdout
