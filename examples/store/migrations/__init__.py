"""The store's schema migrations: its legacy schema where absent, then version columns.

* ``0001_legacy_schema`` creates each table of the store (``reference/store.md``)
  that does not exist yet and leaves existing ones untouched, so it is safe on a
  running store database;
* ``0002_version_columns`` adds ``version INT NOT NULL DEFAULT 1`` to users,
  categories, products and orders (existing rows start at version 1).

:func:`upgrade` applies the layer's migrations (:mod:`dal.migrations`) and then
these, each with its own history::

    from examples.store.migrations import upgrade
    upgrade("mysql+pymysql://user:password@host/store")
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from dal.migrations import LAYER, Migrations

__all__ = ["STORE", "upgrade"]

STORE = Migrations(Path(__file__).resolve().parent, "alembic_version")
"""The store's own migrations (history in ``alembic_version``)."""


def upgrade(url_or_engine: str | Engine) -> None:
    """Bring a store database to the latest schema: the layer's tables, then the store's."""
    LAYER.upgrade(url_or_engine)
    STORE.upgrade(url_or_engine)
