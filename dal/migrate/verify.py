"""Verify: compare every MySQL row with its DynamoDB item(s), in both directions.

*Forward*: the MySQL table is read in key order a page at a time, each row is
turned into the items the contract says it should be, and those items are read
back with consistent BatchGetItem: an absent item is *missing in DynamoDB*, a
present one is compared field by field (*different*, or *denormalized* when only
fields the contract flags as snapshots differ).

*Reverse*: every DynamoDB table is scanned in parallel segments; each item is
traced back to its source row (:mod:`dal.migrate.identify`), the rows of a page
are fetched in one query and turned into items again, and an item whose row is
gone, or whose row now makes an item under another key (an email that
changed), is *missing in MySQL*.

Memory stays flat: one page per worker on either side.

*By key* (:meth:`Verifier.verify_keys`, the replay of repair log entries): only the
rows the keys select and the items they may hold are read, through the base
table's or a GSI's key made from the key's columns (:mod:`dal.migrate.keyreads`);
a table is scanned only for an item kind no such index finds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, Table

from adapters.dynamodb.batch import batch_get
from adapters.dynamodb.client import DynamoClient, Item, Key
from adapters.dynamodb.values import decode_value
from dal.contract import TemplateError
from dal.migrate.diff import FieldDifference, item_differences
from dal.migrate.identify import ItemIdentifier, Owner, group_by_columns
from dal.migrate.keyreads import KeyLookup, may_hold, target_lookup
from dal.migrate.plan import AnyGuard, RowItems, RowKey, SourcePlan, Target, UniqueTarget
from dal.migrate.progress import NoProgress, ProgressReporter
from dal.migrate.ranges import KeyRange
from dal.migrate.source import fetch_rows, pages
from dal.migrate.writer import WriteItem
from dal.routing.redaction import DEFAULT_SENSITIVE, Redactor, scrub_message
from dal.telemetry import Telemetry, default_telemetry
from interfaces import DalError

__all__ = [
    "EntityCounts",
    "Finding",
    "KeyFilter",
    "KeyedResult",
    "Kind",
    "ScannedItems",
    "Verifier",
    "VerifyOptions",
    "VerifyPart",
    "VerifyReport",
    "item_identity",
    "stored_items",
]

KeyFilter = tuple[tuple[str, ...], tuple[Any, ...]]
"""Rows of one entity selected by column values: (columns, values), such as
``(("id",), (7,))`` or ``(("user_id",), (3,))`` (every cart line of user 3)."""

_log = logging.getLogger(__name__)

UNKNOWN_ENTITY = "unknown"
"""The entity of an item no entity of the contract describes."""


class Kind(StrEnum):
    """What is wrong with one item."""

    MISSING_IN_DYNAMODB = "missing_in_dynamodb"
    MISSING_IN_MYSQL = "missing_in_mysql"
    DIFFERENT = "different"
    DENORMALIZED = "denormalized"
    UNMAPPABLE = "unmappable"


@dataclass(frozen=True)
class Finding:
    """One item on which the two sides disagree.

    ``key`` is the item's key (``{"PK": ..., "SK": ...}``), ``source`` names the
    MySQL row (``users 42``) when there is one. The rest is what a repair works
    from and is not reported: the items in wire form, the source row's key,
    what made the item (``target``).
    """

    entity: str
    kind: Kind
    table: str
    key: Mapping[str, Any]
    source: str | None = None
    differences: tuple[FieldDifference, ...] = ()
    detail: str | None = None
    expected: WriteItem | None = field(default=None, repr=False, compare=False)
    actual: Item | None = field(default=None, repr=False, compare=False)
    row: RowKey | None = field(default=None, repr=False, compare=False)
    target: Target | AnyGuard | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The finding as JSON-ready data."""
        data: dict[str, Any] = {
            "entity": self.entity,
            "kind": self.kind.value,
            "table": self.table,
            "key": {name: _shown_key(value) for name, value in self.key.items()},
            "source": self.source,
        }
        if self.differences:
            data["differences"] = [
                {"path": d.path, "mysql": d.mysql, "dynamodb": d.dynamodb} for d in self.differences
            ]
        if self.detail:
            data["detail"] = scrub_message(self.detail)
        return data


