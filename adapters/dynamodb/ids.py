"""Ids from atomic counters in DynamoDB, for deployments where MySQL is gone.

Each sequence is one item of the bookkeeping table ``{prefix}dal_sequences``
(partition key ``sequence``), whose ``next_id`` attribute is raised with
``UpdateItem ADD`` by a block of ids at a time; the allocator hands out the
block from memory. Ids are unique across processes (each block is reserved
atomically) but, with blocks larger than one, not handed out in global order.
:meth:`DynamoIdAllocator.seed` moves a sequence above the ids that already
exist (for example the last AUTO_INCREMENT value of the MySQL table).
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

from pynamodb.connection import Connection

from adapters.dynamodb.client import DynamoClient
from adapters.dynamodb.errors import ConditionFailed, error_code

__all__ = ["SEQUENCES_TABLE", "DynamoIdAllocator", "ensure_sequences_table"]

SEQUENCES_TABLE = "dal_sequences"
_KEY = "sequence"
_COUNTER = "next_id"


def _sequences_table(prefix: str) -> str:
    return f"{prefix}{SEQUENCES_TABLE}"


def ensure_sequences_table(client_or_conn: Any, prefix: str = "", timeout: float = 60.0) -> str:
    """Create ``{prefix}dal_sequences`` (on-demand capacity) unless it exists; return its name.

    Accepts a botocore/boto3 DynamoDB client, a PynamoDB ``Connection`` or a
    :class:`DynamoClient`, and waits until the table is active.
    """
    client = _botocore_client(client_or_conn)
    name = _sequences_table(prefix)
    try:
        client.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": _KEY, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": _KEY, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    except Exception as exc:
        if error_code(exc) != "ResourceInUseException":
            raise
    deadline = time.monotonic() + timeout
    while client.describe_table(TableName=name)["Table"]["TableStatus"] != "ACTIVE":
        if time.monotonic() > deadline:
            raise TimeoutError(f"table {name} did not become active within {timeout}s")
        time.sleep(0.2)
    return name


def _botocore_client(client_or_conn: Any) -> Any:
    if isinstance(client_or_conn, DynamoClient):
        return client_or_conn.connection.client
    if isinstance(client_or_conn, Connection):
        return client_or_conn.client
    return client_or_conn


class DynamoIdAllocator:
    """An :class:`~interfaces.IdAllocator` backed by counters in ``{prefix}dal_sequences``.

    Thread-safe. ``block_size`` ids are reserved per round trip (1 keeps ids
    dense and ordered across processes).
    """

    def __init__(self, client: DynamoClient, prefix: str = "", block_size: int = 1) -> None:
        if block_size < 1:
            raise ValueError("block_size must be at least 1")
        self._client = client
        self._table = _sequences_table(prefix)
        self._block = block_size
        self._lock = threading.Lock()
        self._blocks: dict[str, tuple[int, int]] = {}  # sequence -> (next, last) reserved

    def allocate(self, sequence: str) -> int:
        """Return an id never returned before for ``sequence``."""
        with self._lock:
            following, last = self._blocks.get(sequence, (1, 0))
            if following > last:
                last = self._reserve(sequence)
                following = last - self._block + 1
            self._blocks[sequence] = (following + 1, last)
            return following

    def _reserve(self, sequence: str) -> int:
        attributes = self._client.update(
            self._table,
            {_KEY: {"S": sequence}},
            f"ADD {_COUNTER} :block",
            ExpressionAttributeValues={":block": {"N": str(self._block)}},
        )
        return int(attributes[_COUNTER]["N"])

    def seed(self, sequence: str, at_least: int) -> None:
        """Make every later id of ``sequence`` greater than ``at_least`` (never lowers it)."""
        with contextlib.suppress(ConditionFailed):  # already at or above the floor
            self._client.update(
                self._table,
                {_KEY: {"S": sequence}},
                f"SET {_COUNTER} = :floor",
                ConditionExpression=f"attribute_not_exists({_COUNTER}) OR {_COUNTER} < :floor",
                ExpressionAttributeValues={":floor": {"N": str(at_least)}},
            )
        with self._lock:
            self._blocks.pop(sequence, None)
