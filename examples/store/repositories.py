"""Repository Protocols of the reference store: what application code depends on.

Every method is marked :func:`~interfaces.markers.query` or
:func:`~interfaces.markers.command`. The docstrings are the semantics every
adapter implements and the conformance suite checks: the same call gives the
same result, or the same error, on every backend.

Conventions:

* ``get*`` returns the entity or raises :class:`~interfaces.errors.NotFound`;
  ``find*`` returns ``None`` when there is nothing.
* ``expected_version``: when given, the change is applied only if the stored
  version still equals it, else :class:`~interfaces.errors.ConcurrencyConflict`.
  Every change increments ``version`` by one and sets ``updated_at``.
* Listings return whole lists in a documented order; paged listings take
  ``page_size`` (1..100) and the ``page_token`` of the previous page and return a
  :class:`~interfaces.paging.Page` whose ``next_token`` is ``None`` on the page
  holding the last item (never a trailing empty page).
* Strings are compared exactly and ordered by code point: ``Alice``/``alice``,
  ``José``/``Jose`` and ``ß``/``ss`` are different values.
* A new entity has ``created_at == updated_at``. Inventory changes (including
  checkout) are changes of the product: its version grows and ``updated_at`` moves.
* Errors name the entity as ``"user"``, ``"category"``, ``"product"``,
  ``"cart_item"`` or ``"order"``; ``NotFound.key`` is the missing id (for a cart
  line, ``(user_id, product_id)``). Existence is checked first, then ownership,
  then the version, then uniqueness and the other rules.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from examples.store.models import (
    CartIssue,
    CartItem,
    CartLine,
    CartSummary,
    Category,
    CategoryChanges,
    NewCategory,
    NewOrder,
    NewProduct,
    NewUser,
    Order,
    OrderStatus,
    Product,
    ProductChanges,
    ProductDetails,
    ProductFilter,
    User,
    UserChanges,
)
from interfaces.markers import command, query
from interfaces.paging import DEFAULT_PAGE_SIZE, Page

__all__ = [
    "CartRepository",
    "CategoryRepository",
    "OrderRepository",
    "ProductRepository",
    "UserRepository",
]


@runtime_checkable
class UserRepository(Protocol):
    """Users of the store. Usernames and emails are unique (compared exactly)."""

    @query
    def get(self, user_id: int) -> User:
        """The user with ``user_id``; NotFound if there is none."""
        ...

    @query
    def find_by_username(self, username: str) -> User | None:
        """The user with exactly this username, or None."""
        ...

    @query
    def find_by_email(self, email: str) -> User | None:
        """The user with exactly this email, or None."""
        ...

    @query
    def username_exists(self, username: str) -> bool:
        """Whether a user has this username."""
        ...

    @query
    def email_exists(self, email: str) -> bool:
        """Whether a user has this email."""
        ...

    @query
    def list_super_admins(self) -> list[User]:
        """Every user with ``super_admin`` set, ordered by id."""
        ...

    @command
    def create(self, new: NewUser) -> User:
        """Create a user with a new id and version 1; AlreadyExists(field=username|email)."""
        ...

    @command
    def update(
        self, user_id: int, changes: UserChanges, expected_version: int | None = None
    ) -> User:
        """Apply ``changes``.

        NotFound; AlreadyExists on a taken username or email; ConcurrencyConflict.
        """
        ...

    @command
    def upgrade_to_seller(self, user_id: int) -> User:
        """Set ``is_seller``; NotFound. Idempotent, but still a change (version grows)."""
        ...

    @command
    def set_super_admin(self, user_id: int, value: bool) -> User:
        """Promote (True) or demote (False) a super admin; NotFound."""
        ...

    @command
    def delete(self, user_id: int) -> None:
        """Delete the user with their cart items and orders; NotFound.

        ReferenceConflict(referenced_by="products") when the user still sells products.
        """
        ...


@runtime_checkable
class CategoryRepository(Protocol):
    """The category tree. Category names are unique across the whole tree."""

    @query
    def get(self, category_id: int) -> Category:
        """The category with ``category_id``; NotFound."""
        ...

    @query
    def exists(self, category_id: int) -> bool:
        """Whether the category exists."""
        ...

    @query
    def name_exists(self, name: str, exclude_id: int | None = None) -> bool:
        """Whether another category (not ``exclude_id``) has exactly this name."""
        ...

    @query
    def list_all(self) -> list[Category]:
        """Every category, ordered by name."""
        ...

    @query
    def list_roots(self) -> list[Category]:
        """Categories without a parent, ordered by name."""
        ...

    @query
    def list_children(self, parent_id: int) -> list[Category]:
        """Direct children of ``parent_id`` ordered by name; NotFound if the parent is missing."""
        ...

    @query
    def would_create_cycle(self, category_id: int, new_parent_id: int) -> bool:
        """Whether moving ``category_id`` under ``new_parent_id`` would make a cycle.

        True when ``new_parent_id`` is the category itself or one of its descendants.
        """
        ...

    @query
    def is_valid_parent(self, parent_id: int | None, category_id: int | None = None) -> bool:
        """Whether ``parent_id`` may be the parent of ``category_id`` (or of a new category).

        None (a root) is always valid; otherwise the parent must exist and not create a cycle.
        """
        ...

    @query
    def path(self, category_id: int) -> list[Category]:
        """The breadcrumb from the root down to ``category_id`` (inclusive); NotFound."""
        ...

    @command
    def create(self, new: NewCategory) -> Category:
        """Create a category; AlreadyExists(field="name"), NotFound for a missing parent."""
        ...

    @command
    def update(
        self, category_id: int, changes: CategoryChanges, expected_version: int | None = None
    ) -> Category:
        """Rename and/or move a category.

        NotFound (category or new parent), AlreadyExists(field="name"),
        ValidationFailed(field="parent_id") for a move that would make a cycle,
        ConcurrencyConflict.
        """
        ...

    @command
    def delete(self, category_id: int) -> None:
        """Delete a category; its children become roots.

        NotFound; ReferenceConflict(referenced_by="products") when products are in it.
        """
        ...


@runtime_checkable
class ProductRepository(Protocol):
    """Products and their inventory. Listings are ordered by (name, id)."""

    @query
    def get(self, product_id: int) -> Product:
        """The product; NotFound."""
        ...

    @query
    def get_details(self, product_id: int) -> ProductDetails:
        """The product with its category name and seller username; NotFound."""
        ...

    @query
    def list(
        self,
        filters: ProductFilter | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        page_token: str | None = None,
    ) -> Page[Product]:
        """Products matching every filter set, ordered by (name, id), paged."""
        ...

    @query
    def list_by_seller(
        self, seller_id: int, page_size: int = DEFAULT_PAGE_SIZE, page_token: str | None = None
    ) -> Page[Product]:
        """A seller's products ordered by (name, id), paged."""
        ...

    @query
    def list_by_category(
        self, category_id: int, page_size: int = DEFAULT_PAGE_SIZE, page_token: str | None = None
    ) -> Page[Product]:
        """Products of one category ordered by (name, id), paged."""
        ...

    @query
    def search(
        self, text: str, page_size: int = DEFAULT_PAGE_SIZE, page_token: str | None = None
    ) -> Page[Product]:
        """Products whose name or description contains ``text`` (case-insensitive), paged."""
        ...

    @query
    def has_inventory(self, product_id: int, quantity: int) -> bool:
        """Whether at least ``quantity`` units are in stock; NotFound."""
        ...

    @command
    def create(self, new: NewProduct) -> Product:
        """Create a product.

        NotFound when the seller or the category does not exist;
        NotOwner(actor=seller_id) when the user is not a seller.
        """
        ...

    @command
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
        ...

    @command
    def delete(self, product_id: int, seller_id: int) -> None:
        """Owner-checked delete: NotFound, NotOwner; ReferenceConflict(referenced_by="orders").

        Cart items holding the product are removed with it.
        """
        ...

    @command
    def set_inventory(self, product_id: int, quantity: int) -> Product:
        """Set the stock to ``quantity`` (>= 0, else ValidationFailed); NotFound."""
        ...

    @command
    def reduce_inventory(self, product_id: int, quantity: int) -> Product:
        """Take ``quantity`` (>= 1) units out of stock atomically, never below zero.

        NotFound; InsufficientInventory when fewer are in stock (nothing changes).
        """
        ...


