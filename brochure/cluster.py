"""Cluster: a batch's units rendered on a Dask cluster, committed here as a local build commits them.

``build --scheduler tcp://host:8786`` sends each unit to a Dask scheduler's workers. Each
project root's shared files, and each content file's own, are scattered to the workers
once per batch (``brochure.bundle``); a task carries only the unit's names. Workers return
PDF bytes and manifest entries; this process alone writes PDFs (atomically) and the
manifest, unit by unit as they come back, and tells the progress as the local runner does.
A worker that dies takes no unit with it: the scheduler gives its tasks to another worker,
and nothing of a unit is written until its bytes are here.

``distributed`` is imported only here, and only for such a build: a local build's cold
start does not pay for it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .bundle import Delivered, Files, OtherVersion, Task, entry_for, own_part, render, shared_part
from .environment import source_date_epoch
from .manifest import Manifest, settings_fingerprint
from .projects import content_root

if TYPE_CHECKING:
    from .build import Finished, Progress, Result, Unit
    from .errors import Problem

CONNECT_TIMEOUT = 15.0  # seconds (``--scheduler-timeout``): to reach the scheduler, then to find a worker
RETRIES = 2  # a task that raised (a worker's disk full, say) is tried again on any worker
SCHEMES = ("tcp", "tls")  # what a scheduler listens on for clients elsewhere (inproc is in-process only)
DEFAULT_PORT = 8786  # a Dask scheduler's
HANDSHAKE_MAX = 1 << 20  # bytes: a scheduler's first message is under 100; anything larger is not one



class ClusterError(Exception):
    """The cluster cannot be used: said in one plain line; what was committed stays good."""


@dataclass(frozen=True)
class Address:
    """A scheduler's address, checked: scheme, host and port."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def parse_address(text: str) -> Address:
    """``tcp://host:port`` (``tcp://`` and the port 8786 may be left out), or ``ClusterError``."""
    shown = text if len(text) <= 200 else text[:200] + "..."
    scheme, found, rest = text.partition("://")
    if not found:
        scheme, rest = "tcp", text
    usage = f"'{shown}' is not a Dask scheduler's address; write it tcp://host:port, like tcp://10.0.0.5:8786"
    if scheme not in SCHEMES:
        raise ClusterError(f"{usage} (brochure reaches a scheduler by {' or '.join(s + '://' for s in SCHEMES)}, "
                           f"not {scheme}://)")
    if rest.startswith("["):  # an IPv6 address
        host, bracket, port_text = rest[1:].partition("]")
        if not bracket or (port_text and not port_text.startswith(":")):
            raise ClusterError(usage)
        port_text = port_text[1:]
    else:
        host, _, port_text = rest.partition(":")
    if not host or any(c.isspace() or c in "/?#@[]" for c in host) or not host.isprintable():
        raise ClusterError(usage)
    if not port_text:
        return Address(scheme, host, DEFAULT_PORT)
    if not (port_text.isascii() and port_text.isdigit() and len(port_text) <= 5) or not 1 <= int(port_text) <= 65535:
        raise ClusterError(f"{usage} (a port is a number from 1 to 65535)")
    return Address(scheme, host, int(port_text))


def _tls_context(address: Address) -> Any:
    """Dask's configured TLS context for a client (None for tcp://), or ``ClusterError``."""
    if address.scheme != "tls":
        return None
    from distributed.security import Security

    try:
        context = Security().get_connection_args("client")["ssl_context"]
    except (OSError, ValueError) as error:  # a certificate file that is missing or not one
        raise ClusterError(f"cannot use the TLS certificates of Dask's configuration for {address}: "
                           f"{_first_line(error)}") from None
    if context is None:
        raise ClusterError(f"{address} is reached by TLS, and no certificates are set: give them in Dask's "
                           "configuration (distributed.comm.tls.ca-file, distributed.comm.tls.client.cert and "
                           "distributed.comm.tls.client.key), or use tcp://")
    return context


def _first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [""])[0][:300] or type(error).__name__


