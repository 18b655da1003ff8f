"""The category tree in DynamoDB, with its calculated and denormalized attributes kept right.

The Categories table is small, so every operation reads the whole tree with
one strongly consistent Scan (:class:`CategoryTree`) and works on it in
memory. A change builds the tree as it will be, derives every item from it
(the key ``PK`` = parent name or ``ROOT``, ``parent_name``, ``category_path``,
``level``, ``children_count``, ``product_count``) and writes only the items that
differ: a renamed category and its children move (delete + put, since names
are in their keys), descendants get new paths and levels, parents new counts.
Every rewrite is conditioned on the version and product count read, so a
concurrent change makes the whole change start over. Names are unique through
guard items (``CATEGORY_NAME#{name}`` / ``#UNIQUE``) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from adapters.dynamodb.client import Item
from adapters.dynamodb.errors import TransactionCancelled, translate
from adapters.dynamodb.expressions import Action, Expr, delete, put, update
from adapters.dynamodb.layout import EntityLayout
from dal.contract import AggregateCalculation, Attribute, CaseCalculation
from examples.store import Category, CategoryChanges, NewCategory, Product
from examples.store.dynamodb.base import Backend, key_of, to_model, transact_in_steps
from examples.store.dynamodb.versioning import Stale, retry_stale
from examples.store.listings import BY_NAME
from examples.store.rules import check_acyclic, check_version
from examples.store.shared import lineage, new_entity, revise
from interfaces import AlreadyExists, NotFound, ReferenceConflict

__all__ = [
    "CategoryTree",
    "DynamoCategoryRepository",
    "product_count_change",
    "product_derived",
]

_PRODUCT_COUNT = "product_count"


@dataclass
class CategoryTree:
    """Every category by id, with the stored items (``items`` is empty for a planned tree)."""

    categories: dict[int, Category]
    items: dict[int, Item] = field(default_factory=dict)
    product_counts: dict[int, int] = field(default_factory=dict)

    @classmethod
    def load(cls, backend: Backend) -> CategoryTree:
        """The tree as stored (one consistent Scan of the Categories table)."""
        layout = backend.layouts.categories
        tree = cls({})
        for item in backend.scan(layout, having=layout.attr("id")):
            if not layout.owns(item):
                continue
            row, derived = layout.row(item)
            category = to_model(Category, row)
            tree.categories[category.id] = category
            tree.items[category.id] = item
            tree.product_counts[category.id] = int(derived.get(_count_name(layout)) or 0)
        return tree

    def find(self, category_id: int | None) -> Category | None:
        """The category, or None."""
        return None if category_id is None else self.categories.get(category_id)

    def require(self, category_id: int) -> Category:
        """The category; NotFound."""
        found = self.find(category_id)
        if found is None:
            raise NotFound("category", category_id)
        return found

    def children(self, category_id: int) -> list[Category]:
        """Direct children, ordered by name."""
        return BY_NAME.sort(c for c in self.categories.values() if c.parent_id == category_id)

    def lineage(self, category_id: int) -> Iterator[int]:
        """``category_id`` and its ancestors' ids, upwards, as far as they exist."""
        return lineage(self.categories.get, category_id)

    def path(self, category_id: int) -> list[Category]:
        """Root first, down to ``category_id``."""
        return [self.categories[i] for i in self.lineage(category_id) if i in self.categories][::-1]

    def planned(
        self, changed: Iterable[Category] = (), removed: Iterable[int] = ()
    ) -> CategoryTree:
        """The tree after ``changed`` are written and ``removed`` deleted (counts carried over)."""
        categories = dict(self.categories)
        categories.update((c.id, c) for c in changed)
        for category_id in removed:
            categories.pop(category_id, None)
        return CategoryTree(categories, {}, dict(self.product_counts))

    def derived(self, layout: EntityLayout, category: Category) -> dict[str, Any]:
        """The joined and calculated attributes of ``category`` in this tree, by name."""
        return {
            a.name: self._derive(layout, a, category)
            for a in layout.entity.attributes
            if a.is_derived
        }

    def _derive(self, layout: EntityLayout, attribute: Attribute, category: Category) -> Any:
        calculation = attribute.calculation
        if isinstance(calculation, AggregateCalculation):
            if calculation.target_table == layout.entity.source_table:
                return len(self.children(category.id))
            return self.product_counts.get(category.id, 0)
        if isinstance(calculation, CaseCalculation):
            return len(self.path(category.id)) - 1  # the level: 0 for a root
        select = str(getattr(attribute.join, "select_column", ""))
        if "category_path" in select:
            return "/".join(c.name for c in self.path(category.id))
        parent = self.find(category.parent_id)
        if parent is None:
            return getattr(attribute.join, "else_value", None) or getattr(
                attribute.join, "null_value", None
            )
        return getattr(parent, select.rsplit(".", 1)[-1], None)