def _shown_key(value: Any) -> Any:
    """A key value as reports show it: an email in it (the store keys users by email) redacted."""
    return scrub_message(value) if isinstance(value, str) else value


@dataclass
class EntityCounts:
    """How many rows and items of one entity were checked, and what was found."""

    rows: int = 0
    items: int = 0
    scanned: int = 0
    found: dict[str, int] = field(default_factory=lambda: {kind.value: 0 for kind in Kind})


@dataclass(frozen=True)
class VerifyOptions:
    """Which entities to verify, how many scan segments, what to redact."""

    entities: tuple[str, ...] = ()
    workers: int = 4
    page_size: int = 500
    include_denormalized: bool = False
    sensitive: tuple[str, ...] = DEFAULT_SENSITIVE


@dataclass
class VerifyReport:
    """Every finding, and counts per entity."""

    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, EntityCounts] = field(default_factory=dict)
    include_denormalized: bool = False

    def merge(self, other: VerifyReport) -> None:
        """Add ``other``'s findings and counts (the report of another part of the same run)."""
        self.findings.extend(other.findings)
        for name, theirs in other.counts.items():
            mine = self.counts.setdefault(name, EntityCounts())
            mine.rows += theirs.rows
            mine.items += theirs.items
            mine.scanned += theirs.scanned
            for kind, count in theirs.found.items():
                mine.found[kind] = mine.found.get(kind, 0) + count

    @property
    def failing(self) -> list[Finding]:
        """The findings that make verification fail."""
        return [
            f for f in self.findings if f.kind is not Kind.DENORMALIZED or self.include_denormalized
        ]

    @property
    def ok(self) -> bool:
        """Whether both sides agree (denormalized snapshots aside, unless included)."""
        return not self.failing

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "ok": self.ok,
            "include_denormalized": self.include_denormalized,
            "entities": {
                name: {"rows": c.rows, "items": c.items, "scanned": c.scanned, **c.found}
                for name, c in self.counts.items()
            },
            "findings": [finding.to_json() for finding in self.findings],
        }


def plain_key(key: Key) -> dict[str, Any]:
    """A key in plain values: ``{"PK": "a@x.io", "SK": "#META"}``."""
    return {name: decode_value(value) for name, value in key.items()}


