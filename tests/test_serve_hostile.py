"""Hostile and careless inputs to the preview server and to watch, grouped by class.

Most run in this process against a server on a free port (or watch with the build
replaced by a counter), so the whole file takes a few seconds; two start the real
``serve`` command, because what they test is what the terminal shows.
"""

from __future__ import annotations

import http.client
import itertools
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import HANG, PYTHON, REPO, write_minimal

from brochure import watch as watch_module
from brochure.serve import HEAD_TIMEOUT, KEEP_ALIVE, MAX_CONNECTIONS, Preview, listen, make_server
from brochure.settings import Settings


def _wait(condition: Callable[[], object], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@contextmanager
def running(preview: Preview, head_timeout: float = HEAD_TIMEOUT) -> Iterator[int]:
    """The preview's server in a thread, as ``serve`` runs it; yields its port."""
    sock = listen(0)
    port = int(sock.getsockname()[1])
    server = make_server(preview, head_timeout)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _wait(lambda: server.started, HANG, "the server to start")
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=HANG)
        assert not thread.is_alive(), "the server did not stop"


def _get(port: int, path: str) -> tuple[int, bytes]:
    """A raw GET: the path goes on the wire exactly as written."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HANG)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _closed_within(sock: socket.socket, seconds: float) -> float:
    """Seconds until the server closes ``sock`` (reads until EOF); fails after ``seconds``."""
    start = time.monotonic()
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        raise AssertionError(f"the server kept the connection open for {seconds} s") from None
    except ConnectionResetError:
        pass
    return time.monotonic() - start


# --- 1. files the server must not send ------------------------------------------------------

@pytest.fixture
def out_with_links(tmp_path: Path) -> tuple[Preview, Path]:
    """out/ with one real proof and, listed as this build's files too, links that lead out."""
    secret = tmp_path / "secret.txt"
    secret.write_text("the user's private key\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x-print-1.png").write_bytes(b"\x89PNG not ours")
    out = tmp_path / "site" / "out"
    (out / "proof").mkdir(parents=True)
    (out / "proof" / "x-email-1.png").write_bytes(b"\x89PNG ours")
    (out / "proof" / "x-print-2.png").symlink_to(secret)  # a file link leading out
    (out / "x-print.pdf").symlink_to(secret)
    (out / "linked").symlink_to(elsewhere, target_is_directory=True)  # a folder link leading out
    os.mkfifo(out / "proof" / "x-email-2.png")  # would block a reader forever
    preview = Preview(out)
    preview.allowed = {"proof/x-email-1.png", "proof/x-print-2.png", "x-print.pdf", "linked/x-print-1.png",
                       "proof/x-email-2.png", "../secret.txt", "/etc/passwd", "proof/../x-print.pdf"}
    return preview, out


def test_files_through_links_out_of_out_are_never_sent(out_with_links: tuple[Preview, Path]) -> None:
    preview, _ = out_with_links
    with running(preview) as port:
        assert _get(port, "/files/proof/x-email-1.png") == (200, b"\x89PNG ours")
        refused = ["/files/proof/x-print-2.png", "/files/x-print.pdf", "/files/linked/x-print-1.png",
                   "/files/proof/x-email-2.png"]
        assert {path: _get(port, path)[0] for path in refused} == dict.fromkeys(refused, 404)


def test_traversal_is_refused_even_if_the_name_were_listed(out_with_links: tuple[Preview, Path]) -> None:
    """``..`` (plain or %2e%2e, which the server decodes), absolute names: refused by their shape."""
    preview, _ = out_with_links
    with running(preview) as port:
        paths = ["/files/../secret.txt", "/files/%2e%2e/secret.txt", "/files/%2E%2E%2Fsecret.txt",
                 "/files/%2Fetc%2Fpasswd", "/files//etc/passwd", "/files/proof/%2e%2e/x-print.pdf"]
        assert {path: _get(port, path)[0] for path in paths} == dict.fromkeys(paths, 404)
    assert preview.read("../secret.txt") is None and preview.read("/etc/passwd") is None


