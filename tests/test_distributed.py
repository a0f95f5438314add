"""Batches on a Dask cluster (``build --scheduler``): a LocalCluster of two worker processes
builds a 20-location batch into the same bytes, manifest and progress lines as a local
``--jobs 2`` build; workers render from the bundle alone; a worker killed mid-batch loses
no unit; an unreachable scheduler and a content mistake are reported as plain lines."""

from __future__ import annotations

import os
import pickle
import re
import shutil
import signal
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from conftest import REPO, run_main, seed_project, without_check_summary

distributed = pytest.importorskip("distributed")

UNITS = 20


def _locations(count: int, odd: dict[int, str] | None = None) -> str:
    """A locations CSV of ``count`` rows, each its own phone and address; ``odd`` replaces
    the address of some rows."""
    lines = ["id,clinic.phone,clinic.address"]
    for n in range(count):
        address = (odd or {}).get(n, f"{n + 1} Main St")
        lines.append(f'site-{n:02d},(913) 555-{1000 + n:04d},"{address}"')
    return "\n".join(lines) + "\n"


def chain(folder: Path, count: int = UNITS, odd: dict[int, str] | None = None) -> Path:
    """The seed as a handout in ``count`` locations, with a project-level template override
    (so that the bundle has to carry the clinic's own templates/ too)."""
    path = seed_project(folder, ("layout: trifold", "layout: handout\nvariants: locations.csv"))
    (folder / "locations.csv").write_text(_locations(count, odd), encoding="utf-8")
    css = folder / "templates" / "css"
    css.mkdir(parents=True)
    bundled = (REPO / "templates" / "css" / "email.css").read_text(encoding="utf-8")
    (css / "email.css").write_text(bundled + "\nh2 { letter-spacing: 0.01em; }\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cluster() -> Any:
    import dask

    dask.config.set({"distributed.worker.profile.enabled": False})  # as the README starts workers
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=50)
    yield cluster
    cluster.close()


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    """The 20-location batch built locally with ``--jobs 2``: (content, out, stdout)."""
    folder = tmp_path_factory.mktemp("local")
    content = chain(folder / "project")
    out = folder / "out"
    run = run_main("build", str(content), "--out", str(out), "--jobs", "2")
    assert run.code == 0, run.err
    assert len(list(out.glob("*.pdf"))) == 2 * UNITS
    return content, out, run.out


def _pdfs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.pdf"))}


