"""Schema migrations (Alembic, run from Python; no alembic.ini needed).

:class:`Migrations` runs one Alembic script directory against a database, with a
version table of its own, so the layer's migrations and an application's own
never touch each other's history. :data:`LAYER` holds the layer's: the tables it
keeps for itself in the application's database, created where absent:

* ``0001_layer_tables``: ``dal_id_blocks`` (the hi/lo blocks of the SQL id
  allocator) and ``dal_backfill_checkpoints`` (one checkpoint per entity and
  segment of ``dal backfill``);
* ``0002_checkpoint_target``: ``dal_backfill_checkpoints.target``, the identity of
  the DynamoDB tables a backfill pass writes;
* ``0003_cdc_positions``: ``dal_cdc_positions``, the positions of change data capture
  (``dal cdc``) and the binary-log position each backfill pass started from.

Their history is kept in ``dal_alembic_version``. The version columns that
declarations opt into are added outside this history, by
:func:`dal.migrations.optimistic.add_version_columns` (declarations change without
a revision).

Use::

    from dal.migrations import upgrade
    upgrade("mysql+pymysql://user:password@host/app")    # or an Engine

An application with its own schema migrations runs them through another
:class:`Migrations` (the reference store does, in ``examples/store/migrations``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

__all__ = [
    "LAYER",
    "LAYER_VERSION_TABLE",
    "MIGRATIONS_DIR",
    "Migrations",
    "current",
    "downgrade",
    "head",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent
"""The layer's Alembic script directory (``env.py``, ``versions/``)."""

LAYER_VERSION_TABLE = "dal_alembic_version"
"""Where the layer's migration history is kept (not the application's ``alembic_version``)."""

_BACKENDS = frozenset({"mysql", "mariadb", "sqlite"})


@dataclass(frozen=True)
class Migrations:
    """One Alembic script directory and the version table its history is kept in."""

    script_location: Path
    version_table: str = "alembic_version"

    def upgrade(self, url_or_engine: str | Engine, revision: str = "head") -> None:
        """Apply the migrations up to ``revision`` (default: the latest); a no-op when there."""
        with _connection(url_or_engine) as connection:
            command.upgrade(self._config(connection), revision)

    def downgrade(self, url_or_engine: str | Engine, revision: str) -> None:
        """Revert the migrations down to ``revision`` (``"base"`` reverts all of them)."""
        with _connection(url_or_engine) as connection:
            command.downgrade(self._config(connection), revision)

    def current(self, url_or_engine: str | Engine) -> str | None:
        """The revision the database is at, or None before the first migration."""
        with _connection(url_or_engine) as connection:
            context = MigrationContext.configure(
                connection, opts={"version_table": self.version_table}
            )
            return context.get_current_revision()

    def head(self) -> str:
        """The latest revision."""
        revision = ScriptDirectory.from_config(self._config(None)).get_current_head()
        if revision is None:  # pragma: no cover - every script directory ships revisions
            raise RuntimeError(f"no migrations found in {self.script_location}")
        return revision

    def _config(self, connection: Connection | None) -> Config:
        config = Config()
        config.set_main_option("script_location", str(self.script_location))
        config.attributes["connection"] = connection
        config.attributes["version_table"] = self.version_table
        return config


LAYER = Migrations(MIGRATIONS_DIR, LAYER_VERSION_TABLE)
"""The layer's own migrations."""


def upgrade(url_or_engine: str | Engine, revision: str = "head") -> None:
    """Apply the layer's migrations up to ``revision`` (default: the latest)."""
    LAYER.upgrade(url_or_engine, revision)


def downgrade(url_or_engine: str | Engine, revision: str) -> None:
    """Revert the layer's migrations down to ``revision`` (``"base"``: all of them)."""
    LAYER.downgrade(url_or_engine, revision)


def current(url_or_engine: str | Engine) -> str | None:
    """The layer's revision of the database, or None before its first migration."""
    return LAYER.current(url_or_engine)


def head() -> str:
    """The layer's latest revision."""
    return LAYER.head()


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
