"""Errors of table creation and removal."""

from __future__ import annotations

from collections.abc import Sequence

from interfaces.errors import DalError

__all__ = ["InvalidTableName", "SchemaError", "SchemaMismatch", "SchemaTimeout"]


class SchemaError(DalError):
    """The tables of the contract could not be created, changed or dropped."""


class SchemaMismatch(SchemaError):
    """Existing tables differ from the contract in ways that cannot be fixed without data loss.

    ``differences`` lists them (``dev_Users: sort key is 'sk', the contract says 'SK'``);
    ``changed`` lists the tables that were created or given missing indexes before.
    """

    def __init__(self, differences: Sequence[str], changed: Sequence[str] = ()) -> None:
        self.differences = tuple(differences)
        self.changed = tuple(changed)
        lines = "\n".join(f"  - {difference}" for difference in self.differences)
        super().__init__(
            "existing tables differ from the contract (nothing was dropped or changed "
            f"to fix this):\n{lines}"
        )


class SchemaTimeout(SchemaError):
    """A table or index did not become ACTIVE (or go away) within the time allowed."""


class InvalidTableName(ValueError):
    """A prefixed table name that DynamoDB would refuse."""
