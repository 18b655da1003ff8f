"""Repair: make the non-authoritative side equal to the authoritative one, entity by entity.

The entity's stage (from the flags) decides the direction: MySQL is
authoritative in ``off``, ``dual_write`` and ``shadow``, DynamoDB in ``live``,
``rampdown`` and ``complete``. A repair starts from a fresh verification of the
entities, so it always works from what both sides hold now, and every write is
conditional on what the verification saw: an item or row changed since (a live
write) is left alone and reported as skipped. Guard items are DynamoDB's own
bookkeeping, so they are always repaired in DynamoDB, from the MySQL rows, after
the rows themselves. Running a repair twice changes nothing the second time.

``RepairOptions.authoritative`` names the side that is the truth for every
entity, whatever the flags say. MySQL rows are written parents first and
deleted children first (the order of the reflected foreign keys), so one run
repairs a project, its tickets and their labels together; a row that still
fails on a reference is tried again once the others are written.

Before anything is written, the planned deletions are counted per table: a
repair that would delete more than ``max_delete_share`` of a table's rows (or
items), and more than ``MASS_DELETE_FLOOR`` of them, is refused
(:class:`MassDeleteRefused`) unless ``allow_mass_delete`` is set; a dry run
reports the refusal instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, Table, func, inspect, select

from adapters.dynamodb.client import DynamoClient, Item
from adapters.dynamodb.errors import ConditionFailed
from adapters.dynamodb.expressions import Expr
from adapters.dynamodb.values import decode_value
from dal.migrate.plan import SourcePlan, Target, UniqueTarget
from dal.migrate.rows import Allocate, delete_row, item_row, write_row
from dal.migrate.source import fetch_rows
from dal.migrate.verify import Finding, Kind, Verifier, VerifyOptions, VerifyReport
from dal.routing.redaction import DEFAULT_SENSITIVE, scrub_message
from dal.routing.stages import PLANS, Side, Stage
from dal.telemetry import Telemetry, default_telemetry
from interfaces import DalError

__all__ = [
    "DEFAULT_MAX_DELETE_SHARE",
    "MASS_DELETE_FLOOR",
    "MassDelete",
    "MassDeleteRefused",
    "Outcome",
    "RepairAction",
    "RepairOptions",
    "RepairReport",
    "Repairer",
]

StageOf = Callable[[str], Stage]
"""The stage of a store entity (``users``...)."""

MASS_DELETE_FLOOR = 10
"""Deleting this many rows (items) of a table, or fewer, is never refused as a mass deletion,
so a small table is not blocked by a handful of deletions."""

DEFAULT_MAX_DELETE_SHARE = 0.10
"""The share of a table's rows (items) one repair may delete without ``allow_mass_delete``."""


class Outcome(StrEnum):
    """What happened to one repair."""

    APPLIED = "applied"
    PLANNED = "planned"
    SKIPPED = "skipped"
    FAILED = "failed"


_RESULTS = {
    Outcome.APPLIED: "written",
    Outcome.PLANNED: "planned",
    Outcome.SKIPPED: "skipped",
    Outcome.FAILED: "failed",
}
"""The ``dal.result`` of ``dal.migration.rows`` each outcome counts as."""


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
    """Which entities to repair; ``dry_run`` only plans; denormalized snapshots on request.

    ``authoritative`` names the side that is the truth for every entity (None: each
    entity's stage decides). ``max_delete_share`` and ``allow_mass_delete`` are the
    mass-deletion guard (see the module documentation).
    """

    entities: tuple[str, ...] = ()
    dry_run: bool = False
    include_denormalized: bool = False
    workers: int = 4
    authoritative: Side | None = None
    max_delete_share: float = DEFAULT_MAX_DELETE_SHARE
    allow_mass_delete: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.max_delete_share <= 1:
            share = self.max_delete_share
            raise ValueError(f"max_delete_share must be between 0 and 1, got {share}")


