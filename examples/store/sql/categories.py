"""The category tree on the legacy ``categories`` table: unique names, cycle-free moves."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, exists, literal, select, update

from examples.store.models import Category, CategoryChanges, NewCategory
from examples.store.rules import check_acyclic, check_version
from examples.store.schema import categories, products
from examples.store.shared import new_entity
from examples.store.sql.base import Context, SqlRepository, translated
from examples.store.sql.collation import ExactText
from examples.store.sql.records import AnySelect, Entity, Records
from interfaces.errors import AlreadyExists, NotFound, ReferenceConflict

__all__ = ["CATEGORY", "SqlCategoryRepository"]

CATEGORY = Entity("category", categories, Category)
_MAX_DEPTH = 1000  # stops the walk up the tree on cyclic legacy data


def _lineage() -> AnySelect:
    """Category rows from ``:start`` up to its root, nearest first (a recursive CTE)."""
    start = (
        select(categories.c.id, categories.c.parent_id, literal(0).label("depth"))
        .where(categories.c.id == bindparam("start"))
        .cte("lineage", recursive=True)
    )
    parent = categories.alias("parent")
    step = (
        select(parent.c.id, parent.c.parent_id, (start.c.depth + 1).label("depth"))
        .join(start, parent.c.id == start.c.parent_id)
        .where(start.c.depth < _MAX_DEPTH)
    )
    lineage = start.union_all(step)
    return (
        select(*CATEGORY.columns)
        .join(lineage, categories.c.id == lineage.c.id)
        .order_by(lineage.c.depth)
    )


def _by_name(rules: ExactText) -> AnySelect:
    return select(*CATEGORY.columns).order_by(rules.column(categories.c.name), categories.c.id)


def _named(rules: ExactText) -> AnySelect:
    return select(categories.c.id).where(rules.equals(categories.c.name, bindparam("name")))


@translated
class SqlCategoryRepository(SqlRepository):
    """:class:`~interfaces.CategoryRepository` over the ``categories`` table."""

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self._rows = Records(context, CATEGORY)
        self._lineage = _lineage()
        self._has_products = select(exists().where(products.c.category_id == bindparam("id")))

    def get(self, category_id: int) -> Category:
        """The category with ``category_id``; NotFound."""
        return self._rows.get(category_id)

    def exists(self, category_id: int) -> bool:
        """Whether the category exists."""
        return self._rows.exists(category_id)

    def name_exists(self, name: str, exclude_id: int | None = None) -> bool:
        """Whether another category (not ``exclude_id``) has exactly this name."""
        return any(holder != exclude_id for holder in self._holders(name, lock=False))

    def list_all(self) -> list[Category]:
        """Every category, ordered by name."""
        return self._listing(None)

    def list_roots(self) -> list[Category]:
        """Categories without a parent, ordered by name."""
        return self._listing(categories.c.parent_id.is_(None))

    def list_children(self, parent_id: int) -> list[Category]:
        """Direct children of ``parent_id`` ordered by name; NotFound if the parent is missing."""
        self._rows.require(parent_id)
        return self._listing(categories.c.parent_id == parent_id)

    def would_create_cycle(self, category_id: int, new_parent_id: int) -> bool:
        """Whether ``new_parent_id`` is ``category_id`` itself or one of its descendants."""
        return category_id in self._ancestry(new_parent_id)

    def is_valid_parent(self, parent_id: int | None, category_id: int | None = None) -> bool:
        """Whether ``parent_id`` may be the parent of ``category_id`` (or of a new category)."""
        if parent_id is None:
            return True
        if not self._rows.exists(parent_id):
            return False
        return category_id is None or not self.would_create_cycle(category_id, parent_id)

    def path(self, category_id: int) -> list[Category]:
        """The breadcrumb from the root down to ``category_id`` (inclusive); NotFound."""
        lineage = self._walk_up(category_id)
        if not lineage:
            raise NotFound("category", category_id)
        return lineage[::-1]

    def create(self, new: NewCategory) -> Category:
        """Create a category; AlreadyExists(field="name"), NotFound for a missing parent."""
        self._check_name_free(new.name, exclude_id=None)
        if new.parent_id is not None:
            self._rows.require(new.parent_id)
        new_id = self._context.new_id("categories")
        return self._rows.add(new_entity(Category, new, new_id, self._context.now()))

    def update(
        self, category_id: int, changes: CategoryChanges, expected_version: int | None = None
    ) -> Category:
        """Rename and/or move a category.

        NotFound (category or new parent), ConcurrencyConflict, AlreadyExists(field="name"),
        ValidationFailed(field="parent_id") for a move that would make a cycle.
        """
        current = self._rows.lock(category_id)
        check_version("category", category_id, current.version, expected_version)
        fields = changes.changed()
        if changes.name is not None:
            self._check_name_free(changes.name, exclude_id=category_id)
        if changes.parent_id is not None:
            self._check_move(category_id, changes.parent_id)
        return self._rows.revise(category_id, fields)

    def delete(self, category_id: int) -> None:
        """Delete a category; its children become roots (each a change: version grows).

        NotFound; ReferenceConflict(referenced_by="products") when products are in it.
        """
        self._rows.lock(category_id)
        connection = self._context.connection()
        if connection.execute(self._has_products, {"id": category_id}).scalar():
            raise ReferenceConflict("category", category_id, "products")
        orphans = (
            update(categories)
            .where(categories.c.parent_id == category_id)
            .values(parent_id=None, version=categories.c.version + 1)
        )
        with self._context.savepoint() as connection:
            connection.execute(orphans)
            self._rows.delete(category_id)

    def _listing(self, condition: Any) -> list[Category]:
        statement = self._context.statement("categories.by_name", _by_name)
        if condition is not None:
            statement = statement.where(condition)
        return CATEGORY.from_rows(self._context.connection().execute(statement).all())

    def _walk_up(self, category_id: int) -> list[Category]:
        """``category_id`` and its ancestors, nearest first, each once."""
        rows = self._context.connection().execute(self._lineage, {"start": category_id}).all()
        seen: set[int] = set()
        lineage = []
        for category in CATEGORY.from_rows(rows):
            if category.id in seen:
                break
            seen.add(category.id)
            lineage.append(category)
        return lineage

    def _ancestry(self, category_id: int) -> list[int]:
        """The ids of ``category_id`` and its ancestors, nearest first."""
        return [row.id for row in self._walk_up(category_id)]

    def _holders(self, name: str, *, lock: bool) -> list[int]:
        """Ids of the categories named exactly ``name``; ``lock`` keeps the name taken/free."""
        statement = self._context.statement("categories.named", _named)
        if lock:
            statement = statement.with_for_update()
        return list(self._context.connection().execute(statement, {"name": name}).scalars())

    def _check_name_free(self, name: str, exclude_id: int | None) -> None:
        if any(holder != exclude_id for holder in self._holders(name, lock=True)):
            raise AlreadyExists("category", "name", name)

    def _check_move(self, category_id: int, parent_id: int) -> None:
        self._rows.require(parent_id)
        check_acyclic(category_id, parent_id, self._ancestry(parent_id))
