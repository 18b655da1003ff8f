"""The demo's stage flags file: every entity in one stage, plus the gate's thresholds.

The router reads the file through :class:`~dal.routing.FileFlags`, so moving to
the next stage is an edit of the file, as in a real migration. The file is
replaced atomically, so the router never reads half of it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from dal.routing import Stage

__all__ = ["DEMO_THRESHOLDS", "ENTITIES", "write_flags"]

ENTITIES = ("users", "categories", "products", "carts", "orders")
"""The entities the demo migrates, in the order they appear in the flags file."""

DEMO_THRESHOLDS: Mapping[str, float] = {
    "min_comparisons": 20,
    "max_mismatch_rate": 0.001,
    "max_error_rate": 0.01,
    # An embedded SQLite answers in microseconds, DynamoDB Local (a Java emulator over
    # HTTP) in milliseconds: the demo's latency ratios say nothing about production.
    "max_p95_latency_ratio": 100.0,
    "max_p99_latency_ratio": 100.0,
}
"""The thresholds written into the demo's flags file (see ``docs/demo.md``)."""

_HEADER = """\
# Written by `dal demo`: every entity in one stage; the demo rewrites this file
# to move to the next stage, and the router picks the change up on the next call.
"""


def _toml(stage: Stage, entities: Sequence[str], thresholds: Mapping[str, float]) -> str:
    lines = [_HEADER, "[stages]"]
    lines += [f'{entity} = "{stage.value}"' for entity in entities]
    lines += ["", "[thresholds]"]
    lines += [f"{name} = {value!r}" for name, value in thresholds.items()]
    return "\n".join(lines) + "\n"


def write_flags(
    path: Path,
    stage: Stage,
    *,
    entities: Sequence[str] = ENTITIES,
    thresholds: Mapping[str, float] = DEMO_THRESHOLDS,
) -> None:
    """Put every entity of ``entities`` in ``stage`` (an atomic replace of ``path``)."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(_toml(stage, entities, thresholds), encoding="utf-8")
    os.replace(partial, path)
