"""Batches on a Dask cluster (``build --scheduler``): a LocalCluster of two worker processes
builds a batch of locations into the same bytes, manifest and progress lines as a local
``--jobs 2`` build, on workers restarted mid-batch (recycled); workers render from the
bundle alone; a worker killed mid-batch loses no unit; an unreachable scheduler and a content mistake are reported as plain lines."""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import shutil
import signal
import socket
import struct
import subprocess
import threading
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from conftest import HANG, PYTHON, REPO, run_main, seed_project, without_check_summary

distributed = pytest.importorskip("distributed")

UNITS = 8  # enough for two workers to share, one to be killed mid-batch, and the rest to go on


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
def local(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    """The batch of locations built locally with ``--jobs 2``: (content, out, stdout)."""
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
    """Made on workers that are restarted after every 2 units (a long batch's recycling, made
    short by the tests' ``BROCHURE_UNITS_PER_WORKER``): nothing is lost or different."""
    from brochure.bundle import render

    content, local_out, local_lines = local
    submitted: list[tuple[Any, ...]] = []
    submit = distributed.Client.submit

    def spy_submit(self: Any, function: Any, *args: Any, **kwargs: Any) -> Any:
        submitted.append((function, *args))
        return submit(self, function, *args, **kwargs)

    monkeypatch.setattr(distributed.Client, "submit", spy_submit)
    monkeypatch.setenv("BROCHURE_UNITS_PER_WORKER", "2")
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        before = set(client.run(os.getpid).values())
    # The same project beside its own out/, so that the manifests' relative paths compare too.
    project = tmp_path / "project"
    shutil.copytree(content.parent, project)
    shutil.copytree(local_out, tmp_path / "local-out")
    out = tmp_path / "out"
    run = run_main("build", str(project / content.name), "--out", str(out), "--scheduler", cluster.scheduler_address)
    assert run.code == 0, "\n".join(run.err)
    assert _pdfs(out) == _pdfs(local_out)
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=HANG)
        after = set(client.run(os.getpid).values())
        plugins = client.run(lambda dask_worker: list(dask_worker.plugins))
    assert after != before  # workers were restarted mid-batch
    assert not any("brochure-recycle" in names for names in plugins.values())  # and left as they were
    # The shared parts went once, as tasks; each unit's task carries names, not files.
    parts = [args[1] for args in submitted if args[0] is not render]
    renders = [args[1:] for args in submitted if args[0] is render]
    names = [set(data.files.files) if hasattr(data, "root") else set(data.files) for data in parts]
    assert names == [{"templates/css/email.css", "logo.svg"}, {"content.yaml", "locations.csv"}]
    assert len(renders) == UNITS
    assert all(len(pickle.dumps(job)) < 1024 for *_, job in renders)
    assert len({id(args[0]) for args in renders}) == 1  # the one future of the part, not a copy
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
        client.wait_for_workers(2, timeout=HANG)
        after = client.run(os.getpid)
    assert victim not in after.values()  # it did die; its nanny started another
    assert _pdfs(out) == _pdfs(local_out)
    for pdf in out.glob("*.pdf"):
        with pikepdf.open(pdf) as document:
            assert len(document.pages) >= 1
    assert not list(out.glob(".*.tmp"))


