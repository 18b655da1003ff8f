"""The reference store's repositories on memory."""

from examples.store.memory.store import build_store

__all__ = ["build_store"]
