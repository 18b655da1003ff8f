"""The routed registry: every declared entity's generic repository behind the router.

:meth:`~dal.routing.Router.route_repositories` builds one
:class:`RoutedRepositories` from two registries of the same entities (MySQL and
DynamoDB, say); each entity's :class:`~interfaces.repository.Repository` is
routed by its own stage flag (``DAL_STAGE_<ENTITY>``) and all of them share one
routed unit of work.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from interfaces import UnitOfWorkFactory
from interfaces.entities import EntitySpec
from interfaces.repository import Repositories, Repository

__all__ = ["RoutedRepositories", "check_same_entities"]


class RoutedRepositories:
    """A :class:`~interfaces.repository.Repositories` whose repositories are routed."""

    def __init__(
        self,
        specs: Mapping[str, EntitySpec],
        repositories: Mapping[str, Repository[Any]],
        unit_of_work: UnitOfWorkFactory,
    ) -> None:
        self._specs = MappingProxyType(dict(specs))
        self._repositories = dict(repositories)
        self._unit_of_work = unit_of_work

    @property
    def specs(self) -> Mapping[str, EntitySpec]:
        """The declaration of every entity, by name."""
        return self._specs

    @property
    def unit_of_work(self) -> UnitOfWorkFactory:
        """Opens both sides' units of work together."""
        return self._unit_of_work

    def repository(self, name: str) -> Repository[Any]:
        """The routed repository of entity ``name``; KeyError listing the known entities."""
        found = self._repositories.get(name)
        if found is None:
            known = ", ".join(self._repositories) or "none"
            raise KeyError(f"unknown entity {name!r} (known: {known})")
        return found

    def __repr__(self) -> str:
        return f"<RoutedRepositories {', '.join(self._repositories)}>"


def check_same_entities(old: Repositories, new: Repositories) -> None:
    """ValueError naming the entities only one side declares."""
    only_old = sorted(set(old.specs) - set(new.specs))
    only_new = sorted(set(new.specs) - set(old.specs))
    if only_old or only_new:
        raise ValueError(
            "both sides must serve the same entities: "
            f"only old has {', '.join(only_old) or 'none'}; "
            f"only new has {', '.join(only_new) or 'none'}"
        )
