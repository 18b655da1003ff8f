"""Counting the requests a DynamoDB client sends, on the wire (botocore events)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from adapters.dynamodb import DynamoClient


@contextmanager
def counted_requests(client: DynamoClient) -> Iterator[Counter[str]]:
    """The operations ``client`` sends inside the block, counted by name (``GetItem``...)."""
    counts: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        counts[model.name] += 1

    events = client.connection.client.meta.events
    events.register("before-call.dynamodb", count)
    try:
        yield counts
    finally:
        events.unregister("before-call.dynamodb", count)
