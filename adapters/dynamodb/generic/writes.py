"""TransactWriteItems of the generic repositories, and what each failed condition means.

A :class:`Transaction` collects actions, each with the error its failed
condition stands for (AlreadyExists for a taken key or unique value, NotFound for
a missing reference target, :class:`Stale` when the item changed since it was
read). :func:`item_actions` and :func:`guard_actions` add the writes of one
entity's change: a create (Put, ``attribute_not_exists``), a change (Put
conditioned on the stored version, or on the item's existence when the entity
has no version; a Delete of the old item and a Put of the new one when the
change moves the item's primary key) or a delete, with the guard items of the
unique values that change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.dynamodb.client import MAX_TRANSACTION_ACTIONS, DynamoClient, Key
from adapters.dynamodb.errors import (
    CancelReason,
    ConditionFailed,
    TransactionCancelled,
    translate,
)
from adapters.dynamodb.expressions import Action, Expr, check, delete, put
from adapters.dynamodb.generic.mapping import EntityMap
from adapters.dynamodb.generic.reads import identity
from adapters.rules import Row

__all__ = ["Stale", "Transaction", "guard_actions", "item_actions", "run_in_order"]

Failure = Callable[[CancelReason], BaseException]
"""The error a failed condition of one action stands for."""


class Stale(Exception):
    """Internal: an item changed (or went) since it was read; the command starts again."""


def stale(reason: CancelReason) -> BaseException:
    """The failure of a condition on an item as it was read."""
    return Stale(reason.code)


def raising(error: BaseException) -> Failure:
    """A failure that is always ``error``."""
    return lambda _reason: error


@dataclass
class Transaction:
    """Actions of one TransactWriteItems and the error each failed condition means."""

    actions: list[Action] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    touched: set[tuple[str, Any]] = field(default_factory=set)

    def add(self, table: str, key: Key, action: Action, failure: Failure) -> None:
        """Add an action on the item ``key`` of ``table``."""
        self.actions.append(action)
        self.failures.append(failure)
        self.touched.add((table, identity(key)))

    def require(self, table: str, key: Key, pk: str, failure: Failure) -> None:
        """A ConditionCheck that the item exists (left out for an item this one writes)."""
        if (table, identity(key)) in self.touched:
            return
        expr = Expr()
        self.add(table, key, check(table, key, expr.exists(pk), expr), failure)

    def extend(self, other: Transaction) -> None:
        """Append ``other``'s actions."""
        self.actions.extend(other.actions)
        self.failures.extend(other.failures)
        self.touched.update(other.touched)

    def run(self, client: DynamoClient) -> None:
        """Send the actions; raise the error of the first failed condition.

        One Put or Delete alone is sent as a conditional PutItem or DeleteItem (one
        request, half the write capacity of a transaction on AWS); several actions
        as one TransactWriteItems.
        """
        if len(self.actions) == 1 and _single(client, self.actions[0], self.failures[0]):
            return
        try:
            client.transact(self.actions)
        except TransactionCancelled as exc:
            index = exc.failed_condition()
            if index is None:
                raise translate(exc) from exc
            raise self.failures[index](exc.reasons[index]) from exc


def _single(client: DynamoClient, action: Action, failure: Failure) -> bool:
    """Send a lone Put or Delete as a single-item write; False for any other action."""
    ((kind, body),) = action.items()
    if kind not in ("Put", "Delete"):
        return False
    request = dict(body)
    table = request.pop("TableName")
    try:
        if kind == "Put":
            client.put(table, request.pop("Item"), **request)
        else:
            client.delete(table, request.pop("Key"), **request)
    except ConditionFailed as exc:
        reason = CancelReason("ConditionalCheckFailed", None, exc.old_item)
        raise failure(reason) from exc
    return True


def run_in_order(client: DynamoClient, groups: Sequence[Transaction]) -> None:
    """Run ``groups`` in one transaction when they fit (100 actions), else in order.

    Beyond 100 actions each transaction holds whole groups, in the given order;
    every group stays atomic, the whole no longer is.
    """
    batch = Transaction()
    for group in groups:
        if batch.actions and len(batch.actions) + len(group.actions) > MAX_TRANSACTION_ACTIONS:
            batch.run(client)
            batch = Transaction()
        batch.extend(group)
    batch.run(client)


def item_actions(
    txn: Transaction,
    emap: EntityMap,
    stored: Row | None,
    row: Row | None,
    derived: Mapping[str, Any],
) -> None:
    """The item writes of a create (``stored`` None), change, or delete (``row`` None)."""
    table, rules = emap.table_name, emap.rules
    new_item = emap.item(row, derived) if row is not None else None
    old_key = emap.item_key(stored) if stored is not None else None
    new_key = emap.stored_key(new_item) if new_item is not None else None
    if stored is not None and old_key is not None and (row is None or new_key != old_key):
        expr = Expr()
        condition = emap.unchanged(expr, stored)
        txn.add(table, old_key, delete(table, old_key, condition, expr), _gone(emap, stored))
    if new_item is not None and new_key is not None and row is not None:
        expr = Expr()
        if stored is not None and new_key == old_key:
            condition, failure = emap.unchanged(expr, stored), _gone(emap, stored)
        else:
            condition = emap.absent(expr)
            taken = (
                rules.already_exists_key(rules.key_of(row))
                if emap.key_unique is None
                else rules.already_exists_unique(emap.key_unique, row)
            )
            failure = raising(taken)
        txn.add(table, new_key, put(table, new_item, condition, expr), failure)


def _gone(emap: EntityMap, stored: Row) -> Failure:
    """NotFound when the item went since it was read, Stale when it changed."""
    missing = emap.rules.not_found(emap.rules.key_of(stored))

    def failure(reason: CancelReason) -> BaseException:
        return missing if reason.old_item is None else Stale(reason.code)

    return failure


def guard_actions(txn: Transaction, emap: EntityMap, stored: Row | None, row: Row | None) -> None:
    """Release the guards of unique values ``stored`` gives up, claim those ``row`` takes."""
    rules = emap.rules
    changed = set(rules.changed_uniques(stored, row)) if row is not None else None
    for guard in emap.guards:
        unique, table = guard.unique, guard.table_name
        if changed is not None and unique not in changed:
            continue
        old = rules.unique_value(unique, stored) if stored is not None else None
        new = rules.unique_value(unique, row) if row is not None else None
        if old is not None:
            key = guard.key(old)
            txn.add(table, key, delete(table, key), stale)
        if new is not None and row is not None:
            key = guard.key(new)
            expr = Expr()
            failure = raising(rules.already_exists_unique(unique, row))
            item = guard.item(new, row)
            txn.add(table, key, put(table, item, expr.missing(guard.table.pk), expr), failure)