class Verifier:
    """Compares the two sides for the plans it is given; thread-safe within one run.

    Each page of the forward pass is a span (``verify ENTITY batch``); its rows are
    counted in ``dal.migration.rows`` as read, its findings as failed.
    """

    def __init__(
        self,
        engine: Engine,
        client: DynamoClient,
        plans: Mapping[str, SourcePlan],
        tables: Mapping[str, Table],
        progress: ProgressReporter | None = None,
        telemetry: Telemetry | None = None,
    ) -> None:
        self._engine = engine
        self._client = client
        self._plans = plans
        self._tables = tables
        self._progress = progress or NoProgress()
        self._telemetry = telemetry if telemetry is not None else default_telemetry()
        self._lock = threading.Lock()
        self._identifier: ItemIdentifier | None = None

    @property
    def plans(self) -> Mapping[str, SourcePlan]:
        """Every plan, by store entity name."""
        return self._plans

    def run(self, options: VerifyOptions, chosen: Sequence[SourcePlan]) -> VerifyReport:
        """Verify ``chosen`` plans both ways."""
        report = VerifyReport(include_denormalized=options.include_denormalized)
        for plan in chosen:
            report.counts[plan.name] = EntityCounts()
        redactor = Redactor(options.sensitive)
        for plan in chosen:
            self._forward(plan, KeyRange(), options, report, redactor)
        self._reverse(chosen, options, report, range(max(1, options.workers)))
        return report

    def run_part(
        self,
        options: VerifyOptions,
        chosen: Sequence[SourcePlan],
        ranges: Mapping[str, KeyRange],
        part: VerifyPart,
    ) -> VerifyReport:
        """One part of a verification split in ``part.parts``: the rows of each plan's key
        range ``ranges[plan]`` forward, and scan segment ``part.part`` of each table back.

        The reports of every part, merged, are the report of :meth:`run`: forward
        findings come from rows, reverse findings from items, and each row is in one
        key range and each item in one scan segment.
        """
        report = VerifyReport(include_denormalized=options.include_denormalized)
        for plan in chosen:
            report.counts[plan.name] = EntityCounts()
        redactor = Redactor(options.sensitive)
        for plan in chosen:
            self._forward(plan, ranges[plan.name], options, report, redactor)
        scan = replace(options, workers=part.parts)
        self._reverse(chosen, scan, report, [part.part])
        return report

    # --- forward: MySQL -> DynamoDB -----------------------------------------------------------

    def _forward(
        self,
        plan: SourcePlan,
        key_range: KeyRange,
        options: VerifyOptions,
        report: VerifyReport,
        redactor: Redactor,
    ) -> None:
        name = f"verify {plan.name}"
        self._progress.start(name, None)
        telemetry = self._telemetry
        for rows in pages(self._engine, plan.table, key_range, options.page_size):
            span = telemetry.start_batch("verify", plan.name)
            with self._engine.connect() as connection:
                built = plan.build_page(connection, self._tables, rows)
            findings = self.compare_rows(plan, built, redactor)
            for finding in findings:
                self._add(report, finding)
            telemetry.end_batch(span, "verify", plan.name, read=len(built), failed=len(findings))
            counts = report.counts[plan.name]
            counts.rows += len(built)
            counts.items += sum(len(row.items) for row in built)
            self._progress.advance(name, len(built))
        self._progress.finish(name)

    def compare_rows(
        self, plan: SourcePlan, built: Sequence[RowItems], redactor: Redactor
    ) -> list[Finding]:
        """Findings for rows already turned into items: unmappable, missing, different."""
        expected = [item for row in built for item in row.items]
        return self._compare_built(plan, built, self.stored(expected), redactor)

    def _compare_built(
        self,
        plan: SourcePlan,
        built: Sequence[RowItems],
        stored: Mapping[tuple[str, str], Item],
        redactor: Redactor,
    ) -> list[Finding]:
        """:meth:`compare_rows` with the stored items already read."""
        findings = [
            Finding(
                plan.name,
                Kind.UNMAPPABLE,
                plan.table.name,
                {},
                row.label,
                detail=row.error,
                row=(plan.key_columns, row.key),
            )
            for row in built
            if row.error is not None
        ]
        expected = [item for row in built for item in row.items]
        return findings + self._compare_items(plan, expected, stored, redactor)

    def _compare_items(
        self,
        plan: SourcePlan,
        expected: Sequence[WriteItem],
        stored: Mapping[tuple[str, str], Item],
        redactor: Redactor,
    ) -> list[Finding]:
        findings: list[Finding] = []
        for item in expected:
            actual = stored.get(_identity(item.table, item.key))
            findings.extend(self._compare(plan, item, actual, redactor))
        return findings

    def stored(self, items: Sequence[WriteItem]) -> dict[tuple[str, str], Item]:
        """The items DynamoDB holds under the keys of ``items`` (consistent reads)."""
        return stored_items(self._client, items)

    def _compare(
        self, plan: SourcePlan, item: WriteItem, actual: Item | None, redactor: Redactor
    ) -> list[Finding]:
        key = plain_key(item.key)
        if actual is None:
            return [
                Finding(
                    plan.name,
                    Kind.MISSING_IN_DYNAMODB,
                    item.table,
                    key,
                    item.label,
                    (),
                    None,
                    item,
                    row=item.row,
                )
            ]
        differences = item_differences(
            item.item, actual, denormalized=plan.denormalized, redactor=redactor
        )
        if not differences:
            return []
        only_snapshots = all(d.denormalized for d in differences)
        kind = Kind.DENORMALIZED if only_snapshots else Kind.DIFFERENT
        return [
            Finding(
                plan.name,
                kind,
                item.table,
                key,
                item.label,
                tuple(differences),
                expected=item,
                actual=actual,
                row=item.row,
            )
        ]

    # --- reverse: DynamoDB -> MySQL -----------------------------------------------------------

    def _reverse(
        self,
        chosen: Sequence[SourcePlan],
        options: VerifyOptions,
        report: VerifyReport,
        wanted: Sequence[int],
    ) -> None:
        """Scan segments ``wanted`` of ``options.workers`` of every table of ``chosen``."""
        scan = _Scan(
            ItemIdentifier(self._plans.values()),
            {plan.name for plan in chosen},
            everything=len(chosen) == len(self._plans),
            report=report,
        )
        tables = sorted({t for plan in chosen for t in plan.table_names})
        segments = max(1, options.workers)
        with ThreadPoolExecutor(segments, thread_name_prefix="verify-scan") as pool:
            futures = [
                pool.submit(self._scan_segment, scan, table, segment, segments)
                for table in tables
                for segment in wanted
            ]
            for future in futures:
                future.result()

    def _scan_segment(self, scan: _Scan, table: str, segment: int, segments: int) -> None:
        request = {
            "TableName": table,
            "Segment": segment,
            "TotalSegments": segments,
            "ConsistentRead": True,
        }
        identifier = scan.identifier
        for page, _ in self._client.pages("Scan", request):
            owned: list[tuple[Item, Owner]] = []
            for item in page:
                owner = identifier.owner(table, item)
                if owner is None:
                    if scan.everything:
                        self._add(scan.report, _unknown(table, identifier.key(table, item), item))
                elif owner.plan.name in scan.wanted:
                    owned.append((item, owner))
            for finding in self.extras(table, owned, identifier):
                self._add(scan.report, finding)
            with self._lock:
                for _, owner in owned:
                    scan.report.counts[owner.plan.name].scanned += 1

    def _extras_of(
        self,
        held_by: Mapping[KeyFilter, Sequence[tuple[str, Item, Owner, dict[str, Any]]]],
        identifier: ItemIdentifier,
    ) -> list[Finding]:
        """:meth:`extras` of the items every key holds, each table's items checked at once."""
        by_table: dict[str, dict[tuple[str, str], tuple[Item, Owner]]] = {}
        for owned in held_by.values():
            for table, item, owner, _ in owned:
                identity = _identity(table, identifier.key(table, item))
                by_table.setdefault(table, {})[identity] = (item, owner)
        findings: list[Finding] = []
        for table, pairs in by_table.items():
            findings += self.extras(table, list(pairs.values()), identifier)
        return findings

    def extras(
        self, table: str, owned: Sequence[tuple[Item, Owner]], identifier: ItemIdentifier
    ) -> list[Finding]:
        """Items whose source row is gone or now makes an item under another key."""
        expected: set[tuple[str, str]] = set()
        by_plan: dict[str, list[Owner]] = {}
        for _, owner in owned:
            by_plan.setdefault(owner.plan.name, []).append(owner)
        for owners in by_plan.values():
            plan = owners[0].plan
            for columns, group in group_by_columns(owners).items():
                keys = list({owner.values for owner in group})
                rows = fetch_rows(self._engine, plan.table, keys, columns)
                with self._engine.connect() as connection:
                    built = plan.build_page(connection, self._tables, rows)
                expected |= {_identity(i.table, i.key) for row in built for i in row.items}
        findings = []
        for item, owner in owned:
            key = identifier.key(table, item)
            if _identity(table, key) not in expected:
                source = owner.plan.label(owner.values, owner.columns)
                findings.append(
                    Finding(
                        owner.plan.name,
                        Kind.MISSING_IN_MYSQL,
                        table,
                        plain_key(key),
                        source,
                        actual=item,
                        row=(owner.columns, owner.values),
                        target=owner.target,
                    )
                )
        return findings

    # --- by key: only the rows and items of given keys ----------------------------------------

    def scan_items(self, chosen: Sequence[SourcePlan], workers: int = 4) -> ScannedItems:
        """Every item of ``chosen`` plans in their DynamoDB tables (consistent scans)."""
        identifier = ItemIdentifier(self._plans.values())
        wanted = {plan.name for plan in chosen}
        scanned = ScannedItems(identifier)

        def keep(table: str, item: Item) -> None:
            found = identifier.owner_row(table, item)
            if found is not None and found[0].plan.name in wanted:
                scanned.add(table, item, *found)

        self._parallel_scan(sorted({t for plan in chosen for t in plan.table_names}), workers, keep)
        return scanned

    def _parallel_scan(
        self, tables: Sequence[str], workers: int, visit: Callable[[str, Item], None]
    ) -> None:
        """Call ``visit(table, item)`` for every item of ``tables``: consistent scans of
        ``workers`` segments per table, run at once (``visit`` runs on their threads)."""
        segments = max(1, workers)

        def scan(table: str, segment: int) -> None:
            request = {
                "TableName": table,
                "Segment": segment,
                "TotalSegments": segments,
                "ConsistentRead": True,
            }
            for page, _ in self._client.pages("Scan", request):
                for item in page:
                    visit(table, item)

        with ThreadPoolExecutor(segments, thread_name_prefix="verify-scan") as pool:
            futures = [
                pool.submit(scan, table, segment) for table in tables for segment in range(segments)
            ]
            for future in futures:
                future.result()

    def held_items(
        self,
        plan: SourcePlan,
        keys: Sequence[KeyFilter],
        stored: Mapping[tuple[str, str], Item],
        workers: int = 4,
        scans: dict[str, list[tuple[str, Item]]] | None = None,
    ) -> ScannedItems:
        """The items of ``plan`` that the rows ``keys`` select may hold, read by key.

        ``keys`` all name the same columns; ``stored`` holds the items the keys' current
        MySQL rows make (read by key already). To those are added, for each target of the
        plan whose items can hold the columns at all (:func:`~dal.migrate.keyreads.may_hold`):
        the items of the partition of the base table or GSI made from the key's columns, one
        Query per key, ``workers`` at once (consistent on the base table; a GSI's answers are
        read again by key, consistently). An item left behind by a deleted row or a changed
        key (a user's email) is found there. The guard items of unique values (a username)
        are read by the keys the rows those items hold make. Only an item kind with no such
        index (or guards when no item of the row is found by key) falls back to a scan of
        its table, logged at debug level: the items of ``plan`` in it are kept; ``scans``
        keeps each table scanned, by name, for the next calls of the same pass. (A guard
        item whose value no item of its row holds any more, which the layer never writes,
        is left to a full verify. A GSI is eventually consistent: an item written less than
        the index's propagation delay ago, whose row is already gone, may not be found yet.)

        Items a scan would not give back for a key are dropped by the caller
        (:meth:`ScannedItems.matching_many`), so what a key holds is what
        :meth:`scan_items` would give for it, at the cost of the keys, not of the tables.
        """
        identifier = self._item_identifier()
        columns = tuple(keys[0][0]) if keys else ()
        lookups: list[KeyLookup] = []
        to_scan: set[str] = set()
        guards: list[AnyGuard] = []
        for target in plan.targets:
            if not may_hold(target, columns):
                continue
            lookup = target_lookup(plan, target, columns)
            if lookup is None:
                to_scan.add(target.table_name)
            elif lookup not in lookups:
                lookups.append(lookup)
        for guard in plan.guards:
            if may_hold(guard, columns):
                guards.append(guard)
        if guards and not lookups:
            # no item of the row found by key to tell the values its guards were made of
            to_scan |= {guard.table_name for guard in guards}
            guards = []
        requests: list[tuple[KeyLookup, dict[str, Any]]] = []
        for lookup in lookups:
            if lookup.table in to_scan:
                continue
            try:
                made = [lookup.request(dict(zip(columns, key[1], strict=True))) for key in keys]
            except (DalError, TemplateError, KeyError, TypeError, ValueError) as error:
                _log.debug(
                    "%s: no %s key from %s (%s); scanning %s",
                    plan.name,
                    lookup.index or "table",
                    ",".join(columns),
                    error,
                    lookup.table,
                )
                to_scan.add(lookup.table)
                continue
            requests += [(lookup, request) for request in made]
        found: dict[tuple[str, str], tuple[str, Item]] = {
            identity: (identity[0], item) for identity, item in stored.items()
        }
        if to_scan:
            _log.debug(
                "%s: no index on %s for every item kind; scanning %s",
                plan.name,
                ",".join(columns),
                ", ".join(sorted(to_scan)),
            )
            kept = scans if scans is not None else {}
            missing = sorted(to_scan - set(kept))
            for name in missing:
                kept[name] = []
            for table, item in self._scan_tables(missing, workers):
                kept[table].append((table, item))
            for name in sorted(to_scan):
                for table, item in kept[name]:
                    found[_identity(table, identifier.key(table, item))] = (table, item)
        for table, item in self._query_all(
            [(lookup, request) for lookup, request in requests if lookup.table not in to_scan],
            identifier,
            workers,
        ):
            found[_identity(table, identifier.key(table, item))] = (table, item)
        owned = self._owned(plan, found, identifier)
        if guards:
            wanted = [g for g in self._guards_of(plan, guards, owned) if g.table not in to_scan]
            for identity, item in self.stored(wanted).items():
                found[identity] = (identity[0], item)
            owned = self._owned(plan, found, identifier)
        held = ScannedItems(identifier)
        for table, item, owner, row in owned:
            held.add(table, item, owner, row)
        return held

    def _owned(
        self,
        plan: SourcePlan,
        found: Mapping[tuple[str, str], tuple[str, Item]],
        identifier: ItemIdentifier,
    ) -> list[tuple[str, Item, Owner, dict[str, Any]]]:
        """The items of ``found`` that rows of ``plan`` own, with their owner and columns."""
        owned = []
        for identity in sorted(found):
            table, item = found[identity]
            owner_row = identifier.owner_row(table, item)
            if owner_row is not None and owner_row[0].plan.name == plan.name:
                owned.append((table, item, *owner_row))
        return owned

    def _guards_of(
        self,
        plan: SourcePlan,
        guards: Sequence[AnyGuard],
        owned: Sequence[tuple[str, Item, Owner, dict[str, Any]]],
    ) -> list[WriteItem]:
        """The guard items the rows held by ``owned`` items make (the unique values an item
        left behind by a deleted row, or a row since changed, still holds)."""
        made: list[WriteItem] = []
        for _, _, owner, row in owned:
            if isinstance(owner.target, UniqueTarget):
                continue
            source = (owner.columns, owner.values)
            label = plan.label(owner.values, owner.columns)
            for guard in guards:
                try:
                    item = guard.build(row, label, source)
                except (DalError, TemplateError, KeyError, TypeError, ValueError):
                    continue
                if item is not None:
                    made.append(item)
        return made

    def _query_all(
        self,
        requests: Sequence[tuple[KeyLookup, dict[str, Any]]],
        identifier: ItemIdentifier,
        workers: int,
    ) -> list[tuple[str, Item]]:
        """Every item the Queries ``requests`` find, ``workers`` at once; the items a GSI
        gave read again by key, consistently (gone ones dropped)."""
        if not requests:
            return []

        def query(request: dict[str, Any]) -> list[Item]:
            return [item for page, _ in self._client.pages("Query", request) for item in page]

        with ThreadPoolExecutor(
            max(1, min(workers, len(requests))), thread_name_prefix="verify-query"
        ) as pool:
            answers = list(pool.map(query, [request for _, request in requests]))
        found: list[tuple[str, Item]] = []
        again: dict[str, dict[tuple[str, str], Key]] = {}
        for (lookup, _), items in zip(requests, answers, strict=True):
            for item in items:
                key = identifier.key(lookup.table, item)
                if lookup.index is None:
                    found.append((lookup.table, item))
                else:
                    again.setdefault(lookup.table, {})[_identity(lookup.table, key)] = key
        for table, keys in again.items():
            for item in batch_get(self._client, table, list(keys.values()), consistent=True):
                found.append((table, item))
        return found

    def _scan_tables(self, tables: Sequence[str], workers: int) -> list[tuple[str, Item]]:
        """The items of every entity in ``tables`` (consistent parallel scans)."""
        identifier = self._item_identifier()
        found: list[tuple[str, Item]] = []

        def keep(table: str, item: Item) -> None:
            if identifier.owner(table, item) is not None:
                with self._lock:
                    found.append((table, item))

        self._parallel_scan(tables, workers, keep)
        return found

    def _item_identifier(self) -> ItemIdentifier:
        if self._identifier is None:
            self._identifier = ItemIdentifier(self._plans.values())
        return self._identifier

    def verify_keys(
        self,
        plan: SourcePlan,
        keys: Sequence[KeyFilter],
        scanned: ScannedItems | None,
        redactor: Redactor,
        workers: int = 4,
        scans: dict[str, list[tuple[str, Item]]] | None = None,
    ) -> dict[KeyFilter, KeyedResult]:
        """Compare only the rows and items of ``plan`` that ``keys`` select, both ways.

        The items the keys hold are read by key (:meth:`held_items`: the items of the
        current rows, and a Query per key on an index made from the key's columns; a scan
        only of a table with no such index) when ``scanned`` is None, or taken from
        ``scanned`` (:meth:`scan_items`, taken after the last write that matters);
        ``scans`` shares the tables scanned between the calls of one pass. Each
        key gets its findings, the MySQL rows it selects and the rows its items hold.
        """
        results: dict[KeyFilter, KeyedResult] = {}
        by_columns: dict[tuple[str, ...], list[KeyFilter]] = {}
        for key in keys:
            by_columns.setdefault(tuple(key[0]), []).append(key)
        for columns, chosen in by_columns.items():
            # one query, one page and one batch of reads for every key on these columns
            rows = fetch_rows(self._engine, plan.table, [values for _, values in chosen], columns)
            with self._engine.connect() as connection:
                built = plan.build_page(connection, self._tables, rows)
            stored = self.stored([item for row in built for item in row.items])
            items = scanned
            if items is None:
                items = self.held_items(plan, chosen, stored, workers, scans)
            held_by = items.matching_many(plan.name, chosen)
            extras = self._extras_of(held_by, items.identifier)
            for key in chosen:
                values = key[1]
                mine = [
                    number
                    for number, row in enumerate(rows)
                    if all(
                        _same(row.get(column), value)
                        for column, value in zip(columns, values, strict=True)
                    )
                ]
                findings = self._compare_built(plan, [built[n] for n in mine], stored, redactor)
                owned = held_by[key]
                ids = {
                    _plain_identity(table, plain_key(items.identifier.key(table, item)))
                    for table, item, *_ in owned
                }
                findings += [f for f in extras if _plain_identity(f.table, f.key) in ids]
                held = [row for _, _, _, row in owned]
                results[key] = KeyedResult(findings, [rows[n] for n in mine], held)
        return results

    def _add(self, report: VerifyReport, finding: Finding) -> None:
        with self._lock:
            report.findings.append(finding)
            counts = report.counts.setdefault(finding.entity, EntityCounts())
            counts.found[finding.kind.value] += 1


