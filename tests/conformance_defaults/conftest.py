"""The conformance suite (dal.testing) run on the tracker's default declarations.

No declaration at all: every entity is what ``dal.entities`` builds from the
contract and the tracker's tables.

The plugin's hooks and fixtures come from :mod:`support.conformance`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.conformance import *  # noqa: F403  (the plugin's hooks and fixtures)

from dal.contract import load_contract
from dal.entities import resolve_specs
from dal.testing import ConformanceConfig
from examples.tracker import schema

CONTRACT = Path(schema.__file__).with_name("contract.json")


@pytest.fixture(scope="session")
def dal_conformance() -> ConformanceConfig:
    """The tracker's entities as the defaults make them, its contract and MySQL schema."""
    specs = resolve_specs(load_contract(CONTRACT), dict(schema.metadata.tables))
    return ConformanceConfig(
        specs=tuple(specs.values()), contract=CONTRACT, metadata=schema.metadata
    )


@pytest.fixture(scope="session")
def dal_sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database of this folder's own."""
    return f"sqlite:///{tmp_path_factory.mktemp('defaults') / 'tracker.db'}"


@pytest.fixture(scope="session")
def dal_mysql_url(mysql_url: str) -> str:
    """This run's fresh MariaDB database."""
    return mysql_url


@pytest.fixture(scope="session")
def dal_table_prefix(table_prefix: str) -> str:
    """This run's table prefix, with a part of its own."""
    return f"{table_prefix}defaults_"
