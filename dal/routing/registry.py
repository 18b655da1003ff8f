"""The routed registry: every declared entity's generic repository behind the router.

:meth:`~dal.routing.Router.route_repositories` builds one
:class:`RoutedRepositories` from two registries of the same entities (MySQL and
DynamoDB, say); each entity's :class:`~interfaces.repository.Repository` is
routed by its own stage flag (``DAL_STAGE_<ENTITY>``) and all of them share one
routed unit of work. An entity is routed on first use, so a registry over a large
contract costs nothing for the entities a process never touches, and a backend
that cannot serve one entity fails when that entity is asked for, naming it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from interfaces import UnitOfWorkFactory
from interfaces.entities import EntitySpec
from interfaces.repository import Repositories, Repository

__all__ = ["DeferredRepositories", "RoutedRepositories", "check_same_entities"]


class RoutedRepositories:
    """A :class:`~interfaces.repository.Repositories` whose repositories are routed."""

    def __init__(
        self,
        specs: Callable[[], Mapping[str, EntitySpec]],
        route: Callable[[str], Repository[Any]],
        unit_of_work: UnitOfWorkFactory,
    ) -> None:
        self._specs_source = specs
        self._specs: Mapping[str, EntitySpec] | None = None
        self._route = route
        self._routed: dict[str, Repository[Any]] = {}
        self._lock = threading.Lock()
        self._unit_of_work = unit_of_work

    @property
    def specs(self) -> Mapping[str, EntitySpec]:
        """The declaration of every entity, by name (read from the sides on first use)."""
        specs = self._specs
        if specs is None:
            with self._lock:
                specs = self._specs
                if specs is None:
                    specs = self._specs = MappingProxyType(dict(self._specs_source()))
        return specs

    @property
    def unit_of_work(self) -> UnitOfWorkFactory:
        """Opens both sides' units of work together."""
        return self._unit_of_work

    def repository(self, name: str) -> Repository[Any]:
        """The routed repository of entity ``name``; KeyError listing the known entities."""
        found = self._routed.get(name)
        if found is not None:
            return found
        specs = self.specs
        if name not in specs:
            known = ", ".join(specs) or "none"
            raise KeyError(f"unknown entity {name!r} (known: {known})")
        with self._lock:
            found = self._routed.get(name)
            if found is None:
                found = self._routed[name] = self._route(name)
        return found

    def __repr__(self) -> str:
        return f"<RoutedRepositories {', '.join(self._routed)} routed>"


class DeferredRepositories:
    """A :class:`~interfaces.repository.Repositories` built on first use.

    The composition root hands these to stores, so that building a store reads
    no table and a backend that cannot serve the contract fails when an entity is
    first asked for, with its own error.
    """

    def __init__(self, build: Callable[[], Repositories]) -> None:
        self._build = build
        self._built: Repositories | None = None
        self._lock = threading.Lock()

    def _target(self) -> Repositories:
        built = self._built
        if built is None:
            with self._lock:
                built = self._built
                if built is None:
                    built = self._built = self._build()
        return built

    @property
    def specs(self) -> Mapping[str, EntitySpec]:
        """The declaration of every entity, by name."""
        return self._target().specs

    @property
    def unit_of_work(self) -> UnitOfWorkFactory:
        """The built registry's unit of work."""
        return self._target().unit_of_work

    def repository(self, name: str) -> Repository[Any]:
        """The repository of entity ``name``; KeyError listing the known entities."""
        return self._target().repository(name)

    def eventually_consistent(self) -> list[str]:
        """``entity.query`` of the named queries the built registry reads from an index."""
        said = getattr(self._target(), "eventually_consistent", None)
        return list(said()) if callable(said) else []


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