@dataclass(frozen=True)
class VerifyPart:
    """Part ``part`` (0-based) of a verification split in ``parts``."""

    part: int
    parts: int


@dataclass(frozen=True)
class _Scan:
    """What every segment of the reverse scan shares."""

    identifier: ItemIdentifier
    wanted: set[str]
    everything: bool
    report: VerifyReport


@dataclass
class KeyedResult:
    """What a comparison by key found: findings, the MySQL rows, the rows the items hold."""

    findings: list[Finding]
    rows: list[dict[str, Any]]
    held: list[dict[str, Any]]


class ScannedItems:
    """Items of some entities, each with its source row's owner and the columns it holds."""

    def __init__(self, identifier: ItemIdentifier) -> None:
        self.identifier = identifier
        self._items: dict[str, list[tuple[str, Item, Owner, dict[str, Any]]]] = {}
        self._lock = threading.Lock()

    def add(self, table: str, item: Item, owner: Owner, row: dict[str, Any]) -> None:
        """Keep one scanned item."""
        with self._lock:
            self._items.setdefault(owner.plan.name, []).append((table, item, owner, row))

    def matching_many(
        self, entity: str, keys: Sequence[KeyFilter]
    ) -> dict[KeyFilter, list[tuple[str, Item, Owner, dict[str, Any]]]]:
        """:meth:`matching` for every key of ``keys``, the items indexed once per columns."""
        found: dict[KeyFilter, list[tuple[str, Item, Owner, dict[str, Any]]]] = {}
        indexes: dict[tuple[str, ...], dict[tuple[str, ...], list[Any]]] = {}
        for key in keys:
            columns, values = tuple(key[0]), key[1]
            index = indexes.get(columns)
            if index is None:
                index = {}
                for entry in self._items.get(entity, ()):
                    row = entry[3]
                    if all(column in row for column in columns):
                        shown = tuple(str(row[column]) for column in columns)
                        index.setdefault(shown, []).append(entry)
                indexes[columns] = index
            candidates = index.get(tuple(str(value) for value in values), [])
            found[key] = [
                entry
                for entry in candidates
                if all(
                    _same(entry[3][column], value)
                    for column, value in zip(columns, values, strict=True)
                )
            ]
        return found

    def matching(
        self, entity: str, key: KeyFilter
    ) -> list[tuple[str, Item, Owner, dict[str, Any]]]:
        """The items of ``entity`` whose columns hold ``key``'s values."""
        columns, values = key
        found = []
        for entry in self._items.get(entity, ()):
            row = entry[3]
            if all(
                column in row and _same(row[column], value)
                for column, value in zip(columns, values, strict=True)
            ):
                found.append(entry)
        return found


