"""Fixtures of the backfill/verify/repair tests: a fresh store database and fresh tables per test.

Each test gets its own MySQL database (created by the layer's migrations, dropped
afterwards) and its own DynamoDB tables under a sub-prefix of the run's
``table_prefix`` (deleted with the run's tables).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support import backfills

from dal.contract import Contract, load_contract
from dal.migrate.tools import MigrationTools, open_tools
from dal.schema import create_tables
from dal.settings import Settings
from examples.store import CONTRACT as STORE_CONTRACT

ROOT = Path(__file__).parents[3]
_serial = itertools.count(1)

raw = backfills.raw
store_url = backfills.store_url
engine = backfills.engine


@pytest.fixture(scope="session")
def contract_path() -> Path:
    """The project's migration contract."""
    return STORE_CONTRACT


@pytest.fixture(scope="session")
def contract(contract_path: Path) -> Contract:
    """The loaded project contract."""
    return load_contract(contract_path)


@pytest.fixture
def prefix(table_prefix: str, raw: Any, contract: Contract) -> str:
    """A table prefix of this test, with the contract's tables created."""
    chosen = f"{table_prefix}m{next(_serial)}_"
    create_tables(raw, contract, chosen)
    return chosen


@pytest.fixture
def settings(store_url: str, dynamodb_endpoint: str, prefix: str, contract_path: Path) -> Settings:
    """Settings of the test's database and tables."""
    return Settings(
        mysql_url=store_url,
        dynamodb_endpoint=dynamodb_endpoint,
        dynamodb_region="us-east-1",
        table_prefix=prefix,
        contract=contract_path,
        declarations="examples.store.declarations",
    )


@pytest.fixture
def tools(settings: Settings) -> Iterator[MigrationTools]:
    """Backfill, verify and repair over the test's database and tables."""
    with open_tools(settings, workers=2) as opened:
        yield opened


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, tmp_path: Path
) -> Callable[[dict[str, str]], None]:
    """Point the ``dal`` command at the test's database and tables (and optional flags)."""

    def apply(flags: dict[str, str]) -> None:
        monkeypatch.setenv("DAL_MYSQL_URL", settings.mysql_url)
        monkeypatch.setenv("DAL_DYNAMODB_ENDPOINT", settings.dynamodb_endpoint or "")
        monkeypatch.setenv("DAL_DYNAMODB_REGION", settings.dynamodb_region)
        monkeypatch.setenv("DAL_TABLE_PREFIX", settings.table_prefix)
        monkeypatch.setenv("DAL_CONTRACT", str(settings.contract))
        monkeypatch.setenv("DAL_DECLARATIONS", settings.declarations or "")
        if flags:
            path = tmp_path / "flags.toml"
            lines = ["[stages]", *(f'{name} = "{stage}"' for name, stage in flags.items())]
            path.write_text("\n".join(lines) + "\n")
            monkeypatch.setenv("DAL_FLAGS", str(path))

    apply({})
    return apply