def test_a_cluster_batch_is_the_local_batch_byte_for_byte(cluster: Any, local: tuple[Path, Path, list[str]],
                                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content, local_out, local_lines = local
    scattered: list[tuple[Any, bool]] = []
    submitted: list[tuple[Any, ...]] = []
    scatter, submit = distributed.Client.scatter, distributed.Client.submit

    def spy_scatter(self: Any, data: Any, *args: Any, **kwargs: Any) -> Any:
        scattered.append((data, kwargs.get("broadcast", False)))
        return scatter(self, data, *args, **kwargs)

    def spy_submit(self: Any, function: Any, *args: Any, **kwargs: Any) -> Any:
        submitted.append(args)
        return submit(self, function, *args, **kwargs)

    monkeypatch.setattr(distributed.Client, "scatter", spy_scatter)
    monkeypatch.setattr(distributed.Client, "submit", spy_submit)
    # The same project beside its own out/, so that the manifests' relative paths compare too.
    project = tmp_path / "project"
    shutil.copytree(content.parent, project)
    shutil.copytree(local_out, tmp_path / "local-out")
    out = tmp_path / "out"
    run = run_main("build", str(project / content.name), "--out", str(out), "--scheduler", cluster.scheduler_address)
    assert run.code == 0, "\n".join(run.err)
    assert _pdfs(out) == _pdfs(local_out)
    # Shared parts went once, to every worker; each unit's task carries names, not files.
    names = [set(data.files.files) if hasattr(data, "root") else set(data.files) for data, _ in scattered]
    assert [broadcast for _, broadcast in scattered] == [True, True]
    assert names == [{"templates/css/email.css", "logo.svg"}, {"content.yaml", "locations.csv"}]
    assert len(submitted) == UNITS
    assert all(len(pickle.dumps(job)) < 1024 for *_, job in submitted)
    assert len({id(args[0]) for args in submitted}) == 1  # the one scattered future, not a copy
    expected = (tmp_path / "local-out" / "manifest.json").read_bytes()
    assert (out / "manifest.json").read_bytes() == expected.replace(str(content.parent).encode(), str(project).encode())
    # Progress as locally: one line per unit (in the order units finish), then the same report.
    progress = sorted(re.sub(r"^\[\d+/", "[", line) for line in run.out if line.startswith("["))
    assert progress == sorted(re.sub(r"^\[\d+/", "[", line).replace(str(content.parent), str(project))
                              for line in local_lines if line.startswith("["))
    assert len(progress) == UNITS and all(line.startswith(f"[{UNITS}] built ") for line in progress)
    assert sorted(line for line in run.out if line.startswith("wrote ")) == \
        sorted(line.replace(str(local_out), str(out)) for line in local_lines if line.startswith("wrote "))
    # The manifest the client wrote is the one a local build reads: nothing left to do.
    again = run_main("build", str(project / content.name), "--out", str(out))
    assert again.code == 0 and any("up to date" in line for line in again.out), again.out


def test_a_worker_renders_from_the_bundle_alone(cluster: Any, local: tuple[Path, Path, list[str]],
                                                tmp_path: Path) -> None:
    """The bundle is read, then the project folder is deleted: what the worker renders can
    come from nothing but the bundle, and is still the local build's PDF."""
    from brochure.build import Unit
    from brochure.bundle import Task, own_part, render, shared_part
    from brochure.discover import content_root

    content, local_out, _ = local
    project = tmp_path / "moved"
    shutil.copytree(content.parent, project)
    unit = Unit(project / content.name, "content.yaml", "site-07")
    root = content_root(unit.path)
    own, logos = own_part(unit, root)
    shared = shared_part(root, logos)
    shutil.rmtree(project)
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        far = client.submit(render, shared, own, Task(content.name, "content.yaml", "site-07", "out"), pure=False)
        rendered = far.result()
        cwd = client.run(os.getcwd)
    assert not rendered.problems
    assert not any(str(project) in folder for folder in cwd.values())
    assert set(rendered.pdfs) == {"how-ketamine-affects-the-brain-site-07-print.pdf",
                                  "how-ketamine-affects-the-brain-site-07-email.pdf"}
    for name, data in rendered.pdfs.items():
        assert data == (local_out / name).read_bytes(), name
    entry = rendered.entries["how-ketamine-affects-the-brain-site-07-email.pdf"]
    assert entry.source == "root:content.yaml"
    assert "root:templates/css/email.css" in entry.inputs and "root:locations.csv" in entry.inputs


def test_a_worker_killed_mid_batch_loses_no_unit(cluster: Any, local: tuple[Path, Path, list[str]],
                                                 tmp_path: Path) -> None:
    from brochure.runner import run
    from brochure.settings import Settings

    content, local_out, _ = local
    project = tmp_path / "project"
    shutil.copytree(content.parent, project)
    out = tmp_path / "out"
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        before = client.run(os.getpid)
    victim = sorted(before.values())[0]

    class KillAfterTwo:
        """Progress that kills one worker process (SIGKILL: no goodbye) once two units are in."""

        def __init__(self) -> None:
            self.count = 0

        def start(self, total: int) -> None:
            pass

        def advance(self, unit: Any, result: Any, problems: Any) -> None:
            self.count += 1
            if self.count == 2:
                os.kill(victim, signal.SIGKILL)

    progress = KillAfterTwo()
    outcomes = run([(project / content.name, "content.yaml")], Settings(out, scheduler=cluster.scheduler_address),
                   progress)
    assert progress.count == UNITS
    assert [o.problems for o in outcomes] == [[]] and len(outcomes[0].results) == UNITS
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=60)
        after = client.run(os.getpid)
    assert victim not in after.values()  # it did die; its nanny started another
    assert _pdfs(out) == _pdfs(local_out)
    for pdf in out.glob("*.pdf"):
        with pikepdf.open(pdf) as document:
            assert len(document.pages) >= 1
    assert not list(out.glob(".*.tmp"))


def test_an_unreachable_scheduler_is_one_plain_line(tmp_path: Path) -> None:
    content = chain(tmp_path / "project", count=2)
    out = tmp_path / "out"
    run = run_main("build", str(content), "--out", str(out), "--scheduler", "tcp://127.0.0.1:9")
    assert run.code == 1
    assert len(run.err) == 1 and run.err[0].startswith("cannot reach the Dask scheduler at tcp://127.0.0.1:9: "), run.err
    assert "Traceback" not in run.err[0]
    assert not out.exists()


def test_a_content_mistake_in_one_unit_reads_as_it_does_locally(cluster: Any, tmp_path: Path) -> None:
    """One location's address has a character the typeface cannot print: found on the
    worker, reported in the same lines as locally, and the other locations are written."""
    content = chain(tmp_path / "project", count=4, odd={2: "2 Main St ☃"})
    here = run_main("build", str(content), "--out", str(tmp_path / "here"), "--jobs", "2")
    there = run_main("build", str(content), "--out", str(tmp_path / "there"), "--scheduler", cluster.scheduler_address)
    assert here.code == there.code == 1
    assert any("site-02" in line for line in here.err), here.err
    assert without_check_summary(there.err) == without_check_summary(here.err)
    assert _pdfs(tmp_path / "there") == _pdfs(tmp_path / "here")
    assert len(_pdfs(tmp_path / "there")) == 6
