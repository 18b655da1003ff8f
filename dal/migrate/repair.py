"""Repair: make the non-authoritative side equal to the authoritative one, entity by entity.

The entity's stage (from the flags) decides the direction: MySQL is
authoritative in ``off``, ``dual_write`` and ``shadow``, DynamoDB in ``live``,
``rampdown`` and ``complete``. A repair starts from a fresh verification of the
entities, so it always works from what both sides hold now, and every write is
conditional on what the verification saw: an item or row changed since (a live
write) is left alone and reported as skipped. Guard items are DynamoDB's own
bookkeeping, so they are always repaired in DynamoDB, from the MySQL rows, after
the rows themselves. Running a repair twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, Table

from adapters.dynamodb.client import DynamoClient, Item
from adapters.dynamodb.errors import ConditionFailed
from adapters.dynamodb.expressions import Expr
from adapters.dynamodb.values import decode_value
from dal.migrate.plan import SourcePlan, Target, UniqueTarget
from dal.migrate.rows import delete_row, item_row, write_row
from dal.migrate.source import fetch_rows
from dal.migrate.verify import Finding, Kind, Verifier, VerifyOptions, VerifyReport
from dal.routing.redaction import DEFAULT_SENSITIVE, scrub_message
from dal.routing.stages import PLANS, Side, Stage
from interfaces import DalError

__all__ = ["Outcome", "RepairAction", "RepairOptions", "RepairReport", "Repairer"]

StageOf = Callable[[str], Stage]
"""The stage of a store entity (``users``...)."""


class Outcome(StrEnum):
    """What happened to one repair."""

    APPLIED = "applied"
    PLANNED = "planned"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class RepairAction:
    """One repair: what was (or would be) done to which side, for which finding."""

    finding: Finding
    side: Side
    action: str
    outcome: Outcome
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The action as JSON-ready data."""
        return {
            **self.finding.to_json(),
            "repaired_side": "mysql" if self.side is Side.OLD else "dynamodb",
            "action": self.action,
            "outcome": self.outcome.value,
            "detail": None if self.detail is None else scrub_message(self.detail),
        }


@dataclass(frozen=True)
class RepairOptions:
    """Which entities to repair; ``dry_run`` only plans; denormalized snapshots on request."""

    entities: tuple[str, ...] = ()
    dry_run: bool = False
    include_denormalized: bool = False
    workers: int = 4


