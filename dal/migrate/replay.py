"""Repair by entry: replay each open entry of the router's repair log by its own intent.

An entry says which entity and key a write was about, which side may lack it or
hold it wrongly (``side``) and which side was the truth when it was written
(``authoritative``). Replaying it makes ``side`` equal to what the authoritative
side holds *now* for that key, whatever today's flags say: the row or item is
copied through the contract (the same code the backfill and verify use), or
deleted on ``side`` when the authoritative side no longer holds it. So a write
the application rolled back is undone on the side that kept it, never brought
back, and a promotion since the entry was written changes nothing.

Only the entries' keys are read and written, plus the items derived from them in
other entities (a project's ``ticket_count`` counts tickets): after the rows,
every entity whose items are derived from a repaired table is verified for the
keys the repaired rows feed, and repaired in the same direction. A side holding a
newer version than the truth (or than the entry's, for a deletion) is never
overwritten: the entry stays open with the reason. An entry is done only when
its key, and what it feeds, verify equal afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from adapters.dynamodb.client import Item
from adapters.dynamodb.values import decode_value
from dal.migrate.derive import AggregateRule, ChainRule, JoinRule
from dal.migrate.plan import SourcePlan, UniqueTarget
from dal.migrate.repair import (
    DEFAULT_MAX_DELETE_SHARE,
    MassDeleteRefused,
    Outcome,
    RepairAction,
    Repairer,
    RepairOptions,
)
from dal.migrate.source import typed
from dal.migrate.verify import Finding, KeyedResult, KeyFilter, Kind, Verifier
from dal.routing.redaction import DEFAULT_SENSITIVE, Redactor
from dal.routing.repairlog import RepairEntry
from dal.routing.stages import Side

__all__ = [
    "EntryOutcome",
    "ReplayOptions",
    "ReplayReport",
    "Replayer",
    "deferred_drain",
    "key_filter",
]

_REDACTED = "<redacted:"


@dataclass(frozen=True)
class ReplayOptions:
    """How to replay: ``dry_run`` only plans; the mass-deletion guard as for a repair.

    ``recheck=False`` skips the second pass (verify again, repair guards and what
    changed meanwhile) when the first wrote no MySQL row: an entry whose item changed
    while it was repaired then stays open, to be replayed again (the drainer of
    deferred writes, which replays often).
    """

    dry_run: bool = False
    include_denormalized: bool = False
    workers: int = 4
    max_delete_share: float = DEFAULT_MAX_DELETE_SHARE
    allow_mass_delete: bool = False
    recheck: bool = True


@dataclass
class EntryOutcome:
    """One entry: whether it is done, why not, and what was done for its key."""

    entry: RepairEntry
    done: bool = False
    reason: str | None = None
    actions: list[RepairAction] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The outcome as JSON-ready data."""
        entry = self.entry
        return {
            "id": entry.id,
            "entity": entry.entity,
            "operation": entry.operation,
            "stage": entry.stage,
            "reason": entry.reason,
            "key": None if entry.entity_key is None else dict(entry.entity_key),
            "side": entry.side,
            "authoritative": entry.truth,
            "done": self.done,
            "open_because": self.reason,
            "actions": [action.to_json() for action in self.actions],
        }


@dataclass
class ReplayReport:
    """Every entry's outcome, the actions on derived items, and a dry run's refusal."""

    entries: list[EntryOutcome] = field(default_factory=list)
    derived: list[RepairAction] = field(default_factory=list)
    refused: MassDeleteRefused | None = None

    @property
    def actions(self) -> list[RepairAction]:
        """Every action, the entries' and the derived items'."""
        return [a for outcome in self.entries for a in outcome.actions] + self.derived

    @property
    def done_ids(self) -> list[str]:
        """The ids of the entries that are done."""
        return [outcome.entry.id for outcome in self.entries if outcome.done]

    @property
    def ok(self) -> bool:
        """Whether every entry is done."""
        return all(outcome.done for outcome in self.entries)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "ok": self.ok,
            "entries": [outcome.to_json() for outcome in self.entries],
            "derived": [action.to_json() for action in self.derived],
            "refused": None if self.refused is None else str(self.refused),
        }


