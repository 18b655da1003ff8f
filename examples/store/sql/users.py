"""Users on the legacy ``users`` table: exact lookups, unique usernames and emails."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Column, bindparam, delete, exists, or_, select

from examples.store.models import NewUser, User, UserChanges
from examples.store.rules import check_version
from examples.store.schema import order_items, orders, products, shopping_carts, users
from examples.store.shared import new_entity
from examples.store.sql.base import Context, SqlRepository, translated
from examples.store.sql.collation import ExactText
from examples.store.sql.records import AnySelect, Entity, Records
from interfaces.errors import AlreadyExists, ReferenceConflict

__all__ = ["USER", "SqlUserRepository"]

USER = Entity("user", users, User, null_defaults={"is_seller": False, "super_admin": False})
_UNIQUE = (users.c.username, users.c.email)
"""Unique columns, in the order their conflicts are reported."""


@translated
class SqlUserRepository(SqlRepository):
    """:class:`~interfaces.UserRepository` over the ``users`` table."""

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self._rows = Records(context, USER)
        self._admins = self._rows.select.where(users.c.super_admin.is_(True)).order_by(users.c.id)
        self._sells = select(exists().where(products.c.seller_id == bindparam("user_id")))

    def get(self, user_id: int) -> User:
        """The user with ``user_id``; NotFound if there is none."""
        return self._rows.get(user_id)

    def find_by_username(self, username: str) -> User | None:
        """The user with exactly this username, or None."""
        return self._find(users.c.username, username)

    def find_by_email(self, email: str) -> User | None:
        """The user with exactly this email, or None."""
        return self._find(users.c.email, email)

    def username_exists(self, username: str) -> bool:
        """Whether a user has this username."""
        return self._find(users.c.username, username) is not None

    def email_exists(self, email: str) -> bool:
        """Whether a user has this email."""
        return self._find(users.c.email, email) is not None

    def list_super_admins(self) -> list[User]:
        """Every user with ``super_admin`` set, ordered by id."""
        return USER.from_rows(self._context.connection().execute(self._admins).all())

    def create(self, new: NewUser) -> User:
        """Create a user with a new id and version 1; AlreadyExists(field=username|email)."""
        self._check_unique(new.model_dump(), exclude_id=None)
        now = self._context.now()
        return self._rows.add(new_entity(User, new, self._context.new_id("users"), now))

    def update(
        self, user_id: int, changes: UserChanges, expected_version: int | None = None
    ) -> User:
        """Apply ``changes``; NotFound, ConcurrencyConflict, AlreadyExists(field=username|email)."""
        current = self._rows.lock(user_id)
        check_version("user", user_id, current.version, expected_version)
        fields = changes.changed()
        self._check_unique(fields, exclude_id=user_id)
        return self._rows.revise(user_id, fields)

    def upgrade_to_seller(self, user_id: int) -> User:
        """Set ``is_seller``; NotFound. Idempotent, but still a change (version grows)."""
        return self._rows.revise(user_id, {"is_seller": True})

    def set_super_admin(self, user_id: int, value: bool) -> User:
        """Promote (True) or demote (False) a super admin; NotFound."""
        return self._rows.revise(user_id, {"super_admin": bool(value)})

    def delete(self, user_id: int) -> None:
        """Delete the user with their cart items and orders.

        NotFound; ReferenceConflict(referenced_by="products") while the user sells products.
        """
        self._rows.lock(user_id)
        connection = self._context.connection()
        if connection.execute(self._sells, {"user_id": user_id}).scalar():
            raise ReferenceConflict("user", user_id, "products")
        their_orders = select(orders.c.id).where(orders.c.user_id == user_id)
        with self._context.savepoint() as connection:
            connection.execute(delete(shopping_carts).where(shopping_carts.c.user_id == user_id))
            connection.execute(delete(order_items).where(order_items.c.order_id.in_(their_orders)))
            connection.execute(delete(orders).where(orders.c.user_id == user_id))
            connection.execute(delete(users).where(users.c.id == user_id))

    def _find(self, column: Column[Any], value: str) -> User | None:
        statement = self._context.statement(f"users.by_{column.name}", _lookup(column))
        row = self._context.connection().execute(statement, {"value": value}).first()
        return None if row is None else USER.from_row(row)

    def _check_unique(self, fields: Mapping[str, object], exclude_id: int | None) -> None:
        """AlreadyExists for the first unique field in ``fields`` another user holds."""
        wanted = [(c, fields[c.name]) for c in _UNIQUE if c.name in fields]
        if not wanted:
            return
        rules = self._context.exact_text()
        taken = select(users.c.id, *_UNIQUE).where(or_(*(rules.equals(c, v) for c, v in wanted)))
        holders = self._context.connection().execute(taken).all()
        for column, value in wanted:
            if any(row.id != exclude_id and row._mapping[column] == value for row in holders):
                raise AlreadyExists("user", column.name, value)


def _lookup(column: Column[Any]) -> Callable[[ExactText], AnySelect]:
    def build_statement(rules: ExactText) -> AnySelect:
        return select(*USER.columns).where(rules.equals(column, bindparam("value")))

    return build_statement
