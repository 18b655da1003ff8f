"""`dal report` and `dal gate`: comparison reports and the readiness gate over router records.

Both read the router's JSON lines files (``--from``, repeatable, and any further
file arguments, so ``--from var/*.jsonl`` works; ``-`` is standard input): files
plain or gzip, folders of them and quoted globs (:mod:`dal.reporting.sources`),
with a progress display on standard error for large inputs. Both
take their thresholds from :func:`~dal.reporting.resolve_thresholds`: the
``[thresholds]`` table of ``--flags FILE`` (also spelt ``--thresholds FILE``),
else of the flags file in ``DAL_FLAGS``, else the built-in defaults
(``docs/reports.md``); both print where they came from, on the terminal and in
their JSON (``thresholds_source``), so their verdicts on the same records agree.

Exit codes (:mod:`dal.commands.exits`): ``dal report`` 0 when written, 2 for bad
input (an unreadable records file, bad thresholds, an ``--out`` that is a file or
cannot be written; existing report files in the folder are replaced); ``dal gate``
0 when the entity is within every threshold, 1 when it is not, 2 for bad input (an
unreadable file, bad thresholds, an entity the records do not mention).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dal.commands.exits import EXIT_FAILED, EXIT_USAGE, UsageError, exit_codes
from dal.reporting import (
    DEFAULT_SENSITIVE,
    STDIN,
    Aggregator,
    Report,
    ReportFiles,
    ReportInputError,
    Thresholds,
    aggregate_files,
    build_report,
    gate,
    gate_to_dict,
    resolve_thresholds,
    write_report,
)
from dal.reporting.progress import reading_progress
from dal.reporting.terminal import checks_table, summary_table

__all__ = ["EXIT_BAD_INPUT", "EXIT_NOT_READY", "register"]

EXIT_NOT_READY = EXIT_FAILED
EXIT_BAD_INPUT = EXIT_USAGE

FromOption = Annotated[
    list[str] | None,
    typer.Option(
        "--from",
        help="Router records: a JSON lines file (plain or gzip), a folder of them, or a quoted "
        "glob such as 'records/*.jsonl*' (repeatable; '-' is standard input).",
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
FlagsOption = Annotated[
    Path | None,
    typer.Option(
        "--flags",
        "--thresholds",
        help="Flags TOML file whose thresholds table applies (default: DAL_FLAGS, else built-in).",
        show_default=False,
    ),
]


def _source_line(thresholds: Thresholds, console: Console) -> None:
    console.print(f"Thresholds: {thresholds.source}", highlight=False, soft_wrap=True)


def _sources(given: list[str] | None, more: list[str] | None, *, default_stdin: bool) -> list[str]:
    sources = [*(given or ()), *(more or ())]
    if not sources and default_stdin:
        return [STDIN]
    if not sources:
        raise ReportInputError("no records given: name JSON lines files with --from")
    return sources


def _check_out(out: Path) -> None:
    """Refuse (exit 2) an ``--out`` that is not a folder or cannot be created, before any work."""
    if out.exists() and not out.is_dir():
        raise UsageError(
            f"--out {out}: is a file, not a folder; name a folder for report.json, "
            "report.md and report.html"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"--out {out}: cannot create the folder: {error.strerror}") from error


def _write(report: Report, out: Path) -> ReportFiles:
    """Write the report into ``out``, replacing earlier reports; UsageError when it cannot."""
    try:
        return write_report(report, out)
    except OSError as error:
        where = error.filename or out
        raise UsageError(f"--out {out}: cannot write {where}: {error.strerror}") from error


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
    flags: FlagsOption = None,
    redact: Annotated[
        list[str] | None,
        typer.Option(
            "--redact", help="One more field name to redact (repeatable).", show_default=False
        ),
    ] = None,
) -> None:
    """Write a comparison report (JSON, Markdown, HTML) from the router's records."""
    console, errors = Console(), Console(stderr=True, soft_wrap=True)
    with exit_codes():
        limits = resolve_thresholds(flags)
        sources = _sources(from_, more, default_stdin=False)
        _check_out(out)
        with reading_progress(sources, errors) as progress:
            sensitive = {*DEFAULT_SENSITIVE, *(redact or ())}
            aggregator = aggregate_files(sources, sensitive=sensitive, progress=progress)
        _warn_malformed(aggregator, errors)
        built = build_report(aggregator, limits)
        files = _write(built, out)
    console.print(summary_table(built))
    _source_line(limits, console)
    console.print(
        f"Report written: {files.html}, {files.markdown}, {files.json}",
        highlight=False,
        soft_wrap=True,
    )


def gate_command(
    entity: Annotated[str, typer.Option("--entity", "-e", help="The entity to judge.")],
    from_: FromOption = None,
    more: MoreFiles = None,
    flags: FlagsOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the verdict, its checks and limits as JSON.")
    ] = False,
) -> None:
    """Exit 0 when ENTITY is within every threshold, 1 when not (and print why), 2 on bad input."""
    console, errors = Console(), Console(stderr=True, soft_wrap=True)
    with exit_codes():
        limits = resolve_thresholds(flags)
        sources = _sources(from_, more, default_stdin=True)
        with reading_progress(sources, errors) as progress:
            aggregator = aggregate_files(sources, progress=progress)
        _warn_malformed(aggregator, errors)
        readiness = gate(entity, aggregator, limits)
    if as_json:
        print(json.dumps(gate_to_dict(readiness, limits), indent=2, allow_nan=False))
        raise typer.Exit(0 if readiness.ready else EXIT_NOT_READY)
    console.print(checks_table(readiness))
    _source_line(limits, console)
    style = "green" if readiness.ready else "red"
    console.print(f"[{style}]{entity}: {readiness.headline}[/]", highlight=False, soft_wrap=True)
    if not readiness.ready:
        raise typer.Exit(EXIT_NOT_READY)


def register(app: typer.Typer) -> None:
    """Add ``dal report`` and ``dal gate`` to ``app``."""
    app.command("report")(report)
    app.command("gate")(gate_command)
