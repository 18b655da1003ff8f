"""A TCP proxy in front of a real server, whose faults the tests switch at run time.

::

    with FaultProxy("127.0.0.1", 3306) as proxy:
        url = f"mysql+pymysql://root@127.0.0.1:{proxy.port}/shop"
        proxy.latency(0.5)   # every chunk, both ways, half a second late
        proxy.freeze()       # connections stay open, nothing is forwarded
        proxy.reset()        # every open connection gets a TCP RST; new ones pass
        proxy.cut()          # open connections reset, new ones refused, until heal()
        proxy.swallow(1)     # the next answer never arrives: requests pass, the link is reset
        proxy.heal()         # back to a plain proxy

A frozen proxy holds the bytes it receives and forwards them when healed, as a
hung server that wakes up would answer late; a reset or cut one drops them.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Literal, TypeVar

import pytest

__all__ = ["FaultProxy", "Mode", "finished"]

T = TypeVar("T")

Mode = Literal["pass", "latency", "freeze", "cut", "swallow"]

_CHUNK = 65536
_POLL = 0.05


def _abort(sock: socket.socket) -> None:
    """Close ``sock`` with a TCP RST instead of a FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class _Link:
    """One client connection and its upstream connection."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client = client
        self.upstream = upstream
        self.closed = threading.Event()

    def abort(self) -> None:
        self.closed.set()
        _abort(self.client)
        _abort(self.upstream)

    def close(self) -> None:
        self.closed.set()
        for sock in (self.client, self.upstream):
            with contextlib.suppress(OSError):
                sock.close()


class FaultProxy:
    """Forwards ``127.0.0.1:port`` to ``host:target_port``; see the module documentation."""

    def __init__(self, host: str, target_port: int, *, listen_port: int = 0) -> None:
        self.host = host
        self.target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", listen_port), reuse_port=False)
        self._listener.settimeout(_POLL)
        self.port: int = self._listener.getsockname()[1]
        self._mode: Mode = "pass"
        self._delay = 0.0
        self._swallow = 0
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._links: set[_Link] = set()
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []
        self.connections = 0
        """How many client connections were accepted (refused ones included)."""

    # --- faults ---------------------------------------------------------------------------

    @property
    def mode(self) -> Mode:
        """The fault in force."""
        return self._mode

    def heal(self) -> None:
        """Forward everything at once again (held bytes go out now)."""
        self._set("pass")

    def latency(self, seconds: float) -> None:
        """Delay every chunk, in both directions, by ``seconds``."""
        self._set("latency", seconds)

    def freeze(self) -> None:
        """Keep every connection open but forward nothing (new connections too)."""
        self._set("freeze")

    def reset(self) -> None:
        """Reset every open connection (TCP RST); new connections are forwarded."""
        for link in self._take_links():
            link.abort()

    def cut(self) -> None:
        """Reset every open connection and refuse new ones until :meth:`heal`."""
        self._set("cut")
        self.reset()

    def swallow(self, answers: int = 1) -> None:
        """Forward requests but drop the next ``answers`` answers, resetting their links.

        The server has done what it was asked; the client never hears of it, as when a
        connection breaks after the request arrived. Then the proxy heals by itself.
        """
        self._set("swallow", swallow=answers)

    def _set(self, mode: Mode, delay: float = 0.0, swallow: int = 0) -> None:
        with self._changed:
            self._mode = mode
            self._delay = delay
            self._swallow = swallow
            self._changed.notify_all()

    def _take_links(self) -> list[_Link]:
        with self._lock:
            links = list(self._links)
            self._links.clear()
        return links

    # --- running --------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        """Start accepting connections; returns self."""
        self._spawn(self._accept_loop, "proxy-accept")
        return self

    def stop(self) -> None:
        """Close the listener and every connection."""
        self._stopped.set()
        with self._changed:
            self._changed.notify_all()
        for link in self._take_links():
            link.close()
        with contextlib.suppress(OSError):
            self._listener.close()
        for thread in self._threads:
            thread.join(timeout=2)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _spawn(self, target: object, name: str, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)  # type: ignore[arg-type]
        self._threads = [t for t in self._threads if t.is_alive()]
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            if self._mode == "cut":
                _abort(client)
                continue
            self._spawn(self._open, "proxy-open", client)

    def _open(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection((self.host, self.target_port), timeout=5)
        except OSError:
            _abort(client)
            return
        upstream.settimeout(None)
        client.settimeout(None)
        link = _Link(client, upstream)
        with self._lock:
            self._links.add(link)
        self._spawn(self._pump, "proxy-up", link, client, upstream, False)
        self._spawn(self._pump, "proxy-down", link, upstream, client, True)

    def _pump(self, link: _Link, source: socket.socket, sink: socket.socket, answers: bool) -> None:
        try:
            while not link.closed.is_set() and not self._stopped.is_set():
                readable, _, _ = select.select([source], [], [], _POLL)
                if not readable:
                    continue
                data = source.recv(_CHUNK)
                if not data:
                    break
                if not self._hold(link) or (answers and self._swallowed()):
                    link.abort()
                    return
                sink.sendall(data)
        except (OSError, ValueError):
            pass
        finally:
            with self._lock:
                self._links.discard(link)
            link.close()

    def _swallowed(self) -> bool:
        """Whether this answer is one to drop (the last one dropped heals the proxy)."""
        with self._changed:
            if self._mode != "swallow":
                return False
            self._swallow -= 1
            if self._swallow <= 0:
                self._mode = "pass"
            return True

    def _hold(self, link: _Link) -> bool:
        """Wait as the fault says before forwarding a chunk; False when the link must die."""
        with self._changed:
            while self._mode == "freeze" and not link.closed.is_set():
                if self._stopped.is_set():
                    return False
                self._changed.wait(_POLL)
            if self._mode == "cut" or link.closed.is_set():
                return False
            delay = self._delay if self._mode == "latency" else 0.0
        if delay:
            time.sleep(delay)
        return not link.closed.is_set()


def finished(
    call: Callable[[], T], proxy: FaultProxy, limit: float
) -> tuple[T | BaseException, float]:
    """``call()``'s result or exception and its duration, ``call`` run behind ``proxy``.

    A call still waiting after ``limit`` seconds fails the test (after healing the
    proxy, so that nothing else hangs).
    """
    outcome: list[T | BaseException] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:
            outcome.append(exc)

    started = time.monotonic()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(limit)
    elapsed = time.monotonic() - started
    if worker.is_alive():
        proxy.heal()
        pytest.fail(f"the call still waits after {elapsed:.1f} s: no timeout ended it")
    return outcome[0], elapsed