@dataclass(frozen=True)
class MassDelete:
    """A table a repair would delete too much of: ``deletions`` of its ``size`` rows (items)."""

    table: str
    side: Side
    deletions: int
    size: int

    @property
    def share(self) -> float:
        """The share of the table the repair would delete."""
        return self.deletions / self.size if self.size else 1.0

    def describe(self, limit: float) -> str:
        """``MySQL table tickets: 12 of 20 rows (60.0%)`` and the limit."""
        kind = "rows" if self.side is Side.OLD else "items"
        where = "MySQL table" if self.side is Side.OLD else "DynamoDB table"
        return (
            f"{where} {self.table}: {self.deletions} of {self.size} {kind} "
            f"({self.share:.1%}, above --max-delete-share {limit:g})"
        )


class MassDeleteRefused(ValueError):
    """A repair would delete more of a table than the guard allows; nothing was written."""

    def __init__(self, tables: Sequence[MassDelete], limit: float) -> None:
        self.tables = tuple(tables)
        self.limit = limit
        described = "; ".join(table.describe(limit) for table in tables)
        super().__init__(
            f"repair refused, it would delete too much: {described}. Check the plan with "
            "--dry-run; pass --allow-mass-delete to repair anyway"
        )


@dataclass
class RepairReport:
    """The verification a repair started from and every action it took."""

    verify: VerifyReport
    stages: dict[str, Stage] = field(default_factory=dict)
    actions: list[RepairAction] = field(default_factory=list)
    refused: MassDeleteRefused | None = None
    """Set by a dry run whose plan a real run would refuse."""

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
            "refused": None if self.refused is None else str(self.refused),
        }


def _is_guard(finding: Finding) -> bool:
    if finding.expected is not None:
        return finding.expected.guard
    return isinstance(finding.target, UniqueTarget)


