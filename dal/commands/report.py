"""`dal report` and `dal gate`: comparison reports and the readiness gate over router records.

Both read the router's JSON lines files (``--from``, repeatable, and any further
file arguments, so ``--from var/*.jsonl`` works; ``-`` is standard input). The
thresholds come from ``--thresholds FILE`` (a flags TOML file, its
``[thresholds]`` table), else from the flags file in ``DAL_FLAGS``, else the
built-in defaults (``docs/reports.md``).

Exit codes: ``dal report`` 0 when written, 2 for bad input; ``dal gate`` 0 when the
entity is within every threshold, 1 when it is not, 2 for bad input (an unreadable
file, bad thresholds, an entity the records do not mention).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dal.reporting import (
    DEFAULT_SENSITIVE,
    STDIN,
    Aggregator,
    ReportInputError,
    Thresholds,
    ThresholdsError,
    aggregate_files,
    build_report,
    gate,
    load_thresholds,
    write_report,
)
from dal.reporting.terminal import checks_table, summary_table
from dal.settings import SettingsError, load_settings

__all__ = ["EXIT_BAD_INPUT", "EXIT_NOT_READY", "register"]

EXIT_NOT_READY = 1
EXIT_BAD_INPUT = 2

FromOption = Annotated[
    list[str] | None,
    typer.Option(
        "--from",
        help="JSON lines file of router records (repeatable; '-' is standard input).",
        show_default=False,
    ),
]
MoreFiles = Annotated[
    list[str] | None,
    typer.Argument(
        help="More JSON lines files (what a shell glob after --from expands to).",
        show_default=False,
    ),
]
ThresholdsOption = Annotated[
    Path | None,
    typer.Option(
        "--thresholds",
        help="Flags TOML file whose thresholds table applies (default: DAL_FLAGS, else built-in).",
        show_default=False,
    ),
]


@contextmanager
def _bad_input() -> Iterator[None]:
    """Print a bad-input error without a traceback and exit with code 2."""
    try:
        yield
    except (ReportInputError, ThresholdsError, SettingsError) as error:
        Console(stderr=True, soft_wrap=True).print(f"[red]error:[/] {error}", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from error


def _thresholds(path: Path | None) -> Thresholds:
    if path is None:
        path = load_settings().flags
    return load_thresholds(path)


def _sources(given: list[str] | None, more: list[str] | None, *, default_stdin: bool) -> list[str]:
    sources = [*(given or ()), *(more or ())]
    if not sources and default_stdin:
        return [STDIN]
    if not sources:
        raise ReportInputError("no records given: name JSON lines files with --from")
    return sources


def _warn_malformed(aggregator: Aggregator, console: Console) -> None:
    if aggregator.malformed_count:
        first = aggregator.malformed[0]
        console.print(
            f"[yellow]warning:[/] {aggregator.malformed_count} malformed line(s) skipped; "
            f"first at {first.where}: {first.reason}",
            highlight=False,
        )


def report(
    from_: FromOption = None,
    more: MoreFiles = None,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for report.json, report.md and report.html.")
    ] = Path("out/report"),
    thresholds: ThresholdsOption = None,
    redact: Annotated[
        list[str] | None,
        typer.Option(
            "--redact", help="One more field name to redact (repeatable).", show_default=False
        ),
    ] = None,
) -> None:
    """Write a comparison report (JSON, Markdown, HTML) from the router's records."""
    console, errors = Console(), Console(stderr=True, soft_wrap=True)
    with _bad_input():
        limits = _thresholds(thresholds)
        sources = _sources(from_, more, default_stdin=False)
        aggregator = aggregate_files(sources, sensitive={*DEFAULT_SENSITIVE, *(redact or ())})
    _warn_malformed(aggregator, errors)
    built = build_report(aggregator, limits)
    files = write_report(built, out)
    console.print(summary_table(built))
    console.print(
        f"Report written: {files.html}, {files.markdown}, {files.json}",
        highlight=False,
        soft_wrap=True,
    )


def gate_command(
    entity: Annotated[str, typer.Option("--entity", "-e", help="The entity to judge.")],
    from_: FromOption = None,
    more: MoreFiles = None,
    thresholds: ThresholdsOption = None,
) -> None:
    """Exit 0 when ENTITY is within every threshold, 1 when not (and print why), 2 on bad input."""
    console, errors = Console(), Console(stderr=True, soft_wrap=True)
    with _bad_input():
        limits = _thresholds(thresholds)
        aggregator = aggregate_files(_sources(from_, more, default_stdin=True))
        _warn_malformed(aggregator, errors)
        readiness = gate(entity, aggregator, limits)
    console.print(checks_table(readiness))
    style = "green" if readiness.ready else "red"
    console.print(f"[{style}]{entity}: {readiness.headline}[/]", highlight=False, soft_wrap=True)
    if not readiness.ready:
        raise typer.Exit(EXIT_NOT_READY)


def register(app: typer.Typer) -> None:
    """Add ``dal report`` and ``dal gate`` to ``app``."""
    app.command("report")(report)
    app.command("gate")(gate_command)
