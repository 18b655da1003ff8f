"""The physical layout of a table: what the contract asks for and what DynamoDB reports.

Both sides become a :class:`TableLayout`, so that comparing them, creating a
table and adding an index are plain functions of data. Nothing here talks to
DynamoDB.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dal.contract import Projection, Table
from dal.schema.errors import InvalidTableName

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TableDescriptionTypeDef

__all__ = [
    "IndexLayout",
    "TableLayout",
    "create_index_request",
    "create_table_request",
    "differences",
    "expected_layout",
    "live_layout",
    "physical_name",
]

_DELETING = "DELETING"
_TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")


@dataclass(frozen=True)
class IndexLayout:
    """A global secondary index: keys, projection, and (when live) its status."""

    name: str
    pk: str
    sk: str | None
    projection: str
    non_key_attributes: frozenset[str] = frozenset()
    status: str | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        """Partition key, then sort key if any."""
        return (self.pk,) if self.sk is None else (self.pk, self.sk)

    @property
    def projection_text(self) -> str:
        """``ALL``, ``KEYS_ONLY`` or ``INCLUDE a, b``."""
        if self.projection == Projection.INCLUDE:
            return f"INCLUDE {', '.join(sorted(self.non_key_attributes))}"
        return self.projection


@dataclass(frozen=True)
class TableLayout:
    """A table's keys, the types of its key attributes and its indexes."""

    name: str
    pk: str
    sk: str | None
    attribute_types: Mapping[str, str] = field(hash=False)
    indexes: tuple[IndexLayout, ...] = ()
    status: str | None = None
    item_count: int | None = None
    billing_mode: str | None = None
    throughput: Mapping[str, int] = field(default_factory=dict, hash=False)

    @property
    def keys(self) -> tuple[str, ...]:
        """Partition key, then sort key if any."""
        return (self.pk,) if self.sk is None else (self.pk, self.sk)

    def index(self, name: str) -> IndexLayout | None:
        """The index called ``name``, if the table has it (and is not deleting it)."""
        return next(
            (i for i in self.indexes if i.name == name and i.status != _DELETING),
            None,
        )


def physical_name(prefix: str, table: str) -> str:
    """``prefix + table``; :class:`InvalidTableName` when DynamoDB would refuse the name."""
    name = f"{prefix}{table}"
    if not _TABLE_NAME.fullmatch(name):
        raise InvalidTableName(
            f"table name {name!r} is not valid in DynamoDB "
            "(3 to 255 letters, digits, '_', '-' or '.')"
        )
    return name


def expected_layout(table: Table, prefix: str = "") -> TableLayout:
    """The layout the contract asks for ``table``, named with ``prefix``."""
    indexes = tuple(
        IndexLayout(
            gsi.index_name, gsi.pk, gsi.sk, gsi.projection, frozenset(gsi.projected_attributes)
        )
        for gsi in table.gsis
    )
    types = {name: str(kind) for name, kind in table.key_types.items()}
    return TableLayout(physical_name(prefix, table.name), table.pk, table.sk, types, indexes)


def _keys(schema: Any) -> tuple[str, str | None]:
    hash_key = next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")
    range_key = next((k["AttributeName"] for k in schema if k["KeyType"] == "RANGE"), None)
    return hash_key, range_key


def live_layout(description: TableDescriptionTypeDef) -> TableLayout:
    """The layout DynamoDB reports in a ``DescribeTable`` answer."""
    pk, sk = _keys(description["KeySchema"])
    indexes = []
    for gsi in description.get("GlobalSecondaryIndexes", []):
        index_pk, index_sk = _keys(gsi["KeySchema"])
        projection = gsi.get("Projection", {})
        indexes.append(
            IndexLayout(
                gsi["IndexName"],
                index_pk,
                index_sk,
                projection.get("ProjectionType", "ALL"),
                frozenset(projection.get("NonKeyAttributes", [])),
                gsi.get("IndexStatus"),
            )
        )
    throughput = description.get("ProvisionedThroughput", {})
    return TableLayout(
        name=description["TableName"],
        pk=pk,
        sk=sk,
        attribute_types={
            a["AttributeName"]: a["AttributeType"] for a in description["AttributeDefinitions"]
        },
        indexes=tuple(indexes),
        status=description.get("TableStatus"),
        item_count=description.get("ItemCount"),
        billing_mode=description.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED"),
        throughput={
            "ReadCapacityUnits": throughput.get("ReadCapacityUnits", 0),
            "WriteCapacityUnits": throughput.get("WriteCapacityUnits", 0),
        },
    )


