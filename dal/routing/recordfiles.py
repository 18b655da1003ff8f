"""Where record files go: one file per process, rotated by size, gzip-compressed once rotated.

``DAL_RECORDS`` (and ``DAL_REPAIR_LOG``) name either a file (a path ending in
``.jsonl``), written as it is, or a folder (any other path), where every process
writes a file of its own, ``<host>-<pid>.jsonl``. When the current file grows
past its size limit it is rotated: renamed to ``<stem>.<seq>.jsonl`` (``seq``
six digits, counting up) and, for records, compressed to ``<stem>.<seq>.jsonl.gz``
in the background. A file's *stream* is its stem: the rotated segments of a
stream, in ``seq`` order, then its current file, are the lines one writer wrote,
in the order it wrote them. :func:`stream_order` sorts paths that way and
:func:`stream_of` names a path's stream, for the readers.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import socket
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "SUFFIX",
    "compress",
    "is_folder_target",
    "is_rotated",
    "next_segment",
    "process_file",
    "rotated_name",
    "segment_number",
    "stream_of",
    "stream_order",
]

SUFFIX = ".jsonl"
_NAME = re.compile(r"^(?P<stem>.+?)(?:\.(?P<seq>\d{6}))?\.jsonl(?P<gz>\.gz)?$")


def is_folder_target(path: Path) -> bool:
    """Whether ``path`` names a folder of per-process files (anything not ending in .jsonl)."""
    return path.suffix != SUFFIX


def process_file(path: Path) -> Path:
    """The file this process writes for the target ``path``: ``path`` itself for a
    ``.jsonl`` file, ``path/<host>-<pid>.jsonl`` for a folder."""
    if not is_folder_target(path):
        return path
    host = re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname().split(".")[0]) or "host"
    return path / f"{host}-{os.getpid()}{SUFFIX}"


def is_rotated(path: Path) -> bool:
    """Whether ``path`` is a rotated segment (``<stem>.<seq>.jsonl``, maybe ``.gz``)."""
    found = _NAME.match(path.name)
    return found is not None and found["seq"] is not None


def segment_number(path: str) -> int | None:
    """The ``seq`` of a rotated segment's name; None for a current (or foreign) file."""
    found = _NAME.match(os.path.basename(path))
    return int(found["seq"]) if found is not None and found["seq"] else None


def stream_of(path: str) -> str:
    """The stream a record file belongs to: its folder and stem, without the rotation part."""
    name = os.path.basename(path)
    found = _NAME.match(name)
    if found is None:
        return path
    return os.path.join(os.path.dirname(path), found["stem"])


def _sort_key(path: str) -> tuple[str, int, int]:
    found = _NAME.match(os.path.basename(path))
    if found is None:
        return (path, 0, 0)
    seq = int(found["seq"]) if found["seq"] else 10**6  # the current file comes last
    return (stream_of(path), seq, 1 if found["gz"] else 0)


def stream_order(paths: Iterable[str]) -> list[str]:
    """``paths`` grouped by stream, each stream's segments in the order they were written.

    When a segment is there both plain and compressed (a compression in progress,
    or cut short by a crash), only the plain one is kept: it is complete, while
    the compressed one may not be finished.
    """
    ordered = sorted(set(paths), key=_sort_key)
    plain = {path for path in ordered if not path.endswith(".gz")}
    return [path for path in ordered if not (path.endswith(".gz") and path[:-3] in plain)]


def rotated_name(current: Path, seq: int) -> Path:
    """The name of the ``seq``-th rotated segment of the stream of ``current``."""
    return current.with_name(f"{current.name[: -len(SUFFIX)]}.{seq:06d}{SUFFIX}")


def next_segment(current: Path) -> int:
    """The next free segment number of the stream of ``current`` (1 when none was rotated)."""
    stem = current.name[: -len(SUFFIX)]
    taken = [
        int(found["seq"])
        for entry in (current.parent.iterdir() if current.parent.is_dir() else ())
        if (found := _NAME.match(entry.name)) and found["stem"] == stem and found["seq"]
    ]
    return max(taken, default=0) + 1


def compress(segment: Path) -> Path:
    """Gzip ``segment`` to ``segment.gz`` (mode 0600), then remove ``segment``.

    The compressed file is written under a temporary name and renamed into place
    once complete, so a reader (or a crash) never sees half of it as the segment.
    """
    target = segment.with_name(segment.name + ".gz")
    partial = segment.with_name(f".{segment.name}.gz.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as raw, segment.open("rb") as source:
        with gzip.GzipFile(filename=segment.name, mode="wb", fileobj=raw, compresslevel=6) as out:
            shutil.copyfileobj(source, out, 1 << 20)
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(partial, target)
    segment.unlink()
    return target
