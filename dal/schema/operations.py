"""Create, drop and describe the contract's tables on a DynamoDB endpoint.

Creation is idempotent and never loses data: a missing table is created
(on-demand billing, every index), an existing one gets the indexes it lacks
(one ``UpdateTable`` at a time), and anything else that differs from the
contract is reported as :class:`~dal.schema.errors.SchemaMismatch`, never
"fixed" by dropping. Dropping only touches the contract's tables with the
given prefix.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from dal.aws import aws_errors
from dal.contract import Contract, Table
from dal.schema.errors import SchemaError, SchemaMismatch, SchemaTimeout
from dal.schema.layout import (
    TableLayout,
    create_index_request,
    create_table_request,
    differences,
    expected_layout,
    live_layout,
    physical_name,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = [
    "DEFAULT_TIMEOUT",
    "TableReport",
    "create_tables",
    "describe",
    "drop_tables",
    "planned",
]

DEFAULT_TIMEOUT = 600.0
"""Seconds to wait for a table or index to become ACTIVE, or for a table to go away."""

_ACTIVE = "ACTIVE"
_DELETING = "DELETING"


@dataclass(frozen=True)
class TableReport:
    """A contract table next to what the endpoint has under its (prefixed) name."""

    table: Table
    expected: TableLayout
    live: TableLayout | None

    @property
    def name(self) -> str:
        """The physical (prefixed) table name."""
        return self.expected.name

    @property
    def exists(self) -> bool:
        """Whether the endpoint has the table."""
        return self.live is not None

    @property
    def differences(self) -> tuple[str, ...]:
        """What contradicts the contract (keys, key types, index keys or projections)."""
        return () if self.live is None else tuple(differences(self.expected, self.live))

    @property
    def missing_indexes(self) -> tuple[str, ...]:
        """Indexes of the contract the live table lacks (``dal schema create`` adds them)."""
        live = self.live
        if live is None:
            return tuple(index.name for index in self.expected.indexes)
        return tuple(i.name for i in self.expected.indexes if live.index(i.name) is None)

    @property
    def extra_indexes(self) -> tuple[str, ...]:
        """Indexes of the live table the contract does not know (left alone)."""
        if self.live is None:
            return ()
        return tuple(i.name for i in self.live.indexes if self.expected.index(i.name) is None)

    @property
    def in_sync(self) -> bool:
        """Whether the table exists, is ACTIVE and matches the contract completely."""
        live = self.live
        return (
            live is not None
            and live.status == _ACTIVE
            and all(index.status == _ACTIVE for index in live.indexes)
            and not self.differences
            and not self.missing_indexes
        )


def create_tables(
    client: DynamoDBClient,
    contract: Contract,
    prefix: str = "",
    *,
    wait: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    streams: bool = False,
) -> list[str]:
    """Create every table and index of ``contract`` that is missing; return the names changed.

    With ``streams`` every table gets a stream of new and old images (an existing
    table without one has it turned on), which ``dal cdc dynamodb`` reads.

    The returned list holds the physical names of the tables created or given an
    index, in contract order. With ``wait`` it returns once every table and index
    is ACTIVE. Raises :class:`SchemaMismatch` (after doing everything else) when
    existing tables contradict the contract.
    """
    with _errors(client):
        layouts = [expected_layout(table, prefix) for table in contract.tables]
        changed: list[str] = []
        existing: list[tuple[TableLayout, TableLayout]] = []
        for layout in layouts:
            live = _current(client, layout.name, timeout)
            if live is None and _create(client, layout, streams):
                changed.append(layout.name)
            else:
                if streams and _enable_stream(client, layout.name, timeout):
                    changed.append(layout.name)
                existing.append((layout, live or _require(client, layout.name)))
        mismatches: list[str] = []
        for layout, live in existing:
            found = differences(layout, live)
            mismatches.extend(f"{layout.name}: {difference}" for difference in found)
            if not found and _add_missing_indexes(client, layout, live, timeout):
                changed.append(layout.name)
        if wait:
            for layout in layouts:
                _wait_active(client, layout.name, timeout)
    if mismatches:
        raise SchemaMismatch(mismatches, _in_order(layouts, changed))
    return _in_order(layouts, changed)


def drop_tables(
    client: DynamoDBClient,
    contract: Contract,
    prefix: str = "",
    *,
    wait: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[str]:
    """Delete the contract's tables (with ``prefix``) that exist; return their names.

    Tables outside the contract are never touched. With ``wait`` it returns once
    they are gone.
    """
    names = [physical_name(prefix, table.name) for table in contract.tables]
    with _errors(client):
        dropped = [name for name in names if _delete(client, name, timeout)]
        if wait:
            for name in dropped:
                _wait_gone(client, name, timeout)
    return dropped


def describe(client: DynamoDBClient, contract: Contract, prefix: str = "") -> list[TableReport]:
    """Each contract table with what the endpoint has under its prefixed name."""
    with _errors(client):
        return [
            TableReport(report.table, report.expected, _describe(client, report.name))
            for report in planned(contract, prefix)
        ]


def planned(contract: Contract, prefix: str = "") -> list[TableReport]:
    """Each contract table with its expected layout only (no endpoint is asked)."""
    return [TableReport(table, expected_layout(table, prefix), None) for table in contract.tables]


# --- steps ---------------------------------------------------------------------------------


@contextmanager
def _errors(client: DynamoDBClient) -> Iterator[None]:
    with aws_errors(client.meta.endpoint_url, client.meta.region_name):
        yield


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _describe(client: DynamoDBClient, name: str) -> TableLayout | None:
    try:
        return live_layout(client.describe_table(TableName=name)["Table"])
    except client.exceptions.ResourceNotFoundException:
        return None


def _require(client: DynamoDBClient, name: str) -> TableLayout:
    live = _describe(client, name)
    if live is None:
        raise SchemaError(f"{name} disappeared while it was being checked")
    return live


def _current(client: DynamoDBClient, name: str, timeout: float) -> TableLayout | None:
    """The live table, after waiting out a deletion in progress (then None)."""
    live = _describe(client, name)
    if live is not None and live.status == _DELETING:
        _wait_gone(client, name, timeout)
        return None
    return live


STREAM_SPECIFICATION = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
"""The stream ``create_tables(..., streams=True)`` gives each table."""


def _create(client: DynamoDBClient, layout: TableLayout, streams: bool = False) -> bool:
    """Create the table; False if someone else created it meanwhile."""
    request = create_table_request(layout)
    if streams:
        request["StreamSpecification"] = STREAM_SPECIFICATION
    try:
        client.create_table(**request)
    except client.exceptions.ResourceInUseException:
        return False
    return True


def _enable_stream(client: DynamoDBClient, name: str, timeout: float) -> bool:
    """Turn on the table's stream of new and old images; False when it has one."""
    described = client.describe_table(TableName=name)["Table"]
    if described.get("StreamSpecification", {}).get("StreamEnabled"):
        return False
    _wait_active(client, name, timeout)
    client.update_table(TableName=name, StreamSpecification=STREAM_SPECIFICATION)  # type: ignore[arg-type]
    return True


