"""Progress of long runs: rows done, rows per second and time left, per entity.

On a terminal, :class:`RichProgress` draws live bars; elsewhere (CI logs, a
pipe) it prints one plain line per entity every ``interval`` seconds and when
the entity ends, so logs stay readable. :class:`NoProgress` reports nothing.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

__all__ = ["NoProgress", "ProgressReporter", "RichProgress"]


class ProgressReporter(Protocol):
    """Receives progress; every method is called from the coordinating thread."""

    def start(self, name: str, total: int | None) -> None:
        """A unit of work (an entity, a table) starts with ``total`` rows expected."""
        ...

    def advance(self, name: str, rows: int) -> None:
        """``rows`` more rows of ``name`` are done."""
        ...

    def finish(self, name: str) -> None:
        """``name`` is done."""
        ...


class NoProgress:
    """Reports nothing."""

    def start(self, name: str, total: int | None) -> None:
        """Ignore."""

    def advance(self, name: str, rows: int) -> None:
        """Ignore."""

    def finish(self, name: str) -> None:
        """Ignore."""


@dataclass
class _Counter:
    total: int | None
    started: float = field(default_factory=time.monotonic)
    done: int = 0
    printed: float = field(default_factory=time.monotonic)

    def line(self, name: str) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.done / elapsed
        if self.total:
            left = max(self.total - self.done, 0)
            eta = f", ETA {left / rate:.0f}s" if rate > 0 else ""
            return f"{name}: {self.done}/{self.total} rows, {rate:.0f} rows/s{eta}"
        return f"{name}: {self.done} rows, {rate:.0f} rows/s"


class RichProgress:
    """Bars on a terminal, periodic plain lines elsewhere. Use as a context manager."""

    def __init__(self, console: Console | None = None, interval: float = 5.0) -> None:
        self._console = console or Console(stderr=True)
        self._interval = interval
        self._live = self._console.is_terminal
        self._bars = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=self._console,
            disable=not self._live,
        )
        self._tasks: dict[str, TaskID] = {}
        self._counters: dict[str, _Counter] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> RichProgress:
        self._bars.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._bars.stop()

    def start(self, name: str, total: int | None) -> None:
        """Add a bar (or start counting) for ``name``."""
        with self._lock:
            self._counters[name] = _Counter(total)
            self._tasks[name] = self._bars.add_task(name, total=total, rate="")

    def advance(self, name: str, rows: int) -> None:
        """Move ``name`` forward; print a line when due (non-terminal)."""
        with self._lock:
            counter = self._counters[name]
            counter.done += rows
            elapsed = max(time.monotonic() - counter.started, 1e-9)
            rate = f"{counter.done / elapsed:>7.0f} rows/s"
            self._bars.update(self._tasks[name], advance=rows, rate=rate)
            if not self._live and time.monotonic() - counter.printed >= self._interval:
                counter.printed = time.monotonic()
                self._console.print(counter.line(name), highlight=False)

    def finish(self, name: str) -> None:
        """Mark ``name`` complete and print its last line (non-terminal)."""
        with self._lock:
            counter = self._counters[name]
            if not self._live:
                self._console.print(counter.line(name) + " (done)", highlight=False)
