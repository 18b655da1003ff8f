"""The findings of a check: counted per table, column and kind, with example keys.

A :class:`Tally` collects the findings of one run as the rows stream past
(bounded: a count and at most ``examples`` keys per finding) and gives the
:class:`CheckReport`. Findings name rows by their key only, never by the value
found; a key column whose name is sensitive (an ``email`` primary key,
:data:`~dal.routing.redaction.DEFAULT_SENSITIVE` and the declarations'
``sensitive`` fields) shows the redaction token instead of the value.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from dal.contract.check.kinds import KINDS, Kind, Level
from dal.routing.redaction import DEFAULT_SENSITIVE, Redactor, to_json_value

__all__ = ["CheckReport", "Finding", "TableScan", "Tally"]

DEFAULT_EXAMPLES = 5


@dataclass
class Finding:
    """Values of one kind in one column of one table: how many, and some rows' keys."""

    table: str
    column: str
    kind: Kind
    handled: bool
    """Whether the contract says how to store them (then they do not fail the check)."""
    count: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def level(self) -> Level:
        """Whether the values would be lost or only disagree."""
        return KINDS[self.kind].level

    @property
    def counts(self) -> bool:
        """Whether this finding fails the check (exit code 1)."""
        return not self.handled

    def to_json(self) -> dict[str, Any]:
        """The finding as JSON-ready data (stable keys and order)."""
        return {
            "table": self.table,
            "column": self.column,
            "kind": self.kind.value,
            "level": self.level.value,
            "handled_by_contract": self.handled,
            "count": self.count,
            "examples": self.examples,
            "reason": KINDS[self.kind].reason,
        }


@dataclass(frozen=True)
class TableScan:
    """One table that was read: its rows, and the columns that name them."""

    table: str
    rows: int
    key_columns: tuple[str, ...]


@dataclass
class CheckReport:
    """Every finding of a run; ``ok`` when none fails the check."""

    source: str
    tables: list[TableScan]
    findings: list[Finding]

    @property
    def failing(self) -> list[Finding]:
        """The findings that fail the check."""
        return [finding for finding in self.findings if finding.counts]

    @property
    def ok(self) -> bool:
        """Whether nothing would be lost or disagree."""
        return not self.failing

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data: ``ok``, the tables read, the findings sorted."""
        return {
            "ok": self.ok,
            "source": self.source,
            "tables": [
                {"table": t.table, "rows": t.rows, "key": list(t.key_columns)} for t in self.tables
            ],
            "findings": [finding.to_json() for finding in self.findings],
        }


class Tally:
    """Counts findings and keeps up to ``examples`` redacted keys of each."""

    def __init__(
        self, sensitive: Collection[str] = DEFAULT_SENSITIVE, examples: int = DEFAULT_EXAMPLES
    ) -> None:
        self._redactor = Redactor(sensitive)
        self._examples = examples
        self._findings: dict[tuple[str, str, Kind], Finding] = {}

    def add(
        self,
        table: str,
        column: str,
        kind: Kind,
        handled: bool,
        key: dict[str, Any],
        count: int = 1,
    ) -> None:
        """Count ``count`` values of ``kind`` in ``table.column``; ``key`` names one of them."""
        finding = self._findings.get((table, column, kind))
        if finding is None:
            finding = self._findings[(table, column, kind)] = Finding(table, column, kind, handled)
        finding.count += count
        if len(finding.examples) < self._examples:
            finding.examples.append(self.key(key))

    def add_many(
        self, table: str, column: str, kind: Kind, count: int, keys: Sequence[dict[str, Any]]
    ) -> None:
        """Count ``count`` values of ``kind`` found together (a collision), named by ``keys``."""
        finding = self._findings.get((table, column, kind))
        if finding is None:
            finding = self._findings[(table, column, kind)] = Finding(table, column, kind, False)
        finding.count += count
        room = self._examples - len(finding.examples)
        finding.examples.extend(self.key(key) for key in keys[: max(room, 0)])

    def key(self, key: dict[str, Any]) -> dict[str, Any]:
        """``key`` as JSON-ready data, sensitive columns replaced by their token."""
        redacted = self._redactor.redact(key)
        return dict(redacted) if isinstance(redacted, dict) else {"key": to_json_value(key)}

    def report(self, source: str, tables: Sequence[TableScan]) -> CheckReport:
        """The report of everything added, findings sorted by table, column and kind."""
        findings = sorted(self._findings.values(), key=lambda f: (f.table, f.column, f.kind))
        return CheckReport(source, list(tables), findings)
