"""The store's own business rules, as errors of the layer's tree (:class:`RuleViolation`)."""

from __future__ import annotations

from typing import Any

from interfaces.errors import RuleViolation

__all__ = ["EmptyCart", "InsufficientInventory", "NotOwner"]


class InsufficientInventory(RuleViolation):
    """A product has fewer units in stock than requested."""

    def __init__(self, product_id: int, requested: int, available: int | None) -> None:
        have = "unknown" if available is None else str(available)
        super().__init__(f"product {product_id}: requested {requested}, only {have} in stock")
        self.product_id = product_id
        self.requested = requested
        self.available = available


class EmptyCart(RuleViolation):
    """Checkout of a cart that has no items."""

    def __init__(self, user_id: int) -> None:
        super().__init__(f"cart of user {user_id} is empty")
        self.user_id = user_id


class NotOwner(RuleViolation):
    """An owner-checked change was attempted by someone who does not own the entity."""

    def __init__(self, entity: str, key: Any, actor: Any) -> None:
        super().__init__(f"{entity} {key!r} is not owned by {actor!r}")
        self.entity = entity
        self.key = key
        self.actor = actor
