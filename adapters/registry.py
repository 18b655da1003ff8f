"""What every backend's registry of generic repositories shares: the declarations by name.

:func:`declared_by_name` checks a set of declarations once, the same way for every
backend (a name declared twice, a reference to an undeclared entity or to fields
the target does not have, a reference of the wrong width), and
:class:`RepositoryRegistry` answers ``specs`` and ``repository(name)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Generic, TypeVar

from interfaces.entities import EntitySpec, Reference

__all__ = ["RepositoryRegistry", "declared_by_name"]

R = TypeVar("R")


def declared_by_name(specs: Iterable[EntitySpec]) -> dict[str, EntitySpec]:
    """The declarations by name; ValueError naming the entity for a declaration that cannot be.

    Refused: a name declared twice, a reference to an entity not declared, to fields
    the target does not have, or with another number of fields than the target's.
    """
    declared: dict[str, EntitySpec] = {}
    for spec in specs:
        if spec.name in declared:
            raise ValueError(f"entity {spec.name} is declared twice")
        declared[spec.name] = spec
    for spec in declared.values():
        for reference in spec.references:
            _check_reference(spec, reference, declared)
    return declared


def _check_reference(
    spec: EntitySpec, reference: Reference, declared: Mapping[str, EntitySpec]
) -> None:
    target = declared.get(reference.target)
    if target is None:
        raise ValueError(f"entity {spec.name} references {reference.target}, which is not declared")
    names = reference.target_fields or target.key
    unknown = [name for name in names if name not in target.fields]
    if unknown:
        raise ValueError(
            f"entity {spec.name} references {target.name} by {', '.join(unknown)}, "
            f"not a field of {target.name}"
        )
    if len(names) != len(reference.fields):
        raise ValueError(
            f"entity {spec.name}: the reference to {target.name} has "
            f"{len(reference.fields)} field(s) for {len(names)} target field(s)"
        )


class RepositoryRegistry(Generic[R]):
    """The declarations and one repository per declared entity, by name."""

    def __init__(self, specs: Mapping[str, EntitySpec], repositories: Mapping[str, R]) -> None:
        self._specs: Mapping[str, EntitySpec] = MappingProxyType(dict(specs))
        self._repositories = dict(repositories)

    @property
    def specs(self) -> Mapping[str, EntitySpec]:
        """The declaration of every entity, by name."""
        return self._specs

    def repository(self, name: str) -> R:
        """The repository of entity ``name``; KeyError listing the known entities."""
        found = self._repositories.get(name)
        if found is None:
            known = ", ".join(self._repositories) or "none"
            raise KeyError(f"no entity {name!r} is declared (known: {known})")
        return found
