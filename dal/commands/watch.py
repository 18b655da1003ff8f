"""`dal watch`: a live terminal view of the router's records as they are written.

Reads the same sources as ``dal report`` (files, folders, quoted globs; default:
the ``DAL_RECORDS`` folder or file), follows them as they grow and rotate
(:mod:`dal.reporting.follow`), and shows per entity the stage, comparisons per
second, mismatch rate, errors and latency per side over the last ``--window``
seconds (:mod:`dal.reporting.watch`). On a terminal the table is refreshed in
place until Ctrl-C; ``--refreshes N`` prints N tables, one per ``--interval``,
and exits (for scripts and tests); off a terminal it prints one table by default.
"""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.live import Live

from dal.commands.exits import UsageError, exit_codes
from dal.commands.report import MoreFiles
from dal.reporting.follow import Follower
from dal.reporting.watch import WatchState, render
from dal.settings import load_settings

__all__ = ["register"]


def _default_sources() -> list[str]:
    records = load_settings().records
    if records is None:
        raise UsageError("DAL_RECORDS is off: name the records to watch with --from")
    return [str(records)]


def watch(
    from_: Annotated[
        list[str] | None,
        typer.Option(
            "--from",
            help="Records to follow: a file, a folder or a quoted glob (repeatable; "
            "default: DAL_RECORDS).",
            show_default=False,
        ),
    ] = None,
    more: MoreFiles = None,
    window: Annotated[
        float, typer.Option("--window", min=1, help="Seconds of records the rates cover.")
    ] = 60.0,
    interval: Annotated[
        float, typer.Option("--interval", min=0.05, help="Seconds between refreshes.")
    ] = 1.0,
    refreshes: Annotated[
        int | None,
        typer.Option("--refreshes", min=1, help="Print this many refreshes, then exit."),
    ] = None,
) -> None:
    """Show each entity's stage, comparison and mismatch rates and latency, live."""
    console = Console()
    with exit_codes():
        sources = [*(from_ or ()), *(more or ())] or _default_sources()
    follower, state = Follower(sources), WatchState(window)
    try:
        if refreshes is not None or not console.is_terminal:
            for number in range(refreshes or 1):
                if number:
                    time.sleep(interval)
                state.add(follower.poll())
                console.print(render(state, len(follower.files())))
            return
        state.add(follower.poll())
        with Live(render(state, len(follower.files())), console=console) as live:
            while True:
                time.sleep(interval)
                state.add(follower.poll())
                live.update(render(state, len(follower.files())))
    except KeyboardInterrupt:
        pass
    finally:
        follower.close()


def register(app: typer.Typer) -> None:
    """Add ``dal watch`` to ``app``."""
    app.command("watch")(watch)