def _same(have: Any, want: Any) -> bool:
    if have == want:
        return True
    return str(have) == str(want)


def stored_items(client: DynamoClient, items: Sequence[WriteItem]) -> dict[tuple[str, str], Item]:
    """The items DynamoDB holds under the keys of ``items`` (consistent reads), by
    :func:`item_identity`."""
    by_table: dict[str, list[Key]] = {}
    for item in items:
        by_table.setdefault(item.table, []).append(item.key)
    found: dict[tuple[str, str], Item] = {}
    for table, keys in by_table.items():
        for stored in batch_get(client, table, keys, consistent=True):
            key = {name: stored[name] for name in keys[0]}
            found[_identity(table, key)] = stored
    return found


def item_identity(table: str, key: Mapping[str, Any]) -> tuple[str, str]:
    """The identity of the item ``key`` of ``table``, as :func:`stored_items` keys it."""
    return _identity(table, key)


def _identity(table: str, key: Mapping[str, Any]) -> tuple[str, str]:
    parts = [f"{name}={next(iter(value.values()))}" for name, value in sorted(key.items())]
    return table, "|".join(parts)


def _plain_identity(table: str, key: Mapping[str, Any]) -> tuple[str, str]:
    """The identity of an item by its key in plain values (a finding's ``key``)."""
    return table, "|".join(f"{name}={value}" for name, value in sorted(key.items()))


def _unknown(table: str, key: Key, item: Item) -> Finding:
    return Finding(
        UNKNOWN_ENTITY,
        Kind.MISSING_IN_MYSQL,
        table,
        plain_key(key),
        None,
        detail="no entity of the contract describes this item",
        actual=item,
    )
