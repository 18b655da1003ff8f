"""How the draft carries each column type, and which names it marks sensitive."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Column, MetaData, Table
from sqlalchemy.dialects import mysql
from sqlalchemy.types import NullType, TypeEngine

from dal.contract.draft.columns import is_sensitive, plan_column


def plan(kind: TypeEngine[Any], nullable: bool = True) -> Any:
    table = Table("t", MetaData(), Column("v", kind, nullable=nullable))
    return plan_column(table.c.v)


@pytest.mark.parametrize(
    ("kind", "attribute_type", "annotation"),
    [
        (mysql.TINYINT(display_width=1), "BOOL", "bool"),
        (mysql.TINYINT(unsigned=True), "N", "Annotated[int, Field(ge=0, le=255)]"),
        (mysql.BIGINT(unsigned=True), "N", "Annotated[int, Field(ge=0, le=18446744073709551615)]"),
        (mysql.YEAR(), "N", "Annotated[int, Field(ge=0, le=2155)]"),
        (mysql.BIT(3), "N", "Annotated[int, Field(ge=0, le=7)]"),
        (mysql.DECIMAL(38, 10), "N", "Annotated[Decimal, exact_decimal(38, 10)]"),
        (mysql.DECIMAL(65, 30), "S", "Annotated[Decimal, exact_decimal(65, 30)]"),
        (mysql.DOUBLE(), "S", "float"),
        (mysql.ENUM("a", "b"), "S", "Literal['a', 'b']"),
        (mysql.SET("x", "y"), "L", "frozenset[str]"),
        (mysql.VARCHAR(20), "S", "Annotated[str, Field(max_length=20)]"),
        (mysql.TINYTEXT(), "S", "Annotated[str, MaxBytes(255)]"),
        (mysql.DATETIME(fsp=6), "S", "Timestamp"),
        (mysql.TIMESTAMP(), "S", "Timestamp"),
        (mysql.DATE(), "S", "date"),
        (mysql.TIME(fsp=3), "S", "timedelta"),
        (mysql.LONGBLOB(), "B", "Annotated[bytes, MaxBytes(4294967295)]"),
        (mysql.VARBINARY(16), "B", "Annotated[bytes, MaxBytes(16)]"),
        (mysql.JSON(), "M", "Any"),
    ],
)
def test_each_type_has_its_attribute_type_and_field(
    kind: TypeEngine[Any], attribute_type: str, annotation: str
) -> None:
    planned = plan(kind)
    assert (planned.attribute_type, planned.annotation, planned.carried) == (
        attribute_type,
        annotation,
        True,
    )


def test_a_type_sqlalchemy_does_not_know_is_left_out_with_the_reason() -> None:
    planned = plan(NullType())
    assert not planned.carried
    assert "left out of the models and the items" in str(planned.note)


@pytest.mark.parametrize(
    ("name", "sensitive"),
    [
        ("email", True),
        ("owner_email", True),
        ("full_name", True),
        ("phone", True),
        ("password_hash", True),
        ("ssn", True),
        ("dob", True),
        ("name", False),
        ("title", False),
        ("product_name", False),
    ],
)
def test_personal_data_is_recognized_by_its_name(name: str, sensitive: bool) -> None:
    assert is_sensitive(name) is sensitive
