"""The router's tests: a MariaDB database with the store's schema, for each module
(:func:`support.stores.store_sides` puts the store on it and on DynamoDB Local)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine


@pytest.fixture(scope="module")
def engine(mysql_url: str) -> Iterator[Engine]:
    """The test database with the store's schema, for the module."""
    from adapters.mysql import create_engine
    from examples.store.migrations import upgrade

    created = create_engine(mysql_url)
    upgrade(created)
    yield created
    created.dispose()
