"""The reference store's repositories on dynamodb."""

from examples.store.dynamodb.store import build_store

__all__ = ["build_store"]
