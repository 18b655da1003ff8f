"""The contract's tables as rich tables for the terminal (``dal schema show``)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table as RichTable

from dal.schema.layout import IndexLayout, TableLayout
from dal.schema.operations import TableReport

__all__ = ["layout_table", "status_table"]


def _keys(layout: TableLayout | IndexLayout, types: TableLayout) -> str:
    return " / ".join(f"{key} ({types.attribute_types.get(key, '?')})" for key in layout.keys)


def _by_name(index: IndexLayout) -> str:
    return index.name


def layout_table(reports: Sequence[TableReport], *, title: str) -> RichTable:
    """One row per table and per index: keys with their types, projections, entities."""
    grid = RichTable(title=title, title_justify="left")
    for column in ("table", "index", "keys", "projection", "items"):
        grid.add_column(column)
    for report in reports:
        layout, table = report.expected, report.table
        entities = ", ".join(entity.entity_type for entity in table.entities)
        grid.add_row(layout.name, "", _keys(layout, layout), "", f"{table.type}: {entities}")
        for index in layout.indexes:
            grid.add_row("", index.name, _keys(index, layout), index.projection_text, "")
    return grid


def status_table(reports: Sequence[TableReport], *, title: str) -> RichTable:
    """What the endpoint has: status, item count and every difference from the contract."""
    grid = RichTable(title=title, title_justify="left")
    for column in ("table", "status", "items", "indexes", "differences"):
        grid.add_column(column)
    for report in reports:
        live = report.live
        if live is None:
            grid.add_row(report.name, "[yellow]missing[/]", "", "", "")
            continue
        notes = list(report.differences)
        notes += [f"index {name} missing" for name in report.missing_indexes]
        notes += [f"index {name} not in the contract" for name in report.extra_indexes]
        indexes = ", ".join(
            f"{index.name} {index.status}" for index in sorted(live.indexes, key=_by_name)
        )
        status = f"[green]{live.status}[/]" if report.in_sync else f"[yellow]{live.status}[/]"
        count = "" if live.item_count is None else str(live.item_count)
        grid.add_row(report.name, status, count, indexes, "\n".join(notes) or "none")
    return grid
