"""Everything the fault suite asks of the layer, in one place.

The suite reaches the layer only through the functions below: the settings of a
case (the time budget included), the routed store of the store example, plain
stores of each side for the checks, and the ``dal`` commands (in this process,
or as a child process that can be killed). When the layer's settings or
commands change, this is the module to adapt.

**The time budget.** :class:`Budget` holds every wait the suite configures; it is
applied through the layer's own settings (``DAL_MYSQL_*_TIMEOUT``,
``DAL_DYNAMODB_*_TIMEOUT``, ``DAL_SECONDARY_WRITE_BUDGET``,
``DAL_SECONDARY_SLOW_THRESHOLD``, see ``docs/timeouts.md``) in :func:`_apply_budget`.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from dependency_injector import providers
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from dal.aws import dynamodb_client
from dal.cli import app
from dal.contract import load_contract
from dal.local import mariadb
from dal.routing import MemoryRecorder, RepairLog, ShadowSettings
from dal.schema import create_tables
from dal.settings import Settings
from examples.store import CONTRACT
from examples.store.migrations import upgrade
from examples.store.store import Store
from examples.store.wiring import DECLARATIONS, store_container

ROOT = Path(__file__).parents[3]
ENTITIES = ("users", "categories", "products", "carts", "orders")
STAGES = ("off", "dual_write", "shadow", "live", "rampdown", "complete")

Backend = Literal["mysql", "dynamodb"]
Role = Literal["primary", "secondary"]

AUTHORITATIVE: dict[str, Backend] = {
    "off": "mysql",
    "dual_write": "mysql",
    "shadow": "mysql",
    "live": "dynamodb",
    "rampdown": "dynamodb",
    "complete": "dynamodb",
}
"""The side a stage's writes go to first, whose answer the caller gets."""

WRITTEN: dict[str, tuple[Backend, ...]] = {
    "off": ("mysql",),
    "complete": ("dynamodb",),
    **dict.fromkeys(("dual_write", "shadow", "live", "rampdown"), ("mysql", "dynamodb")),
}
"""The sides a stage's writes reach."""


def role(stage: str, backend: Backend) -> Role | None:
    """What ``backend`` is to the stage's writes (None: not written at all)."""
    if backend not in WRITTEN[stage]:
        return None
    return "primary" if AUTHORITATIVE[stage] == backend else "secondary"


@dataclass(frozen=True)
class Budget:
    """Every wait the suite configures, in seconds."""

    mysql_connect: float = 1.0
    mysql_read: float = 1.0
    mysql_write: float = 1.0
    dynamodb_connect: float = 0.5
    dynamodb_read: float = 1.0
    secondary_write: float = 0.5
    """How long a caller may wait for the second side of a write."""
    allowance: float = 1.0
    """The call's own work on the healthy side, on a loaded two-core machine."""

    def limit(self, faulted: Backend, faulted_role: Role | None) -> float:
        """The longest a caller may wait while ``faulted`` fails in that role.

        A failing primary: one connection attempt and one request, then the error.
        A failing secondary: the secondary budget. Both plus the call's own work.
        """
        if faulted_role == "primary":
            if faulted == "mysql":
                return self.mysql_connect + self.mysql_read + self.allowance
            return self.dynamodb_connect + self.dynamodb_read + self.allowance
        return self.secondary_write + self.allowance


BUDGET = Budget()


@dataclass(frozen=True)
class Backends:
    """Where one case's data lives, directly and through the fault proxies."""

    stage: str
    mysql_url: str
    proxied_mysql_url: str
    endpoint: str
    proxied_endpoint: str
    prefix: str
    folder: Path

    @property
    def flags(self) -> Path:
        return self.folder / "flags.toml"

    @property
    def repair_log(self) -> Path:
        return self.folder / "repair.jsonl"


# --- setting a case up ---------------------------------------------------------------------


def create_store_database(server_url: str, name: str) -> str:
    """A fresh store database (the layer's and the store's migrations); its URL."""
    url = mariadb.create_database(server_url, name)
    upgrade(url)
    return url


def drop_database(server_url: str, name: str) -> None:
    mariadb.drop_database(server_url, name)


def create_store_tables(endpoint: str, prefix: str) -> None:
    """The store contract's DynamoDB tables under ``prefix``."""
    create_tables(dynamodb_client(endpoint, "us-east-1"), load_contract(CONTRACT), prefix)


def via(url: str, port: int) -> str:
    """``url`` with its port replaced (a database URL or an endpoint)."""
    if url.startswith("http"):
        host = url.rsplit(":", 1)[0]
        return f"{host}:{port}"
    return make_url(url).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)


