"""One declaration per entity of the contract: the application's own, else the default.

The entities are the MySQL source tables of the contract's entities, in
contract order. Unique-value guards (entities whose sort key is ``#UNIQUE``)
are items of another entity, and child tables that the contract only embeds
(read by a join, never an entity's own ``source_table``) are not entities.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from sqlalchemy import Table

from dal.contract import Contract
from dal.entities.defaults import default_spec
from dal.entities.errors import DeclarationError
from interfaces.entities import EntitySpec

__all__ = ["GUARD_SORT_KEY", "entity_tables", "resolve_specs"]

GUARD_SORT_KEY = "#UNIQUE"
"""The sort key of a unique-value guard item: such a contract entity is no entity of its own."""


def entity_tables(contract: Contract) -> tuple[str, ...]:
    """The MySQL tables of the contract's entities (guards excluded), each once, in order."""
    names: dict[str, None] = {}
    for table in contract.tables:
        for entity in table.entities:
            guard = entity.sk_template is not None and entity.sk_template.text == GUARD_SORT_KEY
            if not guard:
                names.setdefault(entity.source_table)
    return tuple(names)


def resolve_specs(
    contract: Contract, tables: Mapping[str, Table], declared: Iterable[EntitySpec] = ()
) -> dict[str, EntitySpec]:
    """The declaration of every entity of ``contract``, by entity name, in contract order.

    ``tables`` holds the SQL table of every entity (reflected or declared);
    ``declared`` the application's own declarations, which replace the default
    of the table they name. Raises one :class:`ValueError` listing every
    problem: a contract table missing from ``tables``, a declaration of a table
    the contract does not map or two of the same table, a declared field with no
    column, a reference to an entity that none resolves to, two entities with one
    name, a table whose default cannot be built.
    """
    problems: list[str] = []
    sources = entity_tables(contract)
    chosen = _declarations_by_table(declared, sources, problems)
    specs: list[EntitySpec] = []
    defaults: set[str] = set()
    for source in sources:
        table = tables.get(source)
        if table is None:
            problems.append(f"table {source}: the contract maps it but no such table was given")
            continue
        spec = chosen.get(source)
        if spec is not None:
            problems.extend(_unmapped_fields(spec, table))
            specs.append(spec)
            continue
        try:
            specs.append(default_spec(table))
        except ValueError as error:
            problems.append(str(error))
            continue
        defaults.add(source)
    entity_names = {spec.table: spec.name for spec in specs}
    specs = [_retargeted(s, entity_names) if s.table in defaults else s for s in specs]
    problems.extend(_name_problems(specs))
    if problems:
        raise DeclarationError("entity declarations: " + "; ".join(problems))
    return {spec.name: spec for spec in specs}


def _declarations_by_table(
    declared: Iterable[EntitySpec], sources: tuple[str, ...], problems: list[str]
) -> dict[str, EntitySpec]:
    chosen: dict[str, EntitySpec] = {}
    for spec in declared:
        if spec.table not in sources:
            problems.append(
                f"entity {spec.name}: its table {spec.table} is no entity of the contract "
                f"(the contract's entity tables: {', '.join(sources)})"
            )
        elif spec.table in chosen:
            problems.append(
                f"table {spec.table} is declared twice (entities {chosen[spec.table].name} "
                f"and {spec.name})"
            )
        else:
            chosen[spec.table] = spec
    return chosen


def _unmapped_fields(spec: EntitySpec, table: Table) -> list[str]:
    return [
        f"entity {spec.name}: field {name} has no column {spec.column(name)} in table {table.name}"
        for name in spec.fields
        if spec.column(name) not in table.columns
    ]


def _retargeted(spec: EntitySpec, entity_names: Mapping[str, str]) -> EntitySpec:
    """A default's references name tables; point them at the entities of those tables."""
    references = tuple(
        dataclasses.replace(r, target=entity_names.get(r.target, r.target)) for r in spec.references
    )
    return dataclasses.replace(spec, references=references)


def _name_problems(specs: list[EntitySpec]) -> list[str]:
    problems: list[str] = []
    names = [spec.name for spec in specs]
    for name in sorted({n for n in names if names.count(n) > 1}):
        tables = ", ".join(s.table for s in specs if s.name == name)
        problems.append(f"entity name {name} is given to more than one table ({tables})")
    known = set(names)
    for spec in specs:
        for reference in spec.references:
            if reference.target not in known:
                fields = ", ".join(reference.fields)
                problems.append(
                    f"entity {spec.name}: the reference of {fields} names {reference.target}, "
                    f"which is no entity of the contract (known: {', '.join(names)})"
                )
    return problems
