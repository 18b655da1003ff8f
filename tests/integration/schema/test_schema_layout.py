"""Table layouts from the contract, and the requests built from them (no server needed)."""

from __future__ import annotations

from typing import Any

import pytest

from dal.contract import parse_contract
from dal.schema import (
    InvalidTableName,
    TableLayout,
    create_index_request,
    create_table_request,
    differences,
    expected_layout,
    live_layout,
    physical_name,
)


def _table(**gsi: Any) -> TableLayout:
    attributes = [
        {"name": n, "type": t, "source_table": "t", "source_column": n}
        for n, t in (("id", "N"), ("kind", "S"), ("name", "S"), ("price", "N"))
    ]
    contract = parse_contract(
        {
            "tables": [
                {
                    "table": "Things",
                    "type": "single-entity",
                    "source_table": "t",
                    "pk": "id",
                    "gsis": [{"index_name": "ByKind", "pk": "kind", "sk": "name", **gsi}],
                    "attributes": attributes,
                    "satisfies": [],
                    "estimated_item_size_bytes": 10,
                }
            ]
        }
    )
    return expected_layout(contract.table("Things"), "dev_")


def test_create_table_request() -> None:
    request = create_table_request(
        _table(projection="INCLUDE", projected_attributes=["price", "id"])
    )

    assert request == {
        "TableName": "dev_Things",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [
            {"AttributeName": "id", "AttributeType": "N"},
            {"AttributeName": "kind", "AttributeType": "S"},
            {"AttributeName": "name", "AttributeType": "S"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "ByKind",
                "KeySchema": [
                    {"AttributeName": "kind", "KeyType": "HASH"},
                    {"AttributeName": "name", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["id", "price"]},
            }
        ],
    }


def _description(**extra: Any) -> Any:
    return {
        "TableName": "dev_Things",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "N"}],
        "TableStatus": "ACTIVE",
        **extra,
    }


def test_an_index_for_a_provisioned_table_gets_its_throughput() -> None:
    layout = _table()
    live = live_layout(
        _description(ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 3})
    )
    (index,) = layout.indexes

    request = create_index_request(layout, index, live)

    assert live.billing_mode == "PROVISIONED"
    assert request["GlobalSecondaryIndexUpdates"][0]["Create"]["ProvisionedThroughput"] == {
        "ReadCapacityUnits": 5,
        "WriteCapacityUnits": 3,
    }
    assert request["AttributeDefinitions"] == [
        {"AttributeName": "kind", "AttributeType": "S"},
        {"AttributeName": "name", "AttributeType": "S"},
    ]


def test_differences_in_index_keys_and_projection() -> None:
    layout = _table(projection="KEYS_ONLY")
    live = live_layout(
        _description(
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "ByKind",
                    "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                    "IndexStatus": "ACTIVE",
                }
            ]
        )
    )

    assert differences(layout, live) == [
        "index ByKind has keys kind, the contract says kind / name",
        "index ByKind projects ALL, the contract says KEYS_ONLY",
    ]


def test_an_index_being_deleted_counts_as_missing() -> None:
    live = live_layout(
        _description(
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "ByKind",
                    "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}],
                    "IndexStatus": "DELETING",
                }
            ]
        )
    )

    assert live.index("ByKind") is None
    assert differences(_table(), live) == []


@pytest.mark.parametrize("prefix", ["", "a"])
def test_physical_names_dynamodb_refuses(prefix: str) -> None:
    with pytest.raises(InvalidTableName, match="is not valid in DynamoDB"):
        physical_name(prefix, "X" if not prefix else "b c")


def test_physical_name() -> None:
    assert physical_name("dev_", "Users") == "dev_Users"
