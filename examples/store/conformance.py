"""The store's entities in the layer's conformance suite (:mod:`dal.testing`).

The suite checks the generic repository of every store entity on the memory fake,
SQLite and MySQL/MariaDB. Not on DynamoDB: the store's contract keeps a user's cart
lines and orders in the user's item collection (keyed by the user's email), embeds
an order's lines and counts a category's products, which the generic DynamoDB
repositories do not maintain (``docs/dynamodb-repositories.md``); the store's own
repositories serve those entities there, and the store's Protocol suite
(``tests/conformance``) checks them on every backend. Usernames and emails have
formats of their own, so users get samples the models accept; the tables come from
the store's migrations (exact, binary collations on MySQL), as in production.
"""

from __future__ import annotations

from typing import Any

from dal.testing import ConformanceConfig
from examples.store import CONTRACT
from examples.store.declarations import SPECS
from examples.store.migrations import upgrade
from examples.store.schema import metadata

__all__ = ["CONFORMANCE", "user_sample"]


def user_sample(n: int) -> dict[str, Any]:
    """The n-th user the suite creates."""
    return {
        "username": f"user-{n}",
        "email": f"user{n}@example.com",
        "password_hash": f"hash-{n}",
        "first_name": f"First {n}",
        "last_name": None if n % 3 == 0 else f"Last {n}",
        "is_seller": n % 2 == 0,
        "super_admin": n % 5 == 0,
    }


CONFORMANCE = ConformanceConfig(
    specs=SPECS,
    contract=CONTRACT,
    metadata=metadata,
    samples={"users": user_sample},
    backends=("memory", "sqlite", "mysql"),
    create_schema=upgrade,
)
"""The suite's configuration for the store."""
