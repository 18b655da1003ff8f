"""The generic DynamoDB repositories of every declared entity of one contract."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from adapters.dynamodb.client import DynamoClient
from adapters.dynamodb.generic.context import Context
from adapters.dynamodb.generic.repository import DynamoRepository
from adapters.registry import RepositoryRegistry
from dal.contract import Contract
from interfaces.entities import EntitySpec
from interfaces.runtime import (
    Clock,
    IdAllocator,
    MemoryIdAllocator,
    SystemClock,
    UnitOfWorkFactory,
    no_unit_of_work,
)

__all__ = ["DynamoRepositories"]


class DynamoRepositories(RepositoryRegistry[DynamoRepository]):
    """A :class:`~interfaces.repository.Repositories` over the contract's DynamoDB tables.

    Each spec is served by the contract entity whose ``source_table`` is the
    spec's table, in the table ``table_prefix + <contract table name>``. Every
    declaration is checked when this is built, with no request sent: an entity
    that cannot be served (no contract entity for its table, no way to find an
    item by its key, a derivation the repositories do not compute, or a reference
    either way to such an entity) is listed in :attr:`unsupported`, and asking
    for its repository raises a ValueError with the reason; the others work.
    Every command is atomic on its own, so the unit of work is
    :func:`~interfaces.runtime.no_unit_of_work`. Defaults: the
    :class:`~interfaces.runtime.SystemClock` and a
    :class:`~interfaces.runtime.MemoryIdAllocator`.
    """

    def __init__(
        self,
        client: DynamoClient,
        contract: Contract,
        specs: Iterable[EntitySpec],
        *,
        table_prefix: str = "",
        clock: Clock | None = None,
        ids: IdAllocator | None = None,
    ) -> None:
        self._context = Context.build(
            client,
            contract,
            specs,
            table_prefix=table_prefix,
            clock=clock if clock is not None else SystemClock(),
            ids=ids if ids is not None else MemoryIdAllocator(),
        )
        super().__init__(
            self._context.specs,
            {name: DynamoRepository(self._context, name) for name in self._context.maps},
        )

    @property
    def unsupported(self) -> Mapping[str, str]:
        """The declared entities these repositories cannot serve, with the reason."""
        return self._context.unsupported

    def repository(self, name: str) -> DynamoRepository:
        """The repository of entity ``name``.

        KeyError listing the known entities for an undeclared one; ValueError with
        the reason for a declared entity the contract's layout does not let these
        repositories serve.
        """
        reason = self._context.unsupported.get(name)
        if reason is not None:
            raise ValueError(reason)
        return super().repository(name)

    @property
    def unit_of_work(self) -> UnitOfWorkFactory:
        """A unit of work that does nothing: every command is atomic on its own."""
        return no_unit_of_work

    def eventually_consistent(self) -> list[str]:
        """``entity.query`` of every named query read from a GSI, hence eventually consistent.

        A create or update may be missing from (or stale in) the first pages read
        right after it; every other read is strongly consistent.
        """
        return self._context.eventually_consistent()
