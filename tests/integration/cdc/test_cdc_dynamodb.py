"""``dal cdc dynamodb`` in ``live``: direct DynamoDB writes reach MySQL, MySQL's do not echo.

The streams client is wrapped only to make one iterator expire, which a real stream does
after 15 minutes.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import text
from support.cdc import cdc_thread, drain, seed, wait_caught_up, wait_started

from dal.cdc.dynamodb_service import DynamoCdc
from dal.cdc.failures import FailureLog
from dal.cdc.stamp import CDC_STAMP
from dal.cdc.streams import streams_client
from dal.migrate.backfill import BackfillOptions
from dal.migrate.tools import open_tools
from dal.routing.recording import MemoryRecorder


def _ticket(tools, number: int) -> dict[str, Any]:
    table = tools.plans["tickets"].targets[0].table_name
    key = {"PK": {"S": "PROJECT#1"}, "SK": {"S": f"TICKET#{number}"}}
    item = tools.client.get(table, key)
    assert item is not None
    return item


def _row(engine, number: int) -> dict[str, Any] | None:
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT title, version FROM tickets WHERE project_id = 1 AND number = :n"),
            {"n": number},
        ).first()
    return None if found is None else {"title": found[0], "version": found[1]}


class ExpiringOnce:
    """The streams client, whose first GetRecords answers that the iterator expired (as a
    real stream does after 15 minutes)."""

    def __init__(self, streams: Any) -> None:
        self._streams = streams
        self.exceptions = streams.exceptions
        self.expired = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._streams, name)

    def get_records(self, **request: Any) -> Any:
        if not self.expired:
            self.expired += 1
            error = {"Error": {"Code": "ExpiredIteratorException", "Message": "expired"}}
            raise self.exceptions.ExpiredIteratorException(error, "GetRecords")
        return self._streams.get_records(**request)


def test_live_direct_dynamodb_writes_reach_mysql_without_echo(settings, engine, flags_file) -> None:
    seed(engine, 1, 1, 6)  # tickets 1..6, all in project 1
    with open_tools(settings, workers=2) as tools:
        assert tools.backfill().run(BackfillOptions(mode="batch")).ok
        with cdc_thread(tools) as running:  # dual_write: MySQL -> DynamoDB
            wait_started(engine, running.errors)
            with engine.begin() as connection:
                connection.execute(
                    text("UPDATE tickets SET title = 'from sql', version = 2 WHERE number = 1")
                )
            wait_caught_up(engine, errors=running.errors)
        assert CDC_STAMP in _ticket(tools, 1)
        # changed again in MySQL, same version: an echo of the item above would undo this
        with engine.begin() as connection:
            connection.execute(text("UPDATE tickets SET title = 'kept' WHERE number = 1"))

        flags_file("live")
        time.sleep(1.1)  # the flags file is checked at most once a second
        recorder = MemoryRecorder()
        streams = ExpiringOnce(streams_client(settings.dynamodb_endpoint, settings.dynamodb_region))
        service = DynamoCdc.over(tools, streams, FailureLog(recorder, "old", tools.sensitive))

        table = tools.plans["tickets"].targets[0].table_name
        item = _ticket(tools, 2)
        item["title"] = {"S": "from dynamodb"}
        item["version"] = {"N": "5"}
        tools.client.put(table, item)
        added = _ticket(tools, 3)
        added.update(
            SK={"S": "TICKET#99"},
            number={"N": "99"},
            code={"S": "DDB-99"},
            title={"S": "added in dynamodb"},
        )
        tools.client.put(table, added)
        tools.client.delete(table, {"PK": {"S": "PROJECT#1"}, "SK": {"S": "TICKET#4"}})
        drain(service.poll_once)

        counts = service.metrics.snapshot()["counts"]
        assert recorder.records == []
        assert counts["echo"] >= 1
        assert streams.expired == 1
        assert _row(engine, 1) == {"title": "kept", "version": 2}
        assert _row(engine, 2) == {"title": "from dynamodb", "version": 5}
        assert _row(engine, 99) == {"title": "added in dynamodb", "version": 1}
        assert _row(engine, 4) is None