def _handshake(address: Address, context: Any, deadline: float) -> None:
    """Connect as Dask does and read the scheduler's first message, which it sends unasked;
    ``ClusterError`` unless it is one (nothing said, garbage, a huge length, a closed door).

    Why here, and not left to ``distributed``: its client reads whatever length a stranger
    announces (a ``MemoryError``), and waits for that first message without a time limit.
    """
    import socket
    import struct

    def left() -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        return remaining

    def exact(sock: socket.socket, count: int) -> bytes:
        data = bytearray()
        while len(data) < count:
            sock.settimeout(left())
            chunk = sock.recv(min(count - len(data), 65536))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return bytes(data)

    with socket.create_connection((address.host, address.port), timeout=left()) as raw:
        sock = context.wrap_socket(raw, server_hostname=address.host) if context is not None else raw
        (length,) = struct.unpack("Q", exact(sock, 8))
        if not 8 <= length <= HANDSHAKE_MAX:
            raise _NotDask
        from distributed.protocol.core import loads
        from distributed.protocol.utils import unpack_frames

        try:
            frames, more = unpack_frames(exact(sock, length), partial=True)
            if sum(more) > HANDSHAKE_MAX:
                raise _NotDask
            message = loads([*frames, *(exact(sock, size) for size in more)], deserialize=False)
        except (ConnectionError, TimeoutError):
            raise
        except Exception:  # whatever garbage makes the parser raise
            raise _NotDask from None
        if not isinstance(message, dict) or "pickle-protocol" not in message:
            raise _NotDask


class _NotDask(Exception):
    """Something listens, and what it says is not a Dask scheduler's greeting."""


def _reach(address: Address, context: Any, deadline: float, seconds: float) -> None:
    """``_handshake`` in a thread of its own, waited for until ``deadline``: a name lookup
    cannot be given a time limit otherwise."""
    import socket
    import ssl
    import threading

    failure: list[BaseException] = []

    def attempt() -> None:
        try:
            _handshake(address, context, deadline)
        except BaseException as error:
            failure.append(error)

    thread = threading.Thread(target=attempt, name="brochure-scheduler-probe", daemon=True)
    thread.start()
    thread.join(max(0.0, deadline - time.monotonic()) + 0.5)
    reason = None
    if thread.is_alive() or (failure and isinstance(failure[0], (TimeoutError, socket.timeout))):
        reason = f"nothing answered within {seconds:g} s (--scheduler-timeout)"
    elif failure:
        error = failure[0]
        if isinstance(error, _NotDask):
            reason = "something listens there, but it does not answer as a Dask scheduler does"
        elif isinstance(error, ConnectionRefusedError):
            reason = "nothing listens there (connection refused)"
        elif isinstance(error, ConnectionError):
            reason = "the connection was closed before the scheduler greeted us: is it a Dask scheduler?"
        elif isinstance(error, socket.gaierror):
            reason = f"no computer is called {address.host}"
        elif isinstance(error, ssl.SSLError):
            reason = f"the TLS handshake failed ({error.reason or _first_line(error)})"
        elif isinstance(error, OSError):
            reason = error.strerror or _first_line(error)
        else:
            raise error  # a bug in brochure: its traceback
    if reason:
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {reason}")


def connect(address: str, timeout: float = CONNECT_TIMEOUT) -> Any:
    """A client of the scheduler at ``address`` that has a worker, or ``ClusterError`` in
    one plain line within about ``timeout`` seconds (twice that when there is no worker yet:
    reaching, then waiting for one)."""
    checked = parse_address(address)
    context = _tls_context(checked)
    _reach(checked, context, time.monotonic() + timeout, timeout)
    client = _client(checked, timeout)
    try:
        client.wait_for_workers(1, timeout=timeout)
    except BaseException as error:
        close(client)
        if isinstance(error, (TimeoutError, OSError)) or type(error).__name__.endswith("TimeoutError"):
            raise ClusterError(f"the Dask scheduler at {checked} has no worker (none came within {timeout:g} s): "
                               f"start some (dask worker {checked}), then build again") from None
        raise
    return client


def _client(address: Address, timeout: float) -> Any:
    """``distributed.Client``, which is closed here if it fails half-way: otherwise its
    finaliser prints "Exception ignored" noise and waits 20 s at exit."""
    from distributed import Client
    from distributed.security import Security

    made: list[Any] = []

    class Kept(Client):
        def start(self, **kwargs: Any) -> Any:
            made.append(self)
            return super().start(**kwargs)

        def __del__(self) -> None:  # closed by ``close``, never by the garbage collector
            pass

    try:
        return Kept(str(address), timeout=timeout, set_as_default=False, security=Security())
    except Exception as error:  # greeted like a scheduler, then failed: a Dask error of any kind
        for client in made:
            close(client)
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {_first_line(error)}") from None


def close(client: Any) -> None:
    """Close a client; a scheduler gone meanwhile makes that quick, and says nothing."""
    import contextlib

    with contextlib.suppress(Exception):
        client.close(timeout=5)


