"""Hostile inputs to ``watch`` and its lanes of warm workers, read from the outside.

What staff see, whatever happens to the folder while ``watch`` runs: a link put where the
content file, a picture or out/ was (leading out of the project, to a folder, to itself),
a lane killed mid-render, a second ``watch`` or a ``build`` on the same project, a save made
while the lanes render, a manifest cut short or replaced by hand. A mistake is one line
naming the file, out/ keeps the last good PDFs, the watch goes on and the next good save
builds; no traceback; no file outside the project is read; the PDFs on disk are always
those of the last save, byte for byte those a cold build of it writes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from conftest import HANG, MINIMAL, PYTHON, REPO, snapshot, write_minimal
from test_regenerate import SLUG, Watched, _children, pdf_text, save

SLUGGED = MINIMAL.replace("paper: letter\n", f"paper: letter\nslug: {SLUG}\n")  # the PDFs' names never change


@pytest.fixture(autouse=True)
def _epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # a cold build of the same text: the same bytes


def titled(title: str) -> str:
    return SLUGGED.replace("title: Ketamine and Your Brain", f"title: {title}")


def started(folder: Path, *args: str) -> Watched:
    """``watch content.yaml --out out`` in ``folder``, once its first build is done."""
    watched = Watched(folder, "content.yaml", "--out", "out", *args)
    watched.until("the first build", lambda: watched.waits() >= 1, time.monotonic() + HANG)
    return watched


def after(watched: Watched, what: str, act: Callable[[], object], done: Callable[[], bool] = lambda: True) -> None:
    """``act`` (a save, a link put in place), then wait for the build it starts to be over and
    for ``done``."""
    waits = watched.waits()
    act()
    watched.until(what, lambda: watched.waits() > waits and done(), time.monotonic() + HANG)


def errors(watched: Watched, since: int) -> list[str]:
    """What watch printed on stderr from line ``since`` on, less the content checks' summary."""
    return [line for line in watched.lines()[1][since:] if "findings to review" not in line]


def said_something(watched: Watched, since: int) -> bool:
    return bool(errors(watched, since))


def built_since(watched: Watched, waits: int) -> bool:
    return watched.waits() > waits


def stopped_cleanly(watched: Watched) -> None:
    """Ctrl-C: watch ends with 0, and printed no traceback in all its session."""
    watched.proc.send_signal(signal.SIGINT)
    code = watched.proc.wait(timeout=HANG)
    for thread in watched.threads:
        thread.join(timeout=HANG)
    out, err = watched.lines()
    assert code == 0, "\n".join(out + err)
    assert not any("Traceback" in line for line in err), "\n".join(err)


def cold(content: Path, out: Path) -> dict[str, bytes]:
    """The PDFs a fresh ``build`` of ``content`` writes into ``out``."""
    made = subprocess.run([str(PYTHON), str(REPO / "build.py"), str(content), "--out", str(out)],
                          capture_output=True, text=True, timeout=HANG)
    assert made.returncode == 0, made.stderr
    return {p.name: p.read_bytes() for p in out.glob("*.pdf")}


def recorded(manifest: Path) -> dict[str, str]:
    """The PDFs a manifest names, and the sha256 it records for each."""
    return {name: entry["sha256"] for name, entry in json.loads(manifest.read_text(encoding="utf-8"))["pdfs"].items()}


def pdfs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in out.glob("*.pdf")}


# --- links put in place while watch runs -----------------------------------------------------

