"""`dal db`: the layer's own tables in the application's database (MySQL/MariaDB or SQLite).

``dal db upgrade`` creates the tables the layer keeps for itself (the id
allocator's blocks, the backfill's checkpoints); it never touches the
application's tables, and keeps its history in ``dal_alembic_version``.

The database comes from ``--url`` or else the settings (``DAL_MYSQL_URL``, which
has no default). Exit codes (:mod:`dal.commands.exits`): 0 done, 2 bad URL,
revision or settings (``DAL_MYSQL_URL`` not set), 3 the database cannot be used.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.engine import make_url

from dal.commands.exits import exit_codes
from dal.settings import load_settings

__all__ = ["db_app", "register"]

db_app = typer.Typer(
    name="db",
    help="Create and upgrade the layer's own tables in the MySQL database (Alembic).",
    no_args_is_help=True,
)

UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="SQLAlchemy URL of the MySQL database. Default: DAL_MYSQL_URL."),
]


def _migrations() -> ModuleType:
    """:mod:`dal.migrations`, imported when a ``db`` command runs (Alembic is slow to import)."""
    return importlib.import_module("dal.migrations")


def _url(url: str | None) -> str:
    return url if url is not None else load_settings().require_mysql_url()


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@db_app.command("upgrade")
def upgrade_command(
    url: UrlOption = None,
    revision: Annotated[str, typer.Option("--revision", help="Revision to upgrade to.")] = "head",
) -> None:
    """Apply the migrations up to a revision (default: the latest); safe to run again."""
    console = Console(soft_wrap=True)
    with exit_codes():
        target = _url(url)
        migrations = _migrations()
        before = migrations.current(target)
        migrations.upgrade(target, revision)
        after = migrations.current(target)
    if before == after:
        console.print(f"{_shown(target)} is already at {after}; nothing to do.")
    else:
        console.print(f"Upgraded {_shown(target)} from {before or 'no revision'} to {after}.")


@db_app.command("current")
def current_command(url: UrlOption = None) -> None:
    """Show the revision the database is at, and whether it is the latest."""
    console = Console(soft_wrap=True)
    with exit_codes():
        target = _url(url)
        migrations = _migrations()
        revision = migrations.current(target)
        latest = migrations.head()
    if revision is None:
        console.print(f"{_shown(target)} has no migration applied; run `dal db upgrade`.")
    elif revision == latest:
        console.print(f"{_shown(target)} is at {revision} (the latest).")
    else:
        console.print(f"{_shown(target)} is at {revision}; the latest is {latest}.")


def register(app: typer.Typer) -> None:
    """Add the ``db`` command group to ``app``."""
    app.add_typer(db_app, name="db")
