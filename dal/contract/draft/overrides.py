"""The overrides file: a few lines of TOML that change any choice of a draft.

::

    layout = "aggregate"            # or "single", "per-table"
    table_name = "Main"             # the one table of the single-table layout

    [tables.articles]
    placement = "root"              # root, child (with parent) or skip
    dynamodb_table = "Catalog"      # a root's DynamoDB table

    [tables.invoice_lines]
    placement = "child"
    parent = "invoices"             # needs a foreign key to the parent's primary key

    [tables.people]
    sensitive = ["nickname"]        # more sensitive columns
    not_sensitive = ["city"]        # columns the draft marked but are not personal

:func:`load_overrides` reads and checks the file; every problem is reported at
once, naming the key (:class:`~dal.contract.draft.model.DraftError`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dal.contract.draft.model import DraftError, Layout

__all__ = ["Overrides", "TableOverride", "load_overrides"]

_PLACEMENTS = ("root", "child", "skip")
_TABLE_KEYS = frozenset({"placement", "parent", "dynamodb_table", "sensitive", "not_sensitive"})
_TOP_KEYS = frozenset({"layout", "table_name", "tables"})


@dataclass(frozen=True)
class TableOverride:
    """What the overrides file says about one MySQL table."""

    placement: str | None = None
    parent: str | None = None
    dynamodb_table: str | None = None
    sensitive: tuple[str, ...] = ()
    not_sensitive: tuple[str, ...] = ()


@dataclass(frozen=True)
class Overrides:
    """Every override; an empty one changes nothing."""

    layout: Layout | None = None
    table_name: str | None = None
    tables: Mapping[str, TableOverride] = field(default_factory=dict)

    def table(self, name: str) -> TableOverride:
        """The override of table ``name`` (an empty one when the file says nothing of it)."""
        return self.tables.get(name, TableOverride())


def load_overrides(path: str | Path) -> Overrides:
    """The overrides in the TOML file at ``path``; DraftError listing every problem."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise DraftError(f"overrides {path}: no such file") from error
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise DraftError(f"overrides {path}: cannot be read: {error}") from error
    problems: list[str] = []
    overrides = parse_overrides(data, problems)
    if problems:
        raise DraftError(f"overrides {path}: " + "; ".join(problems))
    return overrides


def parse_overrides(data: Mapping[str, Any], problems: list[str]) -> Overrides:
    """The overrides in decoded TOML; each problem is appended to ``problems``."""
    for key in sorted(set(data) - _TOP_KEYS):
        problems.append(f"{key}: unknown key (known: {', '.join(sorted(_TOP_KEYS))})")
    layout = _layout(data.get("layout"), problems)
    table_name = _text(data.get("table_name"), "table_name", problems)
    raw_tables = data.get("tables", {})
    if not isinstance(raw_tables, Mapping):
        problems.append("tables: must be a table of tables ([tables.NAME])")
        raw_tables = {}
    tables = {str(name): _table(str(name), value, problems) for name, value in raw_tables.items()}
    return Overrides(layout, table_name, tables)


def _layout(value: Any, problems: list[str]) -> Layout | None:
    if value is None:
        return None
    try:
        return Layout(value)
    except ValueError:
        allowed = ", ".join(layout.value for layout in Layout)
        problems.append(f"layout: unknown layout {value!r}; allowed: {allowed}")
        return None


def _text(value: Any, where: str, problems: list[str]) -> str | None:
    if value is None or (isinstance(value, str) and value):
        return value
    problems.append(f"{where}: must be a non-empty string, got {value!r}")
    return None


def _names(value: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    problems.append(f"{where}: must be a list of column names, got {value!r}")
    return ()


def _table(name: str, value: Any, problems: list[str]) -> TableOverride:
    where = f"tables.{name}"
    if not isinstance(value, Mapping):
        problems.append(f"{where}: must be a table of settings")
        return TableOverride()
    for key in sorted(set(value) - _TABLE_KEYS):
        problems.append(f"{where}.{key}: unknown key (known: {', '.join(sorted(_TABLE_KEYS))})")
    placement = _text(value.get("placement"), f"{where}.placement", problems)
    if placement is not None and placement not in _PLACEMENTS:
        problems.append(
            f"{where}.placement: unknown placement {placement!r}; allowed: {', '.join(_PLACEMENTS)}"
        )
    parent = _text(value.get("parent"), f"{where}.parent", problems)
    if parent is not None and placement not in (None, "child"):
        problems.append(f"{where}.parent: only a child has a parent (placement is {placement!r})")
    return TableOverride(
        placement="child" if parent is not None and placement is None else placement,
        parent=parent,
        dynamodb_table=_text(value.get("dynamodb_table"), f"{where}.dynamodb_table", problems),
        sensitive=_names(value.get("sensitive"), f"{where}.sensitive", problems),
        not_sensitive=_names(value.get("not_sensitive"), f"{where}.not_sensitive", problems),
    )