@dataclass
class RepairReport:
    """The verification a repair started from and every action it took."""

    verify: VerifyReport
    stages: dict[str, Stage] = field(default_factory=dict)
    actions: list[RepairAction] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether no repair failed (skipped ones were changed concurrently)."""
        return all(action.outcome is not Outcome.FAILED for action in self.actions)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        counts: dict[str, int] = {outcome.value: 0 for outcome in Outcome}
        for action in self.actions:
            counts[action.outcome.value] += 1
        return {
            "ok": self.ok,
            "stages": {name: stage.value for name, stage in self.stages.items()},
            "counts": counts,
            "actions": [action.to_json() for action in self.actions],
        }


def _is_guard(finding: Finding) -> bool:
    if finding.expected is not None:
        return finding.expected.guard
    return isinstance(finding.target, UniqueTarget)


class Repairer:
    """Verifies, then repairs; see the module documentation."""

    def __init__(
        self,
        engine: Engine,
        client: DynamoClient,
        verifier: Verifier,
        tables: Mapping[str, Table],
        stage_of: StageOf,
        sensitive: tuple[str, ...] = DEFAULT_SENSITIVE,
    ) -> None:
        self._engine = engine
        self._client = client
        self._verifier = verifier
        self._tables = tables
        self._stage_of = stage_of
        self._sensitive = sensitive

    def run(self, options: RepairOptions, chosen: Sequence[SourcePlan]) -> RepairReport:
        """Repair ``chosen`` plans; with ``dry_run`` only report what would be done."""
        verify_options = VerifyOptions(
            workers=options.workers,
            include_denormalized=options.include_denormalized,
            sensitive=self._sensitive,
        )
        verified = self._verifier.run(verify_options, chosen)
        report = RepairReport(verified, {p.name: self._stage_of(p.name) for p in chosen})
        plans = {plan.name: plan for plan in chosen}
        to_mysql: list[Finding] = []
        to_dynamodb: list[Finding] = []
        for finding in verified.failing:
            rows = self._side(finding) is Side.OLD and not _is_guard(finding)
            (to_mysql if rows else to_dynamodb).append(finding)
        if to_mysql:
            report.actions += self._repair_mysql(to_mysql, plans, options.dry_run)
            if not options.dry_run:  # rows changed: the guards they imply may have too
                again = self._verifier.run(verify_options, chosen)
                to_dynamodb = [f for f in again.failing if _is_guard(f)]
        report.actions += [self._repair_dynamodb(f, options.dry_run) for f in to_dynamodb]
        return report

    def _side(self, finding: Finding) -> Side:
        """The side a finding is repaired on: the non-authoritative one."""
        stage = self._stage_of(finding.entity) if finding.entity in self._known() else Stage.OFF
        return PLANS[stage].authoritative.other

    def _known(self) -> set[str]:
        return set(self._verifier.plans)

    # --- DynamoDB from MySQL ---------------------------------------------------------------

    def _repair_dynamodb(self, finding: Finding, dry_run: bool) -> RepairAction:
        if finding.kind is Kind.UNMAPPABLE:
            return RepairAction(finding, Side.NEW, "none", Outcome.FAILED, finding.detail)
        put = finding.expected is not None
        action = "put item" if put else "delete item"
        if finding.actual is not None and finding.expected is not None:
            newer = _newer(finding.actual, finding.expected.item)
            if newer:
                return RepairAction(finding, Side.NEW, action, Outcome.SKIPPED, newer)
        if dry_run:
            return RepairAction(finding, Side.NEW, action, Outcome.PLANNED)
        expr = Expr()
        condition = _unchanged(expr, finding)
        try:
            if finding.expected is not None:
                self._client.put(
                    finding.table,
                    finding.expected.item,
                    **expr.request(ConditionExpression=condition),
                )
            else:
                key = {name: finding.actual[name] for name in finding.key}  # type: ignore[index]
                self._client.delete(
                    finding.table, key, **expr.request(ConditionExpression=condition)
                )
        except ConditionFailed:
            return RepairAction(
                finding, Side.NEW, action, Outcome.SKIPPED, "the item changed since it was read"
            )
        except DalError as error:
            return RepairAction(finding, Side.NEW, action, Outcome.FAILED, str(error))
        return RepairAction(finding, Side.NEW, action, Outcome.APPLIED)

    # --- MySQL from DynamoDB ---------------------------------------------------------------

    def _repair_mysql(
        self, findings: Sequence[Finding], plans: Mapping[str, SourcePlan], dry_run: bool
    ) -> list[RepairAction]:
        """One action per source row: upsert it from the item DynamoDB holds, or delete it."""
        by_row: dict[tuple[str, Any], list[Finding]] = {}
        for finding in findings:
            by_row.setdefault((finding.entity, finding.row), []).append(finding)
        actions = []
        for (entity, _), group in by_row.items():
            actions.append(self._repair_row(plans[entity], group, dry_run))
        return actions

    def _repair_row(
        self, plan: SourcePlan, group: Sequence[Finding], dry_run: bool
    ) -> RepairAction:
        finding = next((f for f in group if f.actual is not None), group[0])
        if finding.kind is Kind.UNMAPPABLE:
            return RepairAction(finding, Side.OLD, "none", Outcome.FAILED, finding.detail)
        action = "write row" if finding.actual is not None else "delete row"
        if dry_run:
            return RepairAction(finding, Side.OLD, action, Outcome.PLANNED)
        try:
            done = self._apply_row(plan, finding)
        except (DalError, ValueError, KeyError) as error:
            return RepairAction(finding, Side.OLD, action, Outcome.FAILED, str(error))
        except Exception as error:  # a database refusal (a foreign key...) fails this row only
            return RepairAction(finding, Side.OLD, action, Outcome.FAILED, f"{error}")
        outcome = Outcome.APPLIED if done else Outcome.SKIPPED
        detail = None if done else "the row changed since it was read"
        return RepairAction(finding, Side.OLD, action, outcome, detail)

    def _apply_row(self, plan: SourcePlan, finding: Finding) -> bool:
        """Write or delete the finding's row; False when it changed since verification."""
        if finding.row is None:
            raise ValueError(f"{finding.source}: no source row to repair")
        columns, values = finding.row
        current = fetch_rows(self._engine, plan.table, [values], columns)
        seen = _seen(current[0]) if current else None
        if seen is not None and not _as_verified(seen, finding):
            return False
        with self._engine.begin() as connection:
            if finding.actual is None:
                if seen is None:
                    return True
                key = [current[0][c.name] for c in plan.table.primary_key.columns]
                return delete_row(connection, plan.table, key, seen)
            target = finding.target if isinstance(finding.target, Target) else plan.targets[0]
            row = item_row(target, finding.actual, self._tables)
            if current:
                for column in plan.key_columns:
                    row.values.setdefault(column, current[0][column])
            return write_row(
                connection, plan.table, self._tables, row, seen, target.compiled.children
            )


def _as_verified(seen: Mapping[str, Any], finding: Finding) -> bool:
    """Whether the row still has the version the verification built its item from."""
    expected = finding.expected
    if expected is None or "version" not in seen or "version" not in expected.item:
        return True
    return bool(decode_value(expected.item["version"]) == seen["version"])


def _seen(row: Mapping[str, Any]) -> dict[str, Any]:
    """What a row must still hold for a repair to change it: its version (else updated_at)."""
    for name in ("version", "updated_at"):
        if name in row:
            return {name: row[name]}
    return dict(row)


def _newer(actual: Item, expected: Item) -> str | None:
    """Why DynamoDB's item must not be replaced: it holds a newer version than MySQL."""
    if "version" in actual and "version" in expected:
        have, want = decode_value(actual["version"]), decode_value(expected["version"])
        if have > want:
            return f"DynamoDB holds version {have}, newer than MySQL's {want}"
    return None


def _unchanged(expr: Expr, finding: Finding) -> str:
    """A condition that holds only while the item is as the verification saw it."""
    pk = next(iter(finding.key))
    actual = finding.actual
    if actual is None:
        return expr.missing(pk)
    for name in ("version", "updated_at"):
        if name in actual:
            return f"{expr.name(name)} = {expr.wire(actual[name])}"
    parts = [expr.exists(pk)]
    parts += [f"{expr.name(k)} = {expr.wire(v)}" for k, v in actual.items() if k not in finding.key]
    return " AND ".join(parts)
