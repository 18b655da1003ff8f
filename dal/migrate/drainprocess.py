"""Deferred secondary writes drained by a child process of the router's process.

With ``DAL_DEFERRED_DRAINER=process`` the container starts a :class:`DrainerProcess`
beside the router: a ``spawn``-ed process that builds the migration tools from the
same :class:`~dal.settings.Settings` and runs a
:class:`~dal.routing.deferred.Drainer` over the repair log, exactly as
``dal repair --from-log LOG --follow`` does. The router's own drainer only follows
the log (the lag gauge and the writers' backpressure). The replay's work (MySQL and
DynamoDB reads, item building, DynamoDB writes) then runs on an interpreter of its
own instead of competing with the callers for the router's.

A drainer process that dies (killed, out of memory) is started again by a watchdog
thread, with a warning; what it left open stays in the log and is replayed by the
new one. :meth:`DrainerProcess.close` asks the process, with SIGTERM, to drain what
is open (for up to 10 seconds) and to stop, as ``--follow`` does.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
from multiprocessing.context import SpawnContext
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType

from dal.settings import Settings

__all__ = ["DrainerProcess"]

log = logging.getLogger("dal.routing")

_WATCH_INTERVAL = 0.5
"""Seconds between two looks of the watchdog at the drainer process."""


class DrainerProcess:
    """A child process draining the deferred entries of the repair log at ``path``.

    ``settings`` give its MySQL database, DynamoDB endpoint, contract and flags (as
    for ``dal repair``); ``workers`` threads repair DynamoDB in each batch.
    """

    def __init__(self, settings: Settings, path: Path, *, workers: int = 4) -> None:
        self._settings = settings
        self._path = Path(path)
        self._workers = workers
        self._context: SpawnContext = multiprocessing.get_context("spawn")
        self._process: BaseProcess | None = None
        self._closing = threading.Event()
        self._watchdog: threading.Thread | None = None
        self._lock = threading.Lock()
        self.restarts = 0
        """How many times the process was started again after it died."""

    @property
    def pid(self) -> int | None:
        """The drainer process's id (None before :meth:`start`)."""
        return None if self._process is None else self._process.pid

    @property
    def alive(self) -> bool:
        """Whether the drainer process runs."""
        return self._process is not None and self._process.is_alive()

    def start(self) -> DrainerProcess:
        """Start the process and its watchdog (once)."""
        with self._lock:
            if self._process is None:
                self._process = self._spawn()
                self._watchdog = threading.Thread(
                    target=self._watch, name="dal-drainer-watchdog", daemon=True
                )
                self._watchdog.start()
        return self

    def close(self, timeout: float = 30.0) -> bool:
        """Ask the process to drain what is open and stop; True when it exited cleanly.

        A process still running after ``timeout`` seconds is killed (what it left open
        stays in the log, for the next start or ``dal repair --from-log``).
        """
        self._closing.set()
        if self._watchdog is not None:
            self._watchdog.join()
        with self._lock:
            process = self._process
        if process is None:
            return True
        process.terminate()  # SIGTERM: drain what is open, then exit
        process.join(timeout)
        if process.is_alive():
            log.warning(
                "the deferred-write drainer process (pid %s) did not stop within %.0f s: "
                "killed; its open entries stay in %s",
                process.pid,
                timeout,
                self._path,
            )
            process.kill()
            process.join(5.0)
            return False
        return process.exitcode == 0

    def _spawn(self) -> BaseProcess:
        process = self._context.Process(
            target=drain_until_stopped,
            args=(self._settings, self._path, self._workers),
            name="dal-deferred-drainer",
            daemon=True,
        )
        process.start()
        return process

    def _watch(self) -> None:
        while not self._closing.wait(_WATCH_INTERVAL):
            with self._lock:
                process = self._process
                if process is None or process.is_alive() or self._closing.is_set():
                    continue
                log.warning(
                    "the deferred-write drainer process (pid %s) exited with code %s: "
                    "starting it again; its open entries stay in %s",
                    process.pid,
                    process.exitcode,
                    self._path,
                )
                self.restarts += 1
                self._process = self._spawn()


def drain_until_stopped(settings: Settings, path: Path, workers: int) -> None:
    """The drainer process's body: drain the log at ``path`` until SIGTERM (or SIGINT) or
    until the router's process is gone, then drain what is open (up to 10 s) and return."""
    from dal.migrate.replay import deferred_drain
    from dal.migrate.tools import open_tools
    from dal.routing.deferred import Drainer
    from dal.routing.processes import parent_alive
    from dal.routing.repairlog import RepairLog

    stop = threading.Event()

    def stopping(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, stopping)
    signal.signal(signal.SIGINT, stopping)
    if settings.deferred_nice:
        with contextlib.suppress(OSError):
            os.nice(settings.deferred_nice)
    with open_tools(settings, workers=workers) as tools:
        drainer = Drainer(RepairLog(path), deferred_drain(tools.replayer(), workers))
        drainer.start()
        try:
            while not stop.wait(0.5):
                if not parent_alive():  # the router's process was killed
                    break
        finally:
            drainer.close(timeout=10.0)