def write_flags(path: Path, stage: str) -> None:
    """A flags file with every entity of the store at ``stage``."""
    lines = ["[stages]", *(f'{entity} = "{stage}"' for entity in ENTITIES)]
    path.write_text("\n".join(lines) + "\n")


def settings(backends: Backends, *, proxied: bool) -> Settings:
    """The layer's settings of a case, through the proxies or straight to the servers."""
    return Settings(
        mysql_url=backends.proxied_mysql_url if proxied else backends.mysql_url,
        dynamodb_endpoint=backends.proxied_endpoint if proxied else backends.endpoint,
        dynamodb_region="us-east-1",
        table_prefix=backends.prefix,
        contract=CONTRACT,
        declarations=DECLARATIONS,
        flags=backends.flags,
    )


# --- the budget, applied ---------------------------------------------------------------------


def _apply_budget(base: Settings, budget: Budget) -> Settings:
    """``base`` with the budget's timeouts, secondary write budget and slow-call threshold."""
    return base.model_copy(
        update={
            "mysql_connect_timeout": budget.mysql_connect,
            "mysql_read_timeout": budget.mysql_read,
            "mysql_write_timeout": budget.mysql_write,
            "dynamodb_connect_timeout": budget.dynamodb_connect,
            "dynamodb_read_timeout": budget.dynamodb_read,
            "secondary_write_budget": budget.secondary_write,
            "secondary_slow_threshold": budget.secondary_write / 2,
        }
    )


def _shadow_settings(budget: Budget) -> ShadowSettings:
    """Quick to open and to close again: a few seconds of fault must show both."""
    return ShadowSettings(
        budget=budget.secondary_write,
        write_budget=budget.secondary_write,
        slow_call=budget.secondary_write / 2,
        breaker_threshold=3,
        breaker_cooldown=1.0,
    )


@dataclass
class Routed:
    """The routed store of a case and what it recorded."""

    store: Store
    recorder: MemoryRecorder
    flush: Any


@contextlib.contextmanager
def routed_store(backends: Backends, budget: Budget = BUDGET) -> Iterator[Routed]:
    """The store example's routed store over the proxies, its waits bounded by ``budget``.

    Failed second writes go to the case's repair log. Leaving the block flushes the
    router and closes everything.
    """
    container = store_container(_apply_budget(settings(backends, proxied=True), budget))
    recorder = MemoryRecorder()
    container.recorder.override(providers.Object(recorder))
    container.repair_log.override(providers.Object(RepairLog(backends.repair_log)))
    container.shadow_settings.override(providers.Object(_shadow_settings(budget)))
    try:
        store = container.routed_store()
        assert isinstance(store, Store)
        router = container.router()
        yield Routed(store, recorder, router.flush)
    finally:
        container.shutdown_resources()


@contextlib.contextmanager
def plain_stores(backends: Backends) -> Iterator[dict[Backend, Store]]:
    """Each side's store on its own, straight to the servers (no proxy, no router)."""
    container = store_container(settings(backends, proxied=False))
    try:
        mysql, dynamodb = container.mysql_store(), container.dynamodb_store()
        assert isinstance(mysql, Store)
        assert isinstance(dynamodb, Store)
        yield {"mysql": mysql, "dynamodb": dynamodb}
    finally:
        container.shutdown_resources()


def repair_log_entries(backends: Backends) -> int:
    """How many entries the router appended to the case's repair log."""
    if not backends.repair_log.is_file():
        return 0
    return sum(1 for _ in RepairLog(backends.repair_log).read(include_done=True))


# --- the dal commands --------------------------------------------------------------------------


def command_env(backends: Backends) -> dict[str, str]:
    """The ``DAL_*`` variables of a case, straight to the servers, with its flags file."""
    chosen = settings(backends, proxied=False)
    return {
        "DAL_MYSQL_URL": chosen.mysql_url,
        "DAL_DYNAMODB_ENDPOINT": chosen.dynamodb_endpoint or "",
        "DAL_DYNAMODB_REGION": chosen.dynamodb_region,
        "DAL_TABLE_PREFIX": chosen.table_prefix,
        "DAL_CONTRACT": str(chosen.contract),
        "DAL_DECLARATIONS": chosen.declarations or "",
        "DAL_FLAGS": str(backends.flags),
    }


