"""The reference store's repositories on sql."""

from examples.store.sql.store import build_store

__all__ = ["build_store"]
