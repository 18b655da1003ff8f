"""``dal watch``: each entity's stage, comparison rate, mismatch rate and latency, live.

A :class:`WatchState` takes records as a :class:`~dal.reporting.follow.Follower`
reads them and keeps, per entity, one-second buckets over a sliding window
(``window`` seconds, up to the newest record seen): comparisons, mismatches
(``drift`` and ``exception``), failures of each side and a latency sketch per
side, plus the stage of the entity's latest record. :func:`render` draws the
state as a rich table, which ``dal watch`` refreshes in place on a terminal.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rich.markup import escape
from rich.table import Table

from dal.reporting.records import ComparisonLine, ErrorLine, Located, Malformed, Parsed
from dal.reporting.sketch import LogHistogram

__all__ = ["EntityWindow", "WatchState", "render"]

_MISMATCHED = ("drift", "exception")


@dataclass
class _Second:
    comparisons: int = 0
    mismatched: int = 0
    errors_old: int = 0
    errors_new: int = 0
    old: LogHistogram = field(default_factory=LogHistogram)
    new: LogHistogram = field(default_factory=LogHistogram)


@dataclass
class EntityWindow:
    """One entity over the window: its latest stage and its seconds."""

    entity: str
    stage: str | None = None
    stage_at: datetime | None = None
    seconds: dict[int, _Second] = field(default_factory=dict)

    def second(self, at: datetime) -> _Second:
        """The bucket of the second ``at`` falls in."""
        key = math.floor(at.timestamp())
        found = self.seconds.get(key)
        if found is None:
            found = self.seconds[key] = _Second()
        return found

    def saw(self, stage: str | None, at: datetime) -> None:
        """The latest record's stage wins."""
        if stage is not None and (self.stage_at is None or at >= self.stage_at):
            self.stage, self.stage_at = stage, at

    def span(self) -> float:
        """Seconds from the entity's first to its last record in the window (at least 1)."""
        if not self.seconds:
            return 1.0
        return float(max(self.seconds) - min(self.seconds) + 1)

    def totals(self) -> _Second:
        """The window's seconds added up."""
        total = _Second()
        for second in self.seconds.values():
            total.comparisons += second.comparisons
            total.mismatched += second.mismatched
            total.errors_old += second.errors_old
            total.errors_new += second.errors_new
            total.old.merge(second.old)
            total.new.merge(second.new)
        return total


class WatchState:
    """The last ``window`` seconds of records, per entity."""

    def __init__(self, window: float = 60.0) -> None:
        self.window = window
        self.entities: dict[str, EntityWindow] = {}
        self.newest: datetime | None = None
        self.records = 0
        self.malformed = 0

    def add(self, lines: Iterable[Parsed]) -> None:
        """Take what a poll read."""
        for line in lines:
            if not isinstance(line, Located):
                self.malformed += isinstance(line, Malformed)
                continue
            record = line.record
            self.records += 1
            if isinstance(record, ComparisonLine):
                self._comparison(record)
            elif isinstance(record, ErrorLine) and record.origin != "router":
                self._error(record)
        self._forget()

    def _entity(self, name: str, at: datetime) -> EntityWindow:
        if self.newest is None or at > self.newest:
            self.newest = at
        found = self.entities.get(name)
        if found is None:
            found = self.entities[name] = EntityWindow(name)
        return found

    def _comparison(self, record: ComparisonLine) -> None:
        entity = self._entity(record.entity, record.ts)
        entity.saw(record.stage, record.ts)
        second = entity.second(record.ts)
        second.comparisons += 1
        second.mismatched += record.category in _MISMATCHED
        old, new = record.latency_ms.old, record.latency_ms.new
        if old is not None and new is not None:
            second.old.add(old)
            second.new.add(new)

    def _error(self, record: ErrorLine) -> None:
        entity = self._entity(record.entity, record.ts)
        entity.saw(record.stage, record.ts)
        second = entity.second(record.ts)
        if record.origin == "new":
            second.errors_new += 1
        else:
            second.errors_old += 1

    def _forget(self) -> None:
        """Drop the seconds that fell out of the window."""
        if self.newest is None:
            return
        oldest = math.floor(self.newest.timestamp() - self.window)
        for entity in self.entities.values():
            for key in [key for key in entity.seconds if key <= oldest]:
                del entity.seconds[key]


def _percentiles(sketch: LogHistogram) -> str:
    if not sketch.count:
        return "-"
    return f"{sketch.percentile(0.5):.3g} / {sketch.percentile(0.95):.3g}"


def render(state: WatchState, files: int) -> Table:
    """The state as a table: one row per entity."""
    newest = state.newest.astimezone(UTC).strftime("%H:%M:%S") if state.newest else "none yet"
    table = Table(
        title=f"dal watch: last {state.window:g} s up to {newest} UTC, {files} file(s), "
        f"{state.records} records read",
        title_justify="left",
    )
    table.add_column("entity", no_wrap=True)
    table.add_column("stage", no_wrap=True)
    for column in ("cmp/s", "mismatch", "errors old/new", "old p50/p95 ms", "new p50/p95 ms"):
        table.add_column(column, justify="right")
    for name in sorted(state.entities):
        entity = state.entities[name]
        total = entity.totals()
        rate = total.mismatched / total.comparisons if total.comparisons else None
        style = "red" if rate else "green"
        table.add_row(
            escape(name),
            escape(entity.stage or "-"),
            f"{total.comparisons / entity.span():.3g}",
            "-" if rate is None else f"[{style}]{rate:.2%}[/]",
            f"{total.errors_old}/{total.errors_new}",
            _percentiles(total.old),
            _percentiles(total.new),
        )
    return table
