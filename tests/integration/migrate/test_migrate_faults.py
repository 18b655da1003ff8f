"""Faults DynamoDB Local cannot produce on demand, injected into real writes: throttling, conflicts,
unprocessed items, a failure after some batches."""

from __future__ import annotations

from typing import Any

import pytest
from migrate_data import Sizes, fill, item_count
from sqlalchemy import Engine

from adapters.dynamodb.errors import CancelReason, TransactionCancelled
from dal.migrate.backfill import BackfillOptions
from dal.migrate.checkpoints import CheckpointStore, SegmentId
from dal.migrate.tools import MigrationTools
from interfaces import BackendUnavailable


def test_conditional_writes_resend_the_puts_a_cancelled_transaction_did_not_refuse(
    tools: MigrationTools, engine: Engine, raw: Any, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(engine, Sizes(users=2, products=30))
    real = tools.client.transact
    calls = {"n": 0}

    def flaky(actions: Any) -> None:
        calls["n"] += 1
        if calls["n"] <= 2:  # first the whole batch conflicts, then one put is throttled
            codes = (
                ["TransactionConflict"] * len(actions)
                if calls["n"] == 1
                else ["None"] * (len(actions) - 1) + ["ThrottlingError"]
            )
            raise TransactionCancelled([CancelReason(code, None, None) for code in codes])
        real(actions)

    monkeypatch.setattr(tools.client, "transact", flaky)

    summary = tools.backfill().run(
        BackfillOptions(entities=("products",), mode="conditional", workers=1)
    )

    assert summary.ok
    assert summary.results[0].copied == 30
    assert calls["n"] > 3
    assert item_count(raw, prefix + "Products") == 30


def test_batch_writes_resend_unprocessed_items(
    tools: MigrationTools, engine: Engine, raw: Any, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(engine, Sizes(users=2, products=80))
    real = tools.client.call
    left_over = {"n": 0}

    def partial(operation: str, request: Any) -> dict[str, Any]:
        if operation != "BatchWriteItem" or left_over["n"] >= 3:
            return real(operation, request)
        ((table, writes),) = request["RequestItems"].items()
        if len(writes) <= 2:
            return real(operation, request)
        left_over["n"] += 1
        response = real(operation, {"RequestItems": {table: writes[:-2]}})
        return {**response, "UnprocessedItems": {table: writes[-2:]}}

    monkeypatch.setattr(tools.client, "call", partial)

    summary = tools.backfill().run(BackfillOptions(entities=("products",), mode="batch"))

    assert summary.ok
    assert left_over["n"] == 3
    assert item_count(raw, prefix + "Products") == 80


def test_a_backend_failure_stops_at_the_last_checkpoint_and_a_rerun_finishes(
    tools: MigrationTools, engine: Engine, raw: Any, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(engine, Sizes(users=2, products=200))
    real = tools.client.transact
    calls = {"n": 0}

    def dies_after_four_batches(actions: Any) -> None:
        calls["n"] += 1
        if calls["n"] > 4:
            raise BackendUnavailable("DynamoDB went away")
        real(actions)

    monkeypatch.setattr(tools.client, "transact", dies_after_four_batches)
    options = BackfillOptions(
        entities=("products",), mode="conditional", workers=1, page_size=25, batch_size=25
    )
    with pytest.raises(BackendUnavailable):
        tools.backfill().run(options)
    stopped = CheckpointStore(engine).load(SegmentId("products"))
    assert stopped.copied == 100
    assert stopped.last_key == (100,)

    monkeypatch.setattr(tools.client, "transact", real)
    resumed = tools.backfill().run(options)

    assert resumed.results[0].copied == 100
    assert resumed.results[0].skipped == 0
    assert item_count(raw, prefix + "Products") == 200