def execute(planned: dict[Unit, list[Path]], out_dir: Path, force: bool, check: bool,
            progress: Progress | None, address: str, timeout: float = CONNECT_TIMEOUT) -> Finished:
    """Build ``planned`` (each unit with the PDFs it will write) on the cluster at ``address``."""
    if not planned:  # every file failed before a unit could be made: no cluster needed
        return []
    from distributed.client import FutureCancelledError
    from distributed.comm.core import CommClosedError

    client = connect(address, timeout)
    try:
        return _batch(client, planned, out_dir, force, check, progress)
    except (FutureCancelledError, CommClosedError) as error:  # the scheduler stopped, or the network went
        raise ClusterError(f"lost the Dask scheduler at {parse_address(address)} in the middle of the batch "
                           f"({_first_line(error)}); the PDFs written are whole: build again to finish") from None
    finally:
        close(client)


def _batch(client: Any, planned: dict[Unit, list[Path]], out_dir: Path, force: bool, check: bool,
           progress: Progress | None) -> Finished:
    from distributed import as_completed

    from .build import failures

    finished: Finished = []
    if progress:
        progress.start(len(planned))
    roots: dict[Unit, Path] = {}
    owns: dict[Path, Files] = {}
    logos: dict[Path, set[Path]] = {}
    for unit in planned:
        failed = failures(unit.path, unit.name)
        if unit.variant is not None and unit.variant in failed:  # known here: no need to send it
            _advance(progress, finished, unit, None, failed[unit.variant])
            continue
        roots[unit] = root = content_root(unit.path)
        if unit.path not in owns:
            owns[unit.path], found = own_part(unit, root)
            logos.setdefault(root, set()).update(found)
    shared = {root: client.scatter(shared_part(root, found), broadcast=True) for root, found in logos.items()}
    own = {path: client.scatter(files, broadcast=True) for path, files in owns.items()}
    known = Manifest(out_dir)
    futures = {}
    for unit, root in roots.items():  # each sent as soon as it is known: the workers start on the first
        job = _job(unit, root, planned[unit], known, out_dir, force, check)
        futures[client.submit(render, shared[root], own[unit.path], job, pure=False, retries=RETRIES)] = unit
    for future in as_completed(futures, loop=client.loop):
        unit = futures.pop(future)
        rendered = _result(future, unit)
        future.release()  # the PDFs' bytes leave the cluster's memory as soon as they are here
        result, problems = _commit(unit, rendered, roots[unit], out_dir)
        _advance(progress, finished, unit, result, problems)
    order = {unit: i for i, unit in enumerate(planned)}
    return sorted(finished, key=lambda item: order[item[0]])


def _advance(progress: Progress | None, finished: Finished, unit: Unit, result: Result | None,
             problems: list[Problem]) -> None:
    finished.append((unit, result, problems))
    if progress:
        progress.advance(unit, result, problems)


def _job(unit: Unit, root: Path, pdfs: list[Path], known: Manifest, out_dir: Path, force: bool, check: bool) -> Task:
    """The task of one unit; its PDFs that are up to date are named, not rendered, as a local
    build skips them (and sent along when they are to be checked)."""
    fresh = []
    for pdf in [] if force else pdfs:
        entry = known.entries.get(pdf.name)
        if entry is not None and known.fresh(pdf, settings_fingerprint(entry.output, unit.variant), unit.path):
            fresh.append(pdf.name)
    sent = tuple((name, (out_dir / name).read_bytes()) for name in fresh) if check else ()
    return Task(unit.path.resolve().relative_to(root).as_posix(), unit.name, unit.variant, str(out_dir),
                tuple(fresh), sent, check, epoch=source_date_epoch(), today=date.today().isoformat())


def _result(future: Any, unit: Unit) -> Delivered:
    from distributed import KilledWorker

    try:
        rendered: Delivered = future.result()
    except OtherVersion as error:
        raise ClusterError(str(error)) from None
    except KilledWorker:
        raise ClusterError(f"{unit.name}: the workers that took it died, one after the other; "
                           "what was written before is good, build again to finish") from None
    return rendered


def _commit(unit: Unit, rendered: Delivered, root: Path, out_dir: Path) -> tuple[Result | None, list[Problem]]:
    """Write a unit's PDFs and manifest entries, all or nothing, as ``build_unit`` does."""
    from .build import Result, write_problem

    if rendered.problems:
        return None, rendered.problems
    book = Manifest(out_dir)
    if rendered.pdfs:
        entries = {name: entry_for(entry, root, book) for name, entry in rendered.entries.items()}
        try:
            book.commit({out_dir / name: data for name, data in rendered.pdfs.items()}, entries)
        except OSError as error:
            return None, [write_problem(error, out_dir)]
    result = Result(unit, outputs={output: out_dir / name for output, name in rendered.outputs.items()},
                    written=[out_dir / name for name in rendered.written],
                    skipped=[out_dir / name for name in rendered.skipped],
                    warnings=rendered.warnings, findings=rendered.findings)
    return result, []