def key_filter(plan: SourcePlan, key: Mapping[str, Any] | None) -> KeyFilter | str:
    """The rows of ``plan`` an entry's ``key`` selects, or why it selects none.

    Key fields are the table's columns (``{"id": 7}``, ``{"user_id": 1,
    "product_id": 2}``, or ``{"user_id": 1}`` for every line of a cart); a single
    ``*_id`` field of an entity with a one-column key is that key (``user_id`` of
    ``users``).
    """
    if not key:
        return "the entry names no key"
    if any(isinstance(v, str) and v.startswith(_REDACTED) for v in key.values()):
        return f"the entry's key {dict(key)} is redacted"
    table = plan.table
    names = list(key)
    if not all(name in table.c for name in names):
        if len(names) == 1 and len(plan.key_columns) == 1 and names[0].endswith("_id"):
            names = [plan.key_columns[0]]
            key = {names[0]: next(iter(key.values()))}
        else:
            return f"the entry's key {dict(key)} names no column of {table.name}"
    try:
        values = tuple(typed(table, name, key[name]) for name in names)
    except (TypeError, ValueError) as error:
        return f"the entry's key {dict(key)} does not fit {table.name}: {error}"
    return tuple(names), values


@dataclass
class _Group:
    """Entries about one key, replayed in one direction."""

    plan: SourcePlan
    key: KeyFilter
    side: Side
    outcomes: list[EntryOutcome]
    version: int | None = None
    skipped: list[str] = field(default_factory=list)
    feeds: set[tuple[str, KeyFilter]] = field(default_factory=set)


@dataclass(frozen=True)
class _Dependent:
    """Items of ``plan`` derived from rows of ``table``: ``local`` columns hold their ``remote``."""

    plan: SourcePlan
    table: str
    local: tuple[str, ...]
    remote: tuple[str, ...]


