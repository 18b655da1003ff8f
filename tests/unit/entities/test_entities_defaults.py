"""The default declaration of a table: key, sequence, stamps, uniques, references, queries."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql, sqlite

from dal.entities import COLLATION_INFO, default_spec
from interfaces.entities import NamedQuery, OnDelete, Reference, Unique


def table(name: str, *items: Any, metadata: MetaData | None = None) -> Table:
    return Table(name, metadata or MetaData(), *items)


def test_an_auto_increment_integer_key_has_the_table_as_its_sequence() -> None:
    spec = default_spec(table("users", Column("id", Integer, primary_key=True)))
    assert spec.name == "users"
    assert spec.table == "users"
    assert spec.key == ("id",)
    assert spec.id_sequence == "users"
    assert spec.sensitive == frozenset()


def test_the_entity_name_can_be_given() -> None:
    spec = default_spec(table("users", Column("id", Integer, primary_key=True)), name="user")
    assert spec.name == "user"
    assert spec.table == "users"
    assert spec.id_sequence == "users"


@pytest.mark.parametrize(
    "columns",
    [
        pytest.param(
            [Column("id", Integer, primary_key=True, autoincrement=False)], id="not auto-increment"
        ),
        pytest.param([Column("code", String(10), primary_key=True)], id="text key"),
        pytest.param(
            [Column("a", Integer, primary_key=True), Column("b", Integer, primary_key=True)],
            id="composite key",
        ),
    ],
)
def test_other_keys_are_given_by_the_caller(columns: list[Column[Any]]) -> None:
    spec = default_spec(table("things", *columns))
    assert spec.key == tuple(c.name for c in columns)
    assert spec.id_sequence is None


def test_a_table_without_a_primary_key_is_refused() -> None:
    with pytest.raises(ValueError, match="table log has no primary key"):
        default_spec(table("log", Column("line", String(100))))


def test_version_and_stamps_come_from_columns_with_those_names() -> None:
    spec = default_spec(
        table(
            "things",
            Column("id", Integer, primary_key=True),
            Column("version", Integer, nullable=False),
            Column("created_at", DateTime, nullable=False),
            Column("updated_at", mysql.TIMESTAMP(), nullable=True),
        )
    )
    assert (spec.version, spec.created_at, spec.updated_at) == (
        "version",
        "created_at",
        "updated_at",
    )
    assert spec.stamped == frozenset({"id", "version", "created_at", "updated_at"})


def test_columns_of_other_types_are_neither_version_nor_stamps() -> None:
    spec = default_spec(
        table(
            "things",
            Column("id", Integer, primary_key=True),
            Column("version", String(10)),
            Column("created_at", String(30)),
            Column("updated_at", Integer),
        )
    )
    assert (spec.version, spec.created_at, spec.updated_at) == (None, None, None)


def test_a_tinyint_1_version_is_a_flag_not_a_version() -> None:
    spec = default_spec(
        table(
            "things",
            Column("id", Integer, primary_key=True),
            Column("version", mysql.TINYINT(display_width=1)),
        )
    )
    assert spec.version is None


def test_uniques_from_constraints_and_unique_indexes() -> None:
    spec = default_spec(
        table(
            "carts",
            Column("id", Integer, primary_key=True),
            Column("user_id", Integer),
            Column("product_id", Integer),
            Column("email", String(100), unique=True),
            Column("slug", String(50)),
            UniqueConstraint("user_id", "product_id", name="uq_user_product"),
            Index("ix_slug", "slug", unique=True),
            Index("ix_email", "email", unique=True),  # the same columns as a constraint: once
        )
    )
    assert spec.unique == (
        Unique(("user_id", "product_id")),
        Unique(("email",)),
        Unique(("slug",)),
    )


@pytest.mark.parametrize(
    ("kind", "insensitive"),
    [
        pytest.param(mysql.VARCHAR(40, collation="utf8mb4_unicode_ci"), True, id="_ci"),
        pytest.param(mysql.VARCHAR(40, collation="utf8mb4_general_ci"), True, id="general_ci"),
        pytest.param(mysql.VARCHAR(40, collation="utf8mb4_bin"), False, id="_bin"),
        pytest.param(mysql.VARCHAR(40, collation="utf8mb4_0900_as_cs"), False, id="_cs"),
        pytest.param(sqlite.VARCHAR(40, collation="NOCASE"), True, id="NOCASE"),
        pytest.param(String(40, collation="BINARY"), False, id="BINARY"),
        pytest.param(String(40), False, id="none"),
        pytest.param(
            String(40)
            .with_variant(mysql.VARCHAR(40, collation="utf8mb4_unicode_ci"), "mysql", "mariadb")
            .with_variant(sqlite.VARCHAR(40, collation="NOCASE"), "sqlite"),
            True,
            id="variants",
        ),
    ],
)
def test_a_unique_text_column_follows_its_collation(kind: Any, insensitive: bool) -> None:
    spec = default_spec(
        table("t", Column("id", Integer, primary_key=True), Column("code", kind, unique=True))
    )
    assert spec.unique == (Unique(("code",), case_insensitive=insensitive),)


def test_the_collation_a_database_reported_comes_first() -> None:
    code = Column("code", mysql.VARCHAR(40, collation="utf8mb4_bin"), unique=True)
    code.info[COLLATION_INFO] = "utf8mb4_unicode_ci"
    spec = default_spec(table("t", Column("id", Integer, primary_key=True), code))
    assert spec.unique[0].case_insensitive


def test_the_table_default_collation_applies_to_columns_without_one() -> None:
    spec = default_spec(
        Table(
            "t",
            MetaData(),
            Column("id", Integer, primary_key=True),
            Column("code", String(40), unique=True),
            mysql_collate="utf8mb4_unicode_ci",
        )
    )
    assert spec.unique[0].case_insensitive


def test_a_unique_pair_of_text_and_integer_is_insensitive_when_its_text_is() -> None:
    spec = default_spec(
        table(
            "t",
            Column("id", Integer, primary_key=True),
            Column("owner", Integer),
            Column("name", sqlite.VARCHAR(40, collation="NOCASE")),
            UniqueConstraint("owner", "name"),
        )
    )
    assert spec.unique == (Unique(("owner", "name"), case_insensitive=True),)


def references_table() -> Table:
    metadata = MetaData()
    table("parents", Column("id", Integer, primary_key=True), metadata=metadata)
    table(
        "codes",
        Column("id", Integer, primary_key=True),
        Column("code", String(10), unique=True),
        metadata=metadata,
    )
    return table(
        "children",
        Column("id", Integer, primary_key=True),
        Column("a", Integer, ForeignKey("parents.id", ondelete="CASCADE")),
        Column("b", Integer, ForeignKey("parents.id", ondelete="set null"), nullable=True),
        Column("c", Integer, ForeignKey("parents.id", ondelete="RESTRICT")),
        Column("d", Integer, ForeignKey("parents.id", ondelete="NO ACTION")),
        Column("e", Integer, ForeignKey("parents.id")),
        Column("f", String(10), ForeignKey("codes.code")),
        metadata=metadata,
    )


def test_references_follow_foreign_keys_and_their_on_delete() -> None:
    spec = default_spec(references_table())
    assert spec.references == (
        Reference(("a",), "parents", on_delete=OnDelete.CASCADE),
        Reference(("b",), "parents", on_delete=OnDelete.SET_NULL),
        Reference(("c",), "parents", on_delete=OnDelete.RESTRICT),
        Reference(("d",), "parents", on_delete=OnDelete.RESTRICT),
        Reference(("e",), "parents", on_delete=OnDelete.RESTRICT),
        Reference(("f",), "codes", target_fields=("code",)),
    )


def test_a_reference_to_a_table_of_another_metadata_names_its_columns() -> None:
    children = table(
        "children",
        Column("id", Integer, primary_key=True),
        Column("parent_id", Integer, ForeignKey("parents.id", ondelete="CASCADE")),
    )
    assert default_spec(children).references == (
        Reference(("parent_id",), "parents", target_fields=("id",), on_delete=OnDelete.CASCADE),
    )


def test_a_composite_foreign_key_is_one_reference() -> None:
    metadata = MetaData()
    table(
        "tickets",
        Column("project_id", Integer, primary_key=True),
        Column("number", Integer, primary_key=True),
        metadata=metadata,
    )
    comments = table(
        "comments",
        Column("id", Integer, primary_key=True),
        Column("project_id", Integer),
        Column("ticket_number", Integer),
        ForeignKeyConstraint(
            ["project_id", "ticket_number"],
            ["tickets.project_id", "tickets.number"],
            ondelete="CASCADE",
        ),
        metadata=metadata,
    )
    spec = default_spec(comments)
    assert spec.references == (
        Reference(("project_id", "ticket_number"), "tickets", on_delete=OnDelete.CASCADE),
    )
    assert spec.queries == (
        NamedQuery("by_project_id_ticket_number", where=("project_id", "ticket_number")),
    )


def test_one_query_per_secondary_index_and_foreign_key() -> None:
    metadata = MetaData()
    table("users", Column("id", Integer, primary_key=True), metadata=metadata)
    orders = table(
        "orders",
        Column("id", Integer, primary_key=True),
        Column("user_id", Integer, ForeignKey("users.id"), index=True),  # index and FK: once
        Column("status", String(10)),
        Column("placed_at", DateTime),
        Column("email", String(100), unique=True),
        Index("ix_status_placed", "status", "placed_at"),
        Index("ix_status", "status"),
        Index("ix_id", "id"),  # the key's own columns: no query
        metadata=metadata,
    )
    spec = default_spec(orders)
    assert spec.queries == (
        NamedQuery("by_user_id", where=("user_id",)),
        NamedQuery("by_status", where=("status",)),
        NamedQuery("by_status_placed_at", where=("status", "placed_at")),
        NamedQuery("by_email", where=("email",)),
    )
    assert all(q.order_by == () and not q.descending for q in spec.queries)


def test_a_table_with_no_index_or_foreign_key_has_no_queries() -> None:
    spec = default_spec(table("t", Column("id", Integer, primary_key=True), Column("x", Integer)))
    assert spec.queries == ()
    assert spec.unique == ()
    assert spec.references == ()


def test_columns_that_cannot_be_fields_are_renamed_and_mapped() -> None:
    things = table(
        "things",
        Column("id", Integer, primary_key=True),
        Column("class", String(10), unique=True),
        Column("unit price", Integer),
        Column("_hidden", Integer),
        Column("model_config", Integer),
        Column("copy", Integer),
    )
    spec = default_spec(things)
    assert spec.fields == ("id", "class_", "unit_price_", "hidden_", "model_config_", "copy_")
    assert dict(spec.columns) == {
        "class_": "class",
        "unit_price_": "unit price",
        "hidden_": "_hidden",
        "model_config_": "model_config",
        "copy_": "copy",
    }
    assert spec.column("class_") == "class"
    assert spec.unique == (Unique(("class_",)),)
    assert spec.queries == (NamedQuery("by_class_", where=("class_",)),)
    row = spec.model(id=1, class_="a", unit_price_=2, hidden_=3, model_config_=4, copy_=5)
    assert row.model_dump()["unit_price_"] == 2