@dataclass(frozen=True)
class Result:
    """A command's exit code and what it printed on standard output."""

    exit_code: int
    stdout: str
    output: str = ""
    """Standard output and error, as a person would have seen them."""

    @property
    def said(self) -> str:
        """The last line printed (the error, when the command failed)."""
        lines = [line for line in self.output.strip().splitlines() if line.strip()]
        return lines[-1][:300] if lines else ""

    def json(self) -> Any:
        return json.loads(self.stdout)


def dal(backends: Backends, *args: str) -> Result:
    """Run ``dal <args>`` in this process against the case's servers."""
    result = CliRunner().invoke(app, list(args), env=command_env(backends))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Result(result.exit_code, result.stdout, result.output)


def dal_process(backends: Backends, *args: str) -> subprocess.Popen[bytes]:
    """``python -m dal <args>`` as a child process (to be killed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAL_")}
    env.update(command_env(backends))
    return subprocess.Popen(
        [sys.executable, "-m", "dal", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def findings(backends: Backends, *entities: str) -> list[dict[str, Any]]:
    """What ``dal verify`` finds that fails verification (every entity unless named).

    Differences of denormalized fields only (a cart line's snapshot of a product's
    price) are expected staleness, not divergences: ``dal verify`` passes with them.
    """
    chosen = [arg for entity in entities for arg in ("--entity", entity)]
    result = dal(backends, "verify", "--json", *chosen)
    assert result.exit_code in (0, 1), f"dal verify exited {result.exit_code}: {result.stdout}"
    found: list[dict[str, Any]] = result.json()["findings"]
    return [finding for finding in found if finding.get("kind") != "denormalized"]


@dataclass
class Reconciled:
    """What ``dal repair`` then ``dal verify`` came to."""

    steps: list[str]
    divergences: list[dict[str, Any]]


def repair_then_verify(backends: Backends) -> Reconciled:
    """``dal repair --from-log`` (when the log has entries), then a whole repair if needed.

    Each repair is followed by ``dal verify``; the findings of the last one are left.
    """
    steps: list[str] = []
    if repair_log_entries(backends):
        result = dal(backends, "repair", "--from-log", str(backends.repair_log), "--json")
        steps.append(f"repair --from-log: exit {result.exit_code} ({result.said})")
        left = findings(backends)
        if not left:
            return Reconciled(steps, left)
    result = dal(backends, "repair", "--json")
    steps.append(f"repair: exit {result.exit_code} ({result.said})")
    return Reconciled(steps, findings(backends))


# --- raw DynamoDB --------------------------------------------------------------------------------


def scan_keys(endpoint: str, table: str) -> list[tuple[str, str]]:
    """Every item's (PK, SK) in ``table``, consistently read."""
    client = dynamodb_client(endpoint, "us-east-1")
    keys: list[tuple[str, str]] = []
    for page in client.get_paginator("scan").paginate(
        TableName=table, ConsistentRead=True, ProjectionExpression="PK, SK"
    ):
        keys += [(item["PK"]["S"], item["SK"]["S"]) for item in page.get("Items", [])]
    return keys


def count_items(endpoint: str, table: str) -> int:
    """How many items ``table`` holds."""
    client = dynamodb_client(endpoint, "us-east-1")
    return sum(
        page["Count"]
        for page in client.get_paginator("scan").paginate(TableName=table, Select="COUNT")
    )


# --- rows the old application wrote -------------------------------------------------------------


def insert_legacy_rows(mysql_url: str, products: int) -> None:
    """A seller, a category and ``products`` products (ids from 1), straight into MySQL."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from sqlalchemy import insert

    from adapters.mysql import create_engine
    from examples.store.schema import categories, users
    from examples.store.schema import products as product_table

    at = datetime(2026, 1, 1, tzinfo=UTC)
    stamps = {"created_at": at, "updated_at": at, "version": 1}
    engine = create_engine(mysql_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(users),
                [
                    {
                        "id": 1,
                        "username": "legacy-seller",
                        "email": "seller@legacy.example",
                        "password_hash": "$2b$12$legacy",
                        "is_seller": True,
                        "super_admin": False,
                        **stamps,
                    }
                ],
            )
            connection.execute(
                insert(categories),
                [{"id": 1, "name": "Legacy", "created_at": at, "version": 1}],
            )
            connection.execute(
                insert(product_table),
                [
                    {
                        "id": n,
                        "seller_id": 1,
                        "category_id": 1,
                        "name": f"Legacy product {n}",
                        "description": f"Description {n}",
                        "price": Decimal(n % 1000) + Decimal("0.99"),
                        "inventory_quantity": n % 50,
                        **stamps,
                    }
                    for n in range(1, products + 1)
                ],
            )
    finally:
        engine.dispose()
