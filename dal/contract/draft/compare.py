"""The differences between a draft and an existing contract, each explained, for ``design.md``.

For every MySQL table the two contracts map, the comparison looks at where its
items live (which DynamoDB table, which partition), the columns its item key
is built from, and the column groups its lookups (partition keys of the table
and of its GSIs) are built from. Each difference gets a line that names the
table and says which rule of the draft made its choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dal.contract import Contract, Entity, load_contract
from dal.contract.draft.model import Design, EntityDesign, Served, key_fields
from dal.entities.resolve import GUARD_SORT_KEY

__all__ = ["Difference", "compare_section", "differences", "lookups_of"]


@dataclass(frozen=True)
class Difference:
    """One difference: the table it concerns, what differs, and why the draft chose so."""

    table: str
    what: str
    why: str

    def line(self) -> str:
        """The difference as a Markdown list item."""
        return f"- **{self.table}**: {self.what}. Why: {self.why}."


def lookups_of(contract: Contract, table: str) -> tuple[frozenset[str], set[frozenset[str]]]:
    """The columns of ``table``'s item partition key and of each lookup (GSI partition keys)."""
    entity = _entity(contract, table)
    if entity is None:
        return frozenset(), set()
    key = frozenset(_fields(entity, entity.pk_template.fields))
    lookups: set[frozenset[str]] = set()
    home = next(t for t in contract.tables if entity in t.entities)
    for gsi in home.gsis:
        if entity.has_attribute(gsi.pk):
            attribute = entity.attribute(gsi.pk)
            columns = frozenset(attribute.source_columns)
            if columns:
                lookups.add(columns)
    return key, lookups


def _fields(entity: Entity, names: tuple[str, ...]) -> list[str]:
    """Template fields as source columns (a field naming an attribute means its column)."""
    columns: list[str] = []
    for name in names:
        if entity.has_attribute(name) and len(entity.attribute(name).source_columns) == 1:
            columns.append(entity.attribute(name).source_columns[0])
        else:
            columns.append(name)  # a column reached by a join, such as user_email
    return columns


def _entity(contract: Contract, table: str) -> Entity | None:
    for dynamo in contract.tables:
        for entity in dynamo.entities:
            guard = entity.sk_template is not None and entity.sk_template.text == GUARD_SORT_KEY
            if entity.source_table == table and not guard:
                return entity
    return None


def differences(design: Design, contract: Contract) -> list[Difference]:
    """Every difference between ``design`` and ``contract``, table by table."""
    found: list[Difference] = []
    for entity in design.entities:
        found += _entity_differences(entity, contract)
    drafted = {e.table for e in design.entities}
    for dynamo in contract.tables:
        for other in dynamo.entities:
            if other.source_table not in drafted and other.source_table not in design.schema.tables:
                found.append(
                    Difference(
                        other.source_table,
                        "an entity there, none here",
                        "the database has no such table",
                    )
                )
    return found


def _entity_differences(entity: EntityDesign, contract: Contract) -> list[Difference]:
    theirs = _entity(contract, entity.table)
    if theirs is None:
        return [
            Difference(
                entity.table,
                "no entity of its own there (embedded in another item, or not mapped); "
                "an entity here",
                "every table with a primary key is an entity of the draft "
                f"({entity.placement.value}: {entity.reason})",
            )
        ]
    found: list[Difference] = []
    key, lookups = lookups_of(contract, entity.table)
    ours = frozenset(_our_partition(entity))
    if key != ours:
        found.append(
            Difference(
                entity.table,
                f"partition key from {_names(key)} there, from {_names(ours)} here "
                f"(`PK = {entity.pk}`, `SK = {entity.sk}`)",
                entity.reason,
            )
        )
    our_lookups = {frozenset(p.columns) for p in entity.patterns if p.served is not Served.SCAN}
    our_lookups.add(ours)
    for columns in sorted(lookups - our_lookups - {ours}, key=sorted):
        found.append(
            Difference(
                entity.table,
                f"a lookup by {_names(columns)} there, none here",
                "no index or foreign key of the MySQL table covers those columns, and the draft "
                "adds lookups only for indexes, unique keys and foreign keys",
            )
        )
    for pattern in entity.patterns:
        columns = frozenset(pattern.columns)
        if pattern.name != "get" and columns not in lookups and columns != key:
            found.append(
                Difference(
                    entity.table,
                    f"no lookup by {_names(columns)} there; `{pattern.name}` here ({pattern.how})",
                    f"the MySQL table has {pattern.origin} on those columns: an access pattern",
                )
            )
    return found


def _our_partition(entity: EntityDesign) -> list[str]:
    return key_fields(entity.pk)


def _names(columns: frozenset[str]) -> str:
    return ", ".join(sorted(columns)) or "a constant"


def compare_section(design: Design, path: Path) -> str:
    """The ``design.md`` section listing every difference from the contract at ``path``."""
    contract = load_contract(path)
    found = differences(design, contract)
    lines = [f"## Differences from {path.name}", ""]
    if not found:
        lines.append("None: the same entities, keys and lookups.")
    lines += [d.line() for d in found]
    return "\n".join(lines) + "\n"
