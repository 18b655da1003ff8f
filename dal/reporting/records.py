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
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Annotated, Any, ClassVar, Literal

import msgspec
from msgspec import Meta

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
    "parse_line",
    "read_lines",
]

STDIN = "-"
"""The source name that means standard input."""

SCHEMA_VERSION = 1
CATEGORIES = ("match", "transient", "expected_staleness", "drift", "exception")
"""Every category of a comparison, from the best to the worst."""
KNOWN_KINDS = ("comparison", "error", "metrics", "drop")

Category = Literal["match", "transient", "expected_staleness", "drift", "exception"]
Name = Annotated[str, Meta(min_length=1, max_length=200)]
Latency = Annotated[float, Meta(ge=0)]
Kind = Literal["query", "command"]


class ReportInputError(Exception):
    """A source that cannot be read at all (missing, a folder, no permission)."""


class _Line(msgspec.Struct, frozen=True, kw_only=True, tag_field="kind"):
    schema_: Annotated[int, Meta(ge=1, le=SCHEMA_VERSION)] = msgspec.field(name="schema")
    ts: datetime
    correlation_id: Annotated[str, Meta(max_length=64)] | None = None
    """The routed call's correlation id (its trace id); absent in older records."""


class DifferenceLine(msgspec.Struct, frozen=True, kw_only=True):
    """One differing field of a comparison; ``old``/``new`` as recorded (redacted)."""

    path: Annotated[str, Meta(max_length=1000)]
    old: Any = None
    new: Any = None
    category: Category


class _Latencies(msgspec.Struct, frozen=True, kw_only=True):
    old: Latency | None = None
    new: Latency | None = None


class ComparisonLine(_Line, frozen=True, kw_only=True, tag="comparison"):
    """A ``comparison`` record: both sides answered one call and were compared."""

    kind: ClassVar[str] = "comparison"
    entity: Name
    operation: Name
    op_kind: Kind | None = None
    stage: Name | None = None
    matched: bool
    category: Category
    differences: tuple[DifferenceLine, ...] = ()
    latency_ms: _Latencies = msgspec.field(default_factory=_Latencies)
    reread: bool = False
    reread_failed: bool = False


class ErrorLine(_Line, frozen=True, kw_only=True, tag="error"):
    """An ``error`` record: a side (``old``/``new``) or the ``router`` itself failed."""

    kind: ClassVar[str] = "error"
    origin: Literal["old", "new", "router"]
    entity: Annotated[str, Meta(max_length=200)]
    operation: Name
    op_kind: Kind | None = None
    stage: Name | None = None
    error_type: Name
    message: Annotated[str, Meta(max_length=100_000)] = ""
    latency_ms: Latency | None = None


class DropLine(_Line, frozen=True, kw_only=True, tag="drop"):
    """A ``drop`` record: ``count`` shadow calls skipped for ``reason``."""

    kind: ClassVar[str] = "drop"
    entity: Name
    operation: Name
    stage: Name | None = None
    reason: Name
    count: Annotated[int, Meta(ge=0)] = 1


class MetricsLine(_Line, frozen=True, kw_only=True, tag="metrics"):
    """A ``metrics`` record: a snapshot of one router's cumulative counters."""

    kind: ClassVar[str] = "metrics"
    metrics: dict[str, Any]


RecordLine = ComparisonLine | ErrorLine | DropLine | MetricsLine

_DECODER = msgspec.json.Decoder(RecordLine, strict=False)
_CONVERT: Any = RecordLine


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


def parse_line(raw: bytes, source: str, number: int) -> Parsed | None:
    """The record on one line, a :class:`Malformed`, an :class:`UnknownKind`, or None if blank."""
    try:  # the common case, a valid record, in one pass of msgspec's typed JSON decoder
        return Located(source, number, _DECODER.decode(raw))
    except msgspec.DecodeError:
        if not raw.strip():
            return None
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
        msgspec.convert(data, _CONVERT, strict=False)
    except msgspec.ValidationError as error:
        return Malformed(source, number, f"{kind} record: {_describe(error)}")
    return Malformed(source, number, "not valid JSON for a record")


def _describe(error: msgspec.ValidationError) -> str:
    """msgspec's message with its JSON path first: ``ts: Invalid RFC3339 encoded datetime``."""
    message = str(error)
    text, _, where = message.rpartition(" - at `")
    if not text:
        return message
    return f"{where.rstrip('`').removeprefix('$.') or 'record'}: {text}"


def read_lines(stream: IO[bytes], source: str) -> Iterator[Parsed]:
    """Parse every non-blank line of a binary stream; ``source`` names it in problems."""
    for number, raw in enumerate(stream, start=1):
        parsed = parse_line(raw, source, number)
        if parsed is not None:
            yield parsed
