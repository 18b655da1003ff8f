"""Group a query log's statements by shape and map each shape to an access pattern.

A statement's *shape* is its text with every literal replaced by ``?`` (an
``IN`` list by one ``?``), parsed and printed again by sqlglot, so
``WHERE id = 7`` and ``where id=8`` count as one. For the statement's main
table (the first of its ``FROM``, or the table it writes), the columns it
compares for equality with a value are matched to the entity's access
patterns: its key (a GetItem), else the named pattern with the most of those
columns (served as ``design.md`` says: an item collection or a GSI), else none:
DynamoDB would scan. Inserts are PutItems. Other statements (``SET``,
``BEGIN``, ``SHOW``...) are counted apart.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from dal.contract.draft.model import Design, EntityDesign, Pattern, Served
from dal.contract.draft.querylog import read_statements

__all__ = ["QueryReport", "QueryShape", "analyze_queries", "analyze_statements", "shape_of"]

_SHOWN = 160


@dataclass(frozen=True)
class QueryShape:
    """Statements of one shape: how many, their table, and how DynamoDB would serve them."""

    shape: str
    count: int
    kind: str
    table: str | None
    columns: tuple[str, ...]
    pattern: str | None
    served: Served | None
    note: str

    @property
    def needs_scan(self) -> bool:
        """Whether DynamoDB can serve these statements only with a Scan."""
        return self.served is Served.SCAN


@dataclass(frozen=True)
class QueryReport:
    """The shapes of a log's statements, most frequent first."""

    source: str
    format: str
    statements: int
    shapes: tuple[QueryShape, ...]
    other: int

    @property
    def scans(self) -> tuple[QueryShape, ...]:
        """The shapes DynamoDB cannot serve without a scan, most frequent first."""
        return tuple(s for s in self.shapes if s.needs_scan)

    def markdown(self) -> str:
        """The report as a section of ``design.md``."""
        lines = [
            f"## Query log: {self.source}",
            "",
            f"{self.format}, {self.statements} statements, {len(self.shapes)} shapes of data "
            f"statements ({self.other} other statements: transactions, settings, ...).",
            "",
            "| count | statement shape | table | access pattern | served by |",
            "|---|---|---|---|---|",
        ]
        for shape in self.shapes:
            served = shape.served.value if shape.served else "-"
            lines.append(
                f"| {shape.count} | `{_cell(shape.shape)}` | {shape.table or '-'} "
                f"| {shape.pattern or '-'} | {served}: {_cell(shape.note)} |"
            )
        lines += ["", "### Needs a scan in DynamoDB", ""]
        if not self.scans:
            lines.append("None: every statement maps to a key, an item collection or a GSI.")
        for shape in self.scans:
            lines.append(f"- {shape.count} x `{_cell(shape.shape)}`: {shape.note}")
        return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    flat = " ".join(text.split()).replace("|", "\\|").replace("`", "'")
    return flat if len(flat) <= _SHOWN else flat[: _SHOWN - 3] + "..."


def analyze_queries(path: Path, design: Design) -> QueryReport:
    """The report of the log at ``path`` for ``design``."""
    kind, statements = read_statements(path.read_text(encoding="utf-8", errors="replace"))
    return analyze_statements(statements, design, path.name, kind)


def analyze_statements(
    statements: list[str], design: Design, source: str = "<statements>", kind: str = "SQL"
) -> QueryReport:
    """The report of ``statements`` (as a log holds them) for ``design``."""
    counts: Counter[str] = Counter()
    parsed: dict[str, exp.Expression | None] = {}
    for statement in statements:
        shape, tree = shape_of(statement)
        counts[shape] += 1
        parsed.setdefault(shape, tree)
    shapes: list[QueryShape] = []
    other = 0
    for shape, count in counts.most_common():
        mapped = _map(shape, count, parsed[shape], design)
        if mapped is None:
            other += count
        else:
            shapes.append(mapped)
    return QueryReport(source, kind, len(statements), tuple(shapes), other)


def shape_of(statement: str) -> tuple[str, exp.Expression | None]:
    """The statement's shape (literals as ``?``) and its parsed tree (None if sqlglot cannot)."""
    try:
        tree = sqlglot.parse_one(statement, read="mysql")
    except SqlglotError:
        return _crude_shape(statement), None
    if tree is None:
        return _crude_shape(statement), None
    shaped = tree.transform(_placeholder)
    return shaped.sql(dialect="mysql"), shaped


