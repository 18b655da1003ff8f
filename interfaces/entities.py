"""Entity declarations: what every backend needs to know about an entity beyond the contract.

A declaration (an :class:`EntitySpec`) describes one MySQL table as the layer
sees it: the pydantic model of a stored row, the key, unique fields and the
collation they compare under, references with their on-delete rule, the
optimistic version field, the timestamps the layer stamps, the fields that are
sensitive, and the named queries (access patterns). Every generic repository
(SQL, DynamoDB, memory) is driven by it; the DynamoDB item layout comes from
the migration contract. Where an application declares nothing, the layer builds
a default declaration from the contract and the reflected MySQL table
(:mod:`dal.entities`); a declaration only refines that default.

Example (a composite key, a case-insensitive unique code, a reference)::

    class Ticket(BaseModel):
        project_id: int
        number: int
        code: str
        status: Literal["open", "closed"]
        version: int
        created_at: datetime
        updated_at: datetime

    TICKETS = EntitySpec(
        name="tickets",
        table="tickets",
        model=Ticket,
        key=("project_id", "number"),
        unique=(Unique(("code",), case_insensitive=True),),
        references=(Reference(("project_id",), "projects", on_delete=OnDelete.CASCADE),),
        version="version",
        created_at="created_at",
        updated_at="updated_at",
        queries=(NamedQuery("by_project", where=("project_id",), order_by=("number",)),),
    )
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel

__all__ = [
    "EntitySpec",
    "KeyValue",
    "NamedQuery",
    "OnDelete",
    "Reference",
    "Unique",
    "key_tuple",
]

KeyValue = Any
"""A primary key as callers give it: a bare value for a one-field key, else a mapping
of every key field to its value (``{"project_id": 1, "number": 7}``)."""


class OnDelete(StrEnum):
    """What deleting a referenced entity does to the entities that reference it."""

    RESTRICT = "restrict"
    """The delete fails with ReferenceConflict while any referencing entity exists."""
    CASCADE = "cascade"
    """The referencing entities are deleted too (and their own references are honoured)."""
    SET_NULL = "set_null"
    """The referencing fields are set to None (they must be nullable)."""


@dataclass(frozen=True)
class Unique:
    """Fields whose values (together) no two entities share.

    ``case_insensitive`` compares text as a case-insensitive collation does
    (``Alice`` and ``alice`` collide); otherwise text is compared exactly.
    ``name`` is the field name reported by AlreadyExists (default: the fields
    joined with ``,``).
    """

    fields: tuple[str, ...]
    case_insensitive: bool = False
    name: str | None = None

    @property
    def label(self) -> str:
        """The name AlreadyExists reports."""
        return self.name if self.name is not None else ",".join(self.fields)


@dataclass(frozen=True)
class Reference:
    """``fields`` of this entity hold the key of an entity of ``target``.

    ``target_fields`` default to the target's key. A reference whose fields are
    all None refers to nothing. Creating or updating an entity whose reference
    names a missing target raises NotFound(target, value); deleting a target
    follows ``on_delete``.
    """

    fields: tuple[str, ...]
    target: str
    target_fields: tuple[str, ...] | None = None
    on_delete: OnDelete = OnDelete.RESTRICT


@dataclass(frozen=True)
class NamedQuery:
    """A named access pattern: entities whose ``where`` fields equal the parameters.

    Results are ordered by ``order_by`` then by the key (ascending, or all
    descending when ``descending``), and paged with neutral page tokens.
    """

    name: str
    where: tuple[str, ...]
    order_by: tuple[str, ...] = ()
    descending: bool = False


def _frozen(mapping: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class EntitySpec:
    """Everything the backends need to know about one entity that the contract does not say.

    ``name`` is the entity's name everywhere in the layer (flags, reports, errors,
    ``store.repository(name)``); ``table`` its MySQL table; ``model`` the pydantic
    model of a stored entity, one field per stored column; ``columns`` maps a field
    to its column where the two names differ. ``id_sequence`` names the
    :class:`~interfaces.IdAllocator` sequence that hands out the (one integer) key
    on create; when None the caller gives the key. ``created_at`` and
    ``updated_at`` name the fields the layer stamps from its clock; ``version`` the
    optimistic version field (1 on create, one more on every update).
    ``sensitive`` fields never appear in records, reports or logs.
    """

    name: str
    table: str
    model: type[BaseModel]
    key: tuple[str, ...]
    columns: Mapping[str, str] = field(default_factory=dict)
    id_sequence: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    version: str | None = None
    unique: tuple[Unique, ...] = ()
    references: tuple[Reference, ...] = ()
    sensitive: frozenset[str] = frozenset()
    queries: tuple[NamedQuery, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", _frozen(self.columns))
        problems = list(self._problems())
        if problems:
            raise ValueError(f"entity {self.name}: " + "; ".join(problems))

    def _problems(self) -> list[str]:
        fields = set(self.model.model_fields)
        problems: list[str] = []

        def need(names: tuple[str, ...] | frozenset[str], what: str) -> None:
            missing = [n for n in names if n not in fields]
            if missing:
                problems.append(
                    f"{what} names {', '.join(missing)}, not a field of {self.model.__name__}"
                )

        if not self.key:
            problems.append("the key names no field")
        need(self.key, "the key")
        need(tuple(self.columns), "columns")
        for role in ("created_at", "updated_at", "version"):
            value = getattr(self, role)
            if value is not None:
                need((value,), role)
        if self.id_sequence is not None and len(self.key) != 1:
            problems.append("id_sequence needs a key of exactly one field")
        for unique in self.unique:
            need(unique.fields, f"unique {unique.label}")
        for reference in self.references:
            need(reference.fields, f"reference to {reference.target}")
        need(self.sensitive, "sensitive")
        names = [q.name for q in self.queries]
        if len(names) != len(set(names)):
            problems.append("two named queries share a name")
        for named in self.queries:
            need(named.where + named.order_by, f"query {named.name}")
        return problems

    def column(self, field_name: str) -> str:
        """The MySQL column of ``field_name``."""
        return self.columns.get(field_name, field_name)

    @property
    def fields(self) -> tuple[str, ...]:
        """Every field of the model, in model order."""
        return tuple(self.model.model_fields)

    @property
    def stamped(self) -> frozenset[str]:
        """Fields the layer sets itself: timestamps, version and an allocated key."""
        names = {self.created_at, self.updated_at, self.version}
        if self.id_sequence is not None:
            names.add(self.key[0])
        return frozenset(n for n in names if n is not None)

    def query(self, name: str) -> NamedQuery:
        """The named query ``name``; KeyError listing the entity's queries if there is none."""
        for named in self.queries:
            if named.name == name:
                return named
        known = ", ".join(q.name for q in self.queries) or "none"
        raise KeyError(f"entity {self.name} has no query {name!r} (it has {known})")

    def key_of(self, key: KeyValue) -> dict[str, Any]:
        """``key`` as a mapping of every key field; ValueError naming what is wrong."""
        if isinstance(key, Mapping):
            given = dict(key)
            if set(given) != set(self.key):
                raise ValueError(
                    f"a key of {self.name} has the fields {', '.join(self.key)}, "
                    f"got {', '.join(map(str, given)) or 'none'}"
                )
            return {name: given[name] for name in self.key}
        if len(self.key) != 1:
            raise ValueError(
                f"a key of {self.name} is a mapping of {', '.join(self.key)}, got {key!r}"
            )
        return {self.key[0]: key}

    def key_label(self, key: Mapping[str, Any]) -> Any:
        """How errors name a key: the bare value of a one-field key, else a tuple."""
        return key_tuple(self, key)[0] if len(self.key) == 1 else key_tuple(self, key)


def key_tuple(spec: EntitySpec, values: Mapping[str, Any]) -> tuple[Any, ...]:
    """The key fields of ``values`` (a row or a key mapping), in key order."""
    return tuple(values[name] for name in spec.key)
