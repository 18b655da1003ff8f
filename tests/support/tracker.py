"""The tracker example's tables on a fresh MariaDB database, for integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import servers
from sqlalchemy import Engine, insert

from adapters.mysql import create_engine
from adapters.mysql.tables import id_blocks
from dal.local import mariadb
from dal.migrate.checkpoints import checkpoint_table
from examples.tracker import schema

__all__ = ["tracker_database"]


@contextmanager
def tracker_database(server_url: str, prefix: str, owner_email: str) -> Iterator[Engine]:
    """A database named ``prefix`` + a unique suffix with the tracker's tables, the layer's
    id blocks and backfill checkpoints, and project 1 (owned by ``owner_email``);
    dropped at the end."""
    name = servers.unique_name(prefix)
    url = mariadb.create_database(server_url, name)
    created = create_engine(url)
    schema.metadata.create_all(created)
    checkpoint_table.create(created)
    id_blocks.create(created)
    start = datetime(2025, 6, 1, 8, 30)
    project = {"id": 1, "name": "Project one", "owner_email": owner_email, "version": 1}
    with created.begin() as connection:
        connection.execute(
            insert(schema.projects), [project | {"created_at": start, "updated_at": start}]
        )
    try:
        yield created
    finally:
        created.dispose()
        mariadb.drop_database(server_url, name)