def test_links_put_in_place_while_watch_runs_are_one_line_each_and_out_keeps_the_last_pdfs(tmp_path: Path) -> None:
    folder = tmp_path / "clinic"
    content = write_minimal(folder, ("paper: letter\n", f"paper: letter\nslug: {SLUG}\n"))
    out = folder / "out"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "content.yaml").write_text(titled("Secret Outside Title"), encoding="utf-8")
    shutil.copy(folder / "logo.svg", outside / "logo.svg")
    watched = started(folder)
    try:
        good = snapshot(out)
        logo = folder / "logo.svg"
        logo_bytes = logo.read_bytes()

        def swap(path: Path, target: str | Path) -> Callable[[], None]:
            def act() -> None:
                link = path.with_name(f".{path.name}.link")
                os.symlink(target, link)
                os.replace(link, path)  # as an editor or a sync tool puts a file in place
            return act

        cases: list[tuple[Path, str | Path, str]] = [
            (logo, outside / "logo.svg", r"content\.yaml:13: clinic\.logo: 'logo\.svg' is outside the content's folder"),
            (logo, "logo.svg", r"content\.yaml:13: clinic\.logo: 'logo\.svg' is a link that leads to no file \(a loop\)"),
            (logo, outside, r"content\.yaml:13: clinic\.logo: 'logo\.svg' is outside the content's folder"),
            (content, "content.yaml", r"content\.yaml: is a link that leads to no file"),
        ]
        for path, target, expected in cases:
            since = len(watched.lines()[1])
            after(watched, f"the build after {path.name} -> {target}", swap(path, target),
                  partial(said_something, watched, since))
            said = errors(watched, since)
            assert re.match(expected, said[0]) and len(said) == 2, f"{path.name} -> {target}:\n" + "\n".join(said)
            assert snapshot(out) == good, f"{path.name} -> {target} changed out/"
            # put back: the next save builds again (as the first build did: out/ is up to date)
            def put_back(path: Path = path) -> None:
                os.unlink(path)
                if path == logo:
                    logo.write_bytes(logo_bytes)
                else:
                    content.write_text(SLUGGED, encoding="utf-8")

            after(watched, f"the build after {path.name} was put back", put_back)
        stopped_cleanly(watched)
    finally:
        watched.close()



def test_a_projects_handout_replaced_by_a_link_out_while_watch_runs_is_refused_and_never_read(tmp_path: Path) -> None:
    from test_hostile_projects import handout, project

    root = project(tmp_path / "chain")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "after-care.yaml").write_text(handout("Secret Outside Title"), encoding="utf-8")
    watched = Watched(root)  # the project in the folder it runs in
    try:
        watched.until("the first build", lambda: watched.waits() >= 1, time.monotonic() + HANG)
        good = snapshot(root / "out")
        since = len(watched.lines()[1])
        linked = root / "handouts" / "after-care.yaml"

        def link_out() -> None:
            os.symlink(outside / "after-care.yaml", linked.with_name(".link"))
            os.replace(linked.with_name(".link"), linked)

        after(watched, "the build after the link", link_out, partial(said_something, watched, since))
        said = errors(watched, since)
        assert said and said[0].startswith("handouts/after-care.yaml: is a link to a file outside the project's folder"), \
            "\n".join(said)
        assert {k: v for k, v in snapshot(root / "out").items() if not k.startswith(("catalog", "index"))} == \
            {k: v for k, v in good.items() if not k.startswith(("catalog", "index"))}
        assert not any(b"Secret Outside" in data for data in snapshot(root / "out").values()), "a file outside was read"
        stopped_cleanly(watched)
    finally:
        watched.close()


# --- a lane killed, a save made, while the lanes render ----------------------------------------

def _cpu(pid: int) -> int:
    """Clock ticks of CPU ``pid`` used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime


def lanes_of(watched: Watched) -> list[int]:
    """watch's two render workers, once both are there."""
    watched.until("the two render workers", lambda: len(_children(watched.proc.pid)) == 2, time.monotonic() + HANG)
    return _children(watched.proc.pid)


def when_rendering(lanes: list[int], watched: Watched, waits: int) -> int | None:
    """The first lane seen using CPU (rendering the edit), as soon as it is; None when the build
    was over before any was seen at work (the test then checks the same results, less sharply)."""
    used = {pid: _cpu(pid) for pid in lanes}
    deadline = time.monotonic() + HANG
    while time.monotonic() < deadline and watched.waits() == waits:
        for pid in lanes:
            if _cpu(pid) > used[pid]:
                return pid
        time.sleep(0.002)
    return None


