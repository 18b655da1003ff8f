"""Users in memory: unique usernames and emails, cascading delete of carts and orders."""

from __future__ import annotations

from collections.abc import Mapping

from examples.store.memory.state import Repository, synchronized
from examples.store.models import NewUser, User, UserChanges
from examples.store.rules import check_version
from examples.store.shared import new_entity, revise
from interfaces.errors import AlreadyExists, ReferenceConflict

__all__ = ["MemoryUserRepository"]

_UNIQUE_FIELDS = ("username", "email")


@synchronized
class MemoryUserRepository(Repository):
    """:class:`~interfaces.UserRepository` over a :class:`MemoryState`."""

    def get(self, user_id: int) -> User:
        """The user with ``user_id``; NotFound if there is none."""
        return self._db.users.require(user_id)

    def find_by_username(self, username: str) -> User | None:
        """The user with exactly this username, or None."""
        return self._find("username", username)

    def find_by_email(self, email: str) -> User | None:
        """The user with exactly this email, or None."""
        return self._find("email", email)

    def username_exists(self, username: str) -> bool:
        """Whether a user has this username."""
        return self._find("username", username) is not None

    def email_exists(self, email: str) -> bool:
        """Whether a user has this email."""
        return self._find("email", email) is not None

    def list_super_admins(self) -> list[User]:
        """Every user with ``super_admin`` set, ordered by id."""
        admins = self._db.users.select(lambda user: user.super_admin)
        return sorted(admins, key=lambda user: user.id)

    def create(self, new: NewUser) -> User:
        """Create a user with a new id and version 1; AlreadyExists(field=username|email)."""
        self._check_unique(new.model_dump(), exclude_id=None)
        now = self._db.now()
        user = new_entity(User, new, self._db.new_id("users"), now)
        return self._db.users.insert(user.id, user)

    def update(
        self, user_id: int, changes: UserChanges, expected_version: int | None = None
    ) -> User:
        """Apply ``changes``; NotFound, ConcurrencyConflict, AlreadyExists(field=username|email)."""
        current = self._db.users.require(user_id)
        check_version("user", user_id, current.version, expected_version)
        fields = changes.changed()
        self._check_unique(fields, exclude_id=user_id)
        return self._db.users.put(user_id, revise(current, fields, self._db.now()))

    def upgrade_to_seller(self, user_id: int) -> User:
        """Set ``is_seller``; NotFound. Idempotent, but still a change (version grows)."""
        return self._set_flags(user_id, {"is_seller": True})

    def set_super_admin(self, user_id: int, value: bool) -> User:
        """Promote (True) or demote (False) a super admin; NotFound."""
        return self._set_flags(user_id, {"super_admin": bool(value)})

    def delete(self, user_id: int) -> None:
        """Delete the user with their cart items and orders.

        NotFound; ReferenceConflict(referenced_by="products") while the user sells products.
        """
        self._db.users.require(user_id)
        if self._db.products.any(lambda product: product.seller_id == user_id):
            raise ReferenceConflict("user", user_id, "products")
        self._db.cart_items.delete_where(lambda item: item.user_id == user_id)
        self._db.orders.delete_where(lambda order: order.user_id == user_id)
        self._db.users.pop(user_id)

    def _find(self, field: str, value: str) -> User | None:
        matches = self._db.users.select(lambda user: getattr(user, field) == value)
        return matches[0] if matches else None

    def _check_unique(self, fields: Mapping[str, object], exclude_id: int | None) -> None:
        for name in _UNIQUE_FIELDS:
            if name not in fields:
                continue
            holder = self._find(name, str(fields[name]))
            if holder is not None and holder.id != exclude_id:
                raise AlreadyExists("user", name, fields[name])

    def _set_flags(self, user_id: int, flags: Mapping[str, bool]) -> User:
        current = self._db.users.require(user_id)
        return self._db.users.put(user_id, revise(current, flags, self._db.now()))
