"""The reference application: the online shopping store of AWS's modernization workshop.

It is built on the layer's public API: its models and repository Protocols, the
declarations of its five entities, its migration contract, the migration of its
legacy schema, the repositories of each backend for the operations a generic
repository cannot express (checkout, cart merge, the category tree), and the demo
workload that moves it through every migration stage.
"""

from pathlib import Path

from examples.store.errors import EmptyCart, InsufficientInventory, NotOwner
from examples.store.models import (
    CartIssue,
    CartItem,
    CartLine,
    CartSummary,
    Category,
    CategoryChanges,
    NewCategory,
    NewOrder,
    NewOrderItem,
    NewProduct,
    NewUser,
    Order,
    OrderItem,
    OrderStatus,
    Product,
    ProductChanges,
    ProductDetails,
    ProductFilter,
    User,
    UserChanges,
)
from examples.store.repositories import (
    CartRepository,
    CategoryRepository,
    OrderRepository,
    ProductRepository,
    UserRepository,
)
from examples.store.store import Store

CONTRACT = Path(__file__).with_name("contract.json")
"""The store's migration contract."""

__all__ = [
    "CONTRACT",
    "CartIssue",
    "CartItem",
    "CartLine",
    "CartRepository",
    "CartSummary",
    "Category",
    "CategoryChanges",
    "CategoryRepository",
    "EmptyCart",
    "InsufficientInventory",
    "NewCategory",
    "NewOrder",
    "NewOrderItem",
    "NewProduct",
    "NewUser",
    "NotOwner",
    "Order",
    "OrderItem",
    "OrderRepository",
    "OrderStatus",
    "Product",
    "ProductChanges",
    "ProductDetails",
    "ProductFilter",
    "ProductRepository",
    "Store",
    "User",
    "UserChanges",
    "UserRepository",
]
