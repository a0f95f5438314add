"""Building and checking need no network: run them where there is none."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import HANG, PYTHON, REPO, seed_project


def _no_network_available() -> bool:
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _no_network_available(), reason="unshare -n (a network namespace) is not permitted here")
def test_build_and_check_without_any_network(tmp_path: Path) -> None:
    seed_project(tmp_path)
    python, script = str(PYTHON), str(REPO / "build.py")
    build = subprocess.run(["unshare", "-n", python, script, "content.yaml", "--out", "out"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=HANG)
    assert build.returncode == 0, build.stderr
    assert "Traceback" not in build.stderr
    check = subprocess.run(["unshare", "-n", python, script, "check", "--format", "json"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=HANG)
    assert check.returncode == 0, check.stderr
    assert '"reading-level"' in check.stdout and '"claim"' in check.stdout
