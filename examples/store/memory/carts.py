"""Shopping carts in memory: one line per (user, product), lines ordered by product id."""

from __future__ import annotations

from examples.store.memory.state import MemoryState, Repository, synchronized
from examples.store.models import CartIssue, CartItem, CartLine, CartSummary
from examples.store.rules import check_quantity
from examples.store.shared import build, cart_issues, cart_summary, revise

__all__ = ["MemoryCartRepository", "cart_of"]


def cart_of(state: MemoryState, user_id: int) -> list[CartItem]:
    """The items of ``user_id``'s cart, ordered by product id."""
    items = state.cart_items.select(lambda item: item.user_id == user_id)
    return sorted(items, key=lambda item: item.product_id)


@synchronized
class MemoryCartRepository(Repository):
    """:class:`~interfaces.CartRepository` over a :class:`MemoryState`.

    Lines carry the product's current name and price.
    """

    def list_items(self, user_id: int) -> list[CartLine]:
        """The user's cart with product names and prices, ordered by product id (may be empty)."""
        return [self._line(item) for item in cart_of(self._db, user_id)]

    def get_item(self, user_id: int, product_id: int) -> CartItem | None:
        """One line of the cart, or None."""
        return self._db.cart_items.find((user_id, product_id))

    def item_count(self, user_id: int) -> int:
        """Total units in the cart (sum of quantities); 0 for an empty cart."""
        return sum(item.quantity for item in cart_of(self._db, user_id))

    def summary(self, user_id: int) -> CartSummary:
        """Line count, total units and subtotal of the cart."""
        return cart_summary(user_id, self.list_items(user_id))

    def validate(self, user_id: int) -> list[CartIssue]:
        """Lines asking for more units than are in stock, ordered by product id."""
        return cart_issues(cart_of(self._db, user_id), self._stock)

    def add_item(self, user_id: int, product_id: int, quantity: int = 1) -> CartItem:
        """Add ``quantity`` (>= 1) units; an existing line grows by that much.

        ValidationFailed(field="quantity"); NotFound when the user or the product does not exist.
        """
        check_quantity(quantity, minimum=1)
        self._db.users.require(user_id)
        self._db.products.require(product_id)
        key = (user_id, product_id)
        now = self._db.now()
        existing = self._db.cart_items.find(key)
        if existing is None:
            item = build(
                CartItem,
                user_id=user_id,
                product_id=product_id,
                quantity=quantity,
                created_at=now,
                updated_at=now,
            )
        else:
            grown = check_quantity(existing.quantity + quantity, minimum=1)
            item = revise(existing, {"quantity": grown}, now)
        return self._db.cart_items.put(key, item)

    def update_quantity(self, user_id: int, product_id: int, quantity: int) -> CartItem:
        """Set a line's quantity (>= 1, else ValidationFailed); NotFound when there is no line."""
        check_quantity(quantity, minimum=1)
        key = (user_id, product_id)
        current = self._db.cart_items.require(key)
        return self._db.cart_items.put(key, revise(current, {"quantity": quantity}, self._db.now()))

    def remove_item(self, user_id: int, product_id: int) -> None:
        """Remove a line; NotFound when there is none."""
        self._db.cart_items.pop((user_id, product_id))

    def clear(self, user_id: int) -> int:
        """Remove every line of the user's cart; returns how many lines were removed."""
        return self._db.cart_items.delete_where(lambda item: item.user_id == user_id)

    def _stock(self, product_id: int) -> int:
        return self._db.products.require(product_id).inventory_quantity

    def _line(self, item: CartItem) -> CartLine:
        product = self._db.products.require(item.product_id)
        return build(CartLine, **item.model_dump(), product_name=product.name, price=product.price)