class _Stranger:
    """A server on 127.0.0.1 (a port the system picks) that is not a Dask scheduler: it says
    nothing, says garbage, announces a message of 2**62 bytes, or answers as a web server does.
    Stopped when the test ends."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        replies = {"silent": b"", "garbage": bytes(range(256)) * 4, "huge": struct.pack("Q", 2 ** 62) + b"\0" * 64,
                   "web": b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"}
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.held.append(connection)  # kept open: a silent server never hangs up either
            with contextlib.suppress(OSError):
                connection.sendall(replies[self.kind])
                if self.kind == "web":
                    connection.close()

    def close(self) -> None:
        self.socket.close()
        for connection in self.held:
            connection.close()


def _closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as server:
        return server.getsockname()[1]


def test_every_way_of_not_reaching_a_cluster_is_one_line_and_exit_1(tmp_path: Path) -> None:
    """Each case runs as its own command (all at once: most of them wait for the time limit),
    so that what Python prints at exit ("Exception ignored", a client's finaliser) is seen too."""
    content = chain(tmp_path / "project", count=2)
    strangers = {kind: _Stranger(kind) for kind in ("silent", "garbage", "huge", "web")}
    at = {kind: f"tcp://127.0.0.1:{stranger.port}" for kind, stranger in strangers.items()}
    closed = f"tcp://127.0.0.1:{_closed_port()}"
    cases = {  # address -> how the one line ends
        closed: f"cannot reach the Dask scheduler at {closed}: nothing listens there (connection refused)",
        at["silent"]: f"cannot reach the Dask scheduler at {at['silent']}: nothing answered within 5 s "
                      "(--scheduler-timeout)",
        at["garbage"]: f"cannot reach the Dask scheduler at {at['garbage']}: something listens there, but it does "
                       "not answer as a Dask scheduler does",
        at["huge"]: f"cannot reach the Dask scheduler at {at['huge']}: something listens there, but it does not "
                    "answer as a Dask scheduler does",
        at["web"]: f"cannot reach the Dask scheduler at {at['web']}: something listens there, but it does not "
                   "answer as a Dask scheduler does",
        "tls://127.0.0.1:" + at["silent"].rsplit(":", 1)[1]:
            "tls://127.0.0.1:" + at["silent"].rsplit(":", 1)[1] + " is reached by TLS, and no certificates are set: "
            "give them in Dask's configuration (distributed.comm.tls.ca-file, distributed.comm.tls.client.cert and "
            "distributed.comm.tls.client.key), or use tcp://",
        "udp://127.0.0.1:8786": "'udp://127.0.0.1:8786' is not a Dask scheduler's address; write it tcp://host:port, "
                                "like tcp://10.0.0.5:8786 (brochure reaches a scheduler by tcp:// or tls://, not udp://)",
        "inproc://127.0.0.1/1/1": "'inproc://127.0.0.1/1/1' is not a Dask scheduler's address; write it "
                                  "tcp://host:port, like tcp://10.0.0.5:8786 (brochure reaches a scheduler by tcp:// "
                                  "or tls://, not inproc://)",
        "tcp://127.0.0.1:99999": "'tcp://127.0.0.1:99999' is not a Dask scheduler's address; write it tcp://host:port, "
                                 "like tcp://10.0.0.5:8786 (a port is a number from 1 to 65535)",
        "tcp://[::1": "'tcp://[::1' is not a Dask scheduler's address; write it tcp://host:port, like "
                      "tcp://10.0.0.5:8786",
        "": "'' is not a Dask scheduler's address; write it tcp://host:port, like tcp://10.0.0.5:8786",
        "tcp://no-such-host.invalid:8786": "cannot reach the Dask scheduler at tcp://no-such-host.invalid:8786: ",
    }
    environment = {**os.environ, "DASK_DISTRIBUTED__COMM__TLS__CA_FILE": "", "PYTHONPATH": str(REPO)}
    try:
        running = {address: subprocess.Popen(
            [str(PYTHON), str(REPO / "build.py"), "build", str(content), "--out", str(tmp_path / f"out-{n}"),
             "--scheduler", address, "--scheduler-timeout", "5"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
            for n, address in enumerate(cases)}
        finished = {address: process.communicate(timeout=HANG) + (process.returncode,)
                    for address, process in running.items()}
    finally:
        for stranger in strangers.values():
            stranger.close()
        for process in running.values():
            if process.poll() is None:
                process.kill()
    for n, (address, expected) in enumerate(cases.items()):
        _, err, code = finished[address]
        assert code == 1 and len(err.splitlines()) == 1 and err.startswith(expected), (address, err)
        assert not (tmp_path / f"out-{n}").exists(), address


def test_a_scheduler_with_no_worker_is_one_line(tmp_path: Path) -> None:
    content = chain(tmp_path / "project", count=2)
    lonely = distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp", host="127.0.0.1",
                                      dashboard_address=":0", silence_logs=50)
    try:
        run = run_main("build", str(content), "--out", str(tmp_path / "out"), "--scheduler", lonely.scheduler_address,
                       "--scheduler-timeout", "10")
        clients = lonely.scheduler.clients
    finally:
        lonely.close()
    assert run.code == 1
    assert run.err == [f"the Dask scheduler at {lonely.scheduler_address} has no worker (none came within 10 s): "
                       f"start some (dask worker {lonely.scheduler_address}), then build again"]
    assert set(clients) <= {"fire-and-forget"}  # the client was closed: the scheduler forgot it
    assert not (tmp_path / "out").exists()


def test_a_scheduler_lost_mid_batch_is_one_line(tmp_path: Path) -> None:
    """The scheduler's process is killed once one location is in: one line, exit 1, and the
    PDFs written before are whole and recorded (the next build finishes the rest)."""
    content = chain(tmp_path / "project", count=3)
    out = tmp_path / "out"
    scheduler = subprocess.Popen([str(PYTHON), "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                  "--port", "0", "--no-dashboard"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
    worker = None
    try:
        address = None
        assert scheduler.stderr is not None
        for line in scheduler.stderr:  # "Scheduler at:   tcp://127.0.0.1:PORT"
            found = re.search(r"Scheduler at:\s+(tcp://\S+)", line)
            if found:
                address = found.group(1)
                break
        assert address, "the scheduler did not start"
        threading.Thread(target=scheduler.stderr.read, daemon=True).start()  # its log, drained
        worker = subprocess.Popen([str(PYTHON), "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                                   "--no-nanny", "--no-dashboard"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(REPO)})

        class KillAfterOne:
            def start(self, total: int) -> None:
                pass

            def advance(self, unit: Any, result: Any, problems: Any) -> None:
                if scheduler.poll() is None:
                    scheduler.kill()

        from brochure.runner import run
        from brochure.scheduler import ClusterError
        from brochure.settings import Settings

        with pytest.raises(ClusterError) as lost:
            run([(content, "content.yaml")], Settings(out, scheduler=address, scheduler_timeout=HANG),
                progress=KillAfterOne())
    finally:
        for process in (scheduler, worker):
            if process is not None and process.poll() is None:
                process.kill()
            if process is not None:
                process.wait()
    assert str(lost.value).startswith(f"lost the Dask scheduler at {address} in the middle of the batch (")
    assert str(lost.value).endswith("); the PDFs written are whole: build again to finish")
    written = sorted(p.name for p in out.glob("*.pdf"))
    assert len(written) >= 2 and not list(out.glob(".*.tmp"))
    again = run_main("build", str(content), "--out", str(out), "--jobs", "1")
    assert again.code == 0, again.err
    assert sum(line.startswith("wrote ") for line in again.out) == 6 - len(written)  # only what was missing


def test_the_pdfs_date_is_the_builds_whatever_the_workers_environment(
        cluster: Any, local: tuple[Path, Path, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SOURCE_DATE_EPOCH given to the build is the date of every PDF made on the cluster, and
    one the workers were started with is not: the same bytes as a local build, both ways."""
    content = chain(tmp_path / "project", count=2)
    _, local_out, _ = local  # the same first two locations, built here without SOURCE_DATE_EPOCH
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        client.run(os.environ.__setitem__, "SOURCE_DATE_EPOCH", "86400")  # the workers' own setting
        try:
            for epoch in ("1700000000", None):
                if epoch is None:
                    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
                else:
                    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
                there = tmp_path / f"there-{epoch}"
                run = run_main("build", str(content), "--out", str(there), "--scheduler", cluster.scheduler_address)
                assert run.code == 0, run.err
                if epoch is None:
                    here = {name: data for name, data in _pdfs(local_out).items() if name in _pdfs(there)}
                else:
                    assert run_main("build", str(content), "--out", str(tmp_path / "here"), "--jobs", "2").code == 0
                    here = _pdfs(tmp_path / "here")
                assert _pdfs(there) == here and len(here) == 4, epoch
                with pikepdf.open(next(there.glob("*-email.pdf"))) as pdf:
                    date = str(pdf.docinfo["/CreationDate"])
                assert date.startswith("D:20231114" if epoch else "D:2026"), date
        finally:
            client.run(os.environ.pop, "SOURCE_DATE_EPOCH", None)


def test_a_content_mistake_in_one_unit_reads_as_it_does_locally(cluster: Any, tmp_path: Path) -> None:
    """One location's address has a character the typeface cannot print: found on the
    worker, reported in the same lines as locally, and the other locations are written."""
    content = chain(tmp_path / "project", count=3, odd={2: "2 Main St ☃"})
    here = run_main("build", str(content), "--out", str(tmp_path / "here"), "--jobs", "2")
    there = run_main("build", str(content), "--out", str(tmp_path / "there"), "--scheduler", cluster.scheduler_address)
    assert here.code == there.code == 1
    assert any("site-02" in line for line in here.err), here.err
    assert without_check_summary(there.err) == without_check_summary(here.err)
    assert _pdfs(tmp_path / "there") == _pdfs(tmp_path / "here")
    assert len(_pdfs(tmp_path / "there")) == 4


def test_ctrl_c_during_a_cluster_batch_exits_130_in_one_line(cluster: Any, tmp_path: Path) -> None:
    """Ctrl-C once the first location is in: one line, exit 130, the PDFs written are whole
    and recorded, nothing of the build is left running, and the cluster is left as it was
    (its workers, without the build's plugin), ready for the next build."""
    content = chain(tmp_path / "project", count=UNITS)
    out = tmp_path / "out"
    process = subprocess.Popen([str(PYTHON), str(REPO / "build.py"), "build", str(content), "--out", str(out),
                                "--scheduler", cluster.scheduler_address], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True,
                               env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert process.stdout is not None
        for line in process.stdout:  # a progress line: the batch runs on the cluster
            if line.startswith("["):
                break
        os.killpg(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=HANG)
        with contextlib.suppress(ProcessLookupError):  # the group is gone with it
            os.killpg(process.pid, 0)
            raise AssertionError("a process of the build was left running after Ctrl-C")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert process.returncode == 130, err
    assert err.splitlines() == [f"stopped (Ctrl-C): nothing half-made was written; the PDFs in {out} are whole"]
    written = {p.name for p in out.glob("*.pdf")}
    assert written and not list(out.glob(".*.tmp"))
    import json

    assert set(json.loads((out / "manifest.json").read_text(encoding="utf-8"))["pdfs"]) == written
    for pdf in out.glob("*.pdf"):
        with pikepdf.open(pdf) as document:
            assert len(document.pages) >= 1
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=HANG)
        plugins = client.run(lambda dask_worker: list(dask_worker.plugins))
    assert not any("brochure-recycle" in names for names in plugins.values())
