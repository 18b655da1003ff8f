"""What the store declares about its five entities beyond its contract.

The store's entities keep the names its flags and reports have always used
(``users``, ``categories``, ``products``, ``carts``, ``orders``), although the cart
lines live in ``shopping_carts``; each model is one row of its table (an order's
lines are rows of ``order_items``, which the contract embeds in the ORDER item).
``dal`` finds these through ``DAL_DECLARATIONS=examples.store.declarations``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from examples.store.models import CartItem, Category, OrderStatus, Product, User
from interfaces.entities import EntitySpec, NamedQuery, OnDelete, Reference, Unique
from interfaces.types import Id, Money, Timestamp

__all__ = ["CARTS", "CATEGORIES", "ORDERS", "PRODUCTS", "SPECS", "USERS", "OrderRow"]


class OrderRow(BaseModel):
    """One row of ``orders``: an order without its lines."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: Id
    user_id: Id
    total_amount: Money
    status: OrderStatus
    created_at: Timestamp
    updated_at: Timestamp
    version: int = Field(ge=1)


USERS = EntitySpec(
    name="users",
    table="users",
    model=User,
    key=("id",),
    id_sequence="users",
    unique=(Unique(("username",)), Unique(("email",))),
    sensitive=frozenset({"password_hash", "email", "first_name", "last_name"}),
    queries=(
        NamedQuery("by_username", where=("username",)),
        NamedQuery("by_email", where=("email",)),
        NamedQuery("super_admins", where=("super_admin",)),
    ),
    created_at="created_at",
    updated_at="updated_at",
    version="version",
)

CATEGORIES = EntitySpec(
    name="categories",
    table="categories",
    model=Category,
    key=("id",),
    id_sequence="categories",
    created_at="created_at",
    version="version",
    unique=(Unique(("name",)),),
    references=(Reference(("parent_id",), "categories", on_delete=OnDelete.SET_NULL),),
    queries=(NamedQuery("children", where=("parent_id",), order_by=("name",)),),
)

PRODUCTS = EntitySpec(
    name="products",
    table="products",
    model=Product,
    key=("id",),
    id_sequence="products",
    references=(
        Reference(("seller_id",), "users", on_delete=OnDelete.CASCADE),
        Reference(("category_id",), "categories", on_delete=OnDelete.RESTRICT),
    ),
    queries=(
        NamedQuery("by_category", where=("category_id",), order_by=("name",)),
        NamedQuery("by_seller", where=("seller_id",), order_by=("name",)),
    ),
    created_at="created_at",
    updated_at="updated_at",
    version="version",
)

CARTS = EntitySpec(
    name="carts",
    table="shopping_carts",
    model=CartItem,
    key=("user_id", "product_id"),
    created_at="created_at",
    updated_at="updated_at",
    references=(
        Reference(("user_id",), "users", on_delete=OnDelete.CASCADE),
        Reference(("product_id",), "products", on_delete=OnDelete.CASCADE),
    ),
    queries=(NamedQuery("by_user", where=("user_id",), order_by=("product_id",)),),
)
"""A cart line is known by (user, product): MySQL's unique index on the pair, and in
DynamoDB the line's key (``CART#{product_id}`` in the user's collection)."""

ORDERS = EntitySpec(
    name="orders",
    table="orders",
    model=OrderRow,
    key=("id",),
    id_sequence="orders",
    references=(Reference(("user_id",), "users", on_delete=OnDelete.CASCADE),),
    queries=(
        NamedQuery("by_user", where=("user_id",), order_by=("created_at",), descending=True),
        NamedQuery("by_status", where=("status",), order_by=("created_at",), descending=True),
    ),
    created_at="created_at",
    updated_at="updated_at",
    version="version",
)

SPECS = (USERS, CATEGORIES, PRODUCTS, CARTS, ORDERS)
"""The store's declarations, referenced entities first."""
