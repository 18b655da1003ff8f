"""The conformance suite (dal.testing) run on the tracker example's declarations.

The plugin's hooks and fixtures come from :mod:`support.conformance`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.conformance import *  # noqa: F403  (the plugin's hooks and fixtures)

from dal.testing import ConformanceConfig
from examples.tracker import schema
from examples.tracker.declarations import SPECS

CONTRACT = Path(schema.__file__).with_name("contract.json")


@pytest.fixture(scope="session")
def dal_conformance() -> ConformanceConfig:
    """The tracker's entities, contract and MySQL schema."""
    return ConformanceConfig(specs=SPECS, contract=CONTRACT, metadata=schema.metadata)


@pytest.fixture(scope="session")
def dal_sqlite_url(sqlite_url: str) -> str:
    """This run's SQLite database."""
    return sqlite_url


@pytest.fixture(scope="session")
def dal_mysql_url(mysql_url: str) -> str:
    """This run's fresh MariaDB database."""
    return mysql_url


@pytest.fixture(scope="session")
def dal_table_prefix(table_prefix: str) -> str:
    """This run's table prefix, with a part of its own."""
    return f"{table_prefix}generic_"