class Replayer:
    """Replays repair log entries by key; see the module documentation."""

    def __init__(
        self,
        repairer: Repairer,
        verifier: Verifier,
        sensitive: tuple[str, ...] = DEFAULT_SENSITIVE,
    ) -> None:
        self._repairer = repairer
        self._verifier = verifier
        self._redactor = Redactor(sensitive)
        self._dependents = _dependents(verifier.plans.values())

    def run(self, entries: Sequence[RepairEntry], options: ReplayOptions) -> ReplayReport:
        """Replay ``entries``; raises :class:`MassDeleteRefused` before writing anything."""
        report = ReplayReport()
        groups = self._groups(entries, report)
        if not groups:
            return report
        checked = self._check(groups, options)
        sided = [(f, g.side) for g in groups for f in self._planned(g, checked[id(g)])]
        guard = RepairOptions(
            dry_run=options.dry_run,
            max_delete_share=options.max_delete_share,
            allow_mass_delete=options.allow_mass_delete,
        )
        report.refused = self._repairer.check_deletions(sided, guard)
        for group in groups:
            result = checked[id(group)]
            group.feeds = self._feeds(group, result)
        wrote_rows = self._apply(
            groups, checked, options.dry_run, rows=True, workers=options.workers
        )
        if options.dry_run:
            return report
        if wrote_rows or options.recheck:
            # guards after rows, and the items the repaired rows feed
            checked = self._check(groups, options)
            self._apply(groups, checked, False, rows=False, workers=options.workers)
            for group in groups:
                group.feeds |= self._feeds(group, checked[id(group)])
        report.derived = self._derive(groups, options)
        self._conclude(groups, options)
        return report

    # --- entries into groups ---------------------------------------------------------------

    def _groups(self, entries: Sequence[RepairEntry], report: ReplayReport) -> list[_Group]:
        groups: dict[tuple[str, KeyFilter, Side], _Group] = {}
        for entry in entries:
            outcome = EntryOutcome(entry)
            report.entries.append(outcome)
            plan = self._verifier.plans.get(entry.entity)
            if plan is None:
                outcome.reason = f"no entity {entry.entity} in the contract"
                continue
            key = key_filter(plan, entry.entity_key)
            if isinstance(key, str):
                outcome.reason = key
                continue
            side = Side(entry.side)
            group = groups.setdefault((plan.name, key, side), _Group(plan, key, side, []))
            group.outcomes.append(outcome)
            if entry.version is not None:
                group.version = max(group.version or 0, entry.version)
        return list(groups.values())

    # --- verifying by key ------------------------------------------------------------------

    def _check(
        self,
        groups: Sequence[_Group],
        options: ReplayOptions,
    ) -> dict[int, KeyedResult]:
        wanted = [(g.plan, g.key) for g in groups]
        results = self._verify_all(wanted, options)
        return {id(g): results[(g.plan.name, g.key)] for g in groups}

    def _verify_all(
        self,
        wanted: Sequence[tuple[SourcePlan, KeyFilter]],
        options: ReplayOptions,
    ) -> dict[tuple[str, KeyFilter], KeyedResult]:
        """Verify every (plan, key), the keys of one plan together (a query and a batch of
        reads for them all); their items are read by key
        (:meth:`~dal.migrate.verify.Verifier.held_items`), a table scanned only for an item
        kind no index on the key's columns finds."""
        by_plan: dict[str, tuple[SourcePlan, list[KeyFilter]]] = {}
        for plan, key in wanted:
            keys = by_plan.setdefault(plan.name, (plan, []))[1]
            if key not in keys:
                keys.append(key)
        found: dict[tuple[str, KeyFilter], KeyedResult] = {}
        scans: dict[str, list[tuple[str, Item]]] = {}  # a table scanned once per pass at most
        for name, (plan, keys) in by_plan.items():
            results = self._verifier.verify_keys(
                plan, keys, None, self._redactor, options.workers, scans
            )
            for key, result in results.items():
                if not options.include_denormalized:
                    result.findings = [
                        f for f in result.findings if f.kind is not Kind.DENORMALIZED
                    ]
                found[(name, key)] = result
        return found

    def _planned(self, group: _Group, result: KeyedResult) -> list[Finding]:
        """The findings a group repairs; no deletion at all when ``side`` holds a newer version.

        The entity stays whole on ``side``: its guard items (which carry no version) are
        kept along with the item or row that is newer.
        """
        reasons = [self._newer_than_entry(group, finding, result) for finding in result.findings]
        newer = [reason for reason in reasons if reason is not None]
        for reason in newer:
            if reason not in group.skipped:
                group.skipped.append(reason)
        if not newer:
            return list(result.findings)
        return [f for f in result.findings if not _deletes(f, group.side)]

    def _newer_than_entry(self, group: _Group, finding: Finding, result: KeyedResult) -> str | None:
        """Why a deletion on the group's side must not happen: it holds a newer version."""
        if group.version is None:
            return None
        deletes_item = finding.expected is None and finding.actual is not None
        if (group.side is Side.NEW or _guard(finding)) and deletes_item:
            stored = finding.actual or {}
            if "version" in stored and decode_value(stored["version"]) > group.version:
                have = decode_value(stored["version"])
                return f"DynamoDB holds version {have}, newer than the entry's {group.version}"
        if group.side is Side.OLD and finding.actual is None and not _guard(finding):
            for row in result.rows:
                if row.get("version") is not None and row["version"] > group.version:
                    have = row["version"]
                    return f"MySQL holds version {have}, newer than the entry's {group.version}"
        return None

    # --- repairing -------------------------------------------------------------------------

    def _apply(
        self,
        groups: Sequence[_Group],
        checked: Mapping[int, KeyedResult],
        dry_run: bool,
        rows: bool,
        workers: int = 1,
    ) -> bool:
        """Repair the groups' findings: MySQL rows first (all groups at once, in foreign-key
        order), then DynamoDB items (each a conditional write of its own, ``workers`` at
        once); guard items only once the rows are written. Returns whether MySQL rows were
        repaired."""
        to_mysql: list[tuple[_Group, Finding]] = []
        for group in groups:
            for finding in self._planned(group, checked[id(group)]):
                if group.side is Side.OLD and not _guard(finding):
                    to_mysql.append((group, finding))
        if rows and to_mysql:
            owners = {id(f): g for g, f in to_mysql}
            plans = {g.plan.name: g.plan for g, _ in to_mysql}
            actions = self._repairer.repair_mysql([f for _, f in to_mysql], plans, dry_run)
            for action in actions:
                owners[id(action.finding)].outcomes[0].actions.append(action)
        wrote_rows = bool(rows and to_mysql)
        to_dynamodb: list[tuple[_Group, Finding]] = []
        for group in groups:
            for finding in self._planned(group, checked[id(group)]):
                guard = _guard(finding)
                if group.side is Side.NEW or (guard and (not rows or not to_mysql)):
                    to_dynamodb.append((group, finding))
        if not to_dynamodb:
            return wrote_rows
        with ThreadPoolExecutor(max(1, min(workers, len(to_dynamodb)))) as pool:
            done = list(
                pool.map(
                    lambda f: self._repairer.repair_dynamodb(f, dry_run),
                    [f for _, f in to_dynamodb],
                )
            )
        for (group, _), action in zip(to_dynamodb, done, strict=True):
            group.outcomes[0].actions.append(action)
        return wrote_rows

    def _feeds(self, group: _Group, result: KeyedResult) -> set[tuple[str, KeyFilter]]:
        """The keys of derived items the group's rows feed: before and after the repair."""
        images = list(result.rows) + list(result.held)
        feeds: set[tuple[str, KeyFilter]] = set()
        for dependent in self._dependents:
            if dependent.table != group.plan.table.name:
                continue
            for image in images:
                values = tuple(image.get(column) for column in dependent.remote)
                if any(value is None for value in values):
                    continue
                table = dependent.plan.table
                try:
                    key = tuple(
                        typed(table, c, v) for c, v in zip(dependent.local, values, strict=True)
                    )
                except (TypeError, ValueError):
                    continue
                feed = (dependent.plan.name, (dependent.local, key))
                if feed != (group.plan.name, group.key):
                    feeds.add(feed)
        return feeds

    def _derive(self, groups: Sequence[_Group], options: ReplayOptions) -> list[RepairAction]:
        """Verify and repair, in each group's direction, the derived items its rows feed."""
        wanted: dict[tuple[str, KeyFilter], Side] = {}
        for group in groups:
            for feed in sorted(group.feeds, key=repr):
                wanted.setdefault(feed, group.side)
        if not wanted:
            return []
        plans = self._verifier.plans
        actions: list[RepairAction] = []
        to_mysql: list[Finding] = []
        results = self._verify_all([(plans[n], k) for n, k in wanted], options)
        for (name, key), side in wanted.items():
            result = results[(name, key)]
            for finding in result.findings:
                if side is Side.OLD and not _guard(finding):
                    to_mysql.append(finding)
                else:
                    actions.append(self._repairer.repair_dynamodb(finding, options.dry_run))
        if to_mysql:
            chosen = {f.entity: plans[f.entity] for f in to_mysql}
            actions += self._repairer.repair_mysql(to_mysql, chosen, options.dry_run)
        return actions

    def _conclude(self, groups: Sequence[_Group], options: ReplayOptions) -> None:
        """An entry is done when its key, and every key it feeds, verify equal."""
        plans = self._verifier.plans
        feeds = {feed for group in groups for feed in group.feeds}
        keys = sorted({(g.plan.name, g.key) for g in groups} | feeds, key=repr)
        results = self._verify_all([(plans[n], k) for n, k in keys], options)
        differing = {pair: result.findings for pair, result in results.items()}
        for group in groups:
            left = differing[(group.plan.name, group.key)]
            fed = [f for feed in sorted(group.feeds, key=repr) for f in differing[feed]]
            reason = None
            if group.skipped:
                reason = "; ".join(group.skipped)
            elif left:
                reason = _why(left, group.outcomes[0].actions, "still differs")
            elif fed:
                reason = _why(fed, [], "a derived item still differs")
            for outcome in group.outcomes:
                outcome.done = reason is None
                outcome.reason = reason


