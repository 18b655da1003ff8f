"""Batch reads and writes that never drop an item.

:func:`batch_get` and :func:`batch_write` split their input into requests of at
most 100 keys / 25 write requests, send them through a
:class:`~adapters.dynamodb.client.DynamoClient` (whose retry policy covers a
throttled or failed request as a whole), and resend what DynamoDB returns as
``UnprocessedKeys`` / ``UnprocessedItems`` with capped exponential backoff and
full jitter until the policy's attempts or time budget run out. Whatever is
still unprocessed then is reported by key in :class:`BatchIncomplete`; nothing
is silently lost. The backfill tool uses the same functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from adapters.dynamodb.client import DynamoClient, Item, Key
from interfaces import Throttled

__all__ = [
    "MAX_GET_KEYS",
    "MAX_WRITE_ITEMS",
    "BatchIncomplete",
    "WriteRequest",
    "batch_get",
    "batch_write",
    "chunks",
]

MAX_GET_KEYS = 100
MAX_WRITE_ITEMS = 25
T = TypeVar("T")


@dataclass(frozen=True)
class WriteRequest:
    """One put (``item``) or delete (``key``) of a batch write."""

    item: Item | None = None
    key: Key | None = None

    def __post_init__(self) -> None:
        if (self.item is None) == (self.key is None):
            raise ValueError("a write request is either a put (item) or a delete (key)")

    def wire(self) -> dict[str, Any]:
        """The request in BatchWriteItem's form."""
        if self.item is not None:
            return {"PutRequest": {"Item": self.item}}
        return {"DeleteRequest": {"Key": self.key}}


class BatchIncomplete(Throttled):
    """Some keys or items were still unprocessed when the retry budget ran out.

    ``failed_keys`` lists the keys of the reads or writes that did not happen;
    ``results`` holds what a batch read did get.
    """

    def __init__(self, table: str, failed_keys: list[Key], results: list[Item] | None = None):
        more = " ..." if len(failed_keys) > 5 else ""
        super().__init__(
            f"{len(failed_keys)} request(s) on {table} stayed unprocessed: {failed_keys[:5]}{more}"
        )
        self.table = table
        self.failed_keys = failed_keys
        self.results = results or []


def chunks(values: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of ``values`` of at most ``size`` elements."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def batch_get(
    client: DynamoClient,
    table: str,
    keys: Iterable[Key],
    *,
    consistent: bool = False,
    projection: str | None = None,
    names: dict[str, str] | None = None,
) -> list[Item]:
    """Every item found for ``keys`` (in no particular order; missing keys are skipped).

    Raises :class:`BatchIncomplete` carrying the keys DynamoDB left unprocessed.
    """
    found: list[Item] = []
    failed: list[Key] = []
    for chunk in chunks(list(keys), MAX_GET_KEYS):
        request: dict[str, Any] = {"Keys": list(chunk), "ConsistentRead": consistent}
        if projection:
            request["ProjectionExpression"] = projection
        if names:
            request["ExpressionAttributeNames"] = names
        items, left = _drain(client, "BatchGetItem", table, request)
        found.extend(items)
        failed.extend(left.get("Keys", []))
    if failed:
        raise BatchIncomplete(table, failed, found)
    return found


def batch_write(
    client: DynamoClient,
    table: str,
    requests: Iterable[WriteRequest],
    *,
    key_names: Sequence[str] = ("PK", "SK"),
) -> None:
    """Apply puts and deletes 25 at a time.

    Raises :class:`BatchIncomplete` naming (by ``key_names``) the items left undone.
    """
    failed: list[Key] = []
    for chunk in chunks([r.wire() for r in requests], MAX_WRITE_ITEMS):
        _, left = _drain(client, "BatchWriteItem", table, list(chunk))
        failed.extend(_write_key(r, key_names) for r in left)
    if failed:
        raise BatchIncomplete(table, failed)


def _write_key(request: dict[str, Any], key_names: Sequence[str]) -> Key:
    body = request.get("PutRequest", {}).get("Item") or request["DeleteRequest"]["Key"]
    return {name: body[name] for name in key_names if name in body}


def _drain(client: DynamoClient, operation: str, table: str, body: Any) -> tuple[list[Item], Any]:
    """Send one batch and resend its unprocessed part within the client's retry policy."""
    policy = client.retry
    started = policy.clock()
    items: list[Item] = []
    attempt = 0
    while True:
        response = client.call(operation, {"RequestItems": {table: body}})
        items.extend(response.get("Responses", {}).get(table, []))
        unprocessed_key = "UnprocessedKeys" if operation == "BatchGetItem" else "UnprocessedItems"
        left = response.get(unprocessed_key, {}).get(table)
        if not left:
            return items, {} if operation == "BatchGetItem" else []
        attempt += 1
        delay = policy.backoff(attempt - 1)
        if attempt >= policy.max_attempts or policy.clock() + delay - started > policy.budget:
            return items, left
        policy.sleep(delay)
        body = left
