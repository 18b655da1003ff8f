"""``python -m examples.store.demo``: migrate the store from MySQL to DynamoDB, stage by stage.

Exit codes: 0 when the report shows every planted drift; 1 when one was not
caught; 2 when the demo cannot run (bad settings, Java or npm missing for
DynamoDB Local, a server that cannot be reached).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dal.contract import ContractError
from dal.local.dynamodb_local import DynamoDBLocalError
from dal.settings import SettingsError, load_settings
from examples.store.demo import DEFAULT_SCALE, SMALL_SCALE, DemoConfig, run_demo
from examples.store.demo.summary import print_summary
from interfaces import DalError

__all__ = ["app", "main"]

EXIT_NOT_CAUGHT = 1
EXIT_CANNOT_RUN = 2


def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the records, the report and the SQLite file.")
    ] = Path("out/demo"),
    small: Annotated[
        bool, typer.Option("--small", help="A smaller shop and fewer calls per stage.")
    ] = False,
) -> None:
    """Run the migration demo: seed, backfill, every stage, planted drift, the report."""
    console = Console()
    errors = Console(stderr=True, soft_wrap=True)
    try:
        config = DemoConfig(out, SMALL_SCALE if small else DEFAULT_SCALE, load_settings())
        result = run_demo(config, console)
    except (SettingsError, ContractError, DynamoDBLocalError, DalError) as error:
        errors.print(f"[red]error:[/] {error}", highlight=False)
        raise typer.Exit(EXIT_CANNOT_RUN) from error
    print_summary(result, console)
    if not result.all_caught:
        errors.print("[red]error:[/] a planted drift is missing from the report")
        raise typer.Exit(EXIT_NOT_CAUGHT)


app = typer.Typer(add_completion=False)
app.command()(demo)


def main() -> None:
    """Entry point of ``python -m examples.store.demo``."""
    app()
