"""Users in DynamoDB: the USER item of each collection, username guards, cascading delete.

The USER item's partition key is the email, so it is its own email guard; a
username is guarded by a separate item written in the same transaction. An
email change moves the whole collection (see :func:`UserStore.update`).
"""

from __future__ import annotations

from collections.abc import Mapping

from adapters.dynamodb.batch import WriteRequest, batch_write
from adapters.dynamodb.client import MAX_TRANSACTION_ACTIONS, Item
from adapters.dynamodb.errors import TransactionCancelled, translate
from adapters.dynamodb.expressions import Action, Expr, delete, put
from examples.store import NewUser, User, UserChanges
from examples.store.dynamodb.base import Backend, key_of, to_model, transact_in_steps
from examples.store.dynamodb.collection import children, move_actions
from examples.store.dynamodb.versioning import Stale, retry_stale, version_condition
from examples.store.rules import check_version
from examples.store.shared import new_entity, revise
from interfaces import AlreadyExists, NotFound, ReferenceConflict

__all__ = ["DynamoUserRepository", "require_user"]


def require_user(backend: Backend, user_id: int) -> tuple[Item, User]:
    """The USER item and model of ``user_id``; NotFound."""
    item = backend.lookup(backend.layouts.users, "id", user_id)
    if item is None:
        raise NotFound("user", user_id)
    return item, to_model(User, backend.layouts.users.row(item)[0])