def deferred_drain(
    replayer: Replayer, workers: int = 4
) -> Callable[[Sequence[RepairEntry]], list[str]]:
    """The drain function of deferred secondary writes (:class:`dal.routing.deferred.Drainer`):
    replays a batch of entries with ``replayer`` and returns the ids of those done.

    The mass-deletion guard is off: every entry is a write the application made and
    the authoritative side committed, and replay deletes only on the entry's own key.
    No second pass when no MySQL row was written (``recheck=False``): an entry left
    open is replayed with the next batch.
    """
    options = ReplayOptions(workers=workers, allow_mass_delete=True, recheck=False)

    def drain(entries: Sequence[RepairEntry]) -> list[str]:
        return replayer.run(entries, options).done_ids

    return drain


def _why(findings: Sequence[Finding], actions: Sequence[RepairAction], what: str) -> str:
    failed = [a.detail for a in actions if a.outcome in (Outcome.FAILED, Outcome.SKIPPED)]
    first = findings[0]
    where = first.source or ", ".join(f"{k}={v}" for k, v in first.key.items())
    text = f"{what}: {first.kind.value} {first.entity} {where}"
    if failed and failed[0]:
        text += f" ({failed[0]})"
    return text


def _deletes(finding: Finding, side: Side) -> bool:
    """Whether repairing ``finding`` on ``side`` deletes a row or an item."""
    if side is Side.NEW or _guard(finding):
        return finding.expected is None and finding.actual is not None
    return finding.actual is None


def _guard(finding: Finding) -> bool:
    if finding.expected is not None:
        return finding.expected.guard
    return isinstance(finding.target, UniqueTarget)


def _dependents(plans: Any) -> list[_Dependent]:
    """Every (entity, table) pair where the entity's items are derived from the table's rows."""
    found: list[_Dependent] = []
    for plan in plans:
        for target in plan.targets:
            relations = []
            for rule in target.compiled.rules.values():
                if isinstance(rule, JoinRule | AggregateRule):
                    relations.append(rule.relation)
                elif isinstance(rule, ChainRule) and rule.steps:
                    relations.append(rule.steps[0][0])
            for relation in relations:
                dependent = _Dependent(plan, relation.target, relation.local, relation.remote)
                if dependent not in found:
                    found.append(dependent)
    return found
