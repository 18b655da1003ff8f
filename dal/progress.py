"""Progress shown two ways: live bars on a terminal, periodic plain lines elsewhere.

:class:`ProgressBars` is the part every progress display of the project shares:
it draws ``rich`` bars when the console is a terminal (and nothing otherwise),
starts and stops them as a context manager, and says when a periodic plain line
is due for logs that are not a terminal (CI, a pipe).
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Self

from rich.console import Console
from rich.progress import Progress, ProgressColumn

__all__ = ["ProgressBars"]


class ProgressBars:
    """Bars drawn with ``columns`` on a terminal; plain lines every ``interval`` s elsewhere."""

    def __init__(self, console: Console, interval: float, *columns: str | ProgressColumn) -> None:
        self._console = console
        self._live = console.is_terminal
        self._interval = interval
        self._bars = Progress(*columns, console=console, disable=not self._live)

    def __enter__(self) -> Self:
        self._bars.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._bars.stop()

    def _line_due(self, printed: float) -> bool:
        """Whether a plain line is due, the last one having been printed at ``printed``."""
        return not self._live and time.monotonic() - printed >= self._interval