@runtime_checkable
class CartRepository(Protocol):
    """Shopping carts: per user, at most one line per product. Lines ordered by product id."""

    @query
    def list_items(self, user_id: int) -> list[CartLine]:
        """The user's cart with product names and prices, ordered by product id (may be empty)."""
        ...

    @query
    def get_item(self, user_id: int, product_id: int) -> CartItem | None:
        """One line of the cart, or None."""
        ...

    @query
    def item_count(self, user_id: int) -> int:
        """Total units in the cart (sum of quantities); 0 for an empty cart."""
        ...

    @query
    def summary(self, user_id: int) -> CartSummary:
        """Line count, total units and subtotal of the cart."""
        ...

    @query
    def validate(self, user_id: int) -> list[CartIssue]:
        """Lines asking for more units than are in stock, ordered by product id."""
        ...

    @command
    def add_item(self, user_id: int, product_id: int, quantity: int = 1) -> CartItem:
        """Add ``quantity`` (>= 1) units; an existing line grows by that much.

        NotFound when the user or the product does not exist; ValidationFailed(field="quantity").
        """
        ...

    @command
    def update_quantity(self, user_id: int, product_id: int, quantity: int) -> CartItem:
        """Set a line's quantity (>= 1, else ValidationFailed); NotFound when there is no line."""
        ...

    @command
    def remove_item(self, user_id: int, product_id: int) -> None:
        """Remove a line; NotFound when there is none."""
        ...

    @command
    def clear(self, user_id: int) -> int:
        """Remove every line of the user's cart; returns how many lines were removed."""
        ...


@runtime_checkable
class OrderRepository(Protocol):
    """Orders with their lines. User listings are newest first: (created_at, id) descending."""

    @query
    def get(self, order_id: int) -> Order:
        """The order with its items; NotFound."""
        ...

    @query
    def list_by_user(
        self, user_id: int, page_size: int = DEFAULT_PAGE_SIZE, page_token: str | None = None
    ) -> Page[Order]:
        """The user's orders, newest first, paged."""
        ...

    @query
    def list_by_status(
        self, status: OrderStatus, page_size: int = DEFAULT_PAGE_SIZE, page_token: str | None = None
    ) -> Page[Order]:
        """Orders with ``status``, newest first, paged."""
        ...

    @query
    def count_by_user(self, user_id: int) -> int:
        """How many orders the user has."""
        ...

    @command
    def create(self, new: NewOrder) -> Order:
        """Create an order with its lines as given; NotFound for a missing user or product."""
        ...

    @command
    def update_status(
        self, order_id: int, status: OrderStatus, expected_version: int | None = None
    ) -> Order:
        """Set the status; NotFound, ConcurrencyConflict."""
        ...

    @command
    def checkout(self, user_id: int) -> Order:
        """Turn the user's cart into a pending order, atomically.

        Lines ordered by product id, each at the product's current price; every
        product's inventory is reduced by the line's quantity and the cart is
        cleared. EmptyCart when the cart is empty; InsufficientInventory for the
        first line (by product id) short of stock, NotFound for a missing user.
        On any error nothing changes.
        """
        ...
