"""Reading the router's JSON lines: one validated record per line, malformed lines counted.

The files are read as a stream, a line at a time, so a report over gigabytes of
records needs little memory. A line that is not a valid record (not UTF-8, not
JSON, a field missing or of the wrong type, a schema version this reader does
not know) becomes a :class:`Malformed` naming its ``file:line`` and the
problem; it never stops the reading. Blank lines are skipped. Records of a
kind this version does not know are skipped and counted (a newer router may
write more kinds). The schema is the one in ``docs/router.md`` (version 1).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

__all__ = [
    "CATEGORIES",
    "KNOWN_KINDS",
    "STDIN",
    "ComparisonLine",
    "DifferenceLine",
    "DropLine",
    "ErrorLine",
    "Located",
    "Malformed",
    "MetricsLine",
    "Parsed",
    "RecordLine",
    "ReportInputError",
    "UnknownKind",
    "check_sources",
    "parse_line",
    "read_lines",
    "read_sources",
]

STDIN = "-"
"""The source name that means standard input."""

SCHEMA_VERSION = 1
CATEGORIES = ("match", "transient", "expected_staleness", "drift", "exception")
"""Every category of a comparison, from the best to the worst."""
KNOWN_KINDS = ("comparison", "error", "metrics", "drop")

Category = Literal["match", "transient", "expected_staleness", "drift", "exception"]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Latency = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class ReportInputError(Exception):
    """A source that cannot be read at all (missing, a folder, no permission)."""


class _Line(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    schema_: int = Field(alias="schema", ge=1, le=SCHEMA_VERSION)
    ts: datetime
    correlation_id: Annotated[str, Field(max_length=64)] | None = None
    """The routed call's correlation id (its trace id); absent in older records."""


class DifferenceLine(BaseModel):
    """One differing field of a comparison; ``old``/``new`` as recorded (redacted)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    path: Annotated[str, Field(max_length=1000)]
    old: Any = None
    new: Any = None
    category: Category


class _Latencies(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    old: Latency | None = None
    new: Latency | None = None


class ComparisonLine(_Line):
    """A ``comparison`` record: both sides answered one call and were compared."""

    kind: Literal["comparison"]
    entity: Name
    operation: Name
    op_kind: Literal["query", "command"] | None = None
    stage: Name | None = None
    matched: bool
    category: Category
    differences: tuple[DifferenceLine, ...] = ()
    latency_ms: _Latencies = _Latencies()
    reread: bool = False
    reread_failed: bool = False


class ErrorLine(_Line):
    """An ``error`` record: a side (``old``/``new``) or the ``router`` itself failed."""

    kind: Literal["error"]
    origin: Literal["old", "new", "router"]
    entity: Annotated[str, Field(max_length=200)]
    operation: Name
    op_kind: Literal["query", "command"] | None = None
    stage: Name | None = None
    error_type: Name
    message: Annotated[str, Field(max_length=100_000)] = ""
    latency_ms: Latency | None = None


class DropLine(_Line):
    """A ``drop`` record: ``count`` shadow calls skipped for ``reason``."""

    kind: Literal["drop"]
    entity: Name
    operation: Name
    stage: Name | None = None
    reason: Name
    count: Annotated[int, Field(ge=0)] = 1


class MetricsLine(_Line):
    """A ``metrics`` record: a snapshot of one router's cumulative counters."""

    kind: Literal["metrics"]
    metrics: dict[str, Any]


RecordLine = ComparisonLine | ErrorLine | DropLine | MetricsLine

_RECORD: TypeAdapter[RecordLine] = TypeAdapter(Annotated[RecordLine, Field(discriminator="kind")])


@dataclass(frozen=True, slots=True)
class Malformed:
    """A line that is not a valid record: where it is and what is wrong with it."""

    source: str
    line: int
    reason: str

    @property
    def where(self) -> str:
        """``file:line``."""
        return f"{self.source}:{self.line}"


@dataclass(frozen=True, slots=True)
class Located:
    """A valid record and where it was read."""

    source: str
    line: int
    record: RecordLine


@dataclass(frozen=True, slots=True)
class UnknownKind:
    """A well-formed line of a kind this reader does not know (skipped)."""

    source: str
    line: int
    kind: str


Parsed = Located | Malformed | UnknownKind
"""What reading one non-blank line gives."""


def _describe(error: ValidationError) -> str:
    problems = []
    for problem in error.errors()[:3]:
        where = ".".join(str(part) for part in problem["loc"] if part not in KNOWN_KINDS)
        problems.append(f"{where or 'record'}: {problem['msg']}")
    more = error.error_count() - len(problems)
    return "; ".join(problems) + (f" (and {more} more)" if more > 0 else "")


def parse_line(raw: bytes, source: str, number: int) -> Parsed | None:
    """The record on one line, a :class:`Malformed`, an :class:`UnknownKind`, or None if blank."""
    if not raw.strip():
        return None
    try:  # the common case, a valid record, in one pass of pydantic's own JSON parser
        return Located(source, number, _RECORD.validate_json(raw))
    except ValidationError:
        return _diagnose(raw, source, number)


def _diagnose(raw: bytes, source: str, number: int) -> Malformed | UnknownKind:
    """Say what is wrong with a line that is not a valid record."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return Malformed(source, number, f"not UTF-8 text (byte {error.start})")
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        reason = error.msg if isinstance(error, json.JSONDecodeError) else "nested too deeply"
        return Malformed(source, number, f"not JSON: {reason}")
    if not isinstance(data, dict):
        return Malformed(source, number, f"not a JSON object but {type(data).__name__}")
    kind = data.get("kind")
    if not isinstance(kind, str):
        return Malformed(source, number, "no 'kind' field")
    if kind not in KNOWN_KINDS:
        return UnknownKind(source, number, kind)
    try:
        _RECORD.validate_python(data)
    except ValidationError as error:
        return Malformed(source, number, f"{kind} record: {_describe(error)}")
    return Malformed(source, number, "not valid JSON for a record")


def read_lines(stream: IO[bytes], source: str) -> Iterator[Parsed]:
    """Parse every non-blank line of a binary stream; ``source`` names it in problems."""
    for number, raw in enumerate(stream, start=1):
        parsed = parse_line(raw, source, number)
        if parsed is not None:
            yield parsed


def _open(source: str) -> IO[bytes]:
    if source == STDIN:
        return sys.stdin.buffer
    path = Path(source)
    if path.is_dir():
        raise ReportInputError(f"{source}: is a folder, not a JSON lines file")
    try:
        return path.open("rb")
    except OSError as error:
        raise ReportInputError(f"{source}: cannot be read: {error.strerror or error}") from error


def check_sources(sources: Iterable[str]) -> list[str]:
    """``sources`` as a list, after making sure each file can be opened (ReportInputError)."""
    checked = list(sources)
    for source in checked:
        if source != STDIN:
            _open(source).close()
    return checked


def read_sources(sources: Iterable[str]) -> Iterator[Parsed]:
    """Parse every line of every source in turn (``-`` is standard input).

    Raises :class:`ReportInputError` for a source that cannot be opened; every
    source is checked before the first line is read.
    """
    for source in check_sources(sources):
        stream = _open(source)
        try:
            yield from read_lines(stream, source)
        finally:
            if source != STDIN:
                stream.close()