def _add_missing_indexes(
    client: DynamoDBClient, layout: TableLayout, live: TableLayout, timeout: float
) -> bool:
    missing = [index for index in layout.indexes if live.index(index.name) is None]
    for index in missing:
        _wait_active(client, layout.name, timeout)  # one index change at a time
        client.update_table(**create_index_request(layout, index, live))
    return bool(missing)


def _delete(client: DynamoDBClient, name: str, timeout: float) -> bool:
    """Delete the table; False if it does not exist."""
    for _ in range(2):
        try:
            client.delete_table(TableName=name)
            return True
        except client.exceptions.ResourceNotFoundException:
            return False
        except client.exceptions.ResourceInUseException:
            _wait_active(client, name, timeout)  # being created or updated: wait, then retry
        except ClientError as error:
            if _code(error) == "ValidationException":
                message = error.response.get("Error", {}).get("Message", "")
                raise SchemaError(f"{name} cannot be dropped: {message}") from error
            raise
    raise SchemaError(f"{name} cannot be dropped: it stays busy")


def _wait_active(client: DynamoDBClient, name: str, timeout: float) -> None:
    for live in _poll(client, name, timeout, "become ACTIVE"):
        if live is None:
            raise SchemaError(f"{name} disappeared while waiting for it to become ACTIVE")
        if live.status == _ACTIVE and all(i.status == _ACTIVE for i in live.indexes):
            return


def _wait_gone(client: DynamoDBClient, name: str, timeout: float) -> None:
    for live in _poll(client, name, timeout, "be deleted"):
        if live is None:
            return


def _poll(
    client: DynamoDBClient, name: str, timeout: float, goal: str
) -> Iterator[TableLayout | None]:
    """Describe the table again and again (0.1 s, doubling to 5 s) until the caller stops."""
    deadline = time.monotonic() + timeout
    delay = 0.1
    while True:
        live = _describe(client, name)
        yield live
        if time.monotonic() >= deadline:
            state = "gone" if live is None else live.status
            raise SchemaTimeout(f"{name} did not {goal} within {timeout:.0f} s (it is {state})")
        time.sleep(delay)
        delay = min(delay * 2, 5.0)


def _in_order(layouts: list[TableLayout], names: list[str]) -> list[str]:
    return [layout.name for layout in layouts if layout.name in names]
