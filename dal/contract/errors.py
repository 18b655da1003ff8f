"""Errors of the migration contract: where a problem is, and what is wrong there."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ContractError", "Location", "Problem", "TemplateError"]


@dataclass(frozen=True)
class Location:
    """Where in the contract a problem is: a table, and within it an index, entity or attribute.

    Rendered as ``Users / entity CART / attribute price``; an empty location is the
    contract as a whole.
    """

    table: str | None = None
    index: str | None = None
    entity: str | None = None
    attribute: str | None = None

    def __str__(self) -> str:
        parts = [self.table] if self.table is not None else []
        if self.index is not None:
            parts.append(f"index {self.index}")
        if self.entity is not None:
            parts.append(f"entity {self.entity}")
        if self.attribute is not None:
            parts.append(f"attribute {self.attribute}")
        return " / ".join(parts) if parts else "contract"

    def at_index(self, index: str) -> Location:
        """This location narrowed to a global secondary index."""
        return Location(self.table, index, None, None)

    def at_entity(self, entity: str) -> Location:
        """This location narrowed to an entity."""
        return Location(self.table, None, entity, None)

    def at_attribute(self, attribute: str) -> Location:
        """This location narrowed to an attribute."""
        return Location(self.table, None, self.entity, attribute)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a contract."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class ContractError(ValueError):
    """The migration contract cannot be used; ``problems`` lists everything found wrong.

    The message names the source and, for each problem, the table, entity and
    attribute, e.g. ``Users / entity CART / attribute price: join type
    'foreign-key' requires 'target_table'``.
    """

    def __init__(self, problems: Sequence[Problem], source: str = "<memory>") -> None:
        self.problems = tuple(problems)
        self.source = source
        super().__init__(self._render())

    def _render(self) -> str:
        if len(self.problems) == 1:
            return f"invalid migration contract {self.source}: {self.problems[0]}"
        lines = [f"invalid migration contract {self.source}: {len(self.problems)} problems"]
        lines.extend(f"  - {problem}" for problem in self.problems)
        return "\n".join(lines)


class TemplateError(ValueError):
    """A key template is malformed, or cannot render or parse the given value."""
