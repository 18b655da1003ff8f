"""Domain models of the reference store (pydantic v2, immutable).

Adapters return these models, never rows or items. Money is ``Decimal`` with
two places, timestamps are timezone-aware UTC, ids are ints. Request shapes
(``New*``) carry what the caller chooses; ids and timestamps come from the
layer. Change shapes (``*Changes``) carry only the fields to change: a field
left unset is not touched, a field set to ``None`` clears a nullable column.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from interfaces.types import MAX_INT, TEXT_BYTES, Id, MaxBytes, Money, Quantity, Timestamp, money

__all__ = [
    "CartIssue",
    "CartItem",
    "CartLine",
    "CartSummary",
    "Category",
    "CategoryChanges",
    "NewCategory",
    "NewOrder",
    "NewOrderItem",
    "NewProduct",
    "NewUser",
    "Order",
    "OrderItem",
    "OrderStatus",
    "Product",
    "ProductChanges",
    "ProductDetails",
    "ProductFilter",
    "User",
    "UserChanges",
]

Username = Annotated[str, StringConstraints(min_length=1, max_length=50)]
Email = Annotated[
    str, StringConstraints(min_length=3, max_length=100, pattern=r"^[^@\s]+@[^@\s]+$")
]
PasswordHash = Annotated[str, StringConstraints(min_length=1, max_length=255)]
PersonName = Annotated[str, StringConstraints(max_length=50)]
CategoryName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
ProductName = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=65_535)]
"""A description as a caller gives it: at most 65,535 characters."""
StoredDescription = Annotated[Description, MaxBytes(TEXT_BYTES)]
"""The legacy ``TEXT`` column: 65,535 bytes of UTF-8, so fewer characters when they are not
ASCII. Every backend builds the stored :class:`Product` before writing, so a description
over the limit raises UnstorableValue(field="description") before anything is written."""
Url = Annotated[str, StringConstraints(max_length=500)]
PositiveQuantity = Annotated[int, Field(ge=1, le=MAX_INT)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Changes(_Model):
    """Base of partial updates: only fields explicitly set are applied."""

    def changed(self) -> dict[str, object]:
        """The fields the caller set, by name."""
        return self.model_dump(exclude_unset=True)

    @model_validator(mode="after")
    def _not_empty(self) -> _Changes:
        if not self.model_fields_set:
            raise ValueError("at least one field must be set")
        return self


# --- users -------------------------------------------------------------------------------


class User(_Model):
    """A store user; ``version`` grows by one with every change."""

    id: Id
    username: Username
    email: Email
    password_hash: PasswordHash
    first_name: PersonName | None = None
    last_name: PersonName | None = None
    is_seller: bool = False
    super_admin: bool = False
    created_at: Timestamp
    updated_at: Timestamp
    version: int = Field(ge=1)


class NewUser(_Model):
    """What a caller supplies to create a user."""

    username: Username
    email: Email
    password_hash: PasswordHash
    first_name: PersonName | None = None
    last_name: PersonName | None = None
    is_seller: bool = False
    super_admin: bool = False


class UserChanges(_Changes):
    """A partial update of a user's profile fields."""

    username: Username | None = None
    email: Email | None = None
    password_hash: PasswordHash | None = None
    first_name: PersonName | None = None
    last_name: PersonName | None = None

    @model_validator(mode="after")
    def _required_stay_set(self) -> UserChanges:
        for name in ("username", "email", "password_hash"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be cleared")
        return self


# --- categories --------------------------------------------------------------------------


class Category(_Model):
    """A product category; ``parent_id`` is ``None`` for a root category."""

    id: Id
    name: CategoryName
    parent_id: Id | None = None
    created_at: Timestamp
    version: int = Field(ge=1)


class NewCategory(_Model):
    """What a caller supplies to create a category."""

    name: CategoryName
    parent_id: Id | None = None


class CategoryChanges(_Changes):
    """Rename and/or move a category (``parent_id=None`` makes it a root)."""

    name: CategoryName | None = None
    parent_id: Id | None = None

    @model_validator(mode="after")
    def _name_stays_set(self) -> CategoryChanges:
        if "name" in self.model_fields_set and self.name is None:
            raise ValueError("name cannot be cleared")
        return self


# --- products ----------------------------------------------------------------------------


class Product(_Model):
    """A product offered by a seller."""

    id: Id
    seller_id: Id
    category_id: Id
    name: ProductName
    description: StoredDescription | None = None
    price: Money
    inventory_quantity: Quantity = 0
    image_url: Url | None = None
    created_at: Timestamp
    updated_at: Timestamp
    version: int = Field(ge=1)


class ProductDetails(Product):
    """A product with the names of its category and seller."""

    category_name: CategoryName
    seller_username: Username


class NewProduct(_Model):
    """What a seller supplies to create a product."""

    seller_id: Id
    category_id: Id
    name: ProductName
    description: Description | None = None
    price: Money = Field(ge=0)
    inventory_quantity: Quantity = 0
    image_url: Url | None = None


class ProductChanges(_Changes):
    """A partial update of a product (inventory has its own operations)."""

    category_id: Id | None = None
    name: ProductName | None = None
    description: Description | None = None
    price: Money | None = Field(default=None, ge=0)
    image_url: Url | None = None

    @model_validator(mode="after")
    def _required_stay_set(self) -> ProductChanges:
        for name in ("category_id", "name", "price"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be cleared")
        return self


class ProductFilter(_Model):
    """Filters of a product listing; every filter set must match.

    ``text`` matches, case-insensitively (``str.lower``), as a substring of the
    name or the description. Price bounds are inclusive.
    """

    category_id: Id | None = None
    seller_id: Id | None = None
    min_price: Money | None = None
    max_price: Money | None = None
    text: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


# --- carts -------------------------------------------------------------------------------


class CartItem(_Model):
    """One product in a user's cart; a cart holds each product at most once."""

    user_id: Id
    product_id: Id
    quantity: PositiveQuantity
    created_at: Timestamp
    updated_at: Timestamp


class CartLine(CartItem):
    """A cart item with the product's name and unit price.

    Backends may serve name and price from a snapshot taken when the item was
    added (the DynamoDB design denormalizes them); a product renamed or
    repriced since is an expected difference, not drift.
    """

    product_name: ProductName
    price: Money


class CartSummary(_Model):
    """Totals of a cart: distinct lines, units, and the sum of quantity x price."""

    user_id: Id
    line_count: Quantity
    total_quantity: Quantity
    subtotal: Money


class CartIssue(_Model):
    """A cart line that cannot be checked out as it stands."""

    product_id: Id
    requested: PositiveQuantity
    available: Quantity


# --- orders ------------------------------------------------------------------------------


class OrderStatus(StrEnum):
    """The life cycle of an order."""

    PENDING = "pending"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class OrderItem(_Model):
    """One line of an order, with the unit price at the time of the order."""

    product_id: Id
    quantity: PositiveQuantity
    price_at_time: Money


class Order(_Model):
    """An order and its lines (in the order they were given)."""

    id: Id
    user_id: Id
    total_amount: Money
    status: OrderStatus
    items: tuple[OrderItem, ...]
    created_at: Timestamp
    updated_at: Timestamp
    version: int = Field(ge=1)


class NewOrderItem(_Model):
    """A line of a new order."""

    product_id: Id
    quantity: PositiveQuantity
    price_at_time: Money = Field(ge=0)


class NewOrder(_Model):
    """What a caller supplies to create an order; the total is computed from the lines."""

    user_id: Id
    items: tuple[NewOrderItem, ...] = Field(min_length=1)
    status: OrderStatus = OrderStatus.PENDING

    @model_validator(mode="after")
    def _distinct_products_and_storable_total(self) -> NewOrder:
        ids = [item.product_id for item in self.items]
        if len(ids) != len(set(ids)):
            raise ValueError("each product may appear once per order")
        money(self.total_amount)  # refuses a total that DECIMAL(10,2) cannot hold
        return self

    @property
    def total_amount(self) -> Decimal:
        """Sum of quantity x unit price over the lines."""
        return sum((i.price_at_time * i.quantity for i in self.items), start=Decimal("0.00"))
