"""What every backend computes the same way: the domain models it stores and derives.

New entities, their revisions, new orders, cart summaries and issues are built
here and validated like caller input, so a value a model cannot hold raises
:class:`~interfaces.UnstorableValue` naming the field before anything is
written, on every backend alike. :func:`lineage` walks a category tree upwards
the same way wherever the tree is held.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from pydantic import BaseModel

from examples.store.models import (
    CartIssue,
    CartItem,
    CartLine,
    CartSummary,
    Category,
    Order,
    OrderItem,
    OrderStatus,
)
from examples.store.rules import parse
from interfaces.errors import UnstorableValue

__all__ = [
    "build",
    "cart_issues",
    "cart_summary",
    "lineage",
    "new_entity",
    "new_order",
    "order_total",
    "revise",
]

M = TypeVar("M", bound=BaseModel)
C = TypeVar("C", bound=type)


def build(model: type[M], **fields: object) -> M:
    """A validated model of stored or derived values; UnstorableValue naming a bad field."""
    return parse(model, fields, UnstorableValue)


def new_entity(model: type[M], request: BaseModel, entity_id: int, now: datetime) -> M:
    """A new entity from the caller's ``request``: its id, version 1, created (and updated) now."""
    stamps = {"updated_at": now} if "updated_at" in model.model_fields else {}
    return build(model, **request.model_dump(), id=entity_id, created_at=now, **stamps, version=1)


def revise(row: M, changes: Mapping[str, object], now: datetime | None = None) -> M:
    """A new version of ``row`` with ``changes`` applied, validated like a new row.

    ``version`` grows by one where the model has it, and ``updated_at`` becomes
    ``now``, which a model with that field requires.
    """
    stored = row.model_dump()
    fields = {**stored, **changes}
    if "version" in stored:
        fields["version"] = stored["version"] + 1
    if "updated_at" in stored:
        if now is None:
            raise TypeError(f"a revision of a {type(row).__name__} needs the time of the change")
        fields["updated_at"] = now
    return build(type(row), **fields)


def order_total(items: Iterable[OrderItem]) -> Decimal:
    """Sum of quantity x unit price over an order's lines."""
    return sum((item.price_at_time * item.quantity for item in items), start=Decimal("0.00"))


def new_order(
    order_id: int, user_id: int, items: Sequence[OrderItem], status: OrderStatus, now: datetime
) -> Order:
    """A new order of ``items`` (version 1, created and updated ``now``) with its total."""
    return build(
        Order,
        id=order_id,
        user_id=user_id,
        total_amount=order_total(items),
        status=status,
        items=tuple(items),
        created_at=now,
        updated_at=now,
        version=1,
    )


def cart_summary(user_id: int, lines: Sequence[CartLine]) -> CartSummary:
    """Line count, total units and subtotal (quantity x price) of a cart's ``lines``."""
    return build(
        CartSummary,
        user_id=user_id,
        line_count=len(lines),
        total_quantity=sum(line.quantity for line in lines),
        subtotal=sum((line.price * line.quantity for line in lines), start=Decimal("0.00")),
    )


def cart_issues(items: Iterable[CartItem], available: Callable[[int], int]) -> list[CartIssue]:
    """The lines of ``items`` asking for more than ``available(product_id)`` units, in order."""
    issues = []
    for item in items:
        stock = available(item.product_id)
        if item.quantity > stock:
            issues.append(
                CartIssue(product_id=item.product_id, requested=item.quantity, available=stock)
            )
    return issues


def lineage(find: Callable[[int], Category | None], category_id: int) -> Iterator[int]:
    """``category_id`` and its ancestors' ids, upwards, as far as ``find`` knows them.

    Each id comes once, so a cycle in stored data ends the walk.
    """
    seen: set[int] = set()
    current: int | None = category_id
    while current is not None and current not in seen:
        seen.add(current)
        yield current
        row = find(current)
        current = row.parent_id if row is not None else None
