"""A team's own database: the tracker example's tables on MariaDB and DynamoDB Local.

Each test gets a fresh MariaDB database holding the tracker's schema with legacy rows
already in it (written by the old application, ids from AUTO_INCREMENT), the layer's
bookkeeping tables, and the contract's DynamoDB tables under a prefix of its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import servers
from sqlalchemy import Engine, insert

from adapters.mysql import create_engine
from adapters.mysql.tables import id_blocks
from dal.aws import dynamodb_client
from dal.contract import load_contract
from dal.local import mariadb
from dal.migrate.checkpoints import checkpoint_table
from dal.schema import create_tables
from dal.settings import Settings
from examples.tracker import CONTRACT, schema

_serial = itertools.count(1)
LEGACY_TICKETS = 12
"""Tickets 1..12 of project 1 exist before the migration starts."""


@pytest.fixture
def engine(mysql_server_url: str) -> Iterator[Engine]:
    """A fresh database with the tracker's legacy rows; dropped afterwards."""
    name = servers.unique_name("dal_own_")
    url = mariadb.create_database(mysql_server_url, name)
    created = create_engine(url)
    schema.metadata.create_all(created)
    checkpoint_table.create(created)
    id_blocks.create(created)
    _legacy_rows(created)
    yield created
    created.dispose()
    mariadb.drop_database(mysql_server_url, name)


def _legacy_rows(engine: Engine) -> None:
    start = datetime(2025, 6, 1, 8, 30)
    stamps = {"version": 1, "created_at": start, "updated_at": start}
    projects = ((1, "Apollo", "ada@example.com"), (2, "Gemini", "grace@example.com"))
    with engine.begin() as connection:
        connection.execute(
            insert(schema.projects),
            [{"id": i, "name": n, "owner_email": e, **stamps} for i, n, e in projects],
        )
        connection.execute(
            insert(schema.labels),
            [
                {"id": 1, "project_id": 1, "title": "bug", "created_at": start},
                {"id": 2, "project_id": 1, "title": "feature", "created_at": start},
            ],
        )
        tickets = [_ticket(n, start) for n in range(1, LEGACY_TICKETS + 1)]
        connection.execute(insert(schema.tickets), tickets)


def _ticket(number: int, start: datetime) -> dict[str, Any]:
    due = None if number % 4 == 0 else start + timedelta(days=number, microseconds=123456 + number)
    return {
        "project_id": 1,
        "number": number,
        "code": f"APO-{number}",
        "title": f"Ticket {number}",
        "status": ("open", "in_progress", "closed")[number % 3],
        "estimate": Decimal(number) / Decimal(8),
        "due_at": due,
        "label_id": None if number % 3 == 0 else 1 + number % 2,
        "version": 1,
        "created_at": start,
        "updated_at": start,
    }


@pytest.fixture
def raw(dynamodb_endpoint: str) -> Any:
    """A plain boto3 client, to plant drift and read items as stored."""
    return dynamodb_client(dynamodb_endpoint, "us-east-1")


@pytest.fixture
def prefix(table_prefix: str, raw: Any) -> str:
    """The test's table prefix, with the tracker contract's tables created."""
    chosen = f"{table_prefix}own{next(_serial)}_"
    create_tables(raw, load_contract(CONTRACT), chosen)
    return chosen


@pytest.fixture(params=["declared", "contract_only"])
def declarations(request: pytest.FixtureRequest) -> str | None:
    """The tracker's own declarations, or none at all (defaults from contract and tables)."""
    return "examples.tracker.declarations" if request.param == "declared" else None


@pytest.fixture
def settings_at(
    engine: Engine,
    dynamodb_endpoint: str,
    prefix: str,
    declarations: str | None,
    tmp_path: Path,
) -> Callable[[str], Settings]:
    """Settings of the test's database and tables with every entity at one stage."""

    def at(stage: str) -> Settings:
        flags = tmp_path / f"flags-{stage}.toml"
        lines = ["[stages]", *(f'{name} = "{stage}"' for name in ("projects", "labels", "tickets"))]
        flags.write_text("\n".join(lines) + "\n")
        return Settings(
            mysql_url=engine.url.render_as_string(hide_password=False),
            dynamodb_endpoint=dynamodb_endpoint,
            dynamodb_region="us-east-1",
            table_prefix=prefix,
            contract=CONTRACT,
            flags=flags,
            declarations=declarations,
        )

    return at
