"""Field paths of compared values and the patterns that select them.

A path is a tuple of segments: a field name (``str``) or a list index (``int``),
rendered as ``items[2].price``; the root is the empty tuple, rendered ``""``.

A pattern is written the same way, with ``*`` for any one field name and
``[*]`` for any one index. A pattern matches a run of consecutive segments
anywhere in a path (``price`` selects ``price``, ``[0].price`` and
``items[2].price``); a leading ``$`` anchors it at the root (``$.next_token``),
and ``$`` alone is the root itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

__all__ = ["ANY_INDEX", "ANY_NAME", "Path", "PathPattern", "PathSet", "parse_pattern", "render"]

Segment = str | int
Path = tuple[Segment, ...]


class _AnyIndex:
    """The ``[*]`` wildcard of a pattern."""

    def __repr__(self) -> str:
        return "[*]"


ANY_NAME: Final = "*"
ANY_INDEX: Final = _AnyIndex()
PatternSegment = str | int | _AnyIndex

_TOKEN = re.compile(r"(\.)?(?:([A-Za-z0-9_]+|\*)|\[(\d+|\*)\])")


def render(path: Path) -> str:
    """Render ``path`` as ``items[2].price`` (the root is ``""``)."""
    parts: list[str] = []
    for segment in path:
        if isinstance(segment, int):
            parts.append(f"[{segment}]")
        else:
            parts.append(f".{segment}" if parts else segment)
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class PathPattern:
    """A parsed path pattern; see the module docstring for the syntax."""

    text: str
    anchored: bool
    segments: tuple[PatternSegment, ...]

    def covers(self, path: Path) -> bool:
        """Whether the pattern selects ``path`` or one of its ancestors."""
        width = len(self.segments)
        starts = (0,) if self.anchored else range(len(path) - width + 1)
        return any(self._matches_at(path, start) for start in starts)

    def names(self, path: Path) -> bool:
        """Whether the pattern selects exactly ``path`` (not a descendant of a match)."""
        start = len(path) - len(self.segments)
        if start < 0 or (self.anchored and start != 0):
            return False
        return self._matches_at(path, start)

    def _matches_at(self, path: Path, start: int) -> bool:
        if start < 0 or start + len(self.segments) > len(path):
            return False
        return all(
            _segment_matches(wanted, path[start + offset])
            for offset, wanted in enumerate(self.segments)
        )


def _segment_matches(wanted: PatternSegment, actual: Segment) -> bool:
    if wanted is ANY_INDEX:
        return isinstance(actual, int)
    if wanted == ANY_NAME:
        return isinstance(actual, str)
    return wanted == actual


@lru_cache(maxsize=1024)
def parse_pattern(text: str) -> PathPattern:
    """Parse a path pattern; raise ValueError naming the pattern when it is malformed."""
    body = text.strip()
    anchored = body.startswith("$")
    if anchored:
        body = body[1:]
    if not body and not anchored:
        raise ValueError("empty path pattern (use '$' for the root)")
    segments: list[PatternSegment] = []
    position = 0
    while position < len(body):
        token = _TOKEN.match(body, position)
        if token is None or (token.group(1) and token.group(2) is None):
            raise ValueError(f"malformed path pattern {text!r} at position {position}")
        dot, name, index = token.groups()
        if name is not None and not dot and segments:
            raise ValueError(f"malformed path pattern {text!r}: missing '.' before {name!r}")
        if name is not None:
            segments.append(name)
        else:
            segments.append(ANY_INDEX if index == "*" else int(index))
        position = token.end()
    if segments and body.startswith(".") and not anchored:
        raise ValueError(f"malformed path pattern {text!r}: starts with '.'")
    return PathPattern(text=text, anchored=anchored, segments=tuple(segments))


class PathSet:
    """Several patterns; a path is selected when any of them selects it."""

    __slots__ = ("_patterns",)

    def __init__(self, patterns: Iterable[str] = ()) -> None:
        self._patterns = tuple(parse_pattern(text) for text in dict.fromkeys(patterns))

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def covers(self, path: Path) -> bool:
        """Whether some pattern selects ``path`` or one of its ancestors."""
        return any(pattern.covers(path) for pattern in self._patterns)

    def names(self, path: Path) -> bool:
        """Whether some pattern selects exactly ``path``."""
        return any(pattern.names(path) for pattern in self._patterns)
