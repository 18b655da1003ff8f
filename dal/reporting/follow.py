"""Following record files as they are written, through rotations: what ``dal watch`` reads.

A :class:`Follower` is given the same sources as ``dal report`` (files, folders,
globs). Each :meth:`Follower.poll` looks for files again and reads the complete
lines written since the last poll; a line still being written (no newline yet)
waits for the next poll. Files are followed per writer (stream,
:mod:`dal.routing.recordfiles`): the writer's current file is kept open, and
when it is rotated (renamed to the next segment, ``<stem>.<seq>.jsonl``, later
compressed) the rest of it is read through the open handle, segments rotated
between two polls are read whole, and the new current file from its start. At
the first poll the segments already there are history (``dal report`` reads
those) and skipped; the current files are read from their start (``from_start``,
the default) or from their end. Writers that appear later are read from their
first segment.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from dal.reporting.records import Parsed, ReportInputError, parse_line
from dal.reporting.sources import expand_sources, open_source
from dal.routing.recordfiles import segment_number, stream_of

__all__ = ["Follower"]

_CHUNK = 1 << 20


@dataclass
class _Followed:
    """One open file: its handle, lines read and a partial last line."""

    path: str
    stream: IO[bytes]
    lines: int = 0
    partial: bytes = b""

    def drain(self) -> Iterator[Parsed]:
        """The complete lines written since the last drain."""
        while chunk := self.stream.read(_CHUNK):
            lines = (self.partial + chunk).split(b"\n")
            self.partial = lines.pop()
            for raw in lines:
                yield from self._parse(raw)

    def finish(self) -> Iterator[Parsed]:
        """Everything left, the last line too (the file will not grow), then close it."""
        yield from self.drain()
        if self.partial:
            yield from self._parse(self.partial)
            self.partial = b""
        self.stream.close()

    def _parse(self, raw: bytes) -> Iterator[Parsed]:
        self.lines += 1
        parsed = parse_line(raw, self.path, self.lines)
        if parsed is not None:
            yield parsed


@dataclass
class _Stream:
    """One writer: its current file, open, and the segment number it gets when rotated."""

    name: str
    current: str
    next_seq: int
    followed: _Followed | None = None


def _open(path: str, *, at_end: bool = False) -> _Followed | None:
    try:
        stream = open(path, "rb")  # noqa: SIM115 - kept open between polls
    except OSError:
        return None
    if at_end:
        stream.seek(0, os.SEEK_END)
    return _Followed(path, stream)


def _segments(stream: str) -> dict[int, str]:
    """The rotated segments of a stream now, by number (the plain file when both exist)."""
    found: dict[int, str] = {}
    for path in sorted(glob.glob(glob.escape(stream) + ".[0-9]*.jsonl*"), reverse=True):
        seq = segment_number(path)
        if seq is not None:
            found[seq] = path  # sorted in reverse: x.jsonl comes after x.jsonl.gz and wins
    return found


class Follower:
    """Reads what is appended to the record files of ``sources``, poll after poll."""

    def __init__(self, sources: Iterable[str], *, from_start: bool = True) -> None:
        self.sources = list(sources)
        self._from_start = from_start
        self._streams: dict[str, _Stream] = {}
        self._polled = False

    def files(self) -> list[str]:
        """The files followed now (one per writer)."""
        return [s.current for s in self._streams.values() if s.followed is not None]

    def poll(self) -> Iterator[Parsed]:
        """The records (and malformed lines) written since the last poll."""
        for stream, current in self._discover().items():
            state = self._streams.get(stream)
            if state is None:
                state = self._streams[stream] = self._start(stream, current)
            yield from self._advance(state)
        self._polled = True

    def _discover(self) -> dict[str, str]:
        """Every writer's stream and the name of its current file."""
        try:
            listed = expand_sources(self.sources)
        except ReportInputError:
            listed = []  # nothing written yet: keep watching
        streams = {name: state.current for name, state in self._streams.items()}
        for path in listed:
            stream = stream_of(path)
            if segment_number(path) is None and not path.endswith(".gz"):
                streams[stream] = path
            else:
                streams.setdefault(stream, stream + ".jsonl")
        return streams

    def _start(self, stream: str, current: str) -> _Stream:
        segments = _segments(stream)
        if self._polled:  # a writer that started since: read it all
            return _Stream(stream, current, min(segments, default=1))
        return _Stream(stream, current, max(segments, default=0) + 1)  # history: skipped

    def _advance(self, state: _Stream) -> Iterator[Parsed]:
        """Read what the writer wrote since the last poll.

        The followed file becomes segment ``next_seq`` when it is rotated, and no
        other file can: so that segment's existence says the followed file is
        complete (the rest is read through the open handle). Then the segments
        rotated since are read whole, and the new current file is followed.
        """
        if state.followed is not None:
            yield from state.followed.drain()
            if state.next_seq not in _segments(state.name):
                return
            yield from state.followed.finish()
            state.followed, state.next_seq = None, state.next_seq + 1
        yield from self._follow_current(state, at_end=not self._polled and not self._from_start)

    def _follow_current(self, state: _Stream, *, at_end: bool = False) -> Iterator[Parsed]:
        """Read the unseen segments whole, then open the current file; again when a
        rotation came in between (until none did)."""
        while True:
            for seq, path in sorted(_segments(state.name).items()):
                if seq >= state.next_seq:
                    yield from _whole(path)
                    state.next_seq = seq + 1
            followed = _open(state.current, at_end=at_end)
            if followed is None:
                return  # between a rename and the new file: next poll
            if not any(seq >= state.next_seq for seq in _segments(state.name)):
                state.followed = followed
                yield from followed.drain()
                return
            followed.stream.close()  # a rotation came in between: read it as a segment

    def close(self) -> None:
        """Close every file."""
        for state in self._streams.values():
            if state.followed is not None:
                state.followed.stream.close()
                state.followed = None


def _whole(path: str) -> Iterator[Parsed]:
    """Every line of a rotated segment (gzip or not); nothing if it vanished meanwhile."""
    try:
        stream = open_source(path)
    except ReportInputError:
        if path.endswith(".gz"):
            return
        try:
            stream = open_source(path + ".gz")
        except ReportInputError:
            return
    yield from _Followed(path, stream).finish()