def _placeholder(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Literal):
        return exp.Placeholder()
    if isinstance(node, exp.In) and node.expressions:
        return exp.In(this=node.this, expressions=[exp.Placeholder()])
    return node


_CRUDE = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|\b\d+(?:\.\d+)?\b")


def _crude_shape(statement: str) -> str:
    return " ".join(_CRUDE.sub("?", statement).split())


def _map(shape: str, count: int, tree: exp.Expression | None, design: Design) -> QueryShape | None:
    if tree is None:
        return QueryShape(shape, count, "unparsed", None, (), None, None, "sqlglot cannot parse it")
    if isinstance(tree, exp.Insert):
        table = _table_name(tree.this)
        return _insert(shape, count, table, design)
    if not isinstance(tree, exp.Select | exp.Update | exp.Delete):
        return None
    kind = type(tree).__name__.lower()
    tables = [_table_name(t) for t in tree.find_all(exp.Table)]
    table = tables[0] if tables else None
    entity = _entity(design, table)
    if entity is None:
        note = f"table {table} is no entity of the draft" if table else "reads no table"
        return QueryShape(shape, count, kind, table, (), None, None, note)
    columns = _equalities(tree, table or "")
    pattern = _pattern(entity, columns)
    others = sorted({t for t in tables[1:] if t and t != table})
    joined = f"; joins {', '.join(others)}: each read by its own pattern" if others else ""
    if pattern is None:
        why = f"no access pattern on {', '.join(columns)}" if columns else "no equality on a column"
        note = f"{why}: a Scan of table {entity.dynamodb_table}{joined}"
        return QueryShape(shape, count, kind, table, columns, None, Served.SCAN, note)
    extra = sorted(set(columns) - set(pattern.columns))
    filtered = f", filtered on {', '.join(extra)}" if extra else ""
    return QueryShape(
        shape,
        count,
        kind,
        table,
        columns,
        pattern.name,
        pattern.served,
        pattern.how + filtered + joined,
    )


def _insert(shape: str, count: int, table: str | None, design: Design) -> QueryShape:
    entity = _entity(design, table)
    if entity is None:
        return QueryShape(
            shape, count, "insert", table, (), None, None, f"table {table} is no entity"
        )
    how = f"PutItem into {entity.dynamodb_table} (and a guard item per unique value)"
    return QueryShape(shape, count, "insert", table, (), "create", Served.GET, how)


def _table_name(node: exp.Expression | None) -> str | None:
    table = node if isinstance(node, exp.Table) else node.find(exp.Table) if node else None
    return table.name if isinstance(table, exp.Table) else None


def _entity(design: Design, table: str | None) -> EntityDesign | None:
    if table is None:
        return None
    try:
        return design.entity(table)
    except KeyError:
        return None


def _equalities(tree: exp.Expression, table: str) -> tuple[str, ...]:
    """Columns of ``table`` compared for equality with a value in the top-level ANDs of WHERE."""
    where = tree.args.get("where")
    if not isinstance(where, exp.Where):
        return ()
    aliases = {table, *(t.alias_or_name for t in tree.find_all(exp.Table) if t.name == table)}
    found: dict[str, None] = {}
    condition: exp.Expression = where.this
    parts = list(condition.flatten()) if isinstance(condition, exp.And) else [condition]
    for part in parts:
        column = _compared(part) if isinstance(part, exp.Expression) else None
        if column is not None and (not column.table or column.table in aliases):
            found.setdefault(column.name)
    return tuple(found)


def _compared(condition: exp.Expression) -> exp.Column | None:
    if isinstance(condition, exp.In):
        return condition.this if isinstance(condition.this, exp.Column) else None
    if not isinstance(condition, exp.EQ):
        return None
    left, right = condition.this, condition.expression
    if isinstance(left, exp.Column) and not isinstance(right, exp.Column):
        return left
    if isinstance(right, exp.Column) and not isinstance(left, exp.Column):
        return right
    return None


def _pattern(entity: EntityDesign, columns: tuple[str, ...]) -> Pattern | None:
    given = set(columns)
    fitting = [p for p in entity.patterns if p.columns and set(p.columns) <= given]
    if not fitting:
        return None
    get = [p for p in fitting if p.name == "get"]
    return get[0] if get else max(fitting, key=lambda p: len(p.columns))
