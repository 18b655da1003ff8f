"""`dal contract draft`: a migration contract, declarations and design.md from the database.

``dal contract draft --out DIR`` reads the schema behind ``DAL_MYSQL_URL`` and
writes ``DIR/migration_contract.json``, a Python module of entity declarations and
``DIR/design.md`` (``docs/draft.md``). Exit codes (:mod:`dal.commands.exits`): 0
written, 2 bad options, overrides or settings, 3 the database cannot be read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dal.commands.contract import contract_app
from dal.commands.exits import UsageError, exit_codes
from dal.settings import load_settings

__all__ = ["draft_command", "register"]


@contract_app.command("draft")
def draft_command(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the three files into.")],
    layout: Annotated[
        str | None,
        typer.Option("--layout", help="aggregate (default), single or per-table."),
    ] = None,
    overrides: Annotated[
        Path | None, typer.Option("--overrides", help="A TOML file that changes choices.")
    ] = None,
    module: Annotated[
        str, typer.Option("--module", help="Name of the generated Python module.")
    ] = "declarations",
    queries: Annotated[
        Path | None,
        typer.Option("--queries", help="A general log, slow log or SQL file to map."),
    ] = None,
    compare: Annotated[
        Path | None,
        typer.Option("--compare", help="A contract to list the differences from in design.md."),
    ] = None,
    url: Annotated[
        str | None, typer.Option("--url", help="Database URL. Default: DAL_MYSQL_URL.")
    ] = None,
) -> None:
    """Draft migration_contract.json, entity declarations and design.md from the live schema."""
    from sqlalchemy import create_engine

    from dal.contract.draft import DraftError, DraftOptions, Layout, draft, write_draft

    console = Console(soft_wrap=True)
    with exit_codes():
        for path in (overrides, queries, compare):
            if path is not None and not path.is_file():
                raise UsageError(f"{path}: no such file")
        try:
            chosen = Layout(layout) if layout is not None else None
        except ValueError:
            allowed = ", ".join(item.value for item in Layout)
            raise UsageError(f"--layout: unknown layout {layout!r}; allowed: {allowed}") from None
        engine = create_engine(url if url is not None else load_settings().require_mysql_url())
        try:
            options = DraftOptions(chosen, module, overrides, queries, compare)
            drafted = draft(engine, options)
        except DraftError as error:
            raise UsageError(str(error)) from error
        finally:
            engine.dispose()
        written = write_draft(drafted, out)
    design = drafted.design
    counts = (
        _count(len(design.entities), "entity", "entities"),
        _count(len(design.tables), "DynamoDB table", "DynamoDB tables"),
        _count(len(design.schema.views), "view", "views"),
        _count(len(design.schema.skipped), "table", "tables"),
    )
    console.print(
        f"Drafted {counts[0]} in {counts[1]} ({design.layout.value}); "
        f"skipped {counts[2]} and {counts[3]} (see design.md)."
    )
    if drafted.queries is not None:
        scans = drafted.queries.scans
        console.print(
            f"Query log: {drafted.queries.statements} statements, {len(drafted.queries.shapes)} "
            f"shapes, {len(scans)} needing a scan ({sum(s.count for s in scans)} statements)."
        )
    console.print("Written: " + ", ".join(str(path) for path in written))


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def register(app: typer.Typer) -> None:
    """Nothing to add to ``app``: the command joins the ``contract`` group when imported."""
