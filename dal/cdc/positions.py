"""A position in MySQL's binary log: file and offset, ordered along the log.

Positions are file/offset pairs (``binlog.000042:1234``), which MySQL and MariaDB
both give (their GTIDs differ; see ``docs/cdc.md``). :meth:`BinlogPosition.stamp`
turns one into a single number that grows along the log, the value of the stamp
attribute of items the layer's MySQL change data capture writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["BinlogPosition", "PositionError"]

_TEXT = re.compile(r"(?P<file>[^:\s]+\.(?P<index>\d+)):(?P<offset>\d+)")
_OFFSET_BITS = 40
"""Offsets within one file stay below 2**40 (max_binlog_size is at most 1 GiB)."""


class PositionError(ValueError):
    """Text that is not a binary-log position."""


@dataclass(frozen=True, order=True)
class BinlogPosition:
    """Offset ``offset`` of binary-log file ``file`` (``binlog.000042``)."""

    index: int
    offset: int
    file: str

    @classmethod
    def of(cls, file: str, offset: int) -> BinlogPosition:
        """The position ``offset`` of ``file``; PositionError for a file without a number."""
        return cls.parse(f"{file}:{offset}")

    @classmethod
    def parse(cls, text: str) -> BinlogPosition:
        """``binlog.000042:1234`` as a position; PositionError naming the text otherwise."""
        found = _TEXT.fullmatch(text.strip())
        if found is None:
            raise PositionError(f"not a binary-log position (FILE.NNNNNN:OFFSET): {text!r}")
        return cls(int(found["index"]), int(found["offset"]), found["file"])

    @property
    def stamp(self) -> int:
        """One number that grows along the log (file number, then offset)."""
        return (self.index << _OFFSET_BITS) | self.offset

    def __str__(self) -> str:
        return f"{self.file}:{self.offset}"
