"""The demo's progress: live bars on a terminal, plain timestamped lines elsewhere (CI logs)."""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn

from dal.progress import ProgressBars

__all__ = ["DemoProgress"]


class DemoProgress(ProgressBars):
    """Shows each stage as it runs; use as a context manager.

    On a terminal each stage gets a bar; otherwise a line is printed when a stage
    starts, every ``interval`` seconds while it runs, and when it ends.
    """

    def __init__(self, console: Console, interval: float = 5.0) -> None:
        super().__init__(
            console,
            interval,
            TextColumn("{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[note]}"),
        )
        self.console = console
        self._task: TaskID | None = None
        self._name = ""
        self._done = 0
        self._total = 0
        self._unit = "calls"
        self._started = 0.0
        self._printed = 0.0

    def _line(self, text: str) -> None:
        self.console.print(
            f"[{time.strftime('%H:%M:%S')}] {text}", markup=False, highlight=False, soft_wrap=True
        )

    def note(self, text: str) -> None:
        """Say something that happened (above the bars on a terminal)."""
        self._line(text)

    def begin(self, name: str, total: int, what: str, unit: str = "calls") -> None:
        """A stage (or step) of ``total`` calls (or other ``unit``) starts."""
        self._name, self._done, self._total, self._unit = name, 0, total, unit
        self._started = self._printed = time.monotonic()
        self._task = self._bars.add_task(name, total=total, note=what)
        if not self._live:
            self._line(f"{name}: {what} ({total} {unit})")

    def advance(self) -> None:
        """One more call of the current stage is done."""
        self._done += 1
        if self._task is not None:
            self._bars.update(self._task, advance=1)
        if self._line_due(self._printed):
            self._printed = time.monotonic()
            self._line(f"{self._name}: {self._done}/{self._total} {self._unit}")

    def end(self, summary: str) -> None:
        """The current stage is done; ``summary`` says how it went."""
        seconds = time.monotonic() - self._started
        if self._task is not None:
            self._bars.update(self._task, note=summary)
        self._task = None
        if not self._live:
            self._line(f"{self._name}: done in {seconds:.1f}s, {summary}")
