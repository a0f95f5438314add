"""The catalog's "overdue" is reproducible: the day reviews fall due against is
SOURCE_DATE_EPOCH's when it is set (the same inputs, the same catalog bytes, any machine,
any day), else today in UTC, whatever the machine's time zone; the catalog says which."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from conftest import HANG, PYTHON, REPO
from test_catalog import project

JUNE_1_2020 = 1590969600  # 2020-06-01T00:00:00Z: Old Aftercare's review (2020-06-30) is not yet due
JULY_1_2020 = 1593561600  # 2020-07-01T00:00:00Z: it is overdue


def catalog(root: Path, epoch: int | None, tz: str = "UTC") -> tuple[dict[str, object], str, bytes]:
    """Build the project in a process of its own: catalog.json, index.html and catalog.pdf."""
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env["TZ"] = tz
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = str(epoch)
    done = subprocess.run([str(PYTHON), str(REPO / "build.py"), "build", "--jobs", "1"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=HANG)
    assert done.returncode == 0, done.stderr
    out = root / "out"
    return (json.loads((out / "catalog.json").read_text(encoding="utf-8")),
            (out / "index.html").read_text(encoding="utf-8"), (out / "catalog.pdf").read_bytes())


def test_overdue_is_decided_by_source_date_epoch_and_the_same_inputs_make_the_same_catalog(tmp_path: Path) -> None:
    root = project(tmp_path / "chain")
    before, page, _ = catalog(root, JUNE_1_2020)
    assert before["today"] == "2020-06-01"
    assert before["handouts"]["overdue.yaml"]["overdue"] is False  # type: ignore[index]
    assert "as of June 1, 2020 (the date SOURCE_DATE_EPOCH fixes)" in page and "review overdue" not in page
    shutil.rmtree(root / "out")
    after, page, _ = catalog(root, JULY_1_2020, tz="Pacific/Kiritimati")  # UTC+14: still July 1 in UTC
    assert after["today"] == "2020-07-01" and after["handouts"]["overdue.yaml"]["overdue"] is True  # type: ignore[index]
    assert "1 review overdue" in page
    # A copy of the project, another time zone: the same bytes.
    copy = tmp_path / "copy"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("out"))
    again = catalog(copy, JULY_1_2020, tz="America/Los_Angeles")  # still June 30 there
    assert again == (after, page, (root / "out" / "catalog.pdf").read_bytes())


def test_without_source_date_epoch_the_day_is_utcs_whatever_the_time_zone(tmp_path: Path) -> None:
    root = project(tmp_path / "chain")
    days = {datetime.now(UTC).date().isoformat()}
    made, page, _ = catalog(root, None, tz="Pacific/Kiritimati")  # 14 hours ahead of UTC: its day is often not UTC's
    days.add(datetime.now(UTC).date().isoformat())  # the build may have run over midnight
    assert made["today"] in days
    assert "(UTC)." in page
