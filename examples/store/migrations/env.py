"""Alembic environment of the store's migrations (see :mod:`dal.migrations.environment`)."""

from dal.migrations.environment import run

run()
