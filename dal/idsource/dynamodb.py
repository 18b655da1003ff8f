"""The DynamoDB id counters, read and raised for the handover.

The counters are the items of ``{prefix}dal_sequences``, the table of the
DynamoDB adapter's id allocator: partition key ``sequence`` (S) and ``next_id``
(N), the last id reserved (the allocator adds a block to it and hands out the
block's ids). Raising a counter is one conditional ``UpdateItem`` that only
ever moves it up, so it is safe while allocators are running.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from dal.aws import aws_errors, describe_target
from dal.idsource.handover import IdHandoverError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = ["COUNTER_ATTRIBUTE", "SEQUENCE_KEY", "DynamoSequences"]

SEQUENCE_KEY = "sequence"
"""Partition key of the counters' table: the sequence's name."""
COUNTER_ATTRIBUTE = "next_id"
"""The counter: the last id reserved for the sequence."""

_MISSING_TABLE = "ResourceNotFoundException"
_CONDITION_FAILED = "ConditionalCheckFailedException"


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class DynamoSequences:
    """The counters in ``table``; ``create_table`` creates that table unless it exists.

    boto3's errors reach the caller as the layer's (see :func:`dal.aws.aws_errors`).
    """

    def __init__(
        self, client: DynamoDBClient, table: str, create_table: Callable[[], object]
    ) -> None:
        self._client = client
        self._table = table
        self._create_table = create_table
        self.where = f"{describe_target(client.meta.endpoint_url, client.meta.region_name)}, "
        self.where += f"table {table}"

    def ensure(self) -> None:
        """Create the counters' table unless it exists."""
        self._create_table()

    def last_ids(self) -> dict[str, int]:
        """Per sequence, the last id reserved (a consistent scan); empty without the table."""
        try:
            with self._errors():
                return dict(self._scan())
        except ClientError as error:
            if _code(error) == _MISSING_TABLE:
                return {}
            raise

    def raise_to(self, sequence: str, at_least: int) -> None:
        """Make every later id of ``sequence`` greater than ``at_least``; never lowers it."""
        _check(sequence, at_least)
        try:
            with self._errors():
                self._client.update_item(
                    TableName=self._table,
                    Key={SEQUENCE_KEY: {"S": sequence}},
                    UpdateExpression="SET #counter = :floor",
                    ConditionExpression="attribute_not_exists(#counter) OR #counter < :floor",
                    ExpressionAttributeNames={"#counter": COUNTER_ATTRIBUTE},
                    ExpressionAttributeValues={":floor": {"N": str(at_least)}},
                )
        except ClientError as error:
            if _code(error) == _CONDITION_FAILED:
                return  # already at or above the floor
            if _code(error) == _MISSING_TABLE:
                raise IdHandoverError(f"{self.where} does not exist") from error
            raise

    def _scan(self) -> Iterator[tuple[str, int]]:
        pages = self._client.get_paginator("scan").paginate(
            TableName=self._table, ConsistentRead=True
        )
        for page in pages:
            for item in page.get("Items", []):
                counter = item.get(COUNTER_ATTRIBUTE, {}).get("N")
                if counter is not None:
                    yield item[SEQUENCE_KEY]["S"], int(counter)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        with aws_errors(self._client.meta.endpoint_url, self._client.meta.region_name):
            yield


def _check(sequence: str, at_least: int) -> None:
    if not sequence:
        raise IdHandoverError("sequence: must be a non-empty name")
    if at_least < 0:
        raise IdHandoverError(f"at_least: must be 0 or more, got {at_least}")