def test_a_proof_folder_linked_out_of_out_is_not_shown_or_sent(tmp_path: Path) -> None:
    """A real build whose out/proof is a link elsewhere: the page leaves those proofs out
    (and the watcher does not die on them)."""
    from brochure.runner import run

    content = write_minimal(tmp_path / "site")
    out = tmp_path / "site" / "out"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out.mkdir()
    (out / "proof").symlink_to(elsewhere, target_is_directory=True)
    preview = Preview(out, dpi=30)
    preview.update(run([(content, "content.yaml")], Settings(out, jobs=1, check=True, skip_fresh_files=False)))
    outputs = preview.views["content.yaml"].outputs
    assert [o["pdf"] for o in outputs] == ["ketamine-and-your-brain-print.pdf", "ketamine-and-your-brain-email.pdf"]
    assert all(o["proofs"] == [] for o in outputs)
    assert preview.allowed == {"ketamine-and-your-brain-print.pdf", "ketamine-and-your-brain-email.pdf"}


# --- 2. the port ------------------------------------------------------------------------------

def test_a_port_in_use_is_one_line_and_exit_1_before_any_build(tmp_path: Path) -> None:
    content = write_minimal(tmp_path / "site")
    with socket.socket() as taken:  # another program's server
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([str(PYTHON), str(REPO / "build.py"), "serve", "content.yaml", "--out", "out",
                                 "--port", str(port)], cwd=content.parent, capture_output=True, text=True, timeout=HANG)
    assert result.returncode == 1
    assert result.stdout == ""  # no address printed, no build reported
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"cannot serve on 127.0.0.1:{port}: the port is in use; try --port ")
    assert int(lines[0].rsplit(" ", 1)[1]) > port
    assert not (content.parent / "out").exists()


# --- 3. Ctrl-C with a browser connected ----------------------------------------------------------

def test_ctrl_c_with_an_event_stream_open_stops_at_once_without_traceback(tmp_path: Path) -> None:
    content = write_minimal(tmp_path / "site")
    port = _free_port()
    process = subprocess.Popen([str(PYTHON), "-u", str(REPO / "build.py"), "serve", "content.yaml", "--out", "out",
                                "--port", str(port)], cwd=content.parent, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + HANG
        while True:  # the browser's EventSource
            try:
                stream = http.client.HTTPConnection("127.0.0.1", port, timeout=HANG)
                stream.request("GET", "/events")
                response = stream.getresponse()
                break
            except OSError:
                assert time.monotonic() < deadline and process.poll() is None, "serve did not start"
                time.sleep(0.1)
        assert response.status == 200 and response.readline().startswith(b"data: ")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=HANG)  # the stream is still open: it did not wait for it
        assert process.returncode == 0
        assert "Traceback" not in err and "ERROR" not in err, err
        assert out.splitlines()[-1] == "stopped the preview"
        stream.close()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- 4. idle, half-sent and too many connections ------------------------------------------------

def test_the_limits_are_set() -> None:
    assert HEAD_TIMEOUT <= 15 and KEEP_ALIVE <= 15 and MAX_CONNECTIONS == 32


