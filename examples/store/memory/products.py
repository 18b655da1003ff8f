"""Products and their inventory in memory: owner checks, filtered listings ordered by (name, id)."""

from __future__ import annotations

from collections.abc import Callable

from examples.store.listings import (
    PRODUCT_SEARCH,
    PRODUCTS,
    PRODUCTS_BY_CATEGORY,
    PRODUCTS_BY_SELLER,
    PageRequest,
    product_matches,
)
from examples.store.memory.state import Repository, synchronized
from examples.store.models import NewProduct, Product, ProductChanges, ProductDetails, ProductFilter
from examples.store.rules import (
    check_owner,
    check_quantity,
    check_seller,
    check_stock,
    check_version,
    search_filter,
)
from examples.store.shared import build, new_entity, revise
from interfaces.errors import ReferenceConflict
from interfaces.paging import DEFAULT_PAGE_SIZE, Page

__all__ = ["MemoryProductRepository"]


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
        request = PRODUCTS.request(given, page_size, page_token)
        return self._page(request, lambda p: product_matches(p, given))

    def list_by_seller(
        self, seller_id: int, page_size: int = DEFAULT_PAGE_SIZE, page_token: str | None = None
    ) -> Page[Product]:
        """A seller's products ordered by (name, id), paged."""
        request = PRODUCTS_BY_SELLER.request(seller_id, page_size, page_token)
        return self._page(request, lambda p: p.seller_id == seller_id)

    def list_by_category(
        self, category_id: int, page_size: int = DEFAULT_PAGE_SIZE, page_token: str | None = None
    ) -> Page[Product]:
        """Products of one category ordered by (name, id), paged."""
        request = PRODUCTS_BY_CATEGORY.request(category_id, page_size, page_token)
        return self._page(request, lambda p: p.category_id == category_id)

    def search(
        self, text: str, page_size: int = DEFAULT_PAGE_SIZE, page_token: str | None = None
    ) -> Page[Product]:
        """Products whose name or description contains ``text`` (case-insensitive), paged.

        ValidationFailed(field="text") for text a ProductFilter refuses (empty, too long).
        """
        wanted = search_filter(text)
        request = PRODUCT_SEARCH.request(text, page_size, page_token)
        return self._page(request, lambda p: product_matches(p, wanted))

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
        check_seller(seller, new)
        now = self._db.now()
        product = new_entity(Product, new, self._db.new_id("products"), now)
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
        check_version("product", product_id, current.version, expected_version)
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
        check_stock(product_id, quantity, current.inventory_quantity)
        return self._revise(current, {"inventory_quantity": current.inventory_quantity - quantity})

    def _owned(self, product_id: int, seller_id: int) -> Product:
        return check_owner(self._db.products.require(product_id), seller_id)

    def _revise(self, current: Product, changes: dict[str, object]) -> Product:
        return self._db.products.put(current.id, revise(current, changes, self._db.now()))

    def _page(self, request: PageRequest, predicate: Callable[[Product], bool]) -> Page[Product]:
        return request.select(self._db.products.select(predicate))
