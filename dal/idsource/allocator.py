"""An id allocator that prepares its backend on first use (for example, creates a table)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from interfaces import IdAllocator

__all__ = ["PreparedIdAllocator"]


class PreparedIdAllocator:
    """An :class:`~interfaces.IdAllocator` that runs ``prepare()`` once before the first id.

    Building it does no I/O; the first :meth:`allocate` runs ``prepare`` (once, even
    when several threads allocate at the same time). If ``prepare`` fails, its error
    reaches that caller and the next call tries again.
    """

    def __init__(self, inner: IdAllocator, prepare: Callable[[], object]) -> None:
        self.inner = inner
        self._prepare = prepare
        self._prepared = False
        self._lock = threading.Lock()

    def allocate(self, sequence: str) -> int:
        """Return an id never returned before for ``sequence``."""
        if not self._prepared:
            self._prepare_once()
        return self.inner.allocate(sequence)

    def _prepare_once(self) -> None:
        with self._lock:
            if not self._prepared:
                self._prepare()
                self._prepared = True
