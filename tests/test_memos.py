"""The per-process memos (render/memos.py): one record each, each switch honoured, all documented, and a warm
build with every memo on writes the bytes a fresh process with every memo off writes, edit after edit."""

from __future__ import annotations

import hashlib
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import HANG, REPO, edit, seed_project

from brochure.render import memos

EPOCH = "1700000000"


def test_every_memo_switch_is_read_through_the_registry_and_documented() -> None:
    """A render module reading a BROCHURE_ switch of its own bypasses BROCHURE_MEMOS=off: none does."""
    from brochure.render import patches

    patches.install()  # shaping makes its memos as it wraps WeasyPrint's functions
    readme = (REPO / "bench" / "README.md").read_text(encoding="utf-8")
    for memo in memos.MEMOS:
        module = importlib.import_module(f"brochure.render.{memo.module}")
        source = Path(module.__file__ or "").read_text(encoding="utf-8")
        assert re.search(rf'memos\.(switched|Kept)\(\s*"{memo.env}"', source), memo
        assert callable(getattr(module, memo.switch)), memo
        kept = [kept for kept in memos.kept() if kept.env == memo.env]
        assert not memo.holds_fonts or (kept and all(each.fonts is not None for each in kept)), memo
        assert memo.env in readme, f"{memo.env} is not in bench/README.md"
    assert "BROCHURE_MEMOS" in readme
    for path in (REPO / "brochure").rglob("*.py"):
        if path.name != "memos.py":
            assert not re.search(r"environ(?:\.get)?\(\s*[\"']BROCHURE_", path.read_text(encoding="utf-8")), path


def test_brochure_memos_off_turns_every_memo_off() -> None:
    probe = ("from brochure.render import memos, markup\nimport importlib\n"
             "modules = [importlib.import_module('brochure.render.' + m.module) for m in memos.MEMOS]\n"
             "print(all(not getattr(module, '_ENABLED', False) for module in modules)"
             " and not markup.BODIES.on and len(memos.kept()) > 0 and all(not kept.on for kept in memos.kept()))")
    env = {**os.environ, "BROCHURE_MEMOS": "off"}
    result = subprocess.run([sys.executable, "-c", probe], env=env, cwd=REPO, capture_output=True, text=True,
                            timeout=HANG)
    assert result.stdout.strip() == "True", result.stderr


def _hashes(folder: Path) -> dict[str, str]:
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(folder.glob("*.pdf"))}


WARM = """\
import hashlib, json, sys
from pathlib import Path
from brochure import build
content, out = Path(sys.argv[1]), Path(sys.argv[2])
titles = json.loads(sys.argv[3])
text = content.read_text(encoding="utf-8")
seen = []
for title in titles:  # each edit built warm after the ones before, as watch builds them
    content.write_text(text.replace("title: How Ketamine Affects the Brain", "title: " + title, 1), encoding="utf-8")
    build.build_file(content, out / str(len(seen)))
    seen.append({f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted((out / str(len(seen))).glob("*.pdf"))})
print(json.dumps(seen))
"""


def test_a_warm_build_with_every_memo_writes_what_a_fresh_one_without_any_writes(tmp_path: Path) -> None:
    import json

    titles = ["How Ketamine Affects the Brain", "Ketamine and the Brain", "How Ketamine Affects the Brain"]
    content = seed_project(tmp_path / "warm")
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    env.pop("BROCHURE_MEMOS", None)
    run = subprocess.run([sys.executable, "-c", WARM, str(content), str(tmp_path / "warm" / "out"), json.dumps(titles)],
                         env=env, cwd=REPO, capture_output=True, text=True, timeout=HANG)
    assert run.returncode == 0, run.stderr
    warm = json.loads(run.stdout)
    for index, title in enumerate(titles[:2]):
        cold = seed_project(tmp_path / f"cold{index}")
        if title != titles[0]:
            edit(cold, "title: How Ketamine Affects the Brain", f"title: {title}")
        fresh = subprocess.run([sys.executable, "build.py", str(cold), "--out", str(cold.parent / "out"), "--jobs", "1"],
                               env={**env, "BROCHURE_MEMOS": "off"}, cwd=REPO, capture_output=True, text=True,
                               timeout=HANG)
        assert fresh.returncode == 0, fresh.stderr
        assert _hashes(cold.parent / "out") == warm[index]
    assert warm[2] == warm[0]  # back to the first title: the first bytes again
    assert len(warm[0]) == 2 and warm[0] != warm[1]
