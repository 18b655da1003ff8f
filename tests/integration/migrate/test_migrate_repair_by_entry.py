"""``dal repair`` on MariaDB and DynamoDB Local: replay by entry, the guards, live repairs.

Repair log entries are written by the router itself (the reference store routed by
the container) when a second write fails or a unit of work rolls back. MySQL
faults are real: the table the second write needs is renamed away for the call.
A DynamoDB refusal cannot be had on demand from DynamoDB Local, so it is injected in
front of the client (``_refuse_writes_to``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from dependency_injector import providers
from migrate_data import Sizes, fill, scan_all
from sqlalchemy import Engine, func, select, text
from typer.testing import CliRunner

from dal.cli import app
from dal.migrate.backfill import BackfillOptions
from dal.migrate.replay import ReplayOptions
from dal.migrate.tools import MigrationTools
from dal.migrate.verify import VerifyOptions
from dal.routing import ShadowSettings
from dal.routing.repairlog import RepairEntry, RepairLog
from dal.settings import Settings
from examples.store import NewProduct, NewUser, Store
from examples.store.schema import orders, products, shopping_carts, users
from examples.store.wiring import store_container

runner = CliRunner()
CliEnv = Callable[[dict[str, str]], None]


def _dal(*args: str) -> Any:
    return runner.invoke(app, list(args))


def _flags(path: Path, stage: str) -> Path:
    names = ("users", "categories", "products", "carts", "orders")
    path.write_text("[stages]\n" + "".join(f'{name} = "{stage}"\n' for name in names))
    return path


@contextmanager
def _routed(settings: Settings, stage: str, log: Path, tmp_path: Path) -> Iterator[Store]:
    """The reference store routed at ``stage``, its repair log at ``log``."""
    flagged = settings.model_copy(update={"flags": _flags(tmp_path / f"{stage}.toml", stage)})
    container = store_container(flagged)
    # in a folder (not a .jsonl file) every append rotates: entries end up in segments
    repair_log = RepairLog(log, durable=False, rotate_bytes=1)
    container.repair_log.override(providers.Object(repair_log))
    container.recorder.override(providers.Object(None))  # no records file in the working tree
    container.shadow_settings.override(providers.Object(ShadowSettings(budget=15.0)))
    try:
        store = container.routed_store()
        assert isinstance(store, Store)
        yield store
    finally:
        container.shutdown_resources()


@contextmanager
def _table_gone(engine: Engine, name: str) -> Iterator[None]:
    """MySQL without the table ``name`` for a while: every write to it fails."""
    with engine.begin() as connection:
        connection.execute(text(f"RENAME TABLE {name} TO {name}_away"))
    try:
        yield
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"RENAME TABLE {name}_away TO {name}"))


@contextmanager
def _refuse_writes_to(table: str) -> Iterator[list[str]]:
    """DynamoDB refuses (access denied) every write request naming ``table`` meanwhile."""
    real = BaseClient._make_api_call
    refused: list[str] = []

    def call(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        writes = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")
        if operation in writes and table in json.dumps(params, default=str):
            refused.append(operation)
            response: Any = {
                "Error": {"Code": "AccessDeniedException", "Message": "injected refusal"},
                "ResponseMetadata": {"HTTPStatusCode": 400},
            }
            raise ClientError(response, operation)
        return real(self, operation, params)

    BaseClient._make_api_call = call  # type: ignore[method-assign]
    try:
        yield refused
    finally:
        BaseClient._make_api_call = real  # type: ignore[method-assign]


def _rolled_back(store: Store, name: str, created: list[int]) -> None:
    """Create a user in a unit of work that then fails."""
    with store.unit_of_work():
        created.append(store.users.create(_new_user(name)).id)
        raise RuntimeError("the application gives up")


def _in_unit(store: Store, call: Callable[[], Any]) -> Any:
    """``call()`` in a unit of work of its own."""
    with store.unit_of_work():
        return call()


def _new_user(name: str) -> NewUser:
    return NewUser(username=name, email=f"{name}@example.com", password_hash="h" * 20)


def _user_items(raw: Any, prefix: str, user_id: int) -> list[dict[str, Any]]:
    """The USER item and guard items DynamoDB holds for user ``user_id``."""
    found = []
    for item in scan_all(raw, prefix + "Users"):
        if item.get("GSI1PK", {}).get("S") == str(user_id) or (
            item.get("user_id", {}).get("S") == str(user_id) and item["SK"]["S"] == "#UNIQUE"
        ):
            found.append(item)
    return found


def _mysql_user_ids(engine: Engine) -> set[int]:
    with engine.connect() as connection:
        return set(connection.execute(select(users.c.id)).scalars())


def _open(log: Path) -> list[Any]:
    return list(RepairLog(log).read())


def _clean(tools: MigrationTools) -> list[dict[str, Any]]:
    report = tools.verifier().run(VerifyOptions(workers=2), list(tools.plans.values()))
    return [finding.to_json() for finding in report.failing]


# --- (a) repair replays by the entry, not by the current stage ------------------------------


def test_a_rolled_back_write_is_undone_after_a_promotion_not_brought_back(
    settings: Settings,
    engine: Engine,
    tools: MigrationTools,
    raw: Any,
    prefix: str,
    tmp_path: Path,
    cli_env: CliEnv,
) -> None:
    fill(engine, Sizes(users=3, products=3))
    tools.backfill().run(BackfillOptions())
    log = tmp_path / "repair-log"  # a folder of per-process files, rotated
    created: list[int] = []
    with _routed(settings, "shadow", log, tmp_path) as store:
        with pytest.raises(RuntimeError, match="gives up"):
            _rolled_back(store, "rolledback", created)
    (entry,) = _open(log)
    assert [p.name.count(".") for p in log.iterdir()] == [2], "the entry is in a rotated segment"
    assert (entry.reason, entry.side) == ("unit_of_work_rolled_back", "new")
    assert created[0] not in _mysql_user_ids(engine)
    assert _user_items(raw, prefix, created[0])  # DynamoDB kept the write

    cli_env({"users": "live"})  # promoted since the entry was written
    result = _dal("repair", "--from-log", str(log))

    assert result.exit_code == 0, result.output
    assert created[0] not in _mysql_user_ids(engine)
    assert _user_items(raw, prefix, created[0]) == []
    assert _open(log) == []
    assert _clean(tools) == []
    line = entry.to_json()
    assert (line.get("authoritative"), line.get("key"), line.get("version")) == (
        "old",
        {"id": created[0]},
        1,
    )


def test_entries_replay_without_flags_and_touch_nothing_but_their_keys(
    settings: Settings,
    engine: Engine,
    tools: MigrationTools,
    raw: Any,
    prefix: str,
    tmp_path: Path,
    cli_env: CliEnv,
) -> None:
    fill(engine, Sizes(users=3, products=3))
    tools.backfill().run(BackfillOptions())
    log = tmp_path / "repair.jsonl"
    with _routed(settings, "rampdown", log, tmp_path) as store:
        _in_unit(store, lambda: store.users.create(_new_user("before")))  # takes its id block
        with _table_gone(engine, "users"):
            lost = _in_unit(store, lambda: store.users.create(_new_user("lostinmysql"))).id
    with _routed(settings, "complete", log, tmp_path) as store:
        later = [
            _in_unit(store, lambda n=n: store.users.create(_new_user(f"complete{n}"))).id
            for n in range(2)
        ]
    (entry,) = _open(log)
    assert (entry.side, entry.result_key) == ("old", {"id": lost})
    kept = {user_id: _user_items(raw, prefix, user_id) for user_id in later}

    cli_env({})  # no DAL_FLAGS at all
    result = _dal("repair", "--from-log", str(log))

    assert result.exit_code == 0, result.output
    assert lost in _mysql_user_ids(engine)
    for user_id in later:  # written at complete: DynamoDB only, and left so
        assert kept[user_id]
        assert _user_items(raw, prefix, user_id) == kept[user_id]
        assert user_id not in _mysql_user_ids(engine)
    assert _open(log) == []
    line = entry.to_json()
    assert (line.get("authoritative"), line.get("key")) == ("new", {"id": lost})


def test_a_whole_entity_repair_without_flags_is_refused_unless_a_side_is_named(
    engine: Engine, tools: MigrationTools, raw: Any, prefix: str, cli_env: CliEnv
) -> None:
    fill(engine, Sizes(users=3, products=3))
    tools.backfill().run(BackfillOptions())
    raw.delete_item(TableName=prefix + "Products", Key={"PK": {"S": "2"}, "SK": {"S": "#META"}})
    cli_env({})

    refused = _dal("repair")
    bad_side = _dal("repair", "--authoritative", "postgres")

    assert refused.exit_code == 2, refused.output
    assert "DAL_FLAGS" in refused.output
    assert "--authoritative" in refused.output
    assert bad_side.exit_code == 2
    assert "Item" not in raw.get_item(
        TableName=prefix + "Products", Key={"PK": {"S": "2"}, "SK": {"S": "#META"}}
    )
    named = _dal("repair", "--authoritative", "mysql")
    assert named.exit_code == 0, named.output
    assert _clean(tools) == []


@pytest.mark.parametrize(
    ("content", "line"),
    [
        (
            '{"kind": "comparison", "schema": 1, "entity": "users", "matched": true}\n',
            1,
        ),
        ("hello\nworld\n", 1),
        ('{"type": "done", "id": "a1", "ts": "2026-01-01T00:00:00+00:00"}\n[1, 2, 3]\n', 2),
    ],
)
def test_a_file_that_is_not_a_repair_log_exits_2_naming_it_and_the_line(
    tmp_path: Path, cli_env: CliEnv, content: str, line: int
) -> None:
    path = tmp_path / "records.jsonl"
    path.write_text(content)

    result = _dal("repair", "--from-log", str(path))

    assert result.exit_code == 2, result.output
    assert f"{path}:{line}:" in "".join(result.output.split())


def test_a_torn_last_line_of_a_repair_log_is_not_bad_input(tmp_path: Path, cli_env: CliEnv) -> None:
    path = tmp_path / "repair.jsonl"
    path.write_text('{"type":"entry","id":"3f0c","ts":"2026-01-01T12:00:00+00:00","ent')

    result = _dal("repair", "--from-log", str(path))

    assert result.exit_code == 0, result.output
    assert "no open entry" in " ".join(result.output.split())


# --- (b) nothing guards a mass deletion ------------------------------------------------------


def test_a_repair_deleting_too_much_of_a_table_is_refused_unless_allowed(
    engine: Engine, tools: MigrationTools, raw: Any, prefix: str, cli_env: CliEnv
) -> None:
    fill(engine, Sizes(users=4, products=30, carts_per_user=0, orders_per_user=0))
    tools.backfill().run(BackfillOptions())
    with engine.begin() as connection:  # 12 of 30 rows gone: 40% of the table
        connection.execute(text("DELETE FROM products WHERE id > 18"))
    cli_env({"products": "shadow", "categories": "shadow"})

    planned = _dal("repair", "--dry-run", "--json")
    refused = _dal("repair")

    for result in (planned, refused):
        assert result.exit_code == 2, result.output
        flat = " ".join(result.output.split())
        assert f"DynamoDB table {prefix}Products: 12 of 30 items (40.0%" in flat
        assert "--allow-mass-delete" in flat
    assert "would be refused" in " ".join(planned.output.split())
    plan = json.loads(planned.stdout)
    assert plan["refused"]
    deletions = [a for a in plan["actions"] if a["action"] == "delete item"]
    assert len(deletions) == 12
    assert {a["outcome"] for a in plan["actions"]} == {"planned"}
    assert len(scan_all(raw, prefix + "Products")) == 30  # nothing written

    smaller = _dal("repair", "--max-delete-share", "0.5")
    assert smaller.exit_code == 0, smaller.output
    assert len(scan_all(raw, prefix + "Products")) == 18
    assert _clean(tools) == []


def test_a_mass_deletion_goes_through_with_allow_mass_delete(
    engine: Engine, tools: MigrationTools, raw: Any, prefix: str, cli_env: CliEnv
) -> None:
    fill(engine, Sizes(users=4, products=30, carts_per_user=0, orders_per_user=0))
    tools.backfill().run(BackfillOptions())
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM products WHERE id > 18"))
    cli_env({"products": "shadow", "categories": "shadow"})

    result = _dal("repair", "--allow-mass-delete")

    assert result.exit_code == 0, result.output
    assert len(scan_all(raw, prefix + "Products")) == 18
    assert _clean(tools) == []


# --- (c) repair in live and rampdown ---------------------------------------------------------


def test_guards_of_rows_dynamodb_alone_holds_are_not_a_mass_deletion_when_it_is_authoritative(
    engine: Engine, tools: MigrationTools, raw: Any, prefix: str, cli_env: CliEnv
) -> None:
    fill(engine, Sizes(users=20, products=0, carts_per_user=0, orders_per_user=0))
    tools.backfill().run(BackfillOptions())
    with engine.begin() as connection:  # written at live or complete: DynamoDB alone has them
        connection.execute(text("DELETE FROM users WHERE id > 5"))
    guards_before = [i for i in scan_all(raw, prefix + "Users") if i["SK"]["S"] == "#UNIQUE"]
    cli_env({"users": "live"})

    result = _dal("repair", "--entity", "users")

    assert result.exit_code == 0, result.output
    assert _mysql_user_ids(engine) == set(range(1, 21))
    guards_after = [i for i in scan_all(raw, prefix + "Users") if i["SK"]["S"] == "#UNIQUE"]
    assert len(guards_after) == len(guards_before)
    assert _clean(tools) == []


def test_a_live_repair_deletes_a_mysql_row_dynamodb_no_longer_holds(
    engine: Engine, tools: MigrationTools, raw: Any, prefix: str, cli_env: CliEnv
) -> None:
    fill(engine, Sizes(users=3, products=4, carts_per_user=0, orders_per_user=0))
    tools.backfill().run(BackfillOptions())
    raw.delete_item(TableName=prefix + "Products", Key={"PK": {"S": "3"}, "SK": {"S": "#META"}})
    cli_env({"products": "live", "categories": "live"})

    result = _dal("repair", "--entity", "products")

    assert result.exit_code == 0, result.output
    with engine.connect() as connection:
        left = set(connection.execute(select(products.c.id)).scalars())
    assert left == {1, 2, 4}


def test_rows_written_into_mysql_keep_the_layers_ids_and_the_next_create_does_not_collide(
    settings: Settings,
    engine: Engine,
    tools: MigrationTools,
    tmp_path: Path,
    cli_env: CliEnv,
) -> None:
    fill(engine, Sizes(users=4, products=8, carts_per_user=1, orders_per_user=0))
    tools.backfill().run(BackfillOptions())
    log = tmp_path / "repair.jsonl"
    cli_env({"users": "live", "products": "live", "carts": "live", "categories": "live"})
    with _routed(settings, "live", log, tmp_path) as store:
        with store.unit_of_work():
            store.carts.add_item(1, 5, 1)  # the process takes its block of cart ids
            seller = store.users.upgrade_to_seller(2)
            store.products.create(  # and its block of product ids
                NewProduct(seller_id=seller.id, category_id=1, name="Warm-up", price=1)
            )
        with _table_gone(engine, "shopping_carts"), store.unit_of_work():
            store.carts.add_item(1, 6, 2)  # MySQL never gets this line
        with _table_gone(engine, "products"), store.unit_of_work():
            product = store.products.create(
                NewProduct(seller_id=seller.id, category_id=1, name="Lost in MySQL", price=3)
            )
        with store.unit_of_work():
            store.carts.add_item(2, 5, 1)
            store.carts.add_item(2, 6, 1)
        assert len(_open(log)) == 2

        replayed = _dal("repair", "--from-log", str(log))
        assert replayed.exit_code == 0, replayed.output

        with store.unit_of_work():
            store.carts.add_item(3, 5, 1)  # the process's next cart ids
            store.carts.add_item(3, 6, 1)

    assert _open(log) == []  # no collision sent a new entry
    with engine.connect() as connection:
        stored = connection.execute(select(products.c.id).where(products.c.id == product.id))
        assert stored.scalar_one() == product.id
        lines = connection.execute(
            select(shopping_carts.c.user_id, shopping_carts.c.product_id)
        ).all()
        query = text("SELECT sequence, next_value FROM dal_id_blocks")
        blocks = {row.sequence: row.next_value for row in connection.execute(query)}
        highest = connection.execute(select(func.max(shopping_carts.c.id))).scalar_one()
    assert {(1, 6), (3, 5), (3, 6)} <= set(lines)
    assert blocks["products"] > product.id
    assert blocks["shopping_carts"] > highest
    assert _clean(tools) == []


def test_rows_are_written_parents_first_so_one_live_run_repairs_them_all(
    settings: Settings,
    engine: Engine,
    tools: MigrationTools,
    tmp_path: Path,
    cli_env: CliEnv,
) -> None:
    fill(engine, Sizes(users=3, products=3, carts_per_user=0, orders_per_user=0))
    tools.backfill().run(BackfillOptions())
    with _routed(settings, "complete", tmp_path / "repair.jsonl", tmp_path) as store:
        with store.unit_of_work():
            user = store.users.upgrade_to_seller(store.users.create(_new_user("newseller")).id)
            product = store.products.create(
                NewProduct(seller_id=user.id, category_id=1, name="Only in DynamoDB", price=5)
            )
            store.carts.add_item(user.id, product.id, 2)
    cli_env({"users": "live", "products": "live", "carts": "live", "categories": "live"})

    result = _dal("repair")

    assert result.exit_code == 0, result.output
    assert _clean(tools) == []
    with engine.connect() as connection:
        line = connection.execute(
            select(shopping_carts.c.quantity).where(shopping_carts.c.user_id == user.id)
        ).scalar_one()
    assert line == 2


def test_an_entry_is_done_only_once_the_counts_derived_from_it_are_repaired(
    settings: Settings,
    engine: Engine,
    tools: MigrationTools,
    raw: Any,
    prefix: str,
    tmp_path: Path,
    cli_env: CliEnv,
) -> None:
    fill(engine, Sizes(users=3, products=3, carts_per_user=0, orders_per_user=0))
    tools.backfill().run(BackfillOptions())
    log = tmp_path / "repair.jsonl"
    with _routed(settings, "shadow", log, tmp_path) as store:
        with _refuse_writes_to(prefix + "Products") as refused, store.unit_of_work():
            product = store.products.create(
                NewProduct(seller_id=2, category_id=2, name="Only in MySQL", price=7)
            )
        assert refused
    (entry,) = _open(log)
    assert (entry.side, entry.result_key) == ("new", {"id": product.id})
    assert {f["entity"] for f in _clean(tools)} == {"products", "categories"}

    cli_env({})
    result = _dal("repair", "--from-log", str(log), "--json")

    assert result.exit_code == 0, result.output
    assert _clean(tools) == []  # the category's product_count too
    assert _open(log) == []
    report = json.loads(result.stdout)
    assert [a["entity"] for a in report["derived"]] == ["categories"]


def test_a_newer_version_on_the_repaired_side_is_never_overwritten(
    settings: Settings,
    engine: Engine,
    tools: MigrationTools,
    raw: Any,
    prefix: str,
    tmp_path: Path,
    cli_env: CliEnv,
) -> None:
    fill(engine, Sizes(users=3, products=3))
    tools.backfill().run(BackfillOptions())
    log = tmp_path / "repair-log"  # a folder of per-process files, rotated
    created: list[int] = []
    with _routed(settings, "shadow", log, tmp_path) as store:
        with pytest.raises(RuntimeError, match="gives up"):
            _rolled_back(store, "keptnewer", created)
    held = _user_items(raw, prefix, created[0])
    (item,) = [i for i in held if i["SK"]["S"] == "#META"]
    raw.update_item(  # a write DynamoDB took since, as the authoritative side after a promotion
        TableName=prefix + "Users",
        Key={"PK": item["PK"], "SK": item["SK"]},
        UpdateExpression="SET version = :v",
        ExpressionAttributeValues={":v": {"N": "2"}},
    )
    cli_env({})

    result = _dal("repair", "--from-log", str(log), "--json")

    assert result.exit_code == 1, result.output
    (outcome,) = json.loads(result.stdout)["entries"]
    assert outcome["done"] is False
    assert "DynamoDB holds version 2, newer than the entry's 1" in outcome["open_because"]
    assert len(_user_items(raw, prefix, created[0])) == len(held)
    assert len(_open(log)) == 1


# --- replay reads only what its keys need ---------------------------------------------------


@contextmanager
def _requests() -> Iterator[list[tuple[str, str]]]:
    """Every DynamoDB request sent meanwhile, as (operation, table or index) pairs."""
    real = BaseClient._make_api_call
    sent: list[tuple[str, str]] = []

    def call(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        where = str(params.get("IndexName") or params.get("TableName") or "")
        sent.append((operation, where))
        return real(self, operation, params)

    BaseClient._make_api_call = call  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        BaseClient._make_api_call = real  # type: ignore[method-assign]


def test_a_replay_of_a_few_keys_queries_their_index_and_never_scans_the_table(
    engine: Engine, tools: MigrationTools, raw: Any, prefix: str
) -> None:
    fill(engine, Sizes(users=150, categories=1, products=1, carts_per_user=0, orders_per_user=2))
    tools.backfill().run(BackfillOptions())
    with engine.begin() as connection:
        # the items of these rows are no longer where the rows put them now (the sort key
        # holds created_at): only the index on orders.id (GSI3) leads from the key to them
        connection.execute(text("DELETE FROM order_items WHERE order_id IN (5, 9)"))
        connection.execute(orders.delete().where(orders.c.id == 5))
        connection.execute(
            orders.update()
            .where(orders.c.id == 9)
            .values(created_at=datetime(2030, 1, 2, 3, 4, tzinfo=UTC))
        )
    assert len(_order_items(raw, prefix, 5)) == 1
    entries = [
        RepairEntry("orders", "update", "live", "new", "test", {}, key={"id": order_id})
        for order_id in (5, 9, 12)
    ]

    with _requests() as sent:
        report = tools.replayer().run(entries, ReplayOptions(workers=2, recheck=False))

    assert report.ok, report.to_json()
    assert [s for s in sent if s[0] == "Scan"] == []
    assert ("Query", "GSI3") in sent
    assert _order_items(raw, prefix, 5) == []
    (moved,) = _order_items(raw, prefix, 9)
    assert moved["SK"]["S"].startswith("ORDER#2030-01-02")
    assert _clean(tools) == []


def test_a_users_replay_finds_the_items_of_a_deleted_row_and_a_changed_email_by_index(
    engine: Engine,
    tools: MigrationTools,
    raw: Any,
    prefix: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fill(engine, Sizes(users=150, categories=1, products=1, carts_per_user=0, orders_per_user=0))
    tools.backfill().run(BackfillOptions())
    with engine.begin() as connection:
        connection.execute(users.delete().where(users.c.id == 5))
        connection.execute(
            users.update().where(users.c.id == 9).values(email="changed9@example.com")
        )
    assert _user_items(raw, prefix, 5)
    entries = [
        RepairEntry("users", "update", "live", "new", "test", {}, key={"id": user_id})
        for user_id in (5, 9, 12)
    ]

    with caplog.at_level(logging.DEBUG, logger="dal.migrate.verify"):
        report = tools.replayer().run(entries, ReplayOptions(workers=2, recheck=False))

    assert report.ok, report.to_json()
    # the users' own items and guards are read by key; only the cart lines and orders
    # the users feed (no index on their user_id) are looked for by a scan
    scanned = {r.getMessage().split(":")[0] for r in caplog.records if "scanning" in r.message}
    assert scanned == {"carts", "orders"}
    assert _user_items(raw, prefix, 5) == []
    (moved,) = [item for item in _user_items(raw, prefix, 9) if item["SK"]["S"] == "#META"]
    assert moved["PK"]["S"] == "changed9@example.com"
    assert _clean(tools) == []


def _order_items(raw: Any, prefix: str, order_id: int) -> list[dict[str, Any]]:
    """The ORDER items DynamoDB holds for order ``order_id``."""
    return [
        item
        for item in scan_all(raw, prefix + "Users")
        if item.get("GSI3PK", {}).get("S") == str(order_id)
    ]


def test_a_replay_of_keys_no_index_leads_from_still_finds_their_items_by_a_scan(
    engine: Engine, tools: MigrationTools, raw: Any, prefix: str
) -> None:
    fill(engine, Sizes(users=4, products=3))
    tools.backfill().run(BackfillOptions())
    with engine.begin() as connection:
        connection.execute(shopping_carts.delete().where(shopping_carts.c.user_id == 2))
    entries = [
        RepairEntry("carts", "clear", "live", "new", "test", {}, key={"user_id": 2}),
    ]

    with _requests() as sent:
        report = tools.replayer().run(entries, ReplayOptions(workers=2))

    assert report.ok, report.to_json()
    assert ("Scan", prefix + "Users") in sent
    assert not [
        i
        for i in scan_all(raw, prefix + "Users")
        if i["SK"]["S"].startswith("CART#") and i["PK"]["S"] == "user2@example.com"
    ]
    assert _clean(tools) == []
