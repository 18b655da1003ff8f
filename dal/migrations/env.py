"""Alembic environment of the layer's migrations (see :mod:`dal.migrations.environment`)."""

from dal.migrations.environment import run

run()
