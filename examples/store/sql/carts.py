"""Shopping carts on the legacy ``shopping_carts`` table: one line per (user, product).

Cart lines show the product's current name and price (joined, not copied).
Adding to an existing line grows it in one guarded UPDATE, so concurrent adds
never lose units.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, func, select, update

from examples.store.models import CartIssue, CartItem, CartLine, CartSummary
from examples.store.rules import MAX_QUANTITY, check_quantity, over_limit
from examples.store.schema import products, shopping_carts
from examples.store.shared import cart_summary
from examples.store.sql.base import Context, SqlRepository, translated
from examples.store.sql.products import PRODUCT
from examples.store.sql.records import AnySelect, Entity, Records
from examples.store.sql.users import USER
from interfaces.errors import AlreadyExists, NotFound

__all__ = ["CART_ITEM", "SqlCartRepository"]

CART_ITEM = Entity("cart_item", shopping_carts, CartItem)
CART_LINE = Entity(
    "cart_item",
    shopping_carts,
    CartLine,
    joined=(products.c.name.label("product_name"), products.c.price.label("price")),
)

_carts = shopping_carts.c
_OF_USER = _carts.user_id == bindparam("b_user")
_THE_LINE = (_OF_USER, _carts.product_id == bindparam("b_product"))


def _lines() -> AnySelect:
    return (
        select(*CART_LINE.columns)
        .join(products, products.c.id == _carts.product_id)
        .where(_OF_USER)
        .order_by(_carts.product_id)
    )


def _short_lines() -> AnySelect:
    return (
        select(_carts.product_id, _carts.quantity, products.c.inventory_quantity)
        .join(products, products.c.id == _carts.product_id)
        .where(_OF_USER, _carts.quantity > products.c.inventory_quantity)
        .order_by(_carts.product_id)
    )


@translated
class SqlCartRepository(SqlRepository):
    """:class:`~interfaces.CartRepository` over the ``shopping_carts`` table."""

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self._users = Records(context, USER)
        self._products = Records(context, PRODUCT)
        self._items = Records(context, CART_ITEM)
        self._lines = _lines()
        self._short = _short_lines()
        self._item = select(*CART_ITEM.columns).where(*_THE_LINE)
        self._count = select(func.coalesce(func.sum(_carts.quantity), 0)).where(_OF_USER)
        self._grow = (
            update(shopping_carts)
            .where(*_THE_LINE, _carts.quantity <= MAX_QUANTITY - bindparam("b_quantity"))
            .values(
                quantity=_carts.quantity + bindparam("b_quantity"),
                updated_at=bindparam("b_now"),
            )
        )
        self._remove = delete(shopping_carts).where(*_THE_LINE)
        self._set = (
            update(shopping_carts)
            .where(*_THE_LINE)
            .values(quantity=bindparam("b_quantity"), updated_at=bindparam("b_now"))
        )

    def list_items(self, user_id: int) -> list[CartLine]:
        """The user's cart with product names and prices, ordered by product id (may be empty)."""
        rows = self._context.connection().execute(self._lines, {"b_user": user_id}).all()
        return CART_LINE.from_rows(rows)

    def get_item(self, user_id: int, product_id: int) -> CartItem | None:
        """One line of the cart, or None."""
        row = self._context.connection().execute(self._item, _line(user_id, product_id)).first()
        return None if row is None else CART_ITEM.from_row(row)

    def item_count(self, user_id: int) -> int:
        """Total units in the cart (sum of quantities); 0 for an empty cart."""
        total = self._context.connection().execute(self._count, {"b_user": user_id}).scalar()
        return int(total or 0)

    def summary(self, user_id: int) -> CartSummary:
        """Line count, total units and subtotal of the cart."""
        return cart_summary(user_id, self.list_items(user_id))

    def validate(self, user_id: int) -> list[CartIssue]:
        """Lines asking for more units than are in stock, ordered by product id."""
        rows = self._context.connection().execute(self._short, {"b_user": user_id}).all()
        return [
            CartIssue(product_id=r.product_id, requested=r.quantity, available=r.inventory_quantity)
            for r in rows
        ]

    def add_item(self, user_id: int, product_id: int, quantity: int = 1) -> CartItem:
        """Add ``quantity`` (>= 1) units; an existing line grows by that much.

        ValidationFailed(field="quantity"); NotFound when the user or the product does not exist;
        UnstorableValue(field="quantity") when the line would grow past the INT limit.
        """
        check_quantity(quantity, minimum=1)
        self._users.require(user_id)
        self._products.require(product_id)
        now = self._context.now()
        if not self._grown(user_id, product_id, quantity, now):
            try:
                self._insert(user_id, product_id, quantity, now)
            except AlreadyExists:  # another unit of work added the line meanwhile
                if not self._grown(user_id, product_id, quantity, now):
                    raise
        return self._require_item(user_id, product_id)

    def update_quantity(self, user_id: int, product_id: int, quantity: int) -> CartItem:
        """Set a line's quantity (>= 1, else ValidationFailed); NotFound when there is no line."""
        check_quantity(quantity, minimum=1)
        params = _line(user_id, product_id, b_quantity=quantity, b_now=self._context.now())
        if self._context.connection().execute(self._set, params).rowcount == 0:
            raise NotFound("cart_item", (user_id, product_id))
        return self._require_item(user_id, product_id)

    def remove_item(self, user_id: int, product_id: int) -> None:
        """Remove a line; NotFound when there is none."""
        removed = self._context.connection().execute(self._remove, _line(user_id, product_id))
        if removed.rowcount == 0:
            raise NotFound("cart_item", (user_id, product_id))

    def clear(self, user_id: int) -> int:
        """Remove every line of the user's cart; returns how many lines were removed."""
        statement = delete(shopping_carts).where(_carts.user_id == user_id)
        return int(self._context.connection().execute(statement).rowcount)

    def _grown(self, user_id: int, product_id: int, quantity: int, now: datetime) -> bool:
        """Grow an existing line; False when there is none; UnstorableValue past the limit."""
        params = _line(user_id, product_id, b_quantity=quantity, b_now=now)
        if self._context.connection().execute(self._grow, params).rowcount == 1:
            return True
        current = self.get_item(user_id, product_id)
        if current is not None:
            raise over_limit(current.quantity + quantity)
        return False

    def _insert(self, user_id: int, product_id: int, quantity: int, now: datetime) -> None:
        self._items.insert(
            {
                "id": self._context.new_id("shopping_carts"),
                "user_id": user_id,
                "product_id": product_id,
                "quantity": quantity,
                "created_at": now,
                "updated_at": now,
            }
        )

    def _require_item(self, user_id: int, product_id: int) -> CartItem:
        item = self.get_item(user_id, product_id)
        if item is None:
            raise NotFound("cart_item", (user_id, product_id))
        return item


def _line(user_id: int, product_id: int, **extra: object) -> dict[str, object]:
    """Parameters naming one cart line (and ``extra`` ones)."""
    return {"b_user": user_id, "b_product": product_id, **extra}