class Repairer:
    """Verifies, then repairs; see the module documentation.

    ``allocate`` hands out the layer's ids for MySQL rows whose items hold none.
    """

    def __init__(
        self,
        engine: Engine,
        client: DynamoClient,
        verifier: Verifier,
        tables: Mapping[str, Table],
        stage_of: StageOf,
        sensitive: tuple[str, ...] = DEFAULT_SENSITIVE,
        allocate: Allocate | None = None,
        telemetry: Telemetry | None = None,
    ) -> None:
        self._telemetry = telemetry if telemetry is not None else default_telemetry()
        self._engine = engine
        self._client = client
        self._verifier = verifier
        self._tables = tables
        self._stage_of = stage_of
        self._sensitive = sensitive
        self._allocate = allocate
        self._id_blocks: bool | None = None

    @property
    def verifier(self) -> Verifier:
        """The verifier repairs start from."""
        return self._verifier

    def run(self, options: RepairOptions, chosen: Sequence[SourcePlan]) -> RepairReport:
        """Repair ``chosen`` plans; with ``dry_run`` only report what would be done.

        Raises :class:`MassDeleteRefused` (before writing anything) when the plan
        deletes too much of a table, unless ``allow_mass_delete``.
        """
        verify_options = VerifyOptions(
            workers=options.workers,
            include_denormalized=options.include_denormalized,
            sensitive=self._sensitive,
        )
        verified = self._verifier.run(verify_options, chosen)
        report = RepairReport(verified, {p.name: self._stage_of(p.name) for p in chosen})
        plans = {plan.name: plan for plan in chosen}

        def side_of(finding: Finding) -> Side:
            if options.authoritative is not None:
                return options.authoritative.other
            return self._side(finding)

        sided = [(finding, side_of(finding)) for finding in verified.failing]
        report.refused = self.check_deletions(sided, options)
        to_mysql = [f for f, side in sided if side is Side.OLD and not _is_guard(f)]
        to_dynamodb = [f for f, side in sided if side is Side.NEW or _is_guard(f)]
        if to_mysql:
            report.actions += self.repair_mysql(to_mysql, plans, options.dry_run)
            if not options.dry_run:  # rows changed: the guards they imply may have too
                again = self._verifier.run(verify_options, chosen)
                to_dynamodb = [f for f in again.failing if _is_guard(f)]
                self.check_deletions([(f, Side.NEW) for f in to_dynamodb], options)
        with self._telemetry.span("repair dynamodb batch", {"dal.rows": len(to_dynamodb)}):
            report.actions += [self.repair_dynamodb(f, options.dry_run) for f in to_dynamodb]
        return report

    def _side(self, finding: Finding) -> Side:
        """The side a finding is repaired on: the non-authoritative one."""
        stage = self._stage_of(finding.entity) if finding.entity in self._known() else Stage.OFF
        return PLANS[stage].authoritative.other

    def _known(self) -> set[str]:
        return set(self._verifier.plans)

    # --- the mass-deletion guard -----------------------------------------------------------

    def check_deletions(
        self, sided: Iterable[tuple[Finding, Side]], options: RepairOptions
    ) -> MassDeleteRefused | None:
        """Refuse a plan deleting too much of a table: raised, or returned by a dry run."""
        if options.allow_mass_delete:
            return None
        counts: dict[tuple[Side, str], set[Any]] = {}
        for finding, side in sided:
            if side is Side.OLD and _is_guard(finding):
                continue  # planned again once the rows are repaired into MySQL (see run)
            if side is Side.NEW or _is_guard(finding):
                if finding.expected is None and finding.actual is not None:
                    counts.setdefault((Side.NEW, finding.table), set()).add(_identity(finding))
            elif finding.actual is None and finding.row is not None:
                plan = self._verifier.plans.get(finding.entity)
                if plan is not None:
                    counts.setdefault((Side.OLD, plan.table.name), set()).add(finding.row)
        too_many = []
        for (side, table), deleted in sorted(counts.items()):
            if len(deleted) <= MASS_DELETE_FLOOR:
                continue
            size = self._table_size(side, table)
            if len(deleted) > options.max_delete_share * size:
                too_many.append(MassDelete(table, side, len(deleted), size))
        if not too_many:
            return None
        refused = MassDeleteRefused(too_many, options.max_delete_share)
        if options.dry_run:
            return refused
        raise refused

    def _table_size(self, side: Side, table: str) -> int:
        if side is Side.OLD:
            with self._engine.connect() as connection:
                query = select(func.count()).select_from(self._tables[table])
                return int(connection.execute(query).scalar_one())
        request: dict[str, Any] = {"TableName": table, "Select": "COUNT", "ConsistentRead": True}
        total = 0
        while True:
            response = self._client.call("Scan", request)
            total += int(response.get("Count", 0))
            start = response.get("LastEvaluatedKey")
            if start is None:
                return total
            request["ExclusiveStartKey"] = start

    # --- DynamoDB from MySQL ---------------------------------------------------------------

    def repair_dynamodb(self, finding: Finding, dry_run: bool) -> RepairAction:
        """Put the item MySQL's row makes, or delete an item without a row; conditionally."""
        action = self._repair_item(finding, dry_run)
        self._count([action])
        return action

    def _count(self, actions: Sequence[RepairAction]) -> None:
        """Count repaired rows (items) in ``dal.migration.rows`` by entity and outcome."""
        for action in actions:
            result = _RESULTS[action.outcome]
            self._telemetry.migration_rows("repair", action.finding.entity, result, 1)

    def _repair_item(self, finding: Finding, dry_run: bool) -> RepairAction:
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

    def repair_mysql(
        self, findings: Sequence[Finding], plans: Mapping[str, SourcePlan], dry_run: bool
    ) -> list[RepairAction]:
        """One action per source row: upsert it from the item DynamoDB holds, or delete it.

        Deletions come first, children before parents; then writes, parents before
        children (the reflected foreign keys). A row that fails is tried again after
        a pass in which another row was repaired (a reference within one table).
        """
        with self._telemetry.span("repair mysql batch", {"dal.rows": len(findings)}):
            actions = self._repair_rows(findings, plans, dry_run)
        self._count(actions)
        return actions

    def _repair_rows(
        self, findings: Sequence[Finding], plans: Mapping[str, SourcePlan], dry_run: bool
    ) -> list[RepairAction]:
        by_row: dict[tuple[str, Any], list[Finding]] = {}
        for finding in findings:
            by_row.setdefault((finding.entity, finding.row), []).append(finding)
        depth = self._depths(plans)
        groups = list(by_row.items())
        deletes = [g for g in groups if all(f.actual is None for f in g[1])]
        writes = [g for g in groups if any(f.actual is not None for f in g[1])]
        deletes.sort(key=lambda g: -depth.get(g[0][0], 0))
        writes.sort(key=lambda g: depth.get(g[0][0], 0))
        ordered = deletes + writes
        results: dict[int, RepairAction] = {}
        pending = list(range(len(ordered)))
        while pending:
            failed = []
            for index in pending:
                (entity, _), group = ordered[index]
                action = self._repair_row(plans[entity], group, dry_run)
                results[index] = action
                if action.outcome is Outcome.FAILED and group[0].kind is not Kind.UNMAPPABLE:
                    failed.append(index)
            if len(failed) == len(pending):
                break
            pending = failed
        return [results[index] for index in range(len(ordered))]

    def _depths(self, plans: Mapping[str, SourcePlan]) -> dict[str, int]:
        """Per entity, how many levels of referenced entity tables lie above its table."""
        table_of = {plan.table.name: name for name, plan in self._verifier.plans.items()}
        parents: dict[str, set[str]] = {}
        for name, plan in self._verifier.plans.items():
            tables = [plan.table] + [
                self._tables[child.relation.target]
                for target in plan.targets
                for child in target.compiled.children
                if child.relation.target in self._tables
            ]
            found = {
                table_of[fk.column.table.name]
                for table in tables
                for fk in table.foreign_keys
                if fk.column.table.name in table_of
            }
            parents[name] = found - {name}

        def depth(name: str, seen: frozenset[str]) -> int:
            above = [p for p in parents.get(name, ()) if p not in seen]
            return 1 + max((depth(p, seen | {p}) for p in above), default=-1)

        return {name: depth(name, frozenset({name})) for name in self._verifier.plans}

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
            done, detail = self._apply_row(plan, finding)
        except (DalError, ValueError, KeyError) as error:
            return RepairAction(finding, Side.OLD, action, Outcome.FAILED, str(error))
        except Exception as error:  # a database refusal (a foreign key...) fails this row only
            return RepairAction(finding, Side.OLD, action, Outcome.FAILED, f"{error}")
        outcome = Outcome.APPLIED if done else Outcome.SKIPPED
        return RepairAction(finding, Side.OLD, action, outcome, detail)

    def _apply_row(self, plan: SourcePlan, finding: Finding) -> tuple[bool, str | None]:
        """Write or delete the finding's row; (False, why) when it was left alone."""
        if finding.row is None:
            raise ValueError(f"{finding.source}: no source row to repair")
        columns, values = finding.row
        current = fetch_rows(self._engine, plan.table, [values], columns)
        seen = _seen(current[0]) if current else None
        if seen is not None and not _as_verified(seen, finding):
            return False, "the row changed since it was read"
        with self._engine.begin() as connection:
            if finding.actual is None:
                if seen is None:
                    return True, None
                key = [current[0][c.name] for c in plan.table.primary_key.columns]
                if delete_row(connection, plan.table, key, seen):
                    return True, None
                return False, "the row changed since it was read"
            target = finding.target if isinstance(finding.target, Target) else plan.targets[0]
            row = item_row(target, finding.actual, self._tables)
            newer = _newer_row(current[0] if current else None, row.values)
            if newer is not None:
                return False, newer
            if current:
                for column in plan.key_columns:
                    row.values.setdefault(column, current[0][column])
            written = write_row(
                connection,
                plan.table,
                self._tables,
                row,
                seen,
                target.compiled.children,
                self._allocate,
                self._has_id_blocks(),
            )
            return (True, None) if written else (False, "the row changed since it was read")

    def _has_id_blocks(self) -> bool:
        """Whether the store database has the id allocator's table (``dal db upgrade``)."""
        if self._id_blocks is None:
            with self._engine.connect() as connection:
                self._id_blocks = inspect(connection).has_table("dal_id_blocks")
        return self._id_blocks


def _identity(finding: Finding) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((name, str(value)) for name, value in finding.key.items()))


def _newer_row(current: Mapping[str, Any] | None, written: Mapping[str, Any]) -> str | None:
    """Why MySQL's row must not be replaced: it holds a newer version than the item."""
    if current is None or current.get("version") is None or written.get("version") is None:
        return None
    if current["version"] > written["version"]:
        have, want = current["version"], written["version"]
        return f"MySQL holds version {have}, newer than DynamoDB's {want}"
    return None


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
