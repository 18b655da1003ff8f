"""The access patterns of one entity, and the GSI slots that serve them.

Each entity is read by its key (``get``) and by one named pattern per unique
index, secondary index and foreign key (its declaration's named queries). A
pattern is served by a GetItem, by a Query of the item collection it lives in
(a child's lookup by its parent), by a Query of a GSI slot of its own, or, when
no GSI can serve it (a FULLTEXT index, a column too long for a key, more than
20 GSIs), by a Scan. A child whose item key holds more than its own key needs a
GSI to be found by its key.
"""

from __future__ import annotations

from sqlalchemy import Index, Table, UniqueConstraint
from sqlalchemy import types as sqltypes

from dal.contract.draft.model import MAX_GSIS, GsiUse, Pattern, Served, key_fields, template
from dal.entities.fields import base_type, byte_limit
from interfaces.entities import EntitySpec

__all__ = ["access_patterns"]


def access_patterns(
    table: Table,
    spec: EntitySpec,
    prefix: str,
    item_key: tuple[str, str],
    collection: tuple[str, ...] | None,
) -> tuple[tuple[Pattern, ...], tuple[GsiUse, ...]]:
    """The patterns of ``table``'s entity and its GSI slots, in slot order.

    ``item_key`` holds the item's PK and SK templates; ``collection`` the columns
    that hold the parent's key when the entity lives in its parent's collection.
    """
    pk, sk = item_key
    key = tuple(c.name for c in table.primary_key.columns)
    gsis: list[GsiUse] = []
    fields = set(key_fields(pk)) | set(key_fields(sk))
    patterns: list[Pattern] = [_get(prefix, key, pk, sk, fields, gsis)]
    origins = _origins(table)
    for named in spec.queries:
        where = tuple(spec.column(f) for f in named.where)
        origin = origins.get(where, "an index")  # every named query comes from one of them
        unindexable = _unindexable(table, where)
        if unindexable is not None:
            patterns.append(Pattern(named.name, where, origin, Served.SCAN, unindexable))
        elif where == collection:
            how = f"Query of the item collection: PK = {pk}, SK begins with {prefix}#"
            patterns.append(Pattern(named.name, where, origin, Served.COLLECTION, how))
        else:
            patterns.append(_indexed(named.name, where, origin, prefix, key, gsis))
    return tuple(patterns), tuple(gsis)


_MAX_KEY_VALUE_BYTES = 1024
"""The longest column value a GSI key is built from (DynamoDB keys: 2048 and 1024 bytes)."""


def _unindexable(table: Table, where: tuple[str, ...]) -> str | None:
    """Why no GSI can serve a lookup on ``where`` (a Scan does), or None."""
    for index in table.indexes:
        prefix = str(index.dialect_options["mysql"].get("prefix") or "").upper()
        if prefix == "FULLTEXT" and tuple(c.name for c in index.columns) == where:
            return (
                "Scan: a FULLTEXT index; DynamoDB has no text search (a search service serves it)"
            )
    for name in where:
        kind = base_type(table.columns[name])
        length = getattr(kind, "length", None)
        limit = byte_limit(kind) or (4 * length if length else None)
        if isinstance(kind, sqltypes.String | sqltypes._Binary) and (
            limit is None or limit > _MAX_KEY_VALUE_BYTES
        ):
            return (
                f"Scan: {name} may hold more than {_MAX_KEY_VALUE_BYTES} bytes, too long for a "
                "GSI key; index a shorter column or a hash of it"
            )
    return None


def _get(
    prefix: str,
    key: tuple[str, ...],
    pk: str,
    sk: str,
    fields: set[str],
    gsis: list[GsiUse],
) -> Pattern:
    if fields <= set(key):
        how = f"GetItem: PK = {pk}, SK = {sk}"
        return Pattern("get", key, "the primary key", Served.GET, how)
    slot = len(gsis) + 1
    gsis.append(GsiUse(slot, template(prefix, key), template(prefix, key), "get"))
    how = (
        f"Query of GSI{slot} (GSI{slot}PK = {template(prefix, key)}) to find the item, then a "
        "consistent GetItem: the item's key holds its parent's key too"
    )
    return Pattern("get", key, "the primary key", Served.INDEX, how)


def _indexed(
    name: str,
    where: tuple[str, ...],
    origin: str,
    prefix: str,
    key: tuple[str, ...],
    gsis: list[GsiUse],
) -> Pattern:
    if len(gsis) >= MAX_GSIS:
        how = f"Scan filtered on {', '.join(where)}: the table already has {MAX_GSIS} GSIs"
        return Pattern(name, where, origin, Served.SCAN, how)
    slot = len(gsis) + 1
    pk = template(f"{prefix}#{'_'.join(where)}", where)
    gsis.append(GsiUse(slot, pk, template(prefix, key), name))
    how = f"Query of GSI{slot}: GSI{slot}PK = {pk}"
    return Pattern(name, where, origin, Served.INDEX, how)


def _origins(table: Table) -> dict[tuple[str, ...], str]:
    """What each column group's lookup comes from: an index, a unique constraint, a foreign key."""
    found: dict[tuple[str, ...], str] = {}
    for fk in table.foreign_key_constraints:
        columns = tuple(c.name for c in fk.columns)
        target = fk.elements[0].target_fullname.rsplit(".", 2)[-2]
        found.setdefault(columns, f"a foreign key to {target}")
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            columns = tuple(c.name for c in constraint.columns)
            found[columns] = f"a unique constraint {constraint.name}"
    for index in sorted(table.indexes, key=lambda i: str(i.name)):
        columns = tuple(c.name for c in index.columns)
        found.setdefault(columns, _index_origin(index))
    return found


def _index_origin(index: Index) -> str:
    return f"{'a unique index' if index.unique else 'an index'} {index.name}"
