"""The conformance suite (dal.testing) run on the tracker's default declarations.

No declaration at all: every entity is what ``dal.entities`` builds from the
contract and the tracker's tables.

pytest accepts ``pytest_plugins`` only in the top-level conftest, so this folder
takes the plugin's hooks and fixtures by importing them (and defines the ones it
overrides); a project enabling the suite in its top-level conftest writes
``pytest_plugins = ["dal.testing.plugin"]`` instead.
The server fixtures point at this repository's own (``tests/conftest.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dal.contract import load_contract
from dal.entities import resolve_specs
from dal.testing import ConformanceConfig
from dal.testing.plugin import (  # noqa: F401  (the plugin's hooks and fixtures, see above)
    dal_backend,
    dal_backend_session,
    dal_clock,
    dal_entity,
    dal_harness,
    dal_repositories,
    dal_samples,
    dal_spec,
    pytest_configure,
    pytest_generate_tests,
)
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
def dal_dynamodb_endpoint(dynamodb_endpoint: str) -> str:
    """This run's DynamoDB Local."""
    return dynamodb_endpoint


@pytest.fixture(scope="session")
def dal_table_prefix(table_prefix: str) -> str:
    """This run's table prefix, with a part of its own."""
    return f"{table_prefix}defaults_"
