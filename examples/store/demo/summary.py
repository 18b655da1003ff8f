"""The short summary the demo prints at the end."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dal.reporting.terminal import summary_table
from examples.store.demo.runner import DemoResult

__all__ = ["open_command", "print_summary"]


def _stages(result: DemoResult) -> Table:
    table = Table(title="Stages", title_justify="left")
    for column in ("stage", "calls", "answered with an error", "failed", "seconds"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for stage in result.stages:
        table.add_row(
            stage.stage,
            str(stage.total),
            str(stage.answered_with_error),
            str(sum(stage.failures.values())),
            f"{stage.seconds:.1f}",
        )
    return table


def _drifts(result: DemoResult) -> Table:
    table = Table(title="Planted drift", title_justify="left")
    for column in ("entity", "what was changed in DynamoDB only", "caught as drift at"):
        table.add_column(column)
    for drift in result.planted:
        caught = ", ".join(f"{op} {path} ({count}x)" for op, path, count in drift.caught)
        shown = escape(caught) if caught else "[red]not caught[/]"
        table.add_row(drift.entity, escape(drift.description), shown)
    return table


def open_command(page: Path) -> str:
    """The command that opens ``page`` in the desktop's browser on this system."""
    opener = "open" if sys.platform == "darwin" else "xdg-open"
    return f"{opener} {shlex.quote(str(page.resolve()))}"


def print_summary(result: DemoResult, console: Console) -> None:
    """Stages run, drift planted and caught, the verdicts, where the report is, how to gate."""
    console.print(_stages(result))
    console.print(_drifts(result))
    console.print(summary_table(result.report))
    for line in (
        f"Thresholds: {result.report.thresholds_source}",
        f"Report: {result.files.html} (also {result.files.markdown.name}, "
        f"{result.files.json.name}); records: {result.records}",
        f"Open the report and its charts: {open_command(result.files.html)}",
        f"Gate an entity on the same records and thresholds: {result.gate_command('users')}",
    ):
        console.print(escape(line), highlight=False, soft_wrap=True)
