"""Progress of reading large record files, on standard error.

On a terminal, a bar of the bytes read (with speed and time left); elsewhere
(CI, a pipe), a plain line every ten seconds. Inputs under
:data:`LARGE_INPUT_BYTES` show nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from dal.progress import ProgressBars
from dal.reporting.sources import ProgressSink, expand_sources, total_bytes

__all__ = ["LARGE_INPUT_BYTES", "ReadingProgress", "reading_progress"]

LARGE_INPUT_BYTES = 32 * 2**20
"""Inputs at least this large (on disk) get a progress display."""


class ReadingProgress(ProgressBars):
    """Bytes read of ``total``: a bar on a terminal, a line every ``interval`` s elsewhere."""

    def __init__(self, console: Console, total: int, interval: float = 10.0) -> None:
        super().__init__(
            console,
            interval,
            TextColumn("reading records"),
            BarColumn(),
            TaskProgressColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
        )
        self._total = total
        self._done = 0
        self._printed = time.monotonic()
        self._task = self._bars.add_task("read", total=total)

    def advance(self, read: int) -> None:
        """Count ``read`` more bytes."""
        self._done += read
        self._bars.update(self._task, completed=self._done)
        if self._line_due(self._printed):
            self._printed = time.monotonic()
            share = self._done / self._total if self._total else 1.0
            self._console.print(
                f"reading records: {self._done / 2**20:.0f} of {self._total / 2**20:.0f} MiB "
                f"({share:.0%})",
                highlight=False,
            )


@contextmanager
def reading_progress(sources: Iterable[str], console: Console) -> Iterator[ProgressSink | None]:
    """A progress sink for reading ``sources`` when they are large, else None."""
    total = total_bytes(expand_sources(sources))
    if total < LARGE_INPUT_BYTES:
        yield None
        return
    with ReadingProgress(console, total) as progress:
        yield progress.advance
