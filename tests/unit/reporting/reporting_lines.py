"""Hand-written router records (the JSON lines schema of docs/router.md) for the report tests."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

TS = "2026-03-01T12:00:00.000+00:00"


def comparison(
    entity: str = "users",
    operation: str = "get",
    category: str = "match",
    *,
    differences: Sequence[dict[str, Any]] = (),
    old_ms: float | None = 1.0,
    new_ms: float | None = 2.0,
    stage: str = "shadow",
    op_kind: str = "query",
    ts: str = TS,
    reread: bool = False,
) -> dict[str, Any]:
    """A comparison record."""
    return {
        "kind": "comparison",
        "schema": 1,
        "ts": ts,
        "entity": entity,
        "operation": operation,
        "op_kind": op_kind,
        "stage": stage,
        "matched": category in ("match", "transient"),
        "category": category,
        "differences": list(differences),
        "latency_ms": {"old": old_ms, "new": new_ms},
        "reread": reread,
    }


def difference(path: str, old: Any, new: Any, category: str = "drift") -> dict[str, Any]:
    """One difference of a comparison."""
    return {"path": path, "old": old, "new": new, "category": category}


def error(
    entity: str = "users",
    operation: str = "get",
    *,
    origin: str = "new",
    error_type: str = "BackendUnavailable",
    message: str = "endpoint unreachable",
    stage: str | None = "shadow",
    ts: str = TS,
) -> dict[str, Any]:
    """An error record."""
    return {
        "kind": "error",
        "schema": 1,
        "ts": ts,
        "origin": origin,
        "entity": entity,
        "operation": operation,
        "op_kind": "query",
        "stage": stage,
        "error_type": error_type,
        "message": message,
        "latency_ms": 3.0,
    }


def drop(
    entity: str = "users",
    operation: str = "get",
    reason: str = "pool_full",
    count: int = 1,
    ts: str = TS,
) -> dict[str, Any]:
    """A drop record."""
    return {
        "kind": "drop",
        "schema": 1,
        "ts": ts,
        "entity": entity,
        "operation": operation,
        "stage": "shadow",
        "reason": reason,
        "count": count,
    }


def metrics(calls: dict[str, tuple[int, int]], ts: str = TS) -> dict[str, Any]:
    """A metrics record: ``{"users.get": (old calls, new calls)}``."""
    operations = {}
    for key, (old, new) in calls.items():
        entity, operation = key.split(".")
        operations[key] = {
            "entity": entity,
            "operation": operation,
            "latency_ms": {"old": {"count": old}, "new": {"count": new}},
        }
    return {
        "kind": "metrics",
        "schema": 1,
        "ts": ts,
        "metrics": {"taken_at": ts, "operations": operations},
    }


def write(path: Path, lines: Iterable[dict[str, Any] | str | bytes]) -> Path:
    """Write records (dicts as JSON; str and bytes as they are) one per line."""
    with path.open("wb") as stream:
        for line in lines:
            if isinstance(line, dict):
                line = json.dumps(line)
            stream.write((line.encode() if isinstance(line, str) else line) + b"\n")
    return path


def aggregate(records: Iterable[dict[str, Any] | str], source: str = "records.jsonl") -> Any:
    """An :class:`~dal.reporting.Aggregator` over records given in memory."""
    import io

    from dal.reporting import Aggregator
    from dal.reporting.records import read_lines

    data = b"".join((json.dumps(r) if isinstance(r, dict) else r).encode() + b"\n" for r in records)
    return Aggregator().consume(read_lines(io.BytesIO(data), source))
