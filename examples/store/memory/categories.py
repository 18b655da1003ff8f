"""The category tree in memory: unique names, cycle-free moves, orphaned children become roots."""

from __future__ import annotations

from collections.abc import Iterator

from examples.store.listings import BY_NAME
from examples.store.memory.state import Repository, synchronized
from examples.store.models import Category, CategoryChanges, NewCategory
from examples.store.rules import check_acyclic, check_version
from examples.store.shared import lineage, new_entity, revise
from interfaces.errors import AlreadyExists, ReferenceConflict

__all__ = ["MemoryCategoryRepository"]


@synchronized
class MemoryCategoryRepository(Repository):
    """:class:`~interfaces.CategoryRepository` over a :class:`MemoryState`."""

    def get(self, category_id: int) -> Category:
        """The category with ``category_id``; NotFound."""
        return self._db.categories.require(category_id)

    def exists(self, category_id: int) -> bool:
        """Whether the category exists."""
        return self._db.categories.find(category_id) is not None

    def name_exists(self, name: str, exclude_id: int | None = None) -> bool:
        """Whether another category (not ``exclude_id``) has exactly this name."""
        return self._db.categories.any(lambda c: c.name == name and c.id != exclude_id)

    def list_all(self) -> list[Category]:
        """Every category, ordered by name."""
        return BY_NAME.sort(self._db.categories.select(lambda c: True))

    def list_roots(self) -> list[Category]:
        """Categories without a parent, ordered by name."""
        return BY_NAME.sort(self._db.categories.select(lambda c: c.parent_id is None))

    def list_children(self, parent_id: int) -> list[Category]:
        """Direct children of ``parent_id`` ordered by name; NotFound if the parent is missing."""
        self._db.categories.require(parent_id)
        return BY_NAME.sort(self._db.categories.select(lambda c: c.parent_id == parent_id))

    def would_create_cycle(self, category_id: int, new_parent_id: int) -> bool:
        """Whether ``new_parent_id`` is ``category_id`` itself or one of its descendants."""
        return category_id in self._lineage(new_parent_id)

    def is_valid_parent(self, parent_id: int | None, category_id: int | None = None) -> bool:
        """Whether ``parent_id`` may be the parent of ``category_id`` (or of a new category)."""
        if parent_id is None:
            return True
        if not self.exists(parent_id):
            return False
        return category_id is None or not self.would_create_cycle(category_id, parent_id)

    def path(self, category_id: int) -> list[Category]:
        """The breadcrumb from the root down to ``category_id`` (inclusive); NotFound."""
        self._db.categories.require(category_id)
        lineage = [self._db.categories.require(each) for each in self._lineage(category_id)]
        return lineage[::-1]

    def create(self, new: NewCategory) -> Category:
        """Create a category; AlreadyExists(field="name"), NotFound for a missing parent."""
        self._check_name_free(new.name, exclude_id=None)
        if new.parent_id is not None:
            self._db.categories.require(new.parent_id)
        category = new_entity(Category, new, self._db.new_id("categories"), self._db.now())
        return self._db.categories.insert(category.id, category)

    def update(
        self, category_id: int, changes: CategoryChanges, expected_version: int | None = None
    ) -> Category:
        """Rename and/or move a category.

        NotFound (category or new parent), ConcurrencyConflict, AlreadyExists(field="name"),
        ValidationFailed(field="parent_id") for a move that would make a cycle.
        """
        current = self._db.categories.require(category_id)
        check_version("category", category_id, current.version, expected_version)
        fields = changes.changed()
        if "name" in fields:
            self._check_name_free(str(fields["name"]), exclude_id=category_id)
        if changes.parent_id is not None:
            self._check_move(category_id, changes.parent_id)
        return self._db.categories.put(category_id, revise(current, fields))

    def delete(self, category_id: int) -> None:
        """Delete a category; its children become roots (each a change: version grows).

        NotFound; ReferenceConflict(referenced_by="products") when products are in it.
        """
        self._db.categories.require(category_id)
        if self._db.products.any(lambda product: product.category_id == category_id):
            raise ReferenceConflict("category", category_id, "products")
        for child in self._db.categories.select(lambda c: c.parent_id == category_id):
            self._db.categories.put(child.id, revise(child, {"parent_id": None}))
        self._db.categories.pop(category_id)

    def _lineage(self, category_id: int) -> Iterator[int]:
        """``category_id`` and its ancestors' ids, upwards, as far as they exist."""
        return lineage(self._db.categories.find, category_id)

    def _check_name_free(self, name: str, exclude_id: int | None) -> None:
        if self.name_exists(name, exclude_id):
            raise AlreadyExists("category", "name", name)

    def _check_move(self, category_id: int, parent_id: int) -> None:
        self._db.categories.require(parent_id)
        check_acyclic(category_id, parent_id, self._lineage(parent_id))
