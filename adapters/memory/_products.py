"""Products and their inventory in memory: owner checks, filtered listings ordered by (name, id)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from adapters.memory._paging import SortOrder, paginate
from adapters.memory._state import (
    Repository,
    build,
    check_quantity,
    check_version,
    revise,
    synchronized,
    validate_input,
)
from interfaces.errors import InsufficientInventory, NotOwner, ReferenceConflict
from interfaces.models import NewProduct, Product, ProductChanges, ProductDetails, ProductFilter
from interfaces.paging import DEFAULT_PAGE_SIZE, Page

__all__ = ["MemoryProductRepository", "matches"]

BY_NAME: SortOrder[Product] = SortOrder(key=lambda p: (p.name, p.id), types=(str, int))
"""The order of every product listing: (name, id) ascending."""


def matches(product: Product, filters: ProductFilter) -> bool:
    """Whether ``product`` passes every filter set in ``filters``."""
    f = filters
    return (
        (f.category_id is None or product.category_id == f.category_id)
        and (f.seller_id is None or product.seller_id == f.seller_id)
        and (f.min_price is None or product.price >= f.min_price)
        and (f.max_price is None or product.price <= f.max_price)
        and (f.text is None or _contains_text(product, f.text))
    )


def _contains_text(product: Product, text: str) -> bool:
    needle = text.lower()
    return needle in product.name.lower() or needle in (product.description or "").lower()


@synchronized
class MemoryProductRepository(Repository):
    """:class:`~interfaces.ProductRepository` over a :class:`MemoryState`."""

    def get(self, product_id: int) -> Product:
        """The product; NotFound."""
        return self._db.products.require(product_id)

    def get_details(self, product_id: int) -> ProductDetails:
        """The product with its category name and seller username; NotFound."""
        product = self._db.products.require(product_id)
        return build(
            ProductDetails,
            **product.model_dump(),
            category_name=self._db.categories.require(product.category_id).name,
            seller_username=self._db.users.require(product.seller_id).username,
        )

    def list(
        self,
        filters: ProductFilter | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        page_token: str | None = None,
    ) -> Page[Product]:
        """Products matching every filter set, ordered by (name, id), paged."""
        given = filters if filters is not None else ProductFilter()
        scope = ("products.list", given)
        return self._page(scope, lambda p: matches(p, given), page_size, page_token)

    def list_by_seller(
        self, seller_id: int, page_size: int = DEFAULT_PAGE_SIZE, page_token: str | None = None
    ) -> Page[Product]:
        """A seller's products ordered by (name, id), paged."""
        scope = ("products.list_by_seller", seller_id)
        return self._page(scope, lambda p: p.seller_id == seller_id, page_size, page_token)

    def list_by_category(
        self, category_id: int, page_size: int = DEFAULT_PAGE_SIZE, page_token: str | None = None
    ) -> Page[Product]:
        """Products of one category ordered by (name, id), paged."""
        scope = ("products.list_by_category", category_id)
        return self._page(scope, lambda p: p.category_id == category_id, page_size, page_token)

    def search(
        self, text: str, page_size: int = DEFAULT_PAGE_SIZE, page_token: str | None = None
    ) -> Page[Product]:
        """Products whose name or description contains ``text`` (case-insensitive), paged.

        ValidationFailed(field="text") for text a ProductFilter refuses (empty, too long).
        """
        wanted = validate_input(ProductFilter, text=text)
        scope = ("products.search", text)
        return self._page(scope, lambda p: matches(p, wanted), page_size, page_token)

    def has_inventory(self, product_id: int, quantity: int) -> bool:
        """Whether at least ``quantity`` (>= 0) units are in stock; NotFound."""
        check_quantity(quantity, minimum=0)
        return self._db.products.require(product_id).inventory_quantity >= quantity

    def create(self, new: NewProduct) -> Product:
        """Create a product.

        NotFound when the seller or the category does not exist;
        NotOwner(actor=seller_id) when the user is not a seller.
        """
        seller = self._db.users.require(new.seller_id)
        self._db.categories.require(new.category_id)
        if not seller.is_seller:
            raise NotOwner("product", new.name, new.seller_id)
        now = self._db.now()
        product = build(
            Product,
            **new.model_dump(),
            id=self._db.new_id("products"),
            created_at=now,
            updated_at=now,
            version=1,
        )
        return self._db.products.insert(product.id, product)

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
        check_version("product", product_id, current, expected_version)
        if changes.category_id is not None:
            self._db.categories.require(changes.category_id)
        return self._revise(current, changes.changed())

    def delete(self, product_id: int, seller_id: int) -> None:
        """Owner-checked delete: NotFound, NotOwner; ReferenceConflict(referenced_by="orders").

        Cart items holding the product are removed with it.
        """
        self._owned(product_id, seller_id)
        if self._db.orders.any(lambda o: any(i.product_id == product_id for i in o.items)):
            raise ReferenceConflict("product", product_id, "orders")
        self._db.cart_items.delete_where(lambda item: item.product_id == product_id)
        self._db.products.pop(product_id)

    def set_inventory(self, product_id: int, quantity: int) -> Product:
        """Set the stock to ``quantity`` (>= 0, else ValidationFailed); NotFound."""
        check_quantity(quantity, minimum=0)
        current = self._db.products.require(product_id)
        return self._revise(current, {"inventory_quantity": quantity})

    def reduce_inventory(self, product_id: int, quantity: int) -> Product:
        """Take ``quantity`` (>= 1) units out of stock, never below zero.

        ValidationFailed(field="quantity"); NotFound; InsufficientInventory when
        fewer are in stock (nothing changes).
        """
        check_quantity(quantity, minimum=1)
        current = self._db.products.require(product_id)
        if current.inventory_quantity < quantity:
            raise InsufficientInventory(product_id, quantity, current.inventory_quantity)
        return self._revise(current, {"inventory_quantity": current.inventory_quantity - quantity})

    def _owned(self, product_id: int, seller_id: int) -> Product:
        product = self._db.products.require(product_id)
        if product.seller_id != seller_id:
            raise NotOwner("product", product_id, seller_id)
        return product

    def _revise(self, current: Product, changes: dict[str, object]) -> Product:
        return self._db.products.put(current.id, revise(current, self._db.now(), changes))

    def _page(
        self,
        scope: Sequence[object],
        predicate: Callable[[Product], bool],
        page_size: int,
        page_token: str | None,
    ) -> Page[Product]:
        rows = self._db.products.select(predicate)
        return paginate(rows, BY_NAME, scope, page_size, page_token)
