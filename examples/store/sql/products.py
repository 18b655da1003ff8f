"""Products and their inventory on the legacy ``products`` table.

Listings are keyset-paged by ``(name, id)``; text search is ``str.lower``
containment in the name or the description. Stock only ever moves through a
guarded ``UPDATE ... WHERE inventory_quantity >= :quantity``, so it never goes
below zero, whatever runs concurrently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import bindparam, exists, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from examples.store.errors import InsufficientInventory
from examples.store.listings import (
    BY_NAME,
    PRODUCT_SEARCH,
    PRODUCTS,
    PRODUCTS_BY_CATEGORY,
    PRODUCTS_BY_SELLER,
    PageRequest,
)
from examples.store.models import NewProduct, Product, ProductChanges, ProductDetails, ProductFilter
from examples.store.rules import (
    check_owner,
    check_quantity,
    check_seller,
    check_version,
    search_filter,
)
from examples.store.schema import categories, order_items, products, shopping_carts, users
from examples.store.shared import new_entity
from examples.store.sql.base import Context, SqlRepository, translated
from examples.store.sql.categories import CATEGORY
from examples.store.sql.collation import ExactText
from examples.store.sql.paging import KeysetOrder, fetch_page
from examples.store.sql.records import AnySelect, Entity, Records
from examples.store.sql.users import USER
from interfaces.errors import NotFound, ReferenceConflict
from interfaces.paging import DEFAULT_PAGE_SIZE, Page

__all__ = ["PRODUCT", "SqlProductRepository", "take_stock"]

PRODUCT = Entity("product", products, Product)
DETAILS = Entity(
    "product",
    products,
    ProductDetails,
    joined=(
        categories.c.name.label("category_name"),
        users.c.username.label("seller_username"),
    ),
)

_Condition = Callable[[ExactText], ColumnElement[bool]]

_FILTERS: dict[str, _Condition] = {
    "category_id": lambda rules: products.c.category_id == bindparam("f_category_id"),
    "seller_id": lambda rules: products.c.seller_id == bindparam("f_seller_id"),
    "min_price": lambda rules: products.c.price >= bindparam("f_min_price"),
    "max_price": lambda rules: products.c.price <= bindparam("f_max_price"),
    "text": lambda rules: or_(
        rules.contains_lowered(products.c.name, bindparam("f_text")),
        rules.contains_lowered(products.c.description, bindparam("f_text")),
    ),
}
"""How each field of a ProductFilter restricts a listing (its value bound as ``:f_<field>``)."""


def _by_name(rules: ExactText) -> KeysetOrder:
    return KeysetOrder(expressions=(rules.column(products.c.name), products.c.id), order=BY_NAME)


def _details() -> AnySelect:
    return (
        select(*DETAILS.columns)
        .join(categories, categories.c.id == products.c.category_id)
        .join(users, users.c.id == products.c.seller_id)
        .where(products.c.id == bindparam("key"))
    )


def take_stock(context: Context, product_id: int, quantity: int, now: datetime) -> bool:
    """Take ``quantity`` units of a product if that many are in stock (one guarded UPDATE).

    Bumps the product's version and stamps ``updated_at`` when it does; returns
    False, changing nothing, when the product is missing or short of stock.
    """
    statement = (
        update(products)
        .where(products.c.id == product_id, products.c.inventory_quantity >= quantity)
        .values(
            inventory_quantity=products.c.inventory_quantity - quantity,
            version=products.c.version + 1,
            updated_at=now,
        )
    )
    return context.connection().execute(statement).rowcount == 1


@translated
class SqlProductRepository(SqlRepository):
    """:class:`~interfaces.ProductRepository` over the ``products`` table."""

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self._rows = Records(context, PRODUCT)
        self._users = Records(context, USER)
        self._categories = Records(context, CATEGORY)
        self._details = _details()
        self._ordered = select(exists().where(order_items.c.product_id == bindparam("id")))

    def get(self, product_id: int) -> Product:
        """The product; NotFound."""
        return self._rows.get(product_id)

    def get_details(self, product_id: int) -> ProductDetails:
        """The product with its category name and seller username; NotFound."""
        row = self._context.connection().execute(self._details, {"key": product_id}).first()
        if row is None:
            raise NotFound("product", product_id)
        return DETAILS.from_row(row)

    def list(
        self,
        filters: ProductFilter | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        page_token: str | None = None,
    ) -> Page[Product]:
        """Products matching every filter set, ordered by (name, id), paged."""
        given = filters if filters is not None else ProductFilter()
        request = PRODUCTS.request(given, page_size, page_token)
        return self._page(request, given)

    def list_by_seller(
        self, seller_id: int, page_size: int = DEFAULT_PAGE_SIZE, page_token: str | None = None
    ) -> Page[Product]:
        """A seller's products ordered by (name, id), paged."""
        request = PRODUCTS_BY_SELLER.request(seller_id, page_size, page_token)
        return self._page(request, ProductFilter(seller_id=seller_id))

    def list_by_category(
        self, category_id: int, page_size: int = DEFAULT_PAGE_SIZE, page_token: str | None = None
    ) -> Page[Product]:
        """Products of one category ordered by (name, id), paged."""
        request = PRODUCTS_BY_CATEGORY.request(category_id, page_size, page_token)
        return self._page(request, ProductFilter(category_id=category_id))

    def search(
        self, text: str, page_size: int = DEFAULT_PAGE_SIZE, page_token: str | None = None
    ) -> Page[Product]:
        """Products whose name or description contains ``text`` (case-insensitive), paged.

        ValidationFailed(field="text") for text a ProductFilter refuses (empty, too long).
        """
        wanted = search_filter(text)
        request = PRODUCT_SEARCH.request(text, page_size, page_token)
        return self._page(request, wanted)

    def has_inventory(self, product_id: int, quantity: int) -> bool:
        """Whether at least ``quantity`` (>= 0) units are in stock; NotFound."""
        check_quantity(quantity, minimum=0)
        return self._rows.get(product_id).inventory_quantity >= quantity

    def create(self, new: NewProduct) -> Product:
        """Create a product.

        NotFound when the seller or the category does not exist;
        NotOwner(actor=seller_id) when the user is not a seller.
        """
        seller = self._users.get(new.seller_id)
        self._categories.require(new.category_id)
        check_seller(seller, new)
        now = self._context.now()
        return self._rows.add(new_entity(Product, new, self._context.new_id("products"), now))

    def update(
        self,
        product_id: int,
        seller_id: int,
        changes: ProductChanges,
        expected_version: int | None = None,
    ) -> Product:
        """Owner-checked update.

        NotFound (product or new category); NotOwner; ConcurrencyConflict.
        """
        current = self._owned(product_id, seller_id)
        check_version("product", product_id, current.version, expected_version)
        if changes.category_id is not None:
            self._categories.require(changes.category_id)
        return self._rows.revise(product_id, changes.changed())

    def delete(self, product_id: int, seller_id: int) -> None:
        """Owner-checked delete: NotFound, NotOwner; ReferenceConflict(referenced_by="orders").

        Cart items holding the product are removed with it.
        """
        self._owned(product_id, seller_id)
        if self._context.connection().execute(self._ordered, {"id": product_id}).scalar():
            raise ReferenceConflict("product", product_id, "orders")
        in_carts = shopping_carts.delete().where(shopping_carts.c.product_id == product_id)
        with self._context.savepoint() as connection:
            connection.execute(in_carts)
            self._rows.delete(product_id)

    def set_inventory(self, product_id: int, quantity: int) -> Product:
        """Set the stock to ``quantity`` (>= 0, else ValidationFailed); NotFound."""
        check_quantity(quantity, minimum=0)
        return self._rows.revise(product_id, {"inventory_quantity": quantity})

    def reduce_inventory(self, product_id: int, quantity: int) -> Product:
        """Take ``quantity`` (>= 1) units out of stock atomically, never below zero.

        ValidationFailed(field="quantity"); NotFound; InsufficientInventory when
        fewer are in stock (nothing changes).
        """
        check_quantity(quantity, minimum=1)
        if not take_stock(self._context, product_id, quantity, self._context.now()):
            available = self._rows.get(product_id).inventory_quantity
            raise InsufficientInventory(product_id, quantity, available)
        return self._rows.get(product_id)

    def _owned(self, product_id: int, seller_id: int) -> Product:
        return check_owner(self._rows.lock(product_id), seller_id)

    def _page(self, request: PageRequest, filters: ProductFilter) -> Page[Product]:
        values = filters.model_dump(exclude_none=True)
        if "text" in values:
            values["text"] = values["text"].lower()
        names = tuple(sorted(values))

        def statement_for(resume: bool) -> AnySelect:
            key = f"products.list:{','.join(names)}:{resume}"
            return self._context.statement(key, lambda rules: _listing(rules, names, resume))

        params = {f"f_{name}": value for name, value in values.items()}
        connection = self._context.connection()
        return fetch_page(connection, statement_for, request, params, PRODUCT.from_rows)


def _listing(rules: ExactText, filters: Sequence[str], resume: bool) -> AnySelect:
    """The product listing restricted by ``filters`` (names of ProductFilter fields)."""
    statement = select(*PRODUCT.columns).where(*(_FILTERS[name](rules) for name in filters))
    return _by_name(rules).paged(statement, resume)
