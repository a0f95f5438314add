"""Scheduler: a Dask scheduler reached, or one plain line saying why not, within a time limit.

``build --scheduler ADDRESS`` needs a scheduler that answers and has a worker. Every other
case is the user's to fix, and said in one line within ``--scheduler-timeout``: an address
that is not ``tcp://host:port`` (or ``tls://``), nothing listening, something listening
that is not a Dask scheduler (silent, garbage, another protocol), ``tls://`` without
certificates, no worker. The scheduler is greeted here, with bounded reads, before
``distributed`` talks to it: its client would believe any length a stranger announces, and
wait for a first message without a limit. ``distributed`` is imported only when a
scheduler is reached, never by a local build.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from .errors import shortened
from .settings import SCHEDULER_TIMEOUT as CONNECT_TIMEOUT

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
    shown = shortened(text, 200)
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
        context = Security().get_connection_args("client")["ssl_context"]  # type: ignore[no-untyped-call]
    except (OSError, ValueError) as error:  # a certificate file that is missing or not one
        raise ClusterError(f"cannot use the TLS certificates of Dask's configuration for {address}: "
                           f"{first_line(error)}") from None
    if context is None:
        raise ClusterError(f"{address} is reached by TLS, and no certificates are set: give them in Dask's "
                           "configuration (distributed.comm.tls.ca-file, distributed.comm.tls.client.cert and "
                           "distributed.comm.tls.client.key), or use tcp://")
    return context


def first_line(error: BaseException) -> str:
    """An error's first line, short, for a one-line message."""
    return (str(error).splitlines() or [""])[0][:300] or type(error).__name__


def _handshake(address: Address, context: Any, deadline: float) -> None:
    """Connect as Dask does and read the scheduler's first message, which it sends unasked;
    ``_NotDask`` unless it is one (garbage, a huge length), ``OSError`` for a closed door,
    ``TimeoutError`` when nothing was said by ``deadline``.

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
            message = loads([*frames, *(exact(sock, size) for size in more)], deserialize=False)  # type: ignore[no-untyped-call]
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
            reason = f"the TLS handshake failed ({error.reason or first_line(error)})"
        elif isinstance(error, OSError):
            reason = error.strerror or first_line(error)
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
    deadline = time.monotonic() + timeout
    _reach(checked, context, deadline, timeout)
    client = _client(checked, max(1.0, deadline - time.monotonic()))  # greeted: the rest of the same limit
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
            return super().start(**kwargs)  # type: ignore[no-untyped-call]

        def __del__(self) -> None:  # closed by ``close``, never by the garbage collector
            pass

    try:
        return Kept(str(address), timeout=timeout, set_as_default=False, security=Security())  # type: ignore[no-untyped-call]
    except Exception as error:  # greeted like a scheduler, then failed: a Dask error of any kind
        for client in made:
            close(client)
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {first_line(error)}") from None


def close(client: Any) -> None:
    """Close a client; a scheduler gone meanwhile makes that quick, and says nothing."""
    import contextlib

    with contextlib.suppress(Exception):
        client.close(timeout=5)