def idle(lanes: list[int]) -> None:
    """Wait (a hang guard of minutes) until the lanes have warmed up: no CPU used for 0.5 s."""
    deadline = time.monotonic() + HANG
    used = [_cpu(pid) for pid in lanes]
    quiet_since = time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - quiet_since < 0.5:
        time.sleep(0.05)
        now = [_cpu(pid) for pid in lanes]
        if now != used:
            used, quiet_since = now, time.monotonic()


def test_a_lane_killed_mid_render_costs_the_edit_nothing_and_the_next_edits_build(tmp_path: Path) -> None:
    folder = tmp_path / "clinic"
    content = write_minimal(folder, ("paper: letter\n", f"paper: letter\nslug: {SLUG}\n"))
    out = folder / "out"
    watched = started(folder)
    try:
        lanes = lanes_of(watched)
        idle(lanes)
        waits = watched.waits()
        save(content, titled("Ketamine and the Killed Lane"))
        victim = when_rendering(lanes, watched, waits)
        if victim is not None:
            os.kill(victim, signal.SIGKILL)  # out of memory, or killed by hand, mid-render
        print(f"lane {victim} killed mid-render" if victim else "the edit rendered before a lane was seen at work")
        watched.until("the build after the edit", lambda: watched.waits() > waits, time.monotonic() + HANG)
        assert pdfs(out) == cold(content, tmp_path / "cold-1")
        assert "Ketamine and the Killed Lane" in pdf_text(out / f"{SLUG}-print.pdf")
        after(watched, "the build after the next edit", lambda: save(content, titled("Ketamine After the Lane")))
        assert pdfs(out) == cold(content, tmp_path / "cold-2")
        assert "Ketamine After the Lane" in pdf_text(out / f"{SLUG}-email.pdf")
        stopped_cleanly(watched)
    finally:
        watched.close()


def test_a_save_made_while_the_lanes_render_ends_with_the_pdfs_of_the_last_save(tmp_path: Path) -> None:
    folder = tmp_path / "clinic"
    content = write_minimal(folder, ("paper: letter\n", f"paper: letter\nslug: {SLUG}\n"))
    out = folder / "out"
    watched = started(folder)
    try:
        lanes = lanes_of(watched)
        idle(lanes)
        waits = watched.waits()
        save(content, titled("Ketamine First Save"))
        when_rendering(lanes, watched, waits)
        save(content, titled("Ketamine Last Save"))  # while the first save's PDFs render
        final = cold(content, tmp_path / "cold")
        watched.until("the PDFs of the last save", lambda: pdfs(out) == final, time.monotonic() + HANG)
        time.sleep(1)  # a build of the last save still to come changes nothing
        stopped_cleanly(watched)
    finally:
        watched.close()
    assert pdfs(out) == final
    for pdf in out.glob("*.pdf"):
        assert "Ketamine Last Save" in pdf_text(pdf) and "First Save" not in pdf_text(pdf)
    rebuilt = subprocess.run([str(PYTHON), str(REPO / "build.py"), "content.yaml", "--out", "out"], cwd=folder,
                             capture_output=True, text=True, timeout=HANG)
    assert rebuilt.returncode == 0 and "up to date" in rebuilt.stdout, rebuilt.stdout + rebuilt.stderr


# --- two processes on one project ------------------------------------------------------------

