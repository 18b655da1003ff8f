"""What a project tells the conformance suite: its declarations, contract and MySQL schema."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dal.testing.samples import SampleFactory
from interfaces.entities import EntitySpec

if TYPE_CHECKING:
    from sqlalchemy import Engine, MetaData

    from dal.contract import Contract

__all__ = ["DEFAULT_BACKENDS", "ConformanceConfig"]

DEFAULT_BACKENDS = ("memory", "sqlite", "mysql", "dynamodb")
"""Every backend the suite knows, in the order its tests run."""


@dataclass(frozen=True)
class ConformanceConfig:
    """The declarations the suite checks every backend against.

    ``specs`` are the entity declarations (every reference's target among
    them); ``contract`` the migration contract (its path, or the loaded
    :class:`~dal.contract.Contract`), needed by the DynamoDB backend;
    ``metadata`` the SQLAlchemy ``MetaData`` holding the entities' MySQL tables,
    needed by the SQL backends (which create them) and read by the sample
    generator (lengths, ``ENUM`` values, ``NUMERIC`` scale, ``DATETIME``
    precision). ``samples`` maps an entity to a factory of its n-th distinct
    valid values (stamped fields excluded; reference fields are replaced by
    the keys of targets the suite creates), for entities whose values cannot be
    generated from their model. ``backends`` names the backends to run, from
    :data:`dal.testing.backends.BACKENDS`. ``create_schema``, when given, creates
    the tables on a SQL backend instead of ``metadata.create_all`` (an
    application's own migrations, which may set collations ``metadata`` does
    not say); the tables it makes are left in place.
    """

    specs: Sequence[EntitySpec]
    contract: str | Path | Contract | None = None
    metadata: MetaData | None = None
    samples: Mapping[str, SampleFactory] = field(default_factory=dict)
    backends: tuple[str, ...] = DEFAULT_BACKENDS
    create_schema: Callable[[Engine], None] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "specs", tuple(self.specs))
        object.__setattr__(self, "backends", tuple(self.backends))
        names = [spec.name for spec in self.specs]
        if not names:
            raise ValueError("ConformanceConfig.specs declares no entity")
        unknown = sorted(set(self.samples) - set(names))
        if unknown:
            raise ValueError(f"ConformanceConfig.samples names undeclared entities: {unknown}")

    def spec(self, name: str) -> EntitySpec:
        """The declaration of entity ``name``."""
        for spec in self.specs:
            if spec.name == name:
                return spec
        raise KeyError(f"no entity {name!r} is declared")

    @property
    def entity_names(self) -> tuple[str, ...]:
        """Every declared entity's name, in declaration order."""
        return tuple(spec.name for spec in self.specs)

    def load_contract(self) -> Contract:
        """The contract, loaded (and validated) if it was given as a path."""
        from dal.contract import Contract, load_contract

        if self.contract is None:
            raise ValueError("ConformanceConfig.contract is needed by the DynamoDB backend")
        if isinstance(self.contract, Contract):
            return self.contract
        return load_contract(self.contract)

    def require_metadata(self) -> MetaData:
        """The SQL schema; ValueError when none was given."""
        if self.metadata is None:
            raise ValueError("ConformanceConfig.metadata is needed by the SQL backends")
        return self.metadata