@pytest.mark.parametrize("sent", [b"", b"GET / HT", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"],
                         ids=["nothing", "half a request line", "headers never finished"])
def test_a_stalled_connection_is_dropped(tmp_path: Path, sent: bytes) -> None:
    with running(Preview(tmp_path / "out"), head_timeout=0.5) as port, \
            socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(sent)
        _closed_within(sock, HANG)  # without a deadline, never


def test_a_trickled_request_is_dropped_at_its_deadline(tmp_path: Path) -> None:
    """Slowloris: a byte every 0.1 s does not keep the connection alive."""
    with running(Preview(tmp_path / "out"), head_timeout=0.6) as port, \
            socket.create_connection(("127.0.0.1", port)) as sock:

        def trickle() -> None:  # for ever, until closed: a deadline renewed at each byte never ends it
            for byte in itertools.chain(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ", itertools.repeat(97)):
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    return  # closed: what the test waits for
                time.sleep(0.1)

        threading.Thread(target=trickle, daemon=True).start()
        _closed_within(sock, HANG)


def test_a_whole_request_is_answered_and_the_connection_kept_alive(tmp_path: Path) -> None:
    # Three requests 2 s apart on one connection, 4 s in all: over the 3 s deadline, so it must
    # be armed again for each request. (Margins of a second: sleeping threads wake on time.)
    with running(Preview(tmp_path / "out"), head_timeout=3) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HANG)
        for n in range(3):
            if n:
                time.sleep(2)
            connection.request("GET", "/")
            assert connection.getresponse().read().startswith(b"<!DOCTYPE html>")
        connection.close()


def test_connections_beyond_the_cap_get_503(tmp_path: Path) -> None:
    with running(Preview(tmp_path / "out"), head_timeout=10) as port:
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(MAX_CONNECTIONS)]
        try:
            time.sleep(0.2)
            assert _get(port, "/")[0] == 503
        finally:
            for sock in idle:
                sock.close()
        _wait(lambda: _get(port, "/")[0] == 200, HANG, "the cap to free up")


# --- 5 and 6. watch: PDFs beside the content, folders made later -------------------------------

