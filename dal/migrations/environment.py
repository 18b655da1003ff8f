"""The Alembic environment every :class:`~dal.migrations.Migrations` directory runs.

:class:`~dal.migrations.Migrations` passes an open connection in
``config.attributes["connection"]`` and its version table in
``config.attributes["version_table"]``; the ``alembic`` command line can use a
``sqlalchemy.url`` option instead. A script directory's ``env.py`` calls :func:`run`.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine
from sqlalchemy.pool import NullPool


def _run(connection: Connection) -> None:
    version_table = context.config.attributes.get("version_table", "alembic_version")
    context.configure(connection=connection, target_metadata=None, version_table=version_table)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations() -> None:
    """Run the migrations on the given connection, or on ``sqlalchemy.url``."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection given and no sqlalchemy.url configured")
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as own:
            _run(own)
    finally:
        engine.dispose()


def run() -> None:
    """What an ``env.py`` runs: the migrations, online only."""
    if context.is_offline_mode():
        raise RuntimeError("offline (SQL script) mode is not supported; run against a database")
    run_migrations()
