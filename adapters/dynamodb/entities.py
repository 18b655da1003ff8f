"""Generic DynamoDB repositories for declared entities (see docs/dynamodb-repositories.md).

* :class:`DynamoRepositories` - the :class:`~interfaces.repository.Repositories` of every
  declared entity over the contract's tables;
* :class:`DynamoRepository` - the repository of one entity;
* :func:`guard_partition`, :func:`guard_key`, :func:`guard_item` - the unique-value guard
  items, for tools (the backfill) that must write the same ones.
"""

from adapters.dynamodb.generic.guards import (
    GUARD_SK,
    guard_item,
    guard_key,
    guard_partition,
    is_guard,
)
from adapters.dynamodb.generic.repositories import DynamoRepositories
from adapters.dynamodb.generic.repository import DynamoRepository

__all__ = [
    "GUARD_SK",
    "DynamoRepositories",
    "DynamoRepository",
    "guard_item",
    "guard_key",
    "guard_partition",
    "is_guard",
]