@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The build replaced by a clock: each rebuild appends its time."""
    builds: list[float] = []

    def run(*args: Any, **kwargs: Any) -> list[Any]:
        builds.append(time.monotonic())
        return []

    monkeypatch.setattr(watch_module, "run", run)
    return builds


@contextmanager
def watching(content: Path, out: Path, builds: list[float]) -> Iterator[None]:
    stop = threading.Event()
    thread = threading.Thread(target=lambda: [None for _ in watch_module.rebuilds([(content, "c")], Settings(out), stop=stop)],
                              daemon=True)
    thread.start()
    try:
        _wait(lambda: builds, HANG, "the first build")
        yield  # at once: what happens before the watch is running is found by its first look
    finally:
        stop.set()
        thread.join(timeout=HANG)
        assert not thread.is_alive(), "watch did not stop"


def _rebuilt(builds: list[float], count: int, what: str) -> None:
    _wait(lambda: len(builds) >= count, HANG, what)


def _quiet(builds: list[float], count: int) -> None:
    time.sleep(0.5)
    assert len(builds) == count, "rebuilt on a change that is not an input"


def test_watch_out_dot_rebuilds_on_a_save_and_not_on_its_own_output(tmp_path: Path, counted: list[float]) -> None:
    content = write_minimal(tmp_path / "site")
    folder = content.parent
    with watching(content, folder, counted):
        (folder / "ketamine-and-your-brain-print.pdf").write_bytes(b"%PDF-")  # what a build writes
        (folder / "manifest.json").write_text("{}")
        (folder / "proof").mkdir()
        (folder / "proof" / "ketamine-and-your-brain-print-1.png").write_bytes(b"\x89PNG")
        _quiet(counted, 1)
        content.write_text(content.read_text().replace("Two to three", "Three"))
        _rebuilt(counted, 2, "a rebuild after a save with --out .")
        (folder / "logo.svg").write_text((folder / "logo.svg").read_text() + "\n")  # an image beside it
        _rebuilt(counted, 3, "a rebuild after the logo changed")


def test_a_save_that_moves_the_old_file_away_first_builds_the_new_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """vim's save: the old file renamed to a backup, then the new one written. The file is
    missing in between, for longer than watchfiles waits for quiet: the build still waits
    for the new file, rather than building (and saying the file is missing) in the gap."""
    content = write_minimal(tmp_path / "site")
    seen: list[bool] = []

    def run(*args: Any, **kwargs: Any) -> list[Any]:
        seen.append(content.is_file())
        return []

    monkeypatch.setattr(watch_module, "run", run)
    monkeypatch.setattr(watch_module, "_warm_up", lambda *args: None)  # no worker processes: not tested here
    monkeypatch.setattr(watch_module, "GONE_WAIT_S", HANG)  # a save, however slow, is waited for
    with watching(content, tmp_path / "out", seen):  # type: ignore[arg-type]
        text = content.read_text()
        content.write_text(text.replace("Two to three", "Two"))  # once rebuilt, the watch is running
        _rebuilt(seen, 2, "a rebuild after a plain save")  # type: ignore[arg-type]
        content.rename(content.with_name("content.yaml~"))
        time.sleep(0.3)  # many watchfiles steps: the file's going is reported
        content.write_text(text.replace("Two to three", "Three"))
        content.with_name("content.yaml~").unlink()
        _rebuilt(seen, 3, "a rebuild after the save")  # type: ignore[arg-type]
        time.sleep(0.3)
    assert all(seen), f"a build ran while the content file was missing: {seen}"


@pytest.mark.parametrize("name", ["images", "templates"])
def test_a_folder_made_after_watch_started_is_watched(tmp_path: Path, counted: list[float], name: str) -> None:
    content = write_minimal(tmp_path / "site")
    inside = content.parent / name
    file = inside / ("photo.png" if name == "images" else "print.css")
    with watching(content, tmp_path / "out", counted):
        inside.mkdir()
        _quiet(counted, 1)  # an empty folder is not a reason to build
        file.write_bytes(b"one")
        _rebuilt(counted, 2, f"a rebuild after a save in the new {name}/")
        time.sleep(0.3)
        file.write_bytes(b"two")
        _rebuilt(counted, 3, f"a rebuild after a second save in {name}/")
        nested = inside / "more"
        nested.mkdir()
        (nested / "x.png").write_bytes(b"three")  # at once, before the watch can be on the new folder
        _rebuilt(counted, 4, "a rebuild after a save in a folder inside the new one")


def test_a_folder_made_with_files_already_in_it_rebuilds(tmp_path: Path, counted: list[float]) -> None:
    """``mkdir images && cp photo.png images/``: the copy lands before the folder is watched."""
    content = write_minimal(tmp_path / "site")
    with watching(content, tmp_path / "out", counted):
        (content.parent / "images").mkdir()
        (content.parent / "images" / "photo.png").write_bytes(b"one")
        _rebuilt(counted, 2, "a rebuild for the files in a new folder")
        _quiet(counted, 2)
        (content.parent / "images" / "photo.png").unlink()
        (content.parent / "images").rmdir()
        _rebuilt(counted, 3, "a rebuild after the folder went")



def test_a_file_written_in_pieces_is_read_once_left_alone(tmp_path: Path) -> None:
    """watchfiles may yield between two pieces of an in-place save: the build waits until the
    file was last written QUIET_S ago."""
    from watchfiles import Change

    content = write_minimal(tmp_path / "site")
    changes = {(Change.modified, str(content))}
    content.write_text(content.read_text())  # just written
    watch_module._settled(changes, lambda change, path: True)
    assert time.time() - content.stat().st_mtime >= watch_module.QUIET_S, "read before it was left alone"


def test_a_file_gone_and_back_late_is_waited_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A save that moves the old file away and writes the new one late (a network share): the
    build waits for it (GONE_WAIT_S) rather than removing its PDFs, the last good ones."""
    from watchfiles import Change

    content = write_minimal(tmp_path / "site")
    text = content.read_text()
    content.unlink()
    monkeypatch.setattr(watch_module, "GONE_WAIT_S", HANG)  # however late (a loaded machine)
    back = threading.Timer(0.3, lambda: content.write_text(text))
    back.start()
    watch_module._back({(Change.deleted, str(content))}, lambda change, path: True)
    back.join()
    assert content.is_file()