class DynamoUserRepository:
    """:class:`~interfaces.UserRepository` over the Users table."""

    def __init__(self, backend: Backend) -> None:
        self._b = backend
        self._layout = backend.layouts.users
        self._guard = backend.layouts.username
        self._email_guard = backend.layouts.email

    # --- queries --------------------------------------------------------------------------

    def get(self, user_id: int) -> User:
        """The user with ``user_id`` (GSI on id, then a consistent read); NotFound."""
        return require_user(self._b, user_id)[1]

    def find_by_username(self, username: str) -> User | None:
        """The user with exactly this username (GSI on username), or None."""
        item = self._b.lookup(self._layout, "username", username)
        return None if item is None else self._user(item)

    def find_by_email(self, email: str) -> User | None:
        """The user with exactly this email (consistent read of the USER item), or None."""
        item = self._b.get(self._layout, {"email": email})
        return None if item is None else self._user(item)

    def username_exists(self, username: str) -> bool:
        """Whether a user has exactly this username (a consistent read of its guard item).

        Under a case-insensitive guard the guard item stands for every case of the
        value, so the user it points at is read to compare the username exactly.
        """
        if not self._guard.case_insensitive:
            return self._b.client.get(self._guard.table, self._guard.key(username)) is not None
        return self.find_by_username(username) is not None

    def email_exists(self, email: str) -> bool:
        """Whether a USER item is stored under this email (consistent read)."""
        return self._b.get(self._layout, {"email": email}) is not None

    def list_super_admins(self) -> list[User]:
        """Every super admin, ordered by id (a consistent Scan of the Users table)."""
        having = self._layout.attr("super_admin")
        users = [
            self._user(item)
            for item in self._b.scan(self._layout, having=having)
            if self._layout.owns(item)
        ]
        return sorted((u for u in users if u.super_admin), key=lambda u: u.id)

    # --- commands -------------------------------------------------------------------------

    def create(self, new: NewUser) -> User:
        """Create a user and its username guard in one transaction; AlreadyExists."""
        now = self._b.now()
        user = new_entity(User, new, self._b.ids.allocate("users"), now)
        expr = Expr()
        user_put = put(
            self._layout.table_name,
            self._layout.item(user.model_dump()),
            expr.missing(self._layout.table.pk),
            expr,
        )
        actions = [user_put, self._guard.claim(user.username, user.id)]
        email_guard_at = None
        if self._email_guard is not None:
            email_guard_at = len(actions)
            actions.append(self._email_guard.claim(user.email, user.id))
        self._run(actions, user, email_at=0, name_at=1, email_guard_at=email_guard_at)
        return user

    def update(
        self, user_id: int, changes: UserChanges, expected_version: int | None = None
    ) -> User:
        """Apply ``changes``: NotFound, ConcurrencyConflict, AlreadyExists(username, email).

        A new username moves its guard; a new email moves the USER item and every
        cart line and order of the collection (delete + put). Up to 100 actions
        that is one transaction; beyond, the USER item and the guards move first
        and the rest follows in further transactions.
        """
        fields = changes.changed()
        return retry_stale(lambda: self._change(user_id, fields, expected_version), "user", user_id)

    def upgrade_to_seller(self, user_id: int) -> User:
        """Set ``is_seller`` (always a change: version grows); NotFound."""
        return retry_stale(
            lambda: self._change(user_id, {"is_seller": True}, None), "user", user_id
        )

    def set_super_admin(self, user_id: int, value: bool) -> User:
        """Promote or demote a super admin; NotFound."""
        flags = {"super_admin": bool(value)}
        return retry_stale(lambda: self._change(user_id, flags, None), "user", user_id)

    def delete(self, user_id: int) -> None:
        """Delete the user, the username guard, the cart lines and the orders.

        NotFound; ReferenceConflict(referenced_by="products") while the user sells
        products. Up to 100 items go in one transaction; beyond, the cart lines
        and orders are deleted first (batch writes) and the user last.
        """
        retry_stale(lambda: self._delete(user_id), "user", user_id)

    # --- internals ------------------------------------------------------------------------

    def _user(self, item: Item) -> User:
        return to_model(User, self._layout.row(item)[0])

    def _change(self, user_id: int, fields: Mapping[str, object], expected: int | None) -> User:
        item, current = require_user(self._b, user_id)
        check_version("user", user_id, current.version, expected)
        new = revise(current, fields, self._b.now())
        expr = Expr()
        condition = version_condition(expr, self._layout.attr("version"), current.version)
        new_item = self._layout.item(new.model_dump())
        groups: list[list[Action]] = []
        if new.email == current.email:
            core = [put(self._layout.table_name, new_item, condition, expr)]
            email_at = None
        else:
            put_expr = Expr()
            core = [
                delete(self._layout.table_name, key_of(self._layout, item), condition, expr),
                put(
                    self._layout.table_name,
                    new_item,
                    put_expr.missing(self._layout.table.pk),
                    put_expr,
                ),
            ]
            email_at = 1
            groups = [
                move_actions(lay, child, new.email)
                for lay, child in children(self._b, current.email)
            ]
        name_at = None
        if not self._guard.same(new.username, current.username):
            name_at = len(core)
            core += [self._guard.claim(new.username, new.id), self._guard.release(current.username)]
        email_guard_at = None
        guard = self._email_guard
        if guard is not None and not guard.same(new.email, current.email):
            email_guard_at = len(core)
            core += [guard.claim(new.email, new.id), guard.release(current.email)]
        self._run(
            core,
            new,
            email_at=email_at,
            name_at=name_at,
            email_guard_at=email_guard_at,
            version_at=0,
            groups=groups,
        )
        return new

    def _delete(self, user_id: int) -> None:
        item, current = require_user(self._b, user_id)
        products = self._b.layouts.products
        sellers = products.index_on("seller_id")
        seller_key = products.key_value(sellers.pk, {"seller_id": user_id})
        if next(iter(self._b.query(products, sellers, seller_key)), None) is not None:
            raise ReferenceConflict("user", user_id, "products")
        expr = Expr()
        condition = version_condition(expr, self._layout.attr("version"), current.version)
        core = [
            delete(self._layout.table_name, key_of(self._layout, item), condition, expr),
            self._guard.release(current.username),
        ]
        if self._email_guard is not None:
            core.append(self._email_guard.release(current.email))
        owned = children(self._b, current.email)
        if len(core) + len(owned) > MAX_TRANSACTION_ACTIONS:
            requests = [WriteRequest(key=key_of(lay, child)) for lay, child in owned]
            batch_write(self._b.client, self._layout.table_name, requests)
            owned = []
        groups = [[delete(lay.table_name, key_of(lay, child))] for lay, child in owned]
        self._run(core, current, version_at=0, groups=groups)

    def _run(
        self,
        core: list[Action],
        user: User,
        *,
        email_at: int | None = None,
        name_at: int | None = None,
        email_guard_at: int | None = None,
        version_at: int | None = None,
        groups: list[list[Action]] | None = None,
    ) -> None:
        """Run the transaction(s); map a failed condition to the error of its action."""
        try:
            transact_in_steps(self._b, core, groups or [])
        except TransactionCancelled as cancelled:
            failed = {
                i for i, r in enumerate(cancelled.reasons) if r.code == "ConditionalCheckFailed"
            }
            if version_at in failed:
                raise Stale() from cancelled
            if name_at in failed:
                raise AlreadyExists("user", "username", user.username) from cancelled
            if email_at in failed or email_guard_at in failed:
                raise AlreadyExists("user", "email", user.email) from cancelled
            raise translate(cancelled) from cancelled
