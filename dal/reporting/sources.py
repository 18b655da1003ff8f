"""Which files a report reads: names, folders and globs, plain or gzip, in the order written.

``dal report`` and ``dal gate`` accept, for each source:

* ``-``: standard input;
* a glob (``'records/*.jsonl*'``, quoted so the shell leaves it alone): every file
  it matches, and the files of every folder it matches (a glob that matches
  nothing is an error);
* a folder: every ``*.jsonl`` and ``*.jsonl.gz`` file in it (the folder a
  recorder writes its per-process files to);
* a file, plain or gzip-compressed (told by its first bytes, not its name).

The files are read stream by stream, each writer's rotated segments in the order
they were written and its current file last (:func:`dal.routing.recordfiles.stream_order`);
a segment present both plain and compressed (a compression under way) is read once.
"""

from __future__ import annotations

import glob
import gzip
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

from dal.reporting.records import STDIN, Parsed, ReportInputError, read_lines
from dal.routing.recordfiles import stream_order

__all__ = [
    "ProgressSink",
    "check_sources",
    "expand_sources",
    "open_source",
    "read_sources",
    "total_bytes",
]

ProgressSink = Callable[[int], None]
"""Told how many more bytes (on disk) were read."""

_GZIP_MAGIC = b"\x1f\x8b"
_PROGRESS_EVERY = 4096
"""Lines between two progress reports."""


def _glob_magic(source: str) -> bool:
    return any(char in source for char in "*?[")


def _folder_files(folder: Path) -> list[str]:
    names = [
        str(path)
        for pattern in ("*.jsonl", "*.jsonl.gz")
        for path in folder.glob(pattern)
        if not path.name.startswith(".") and path.is_file()
    ]
    if not names:
        raise ReportInputError(f"{folder}: a folder without records files (*.jsonl, *.jsonl.gz)")
    return stream_order(names)


def _expand_one(source: str) -> list[tuple[str, bool]]:
    """The files of one source, each with whether it was named (else found: it may vanish)."""
    if source == STDIN:
        return [(source, True)]
    if _glob_magic(source) and not os.path.exists(source):
        matched = sorted(glob.glob(source))
        files = [name for name in matched if os.path.isfile(name)]
        folders = [name for name in matched if os.path.isdir(name)]
        if not files and not folders:
            raise ReportInputError(f"{source}: matches no file")
        found = stream_order(files) + [f for d in folders for f in _folder_files(Path(d))]
        return [(name, False) for name in found]
    if os.path.isdir(source):
        return [(name, False) for name in _folder_files(Path(source))]
    return [(source, True)]


def _expand(sources: Iterable[str]) -> dict[str, bool]:
    files: dict[str, bool] = {}
    for source in sources:
        for name, named in _expand_one(source):
            files[name] = files.get(name, False) or named
    return files


def expand_sources(sources: Iterable[str]) -> list[str]:
    """Every file named, found in a folder or matched by a glob, once, in reading order."""
    return list(_expand(sources))


def open_source(source: str) -> IO[bytes]:
    """``source`` opened for reading bytes, decompressed when it is gzip.

    A rotated segment compressed since it was listed is opened as its ``.gz``.
    Raises :class:`ReportInputError` when it cannot be read.
    """
    if source == STDIN:
        return sys.stdin.buffer
    path = Path(source)
    if path.is_dir():
        raise ReportInputError(f"{source}: is a folder, not a JSON lines file")
    try:
        raw = path.open("rb")
    except FileNotFoundError:
        if source.endswith(".gz") or not Path(source + ".gz").is_file():
            raise ReportInputError(f"{source}: cannot be read: No such file or directory") from None
        return open_source(source + ".gz")
    except OSError as error:
        raise ReportInputError(f"{source}: cannot be read: {error.strerror or error}") from error
    if raw.peek(2)[:2] == _GZIP_MAGIC:
        return gzip.GzipFile(filename=source, mode="rb", fileobj=raw)  # type: ignore[return-value]
    return raw


def _raw(stream: IO[bytes]) -> IO[bytes]:
    """The file under a gzip stream (whose position is in compressed bytes, as sizes are)."""
    inner = getattr(stream, "fileobj", None)
    return inner if inner is not None else stream


def check_sources(sources: Iterable[str]) -> list[str]:
    """The files ``sources`` name (expanded), after making sure each can be opened.

    A file found in a folder or by a glob that is gone by now was rotated away
    since it was listed (its lines are in a segment listed after it): it is left out.
    """
    checked = []
    for source, named in _expand(sources).items():
        stream = _open_listed(source, named)
        if stream is not None:
            if source != STDIN:
                stream.close()
            checked.append(source)
    return checked


def _open_listed(source: str, named: bool) -> IO[bytes] | None:
    """``source`` opened; None when it was found (not named) and has been rotated away.

    A current file being rotated is gone for a moment, then a new file has its
    name: a failure is tried once more before it counts.
    """
    for attempt in range(2):
        try:
            return open_source(source)
        except ReportInputError:
            if named or (attempt and os.path.exists(source)):
                raise
            if not os.path.exists(source):
                return None
    return None


def total_bytes(sources: Iterable[str]) -> int:
    """The size on disk of the files (standard input counts as 0)."""
    total = 0
    for source in sources:
        if source != STDIN:
            try:
                total += os.stat(source).st_size
            except OSError:
                continue
    return total


def read_sources(sources: Iterable[str], progress: ProgressSink | None = None) -> Iterator[Parsed]:
    """Parse every line of every source in turn (``-`` is standard input).

    Raises :class:`ReportInputError` for a source that cannot be opened; every
    source is checked before the first line is read. ``progress`` is told the
    bytes read as reading goes on.
    """
    for source in check_sources(sources):
        stream = _open_listed(source, named=False)
        if stream is None:
            continue  # rotated away since it was checked
        try:
            if progress is None or source == STDIN:
                yield from read_lines(stream, source)
            else:
                yield from _with_progress(read_lines(stream, source), _raw(stream), progress)
        finally:
            if source != STDIN:
                stream.close()


def _with_progress(
    lines: Iterator[Parsed], raw: IO[bytes], progress: ProgressSink
) -> Iterator[Parsed]:
    reported = 0
    for number, parsed in enumerate(lines, start=1):
        yield parsed
        if number % _PROGRESS_EVERY == 0:
            position = raw.tell()
            progress(position - reported)
            reported = position
    end = raw.seek(0, os.SEEK_END)
    progress(end - reported)
