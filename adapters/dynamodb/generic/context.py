"""Everything the generic repositories of one contract share, validated once when built.

:meth:`Context.build` maps every declared entity to its contract entity, decides
how each entity's items are found by key, by reference and by named query, and
compiles the derived attributes; anything it cannot serve is a ValueError that
names the entity and what is missing, raised before any request is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from adapters.dynamodb.client import DynamoClient
from adapters.dynamodb.generic.access import Access, find_access
from adapters.dynamodb.generic.derive import ForeignKeyValue, compile_derivations, derived_values
from adapters.dynamodb.generic.guards import GUARD_SK
from adapters.dynamodb.generic.mapping import EntityMap
from adapters.dynamodb.generic.reads import Reader
from adapters.registry import declared_by_name
from adapters.rules import Row
from dal.contract import AttributeType, Contract, Entity, Table
from interfaces.entities import EntitySpec, Reference
from interfaces.runtime import Clock, IdAllocator

__all__ = ["Context"]


@dataclass
class Context:
    """The client, clock, ids and the validated layout of every declared entity."""

    client: DynamoClient
    reader: Reader
    clock: Clock
    ids: IdAllocator
    specs: Mapping[str, EntitySpec]
    maps: Mapping[str, EntityMap]
    key_access: Mapping[str, Access | None]
    """How an entity is found by key: None for a direct GetItem, else the GSI."""
    query_access: Mapping[tuple[str, str], Access | None]
    """The index of each (entity, named query); None when the query scans."""
    reference_access: Mapping[tuple[str, int], Access | None]
    """The index finding the entities of a reference (entity, position); None: Scan."""
    derivations: Mapping[str, tuple[ForeignKeyValue, ...]]

    @classmethod
    def build(
        cls,
        client: DynamoClient,
        contract: Contract,
        specs: Iterable[EntitySpec],
        *,
        table_prefix: str,
        clock: Clock,
        ids: IdAllocator,
    ) -> Context:
        """Validate ``specs`` against ``contract``; ValueError naming the entity otherwise."""
        declared = declared_by_name(specs)
        maps = {name: _map(spec, contract, table_prefix) for name, spec in declared.items()}
        by_table = {emap.spec.table: emap for emap in maps.values()}
        for emap in maps.values():
            _check_uniques(emap)
            _check_references(emap, maps)
        return cls(
            client=client,
            reader=Reader(client),
            clock=clock,
            ids=ids,
            specs=declared,
            maps=maps,
            key_access={name: _key_access(emap) for name, emap in maps.items()},
            query_access={
                (name, named.name): find_access(emap, named.where)
                for name, emap in maps.items()
                for named in emap.spec.queries
            },
            reference_access={
                (name, position): find_access(emap, reference.fields)
                for name, emap in maps.items()
                for position, reference in enumerate(emap.spec.references)
            },
            derivations={name: compile_derivations(emap, by_table) for name, emap in maps.items()},
        )

    # --- reads shared by the repositories ---------------------------------------------------

    def lookup(self, name: str, key: Mapping[str, Any]) -> Row | None:
        """The row of entity ``name`` with key fields ``key``, or None."""
        return self.reader.get(self.maps[name], key, self.key_access[name])

    def derived(self, name: str, row: Mapping[str, Any]) -> dict[str, Any]:
        """The derived attributes of ``row`` of entity ``name``."""
        return derived_values(self.derivations[name], row, self.lookup)

    def referencing(self, name: str, reference: Reference, values: Mapping[str, Any]) -> list[Row]:
        """The rows of entity ``name`` whose ``reference`` fields equal ``values``."""
        position = self.specs[name].references.index(reference)
        access = self.reference_access[(name, position)]
        return self.reader.rows_where(self.maps[name], values, access)

    def eventually_consistent(self) -> list[str]:
        """``entity.query`` of every named query read from a GSI (eventually consistent)."""
        return [
            f"{name}.{query}"
            for (name, query), access in self.query_access.items()
            if access is not None and not access.consistent
        ]


def _contract_entity(spec: EntitySpec, contract: Contract) -> tuple[Table, Entity]:
    for table in contract.tables:
        for entity in table.entities:
            guard = entity.sk_template is not None and entity.sk_template.text == GUARD_SK
            if entity.source_table == spec.table and not guard:
                return table, entity
    raise ValueError(
        f"entity {spec.name}: the contract has no entity whose source_table is {spec.table!r}"
    )


def _map(spec: EntitySpec, contract: Contract, prefix: str) -> EntityMap:
    table, entity = _contract_entity(spec, contract)
    emap = EntityMap(spec, table, entity, prefix + table.name, contract)
    columns = {spec.column(f) for f in spec.fields}
    unknown = [f for f in emap.template_columns if f not in columns]
    if unknown:
        raise ValueError(
            f"entity {spec.name}: the key templates of table {table.name} use "
            f"{', '.join(unknown)}, not a column of {spec.table}"
        )
    return emap


def _key_access(emap: EntityMap) -> Access | None:
    if emap.direct_key:
        return None
    access = find_access(emap, emap.spec.key)
    if access is None or access.sparse:
        raise ValueError(
            f"entity {emap.name}: no way to find an item by its key "
            f"({', '.join(emap.spec.key)}): the item key of table {emap.table.name} uses "
            f"{', '.join(emap.template_columns)} and no GSI's partition key derives from "
            "the key fields alone"
        )
    return access


def _check_uniques(emap: EntityMap) -> None:
    layer_guards = [guard for guard in emap.guards if guard.entity is None]
    if layer_guards and emap.table.key_types.get(emap.table.pk) is not AttributeType.S:
        raise ValueError(
            f"entity {emap.name}: unique values need guard items, and the partition key "
            f"of table {emap.table.name} is not a string"
        )


def _check_references(emap: EntityMap, maps: Mapping[str, EntityMap]) -> None:
    for reference in emap.spec.references:  # declared, of the right width: declared_by_name
        target = maps[reference.target]
        fields = reference.target_fields or target.spec.key
        unique = any(set(u.fields) == set(fields) for u in target.spec.unique)
        if set(fields) != set(target.spec.key) and not unique:
            raise ValueError(
                f"entity {emap.name}: the reference to {reference.target} names "
                f"{', '.join(fields)}, neither its key nor one of its unique constraints"
            )
