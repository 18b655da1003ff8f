"""Everything the generic repositories of one contract share, validated once when built.

:meth:`Context.build` maps every declared entity to its contract entity, decides
how each entity's items are found by key, by reference and by named query, and
compiles the derived attributes; anything it cannot serve is a ValueError that
names the entity and what is missing, raised before any request is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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
    unsupported: Mapping[str, str] = field(default_factory=dict)
    """Entities these repositories cannot serve, with the reason."""

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
        """Validate ``specs`` against ``contract``.

        An entity the repositories cannot serve (no contract entity for its table, no
        way to find an item by its key, a derivation they do not compute...) is left
        out with the reason, in :attr:`unsupported`, and so is every entity related to
        it by a reference either way (a cascade or a check would need it). ValueError
        only for declarations that cannot be at all (a name declared twice...).
        """
        declared = declared_by_name(specs)
        unsupported: dict[str, str] = {}
        maps: dict[str, EntityMap] = {}
        for name, spec in declared.items():
            try:
                maps[name] = _map(spec, contract, table_prefix)
            except ValueError as exc:
                unsupported[name] = str(exc)
        by_table = {emap.spec.table: emap for emap in maps.values()}
        built: dict[str, _Built] = {}
        for name, emap in maps.items():
            try:
                built[name] = _build_entity(emap, maps, by_table)
            except (ValueError, KeyError) as exc:
                unsupported[name] = str(exc.args[0] if exc.args else exc)
        _spread(declared, unsupported)
        served = {name: b for name, b in built.items() if name not in unsupported}
        return cls(
            client=client,
            reader=Reader(client),
            clock=clock,
            ids=ids,
            specs=declared,
            maps={name: maps[name] for name in served},
            key_access={name: b.key_access for name, b in served.items()},
            query_access={k: v for b in served.values() for k, v in b.query_access.items()},
            reference_access={k: v for b in served.values() for k, v in b.reference_access.items()},
            derivations={name: b.derivations for name, b in served.items()},
            unsupported=unsupported,
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


@dataclass(frozen=True)
class _Built:
    """What one served entity needs, decided once."""

    key_access: Access | None
    query_access: Mapping[tuple[str, str], Access | None]
    reference_access: Mapping[tuple[str, int], Access | None]
    derivations: tuple[ForeignKeyValue, ...]


def _build_entity(
    emap: EntityMap, maps: Mapping[str, EntityMap], by_table: Mapping[str, EntityMap]
) -> _Built:
    """How one entity's items are found and derived; ValueError/KeyError when they cannot be."""
    _check_uniques(emap)
    _check_references(emap, maps)
    name = emap.name
    return _Built(
        key_access=_key_access(emap),
        query_access={
            (name, named.name): find_access(emap, named.where) for named in emap.spec.queries
        },
        reference_access={
            (name, position): find_access(emap, reference.fields)
            for position, reference in enumerate(emap.spec.references)
        },
        derivations=compile_derivations(emap, by_table),
    )


def _spread(declared: Mapping[str, EntitySpec], unsupported: dict[str, str]) -> None:
    """Leave out every entity related by a reference (either way) to one left out."""
    changed = True
    while changed:
        changed = False
        for name, spec in declared.items():
            if name in unsupported:
                continue
            related = [r.target for r in spec.references] + [
                other.name
                for other in declared.values()
                if any(r.target == name for r in other.references)
            ]
            blocked = next((other for other in related if other in unsupported), None)
            if blocked is not None:
                unsupported[name] = (
                    f"entity {name}: it is related by a reference to {blocked}, which the "
                    f"DynamoDB repositories cannot serve ({unsupported[blocked]})"
                )
                changed = True
