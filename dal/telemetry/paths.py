"""Bounded cardinality for field paths used as metric attributes.

A comparison's field paths (``items[2].price``) would give a metric series per
list index, and a free-form document one per key. :class:`FieldPathCap` folds
list indexes into the ``[*]`` of the ignore rules' patterns (``items[*].price``)
and admits at most ``limit`` distinct folded paths; later new ones are counted
under :data:`OTHER`, so a drifting document cannot grow the metric without bound.
"""

from __future__ import annotations

import re
import threading

__all__ = ["DEFAULT_PATH_LIMIT", "OTHER", "ROOT", "FieldPathCap", "fold_path"]

DEFAULT_PATH_LIMIT = 100
"""Distinct field paths a process reports before the rest become ``other``."""
OTHER = "other"
"""The field path reported for every path past the cap."""
ROOT = "$"
"""The field path reported for a difference of the whole value (the empty path)."""
MAX_PATH_LENGTH = 200
"""A longer folded path is reported as ``other`` too."""

_INDEX = re.compile(r"\[[^\]]*\]")


def fold_path(path: str) -> str:
    """``path`` with its list indexes folded: ``items[2].price`` -> ``items[*].price``."""
    return _INDEX.sub("[*]", path)


class FieldPathCap:
    """Admits at most ``limit`` distinct folded paths; thread-safe."""

    def __init__(self, limit: int = DEFAULT_PATH_LIMIT) -> None:
        if limit < 0:
            raise ValueError(f"limit must be 0 or more, got {limit}")
        self.limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, path: str) -> str:
        """The attribute value for ``path``: its folded form, or :data:`OTHER` past the cap."""
        folded = fold_path(path)
        if folded in self._seen:
            return folded
        if not folded:
            return ROOT
        if len(folded) > MAX_PATH_LENGTH:
            return OTHER
        with self._lock:
            if folded in self._seen:
                return folded
            if len(self._seen) >= self.limit:
                return OTHER
            self._seen.add(folded)
        return folded

    @property
    def admitted(self) -> frozenset[str]:
        """The paths admitted so far."""
        with self._lock:
            return frozenset(self._seen)