def test_two_watches_and_a_build_on_one_project_agree_on_the_pdfs_of_the_last_save(tmp_path: Path) -> None:
    folder = tmp_path / "clinic"
    content = write_minimal(folder, ("paper: letter\n", f"paper: letter\nslug: {SLUG}\n"))
    out = folder / "out"
    first = started(folder)
    second = None
    try:
        second = started(folder)  # finds out/ up to date: writes nothing
        assert any(line.startswith("content.yaml: up to date") for line in second.lines()[0]), second.lines()
        both = [first, second]
        waits = [watched.waits() for watched in both]
        save(content, titled("Ketamine Seen Twice"))
        # a build run by hand meanwhile, as staff would from another terminal
        by_hand = subprocess.run([str(PYTHON), str(REPO / "build.py"), "content.yaml", "--out", "out"], cwd=folder,
                                 capture_output=True, text=True, timeout=HANG)
        assert by_hand.returncode == 0, by_hand.stderr
        for watched, before in zip(both, waits, strict=True):
            watched.until("the build after the edit", partial(built_since, watched, before), time.monotonic() + HANG)
        final = cold(content, tmp_path / "cold")
        watched_out = pdfs(out)
        for watched in both:
            stopped_cleanly(watched)
    finally:
        first.close()
        if second is not None:
            second.close()
    assert watched_out == final == pdfs(out)
    assert "Ketamine Seen Twice" in pdf_text(out / f"{SLUG}-print.pdf")
    again = subprocess.run([str(PYTHON), str(REPO / "build.py"), "content.yaml", "--out", "out"], cwd=folder,
                           capture_output=True, text=True, timeout=HANG)
    assert again.returncode == 0 and "up to date" in again.stdout, again.stdout + again.stderr
    assert not list(out.glob(".*")), "a temporary file was left in out/"


# --- the caches in out/, spoilt while watch runs ---------------------------------------------

def test_a_manifest_cut_short_or_linked_away_while_watch_runs_is_rebuilt_and_nothing_outside_changes(
        tmp_path: Path) -> None:
    folder = tmp_path / "clinic"
    content = write_minimal(folder, ("paper: letter\n", f"paper: letter\nslug: {SLUG}\n"))
    out = folder / "out"
    secret = tmp_path / "secret.json"
    secret.write_text('{"format": 2, "pdfs": {}}\n', encoding="utf-8")
    watched = started(folder)
    try:
        manifest = out / "manifest.json"
        text = manifest.read_bytes()
        manifest.write_bytes(text[: len(text) // 2])  # a crash or a hand edit cut it short
        after(watched, "the build after the first edit", lambda: save(content, titled("Ketamine Cut Short")))
        assert pdfs(out) == cold(content, tmp_path / "cold-1")
        assert recorded(manifest) == {name: hashlib.sha256(data).hexdigest() for name, data in pdfs(out).items()}
        manifest.unlink()
        manifest.symlink_to(secret)
        after(watched, "the build after the second edit", lambda: save(content, titled("Ketamine Linked Away")))
        assert pdfs(out) == cold(content, tmp_path / "cold-2")
        assert secret.read_text(encoding="utf-8") == '{"format": 2, "pdfs": {}}\n', "a file outside out/ was written"
        assert not manifest.is_symlink()
        assert recorded(manifest) == {name: hashlib.sha256(data).hexdigest() for name, data in pdfs(out).items()}
        stopped_cleanly(watched)
    finally:
        watched.close()
    rebuilt = subprocess.run([str(PYTHON), str(REPO / "build.py"), "content.yaml", "--out", "out"], cwd=folder,
                             capture_output=True, text=True, timeout=HANG)
    assert rebuilt.returncode == 0 and "up to date" in rebuilt.stdout, rebuilt.stdout + rebuilt.stderr


def test_out_replaced_by_a_loop_of_links_while_watch_runs_is_one_line_and_watch_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "clinic"
    content = write_minimal(folder, ("paper: letter\n", f"paper: letter\nslug: {SLUG}\n"))
    out = folder / "out"
    watched = started(folder)
    try:
        shutil.rmtree(out)
        os.symlink("out", out)
        since = len(watched.lines()[1])
        after(watched, "the build into a loop", lambda: save(content, titled("Ketamine Into a Loop")),
              lambda: bool(errors(watched, since)))
        said = errors(watched, since)
        assert said == ["out: is a link that leads to no folder (a loop, or a folder since moved); put the folder itself "
                        "there", "content.yaml: 1 problem; no PDF was written."], "\n".join(said)
        out.unlink()
        after(watched, "the build once out/ is a folder again", lambda: save(content, titled("Ketamine Out Again")))
        assert pdfs(out) == cold(content, tmp_path / "cold")
        stopped_cleanly(watched)
    finally:
        watched.close()