def _count_name(layout: EntityLayout) -> str:
    for attribute in layout.entity.attributes:
        calculation = attribute.calculation
        if isinstance(calculation, AggregateCalculation) and calculation.target_table == "products":
            return attribute.name
    return _PRODUCT_COUNT


def product_derived(layout: EntityLayout, tree: CategoryTree, product: Product) -> dict[str, Any]:
    """A product's attributes joined from its category (``category_path``: the category's name)."""
    category = tree.require(product.category_id)
    out = {}
    for attribute in layout.entity.attributes:
        join = attribute.join
        if join is not None and getattr(join, "target_table", None) == "categories":
            column = str(getattr(join, "select_column", "name")).rsplit(".", 1)[-1]
            out[attribute.name] = getattr(category, column, None)
    return out


def product_count_change(
    backend: Backend, tree: CategoryTree, category_id: int, delta: int
) -> Action:
    """An Update adding ``delta`` to the category's product count (the category must exist)."""
    layout = backend.layouts.categories
    expr = Expr()
    expression = f"ADD {expr.name(_count_name(layout))} {expr.value(delta)}"
    key = key_of(layout, tree.items[category_id])
    return update(layout.table_name, key, expression, expr, expr.exists(layout.table.pk))


class DynamoCategoryRepository:
    """:class:`~interfaces.CategoryRepository` over the Categories table."""

    def __init__(self, backend: Backend) -> None:
        self._b = backend
        self._layout = backend.layouts.categories
        self._guard = backend.layouts.category_name

    # --- queries --------------------------------------------------------------------------

    def get(self, category_id: int) -> Category:
        """The category; NotFound."""
        return self._tree().require(category_id)

    def exists(self, category_id: int) -> bool:
        """Whether the category exists."""
        return self._tree().find(category_id) is not None

    def name_exists(self, name: str, exclude_id: int | None = None) -> bool:
        """Whether another category has exactly this name."""
        return any(c.name == name and c.id != exclude_id for c in self._tree().categories.values())

    def list_all(self) -> list[Category]:
        """Every category, ordered by name."""
        return BY_NAME.sort(self._tree().categories.values())

    def list_roots(self) -> list[Category]:
        """Categories without a parent, ordered by name."""
        return BY_NAME.sort(c for c in self._tree().categories.values() if c.parent_id is None)

    def list_children(self, parent_id: int) -> list[Category]:
        """Direct children by name; NotFound if the parent is missing."""
        tree = self._tree()
        tree.require(parent_id)
        return tree.children(parent_id)

    def would_create_cycle(self, category_id: int, new_parent_id: int) -> bool:
        """Whether ``new_parent_id`` is ``category_id`` or one of its descendants."""
        return category_id in self._tree().lineage(new_parent_id)

    def is_valid_parent(self, parent_id: int | None, category_id: int | None = None) -> bool:
        """Whether ``parent_id`` may be the parent of ``category_id`` (or of a new category)."""
        if parent_id is None:
            return True
        tree = self._tree()
        if tree.find(parent_id) is None:
            return False
        return category_id is None or category_id not in tree.lineage(parent_id)

    def path(self, category_id: int) -> list[Category]:
        """The breadcrumb from the root down to ``category_id``; NotFound."""
        tree = self._tree()
        tree.require(category_id)
        return tree.path(category_id)

    # --- commands -------------------------------------------------------------------------

    def create(self, new: NewCategory) -> Category:
        """Create a category: AlreadyExists(name), NotFound (parent)."""
        return retry_stale(lambda: self._create(new), "category", new.name)

    def update(
        self, category_id: int, changes: CategoryChanges, expected_version: int | None = None
    ) -> Category:
        """Rename and/or move: NotFound, ConcurrencyConflict, AlreadyExists(name),
        NotFound (new parent), ValidationFailed(parent_id) for a cycle."""
        fields = changes.changed()
        return retry_stale(
            lambda: self._update(category_id, fields, expected_version), "category", category_id
        )

    def delete(self, category_id: int) -> None:
        """Delete a category; its children become roots (version grows).

        NotFound; ReferenceConflict(referenced_by="products") while products are in it.
        """
        retry_stale(lambda: self._delete(category_id), "category", category_id)

    # --- internals ------------------------------------------------------------------------

    def _tree(self) -> CategoryTree:
        return CategoryTree.load(self._b)

    def _create(self, new: NewCategory) -> Category:
        tree = self._tree()
        if any(c.name == new.name for c in tree.categories.values()):
            raise AlreadyExists("category", "name", new.name)
        if new.parent_id is not None:
            tree.require(new.parent_id)
        category = new_entity(Category, new, self._b.ids.allocate("categories"), self._b.now())
        plan = tree.planned(changed=[category])
        claims = [(new.name, category.id)]
        self._apply(tree, plan, focus=category.id, claims=claims, releases=[], name=new.name)
        return category

    def _update(
        self, category_id: int, fields: Mapping[str, object], expected: int | None
    ) -> Category:
        tree = self._tree()
        current = tree.require(category_id)
        check_version("category", category_id, current.version, expected)
        name = str(fields.get("name", current.name))
        renamed = name != current.name
        if renamed and any(
            c.name == name and c.id != category_id for c in tree.categories.values()
        ):
            raise AlreadyExists("category", "name", name)
        parent_id = fields.get("parent_id", current.parent_id)
        if parent_id is not None:
            parent = int(str(parent_id))
            tree.require(parent)
            check_acyclic(category_id, parent, tree.lineage(parent))
        changed = revise(current, fields)
        plan = tree.planned(changed=[changed])
        moved = renamed and not self._guard.same(name, current.name)
        claims, releases = ([(name, category_id)], [current.name]) if moved else ([], [])
        self._apply(tree, plan, focus=category_id, claims=claims, releases=releases, name=name)
        return changed

    def _delete(self, category_id: int) -> None:
        tree = self._tree()
        current = tree.require(category_id)
        if tree.product_counts.get(category_id, 0) > 0 or self._has_products(category_id):
            raise ReferenceConflict("category", category_id, "products")
        orphans = [revise(c, {"parent_id": None}) for c in tree.children(category_id)]
        plan = tree.planned(changed=orphans, removed=[category_id])
        self._apply(
            tree, plan, focus=category_id, claims=[], releases=[current.name], name=current.name
        )

    def _has_products(self, category_id: int) -> bool:
        products = self._b.layouts.products
        index = products.index_on("category_id")
        partition = products.key_value(index.pk, {"category_id": category_id})
        return next(iter(self._b.query(products, index, partition)), None) is not None

    def _apply(
        self,
        tree: CategoryTree,
        plan: CategoryTree,
        *,
        focus: int,
        claims: list[tuple[str, int]],
        releases: list[str],
        name: str,
    ) -> None:
        """Write the difference between ``tree`` and ``plan``; ``focus`` and guards go first."""
        ids = sorted(set(tree.categories) | set(plan.categories), key=lambda i: i != focus)
        rewrites = [self._rewrite(tree, plan, i) for i in ids]
        core = rewrites[0] + [self._guard.claim(n, i) for n, i in claims]
        core += [self._guard.release(n) for n in releases]
        groups = [group for group in rewrites[1:] if group]
        claim_at = {len(rewrites[0]) + i for i in range(len(claims))}
        try:
            transact_in_steps(self._b, core, groups)
        except TransactionCancelled as cancelled:
            failed = {
                i for i, r in enumerate(cancelled.reasons) if r.code == "ConditionalCheckFailed"
            }
            if failed & claim_at:
                raise AlreadyExists("category", "name", name) from cancelled
            if failed:
                raise Stale() from cancelled
            raise translate(cancelled) from cancelled

    def _rewrite(self, tree: CategoryTree, plan: CategoryTree, category_id: int) -> list[Action]:
        """The actions that turn the stored item of ``category_id`` into the planned one."""
        table = self._layout.table_name
        old = tree.items.get(category_id)
        planned = plan.find(category_id)
        new = (
            None
            if planned is None
            else self._layout.item(planned.model_dump(), plan.derived(self._layout, planned))
        )
        if old == new:
            return []
        expr = Expr()
        if old is None:
            return [put(table, new, expr.missing(self._layout.table.pk), expr)] if new else []
        condition = self._unchanged(expr, tree, category_id)
        if new is None:
            return [delete(table, key_of(self._layout, old), condition, expr)]
        if key_of(self._layout, old) == key_of(self._layout, new):
            return [put(table, new, condition, expr)]
        put_expr = Expr()
        return [
            delete(table, key_of(self._layout, old), condition, expr),
            put(table, new, put_expr.missing(self._layout.table.pk), put_expr),
        ]

    def _unchanged(self, expr: Expr, tree: CategoryTree, category_id: int) -> str:
        """The stored version and product count are still the ones read."""
        version = expr.equals(self._layout.attr("version"), tree.categories[category_id].version)
        count = _count_name(self._layout)
        stored = tree.product_counts.get(category_id, 0)
        if stored:
            return f"{version} AND {expr.equals(count, stored)}"
        return f"{version} AND ({expr.missing(count)} OR {expr.equals(count, stored)})"
