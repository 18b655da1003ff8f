"""Ids from DynamoDB counters: unique across allocators, seedable above existing ids."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from adapters.dynamodb import DynamoClient, DynamoIdAllocator, connect, ensure_sequences_table


@pytest.fixture(scope="module")
def client(dynamodb_endpoint: str, table_prefix: str, raw: Any) -> DynamoClient:
    ensure_sequences_table(raw, table_prefix + "ids_")
    return DynamoClient(connect(dynamodb_endpoint, "us-east-1"))


def test_sequences_count_from_one_and_are_independent(
    client: DynamoClient, table_prefix: str
) -> None:
    ids = DynamoIdAllocator(client, table_prefix + "ids_")
    assert [ids.allocate("users"), ids.allocate("users"), ids.allocate("orders")] == [1, 2, 1]


def test_blocks_never_overlap_across_allocators(client: DynamoClient, table_prefix: str) -> None:
    allocators = [DynamoIdAllocator(client, table_prefix + "ids_", block_size=5) for _ in range(3)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        batches = list(pool.map(lambda a: [a.allocate("products") for _ in range(12)], allocators))
    every = [i for batch in batches for i in batch]
    assert len(set(every)) == len(every) == 36


def test_seed_moves_a_sequence_above_existing_ids_and_never_lowers_it(
    client: DynamoClient, table_prefix: str
) -> None:
    ids = DynamoIdAllocator(client, table_prefix + "ids_")
    ids.seed("categories", 500)
    assert ids.allocate("categories") == 501
    ids.seed("categories", 10)
    assert ids.allocate("categories") == 502


def test_the_table_is_created_once(raw: Any, table_prefix: str) -> None:
    first = ensure_sequences_table(raw, table_prefix + "ids_")
    assert ensure_sequences_table(raw, table_prefix + "ids_") == first