def differences(expected: TableLayout, live: TableLayout) -> list[str]:
    """What in ``live`` contradicts ``expected`` (a missing index is not a contradiction)."""
    found = []
    for role, want, have in (
        ("partition key", expected.pk, live.pk),
        ("sort key", expected.sk, live.sk),
    ):
        if want != have:
            found.append(f"{role} is {_key_text(have)}, the contract says {_key_text(want)}")
    for name, want_type in expected.attribute_types.items():
        have_type = live.attribute_types.get(name)
        if have_type is not None and have_type != want_type:
            found.append(f"attribute {name!r} has type {have_type}, the contract says {want_type}")
    for want_index in expected.indexes:
        have_index = live.index(want_index.name)
        if have_index is not None:
            found.extend(_index_differences(want_index, have_index))
    return found


def _key_text(name: str | None) -> str:
    return "absent" if name is None else repr(name)


def _index_differences(want: IndexLayout, have: IndexLayout) -> list[str]:
    found = []
    if want.keys != have.keys:
        found.append(
            f"index {want.name} has keys {' / '.join(have.keys)}, "
            f"the contract says {' / '.join(want.keys)}"
        )
    if (want.projection, want.non_key_attributes) != (have.projection, have.non_key_attributes):
        found.append(
            f"index {want.name} projects {have.projection_text}, "
            f"the contract says {want.projection_text}"
        )
    return found


def _definitions(layout: TableLayout, names: tuple[str, ...]) -> list[dict[str, str]]:
    return [
        {"AttributeName": n, "AttributeType": layout.attribute_types[n]}
        for n in dict.fromkeys(names)
    ]


def _key_schema(pk: str, sk: str | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": pk, "KeyType": "HASH"}]
    if sk is not None:
        schema.append({"AttributeName": sk, "KeyType": "RANGE"})
    return schema


def _index_request(index: IndexLayout) -> dict[str, Any]:
    projection: dict[str, Any] = {"ProjectionType": index.projection}
    if index.projection == Projection.INCLUDE:
        projection["NonKeyAttributes"] = sorted(index.non_key_attributes)
    return {
        "IndexName": index.name,
        "KeySchema": _key_schema(index.pk, index.sk),
        "Projection": projection,
    }


def create_table_request(layout: TableLayout) -> dict[str, Any]:
    """Arguments of ``CreateTable`` for ``layout``: on-demand billing, every index."""
    names = layout.keys + tuple(key for index in layout.indexes for key in index.keys)
    request: dict[str, Any] = {
        "TableName": layout.name,
        "KeySchema": _key_schema(layout.pk, layout.sk),
        "AttributeDefinitions": _definitions(layout, names),
        "BillingMode": "PAY_PER_REQUEST",
    }
    if layout.indexes:
        request["GlobalSecondaryIndexes"] = [_index_request(index) for index in layout.indexes]
    return request


def create_index_request(
    layout: TableLayout, index: IndexLayout, live: TableLayout
) -> dict[str, Any]:
    """Arguments of ``UpdateTable`` adding ``index`` to the existing table ``live``."""
    create = _index_request(index)
    if live.billing_mode == "PROVISIONED":
        create["ProvisionedThroughput"] = dict(live.throughput)
    return {
        "TableName": live.name,
        "AttributeDefinitions": _definitions(layout, index.keys),
        "GlobalSecondaryIndexUpdates": [{"Create": create}],
    }
