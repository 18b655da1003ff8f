"""Products in DynamoDB: one item per product, GSIs by category and by seller (sorted by name).

Inventory changes are single conditional UpdateItems (``inventory_quantity >=
:q`` for a reduction). Creating, moving and deleting a product keeps the
category's calculated ``product_count`` right in the same transaction.
Listings by category or seller read their GSI in name order (eventually
consistent); the unfiltered listing and text search scan the table and filter
and sort client-side (cost grows with the table).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from adapters.dynamodb.client import Item
from adapters.dynamodb.errors import ConditionFailed, TransactionCancelled, translate
from adapters.dynamodb.expressions import Action, Expr, check, delete, put
from adapters.dynamodb.layout import EntityLayout
from examples.store import (
    InsufficientInventory,
    NewProduct,
    NotOwner,
    Product,
    ProductChanges,
    ProductDetails,
    ProductFilter,
)
from examples.store.dynamodb.base import ORDER_LINES, Backend, key_of, to_model
from examples.store.dynamodb.categories import CategoryTree, product_count_change, product_derived
from examples.store.dynamodb.paging import page_from_index
from examples.store.dynamodb.users import require_user
from examples.store.dynamodb.versioning import Stale, retry_stale, version_condition
from examples.store.listings import (
    PRODUCT_SEARCH,
    PRODUCTS,
    PRODUCTS_BY_CATEGORY,
    PRODUCTS_BY_SELLER,
    Listing,
    product_matches,
)
from examples.store.rules import (
    check_owner,
    check_quantity,
    check_seller,
    check_version,
    search_filter,
)
from examples.store.shared import build, new_entity, revise
from interfaces import AlreadyExists, NotFound, Page, ReferenceConflict
from interfaces.paging import DEFAULT_PAGE_SIZE

__all__ = ["DynamoProductRepository", "inventory_change"]


def inventory_change(
    layout: EntityLayout, quantity: int, now: datetime, *, reduce: bool
) -> tuple[Expr, str, str]:
    """Expression, update and condition of a stock change (a version bump and a new updated_at).

    ``reduce`` takes ``quantity`` units out under ``inventory_quantity >= :q``;
    otherwise the stock is set to ``quantity``. Both require the item to exist.
    """
    expr = Expr()
    stock = expr.name(layout.attr("inventory_quantity"))
    amount = expr.value(quantity)
    version = expr.name(layout.attr("version"))
    stamp_name, stamp = layout.encode("updated_at", now)
    new_stock = f"{stock} - {amount}" if reduce else amount
    update = (
        f"SET {stock} = {new_stock}, {version} = {version} + {expr.value(1)}, "
        f"{expr.name(stamp_name)} = {expr.wire(stamp)}"
    )
    condition = expr.exists(layout.table.pk)
    if reduce:
        condition += f" AND {stock} >= {amount}"
    return expr, update, condition


class DynamoProductRepository:
    """:class:`~interfaces.ProductRepository` over the Products table."""

    def __init__(self, backend: Backend) -> None:
        self._b = backend
        self._layout: EntityLayout = backend.layouts.products

    # --- queries --------------------------------------------------------------------------

    def get(self, product_id: int) -> Product:
        """The product (consistent read); NotFound."""
        return self._require(product_id)[1]

    def get_details(self, product_id: int) -> ProductDetails:
        """The product with its category's name and its seller's username; NotFound."""
        product = self.get(product_id)
        category = CategoryTree.load(self._b).require(product.category_id)
        seller = require_user(self._b, product.seller_id)[1]
        return build(
            ProductDetails,
            **product.model_dump(),
            category_name=category.name,
            seller_username=seller.username,
        )

    def list(
        self,
        filters: ProductFilter | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        page_token: str | None = None,
    ) -> Page[Product]:
        """Products matching every filter, by (name, id): a GSI when a category or seller is set."""
        given = filters if filters is not None else ProductFilter()
        request = PRODUCTS.request(given, page_size, page_token)

        def wanted(product: Product) -> bool:
            return product_matches(product, given)

        if given.category_id is not None:
            rows = self._by_index("category_id", given.category_id, request.after)
        elif given.seller_id is not None:
            rows = self._by_index("seller_id", given.seller_id, request.after)
        else:
            return request.select(filter(wanted, self._scan()))
        return page_from_index(request, filter(wanted, rows))

    def list_by_seller(
        self, seller_id: int, page_size: int = DEFAULT_PAGE_SIZE, page_token: str | None = None
    ) -> Page[Product]:
        """A seller's products by (name, id), from the GSI on seller id."""
        return self._indexed(PRODUCTS_BY_SELLER, "seller_id", seller_id, page_size, page_token)

    def list_by_category(
        self, category_id: int, page_size: int = DEFAULT_PAGE_SIZE, page_token: str | None = None
    ) -> Page[Product]:
        """Products of one category by (name, id), from the GSI on category id."""
        return self._indexed(
            PRODUCTS_BY_CATEGORY, "category_id", category_id, page_size, page_token
        )

    def search(
        self, text: str, page_size: int = DEFAULT_PAGE_SIZE, page_token: str | None = None
    ) -> Page[Product]:
        """Products whose name or description contains ``text``: a Scan filtered client-side."""
        wanted = search_filter(text)
        request = PRODUCT_SEARCH.request(text, page_size, page_token)
        return request.select(p for p in self._scan() if product_matches(p, wanted))

    def has_inventory(self, product_id: int, quantity: int) -> bool:
        """Whether at least ``quantity`` units are in stock; NotFound."""
        check_quantity(quantity, minimum=0)
        return self.get(product_id).inventory_quantity >= quantity

    # --- commands -------------------------------------------------------------------------

    def create(self, new: NewProduct) -> Product:
        """Create the product and count it in its category, in one transaction.

        NotFound (seller, then category); NotOwner when the user is not a seller.
        """
        seller_item, seller = require_user(self._b, new.seller_id)
        tree = CategoryTree.load(self._b)
        tree.require(new.category_id)
        check_seller(seller, new)
        now = self._b.now()
        product = new_entity(Product, new, self._b.ids.allocate("products"), now)
        expr = Expr()
        item = self._layout.item(product.model_dump(), product_derived(self._layout, tree, product))
        users = self._b.layouts.users
        seller_expr = Expr()
        actions = [
            put(self._layout.table_name, item, expr.missing(self._layout.table.pk), expr),
            product_count_change(self._b, tree, new.category_id, +1),
            check(
                users.table_name,
                key_of(users, seller_item),
                seller_expr.equals(users.attr("is_seller"), True),
                seller_expr,
            ),
        ]
        errors: dict[int, Exception] = {
            0: AlreadyExists("product", "id", product.id),
            1: NotFound("category", new.category_id),
            2: NotOwner("product", new.name, new.seller_id),
        }
        self._transact(actions, errors)
        return product

    def update(
        self,
        product_id: int,
        seller_id: int,
        changes: ProductChanges,
        expected_version: int | None = None,
    ) -> Product:
        """Owner-checked update: NotFound, NotOwner, ConcurrencyConflict, NotFound (category)."""
        fields = changes.changed()
        return retry_stale(
            lambda: self._update(product_id, seller_id, fields, expected_version),
            "product",
            product_id,
        )

    def delete(self, product_id: int, seller_id: int) -> None:
        """Owner-checked delete with the cart lines holding the product.

        NotFound, NotOwner; ReferenceConflict(referenced_by="orders") when an order
        holds the product (found by scanning the orders of the Users table).
        """
        retry_stale(lambda: self._delete(product_id, seller_id), "product", product_id)

    def set_inventory(self, product_id: int, quantity: int) -> Product:
        """Set the stock (>= 0); NotFound."""
        check_quantity(quantity, minimum=0)
        return self._stock(product_id, quantity, reduce=False)

    def reduce_inventory(self, product_id: int, quantity: int) -> Product:
        """Take ``quantity`` units atomically (``inventory_quantity >= :q``); never below zero.

        NotFound; InsufficientInventory (with the units in stock) when short.
        """
        check_quantity(quantity, minimum=1)
        return self._stock(product_id, quantity, reduce=True)

    # --- internals ------------------------------------------------------------------------

    def _require(self, product_id: int) -> tuple[Item, Product]:
        item = self._b.get(self._layout, {"id": product_id})
        if item is None:
            raise NotFound("product", product_id)
        return item, self._product(item)

    def _product(self, item: Item) -> Product:
        return to_model(Product, self._layout.row(item)[0])

    def _owned(self, product_id: int, seller_id: int) -> tuple[Item, Product]:
        item, product = self._require(product_id)
        return item, check_owner(product, seller_id)

    def _scan(self) -> Iterator[Product]:
        having = self._layout.attr("seller_id")
        for item in self._b.scan(self._layout, having=having):
            if self._layout.owns(item):
                yield self._product(item)

    def _by_index(
        self, column: str, value: int, after: tuple[Any, ...] | None
    ) -> Iterator[Product]:
        index = self._layout.index_on(column, "name")
        partition = self._layout.key_value(index.pk, {column: value})
        start = None
        if after is not None and index.sk is not None:
            start = self._layout.key_value(index.sk, {"name": after[0]})
        for item in self._b.query(self._layout, index, partition, sort_from=start):
            yield self._product(item)

    def _indexed(
        self, listing: Listing, column: str, value: int, page_size: int, page_token: str | None
    ) -> Page[Product]:
        request = listing.request(value, page_size, page_token)
        return page_from_index(request, self._by_index(column, value, request.after))

    def _stock(self, product_id: int, quantity: int, *, reduce: bool) -> Product:
        now = self._b.now()
        expr, expression, condition = inventory_change(self._layout, quantity, now, reduce=reduce)
        key = self._layout.key({"id": product_id})
        request = expr.request(ConditionExpression=condition)
        try:
            item = self._b.client.update(self._layout.table_name, key, expression, **request)
        except ConditionFailed as failed:
            if failed.old_item is None:
                raise NotFound("product", product_id) from failed
            available = self._product(failed.old_item).inventory_quantity
            raise InsufficientInventory(product_id, quantity, available) from failed
        return self._product(item)

    def _update(
        self, product_id: int, seller_id: int, fields: dict[str, object], expected: int | None
    ) -> Product:
        item, current = self._owned(product_id, seller_id)
        check_version("product", product_id, current.version, expected)
        new = revise(current, fields, self._b.now())
        expr = Expr()
        condition = version_condition(expr, self._layout.attr("version"), current.version)
        if new.category_id == current.category_id:
            derived = self._layout.row(item)[1]
            new_item = self._layout.item(new.model_dump(), derived)
            self._transact([put(self._layout.table_name, new_item, condition, expr)], {0: Stale()})
            return new
        tree = CategoryTree.load(self._b)
        tree.require(new.category_id)
        new_item = self._layout.item(new.model_dump(), product_derived(self._layout, tree, new))
        actions = [
            put(self._layout.table_name, new_item, condition, expr),
            product_count_change(self._b, tree, current.category_id, -1),
            product_count_change(self._b, tree, new.category_id, +1),
        ]
        self._transact(actions, {0: Stale(), 2: NotFound("category", new.category_id)})
        return new

    def _delete(self, product_id: int, seller_id: int) -> None:
        item, current = self._owned(product_id, seller_id)
        carts = self._referencing(product_id)
        expr = Expr()
        condition = version_condition(expr, self._layout.attr("version"), current.version)
        tree = CategoryTree.load(self._b)
        actions = [delete(self._layout.table_name, key_of(self._layout, item), condition, expr)]
        if tree.find(current.category_id) is not None:
            actions.append(product_count_change(self._b, tree, current.category_id, -1))
        carts_layout = self._b.layouts.carts
        lines = [delete(carts_layout.table_name, key_of(carts_layout, line)) for line in carts]
        self._transact(actions + lines[: 100 - len(actions)], {0: Stale()})
        for start in range(100 - len(actions), len(lines), 100):
            self._b.transact(lines[start : start + 100])

    def _referencing(self, product_id: int) -> builtins.list[Item]:
        """Cart lines holding the product; ReferenceConflict if an order holds it."""
        layouts = self._b.layouts
        lines = []
        for item in self._b.scan(layouts.users, having=layouts.users.table.pk):
            if layouts.orders.owns(item):
                row = layouts.orders.row(item)[0]
                if any(
                    _same(line.get("product_id"), product_id) for line in row.get(ORDER_LINES) or []
                ):
                    raise ReferenceConflict("product", product_id, "orders")
            elif layouts.carts.owns(item) and _same(
                layouts.carts.row(item)[0].get("product_id"), product_id
            ):
                lines.append(item)
        return lines

    def _transact(self, actions: builtins.list[Action], errors: dict[int, Exception]) -> None:
        """Run one transaction; a failed condition raises the error given for its action."""
        try:
            self._b.transact(actions)
        except TransactionCancelled as cancelled:
            index = cancelled.failed_condition()
            if index in errors:
                raise errors[index] from cancelled
            raise translate(cancelled) from cancelled


def _same(value: object, wanted: int) -> bool:
    return value is not None and str(value) == str(wanted)
