"""`dal db`: the layer's own tables in the application's database (MySQL/MariaDB or SQLite).

``dal db upgrade`` creates the tables the layer keeps for itself (the id
allocator's blocks, the backfill's checkpoints) and keeps its history in
``dal_alembic_version``; of the application's tables it touches only those
whose declaration (``DAL_DECLARATIONS``) opts into optimistic concurrency and
lacks the version column, which it adds (``INT NOT NULL DEFAULT 1``).

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
        added = _version_columns(target)
    if before == after:
        console.print(f"{_shown(target)} is already at {after}; nothing to do.")
    else:
        console.print(f"Upgraded {_shown(target)} from {before or 'no revision'} to {after}.")
    for column in added:
        console.print(f"Added the version column {column} (a declaration opts into it).")


def _version_columns(url: str) -> list[str]:
    """Add the version columns the declarations (``DAL_DECLARATIONS``) opt into, if any."""
    declarations = load_settings().declarations
    if not declarations:
        return []
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from dal.entities import load_declarations
    from dal.migrations.optimistic import add_version_columns

    engine = create_engine(url, poolclass=NullPool)
    try:
        return add_version_columns(engine, load_declarations(declarations))
    finally:
        engine.dispose()


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
