"""Argument rules every adapter applies the same way: part of the Protocols' contract.

Each check raises the error the Protocols document, with the same field and
message on every backend, before anything is written:

* counts: :func:`check_quantity` (ValidationFailed below the minimum or for a
  non-integer, UnstorableValue above the legacy INT limit);
* order statuses: :func:`check_status` (ValidationFailed(field="status"));
* caller input turned into a model: :func:`parse` and :func:`search_filter`
  (the error names the first field pydantic refuses);
* optimistic concurrency: :func:`check_version` (ConcurrencyConflict);
* ownership of products: :func:`check_seller` and :func:`check_owner` (NotOwner);
* stock: :func:`check_stock` (InsufficientInventory);
* category moves: :func:`check_acyclic` (ValidationFailed(field="parent_id")).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from examples.store.errors import InsufficientInventory, NotOwner
from examples.store.models import NewProduct, OrderStatus, Product, ProductFilter, User
from interfaces.errors import ConcurrencyConflict, UnstorableValue, ValidationFailed
from interfaces.types import MAX_INT, TOO_MANY_BYTES

__all__ = [
    "MAX_QUANTITY",
    "check_acyclic",
    "check_owner",
    "check_quantity",
    "check_seller",
    "check_status",
    "check_stock",
    "check_version",
    "over_limit",
    "parse",
    "search_filter",
]

M = TypeVar("M", bound=BaseModel)

MAX_QUANTITY = MAX_INT
"""The largest count the legacy INT columns hold."""


def over_limit(value: int, field_name: str = "quantity") -> UnstorableValue:
    """The error for a count above :data:`MAX_QUANTITY`."""
    return UnstorableValue(f"must be at most {MAX_QUANTITY}, got {value}", field=field_name)


def check_quantity(value: int, minimum: int, field_name: str = "quantity") -> int:
    """``value`` if it is a whole number from ``minimum`` to :data:`MAX_QUANTITY`.

    ValidationFailed below ``minimum`` or for a non-integer (a bool included),
    UnstorableValue above the INT limit; both name ``field_name``.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(f"must be an integer, got {value!r}", field=field_name)
    if value < minimum:
        raise ValidationFailed(f"must be at least {minimum}, got {value}", field=field_name)
    if value > MAX_QUANTITY:
        raise over_limit(value, field_name)
    return value


def check_status(value: str) -> OrderStatus:
    """``value`` as an :class:`OrderStatus`; ValidationFailed(field="status") if it is none."""
    try:
        return OrderStatus(value)
    except ValueError as exc:
        raise ValidationFailed(f"not an order status: {value!r}", field="status") from exc


def parse(
    model: type[M],
    fields: Mapping[str, object],
    error: type[ValidationFailed] = ValidationFailed,
) -> M:
    """``model`` validated from ``fields``; ``error`` with pydantic's message for the first
    field it refuses, named by its dotted location (``items.0.quantity``).
    """
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first["loc"]) or None
        if first["type"] == TOO_MANY_BYTES:  # a storage limit: name the entity too
            entity = model.__name__.lower()
            raise UnstorableValue(f"{entity}.{name} {first['msg']}", field=name) from exc
        raise error(first["msg"], field=name) from exc


def search_filter(text: str) -> ProductFilter:
    """The filter of ``products.search(text)``; ValidationFailed(field="text") for text a
    :class:`ProductFilter` refuses (empty, too long, not a string).
    """
    return parse(ProductFilter, {"text": text})


def check_version(entity: str, key: object, stored: int, expected: int | None) -> None:
    """ConcurrencyConflict when ``expected`` is given and differs from the ``stored`` version."""
    if expected is not None and stored != expected:
        raise ConcurrencyConflict(entity, key, expected)


def check_seller(seller: User, new: NewProduct) -> None:
    """NotOwner(actor=seller_id) when the user creating ``new`` is not a seller."""
    if not seller.is_seller:
        raise NotOwner("product", new.name, new.seller_id)


def check_owner(product: Product, seller_id: int) -> Product:
    """``product`` if ``seller_id`` sells it; NotOwner(actor=seller_id) otherwise."""
    if product.seller_id != seller_id:
        raise NotOwner("product", product.id, seller_id)
    return product


def check_stock(product_id: int, requested: int, available: int) -> None:
    """InsufficientInventory when fewer than ``requested`` units are ``available``."""
    if available < requested:
        raise InsufficientInventory(product_id, requested, available)


def check_acyclic(category_id: int, new_parent_id: int, lineage: Iterable[int]) -> None:
    """ValidationFailed(field="parent_id") when moving ``category_id`` under ``new_parent_id``
    would make a cycle: ``lineage`` (the new parent's id and its ancestors' ids) holds it.
    """
    if category_id in lineage:
        raise ValidationFailed(
            f"category {new_parent_id} is category {category_id} or one of its descendants",
            field="parent_id",
        )
