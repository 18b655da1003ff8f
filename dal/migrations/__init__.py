"""Schema migrations of the store database (Alembic, run from Python; no alembic.ini needed).

* ``0001_legacy_schema`` creates the legacy store schema (``reference/store.md``)
  where it is absent, table by table, and leaves existing tables untouched, so it
  is safe on a running store database.
* ``0002_layer_additions`` adds what the layer needs: a ``version`` column
  (``INT NOT NULL DEFAULT 1``, so existing rows start at version 1) on users,
  categories, products and orders, and the ``dal_id_blocks`` table of the id
  allocator.
* ``0003_backfill_checkpoints`` creates ``dal_backfill_checkpoints``, where
  ``dal backfill`` keeps one checkpoint per entity and segment.

Use::

    from dal.migrations import upgrade
    upgrade("mysql+pymysql://user:password@host/store")    # or an Engine
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

__all__ = ["MIGRATIONS_DIR", "current", "downgrade", "head", "upgrade"]

MIGRATIONS_DIR = Path(__file__).resolve().parent
"""The Alembic script directory (``env.py``, ``versions/``)."""

_BACKENDS = frozenset({"mysql", "mariadb", "sqlite"})


def upgrade(url_or_engine: str | Engine, revision: str = "head") -> None:
    """Apply the migrations up to ``revision`` (default: the latest); a no-op when there."""
    with _connection(url_or_engine) as connection:
        command.upgrade(_config(connection), revision)


def downgrade(url_or_engine: str | Engine, revision: str) -> None:
    """Revert the migrations down to ``revision`` (``"base"`` reverts all of them)."""
    with _connection(url_or_engine) as connection:
        command.downgrade(_config(connection), revision)


def current(url_or_engine: str | Engine) -> str | None:
    """The revision the database is at, or None before the first migration."""
    with _connection(url_or_engine) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head() -> str:
    """The latest revision."""
    revision = ScriptDirectory.from_config(_config(None)).get_current_head()
    if revision is None:  # pragma: no cover - the package always ships revisions
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return revision


def _config(connection: Connection | None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


@contextmanager
def _connection(url_or_engine: str | Engine) -> Iterator[Connection]:
    """A connection in a transaction that commits when the block ends normally."""
    if isinstance(url_or_engine, Engine):
        with url_or_engine.begin() as connection:
            yield connection
        return
    engine = create_engine(_checked_url(url_or_engine), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        engine.dispose()


def _checked_url(url: str) -> str:
    """``url`` with utf8mb4 for MySQL; ValueError for a database the layer does not migrate."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in _BACKENDS:
        raise ValueError(
            f"unsupported database {backend!r}: use a mysql+pymysql://, "
            "mariadb+pymysql:// or sqlite:/// URL"
        )
    if backend != "sqlite" and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    return parsed.render_as_string(hide_password=False)
