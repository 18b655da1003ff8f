"""Every column type's default field: what the generated model accepts and refuses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    Enum,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    Time,
    TypeDecorator,
    Uuid,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.types import NullType, TypeEngine

from dal.entities import UnsupportedColumn, default_spec

INT32 = (-(2**31), 2**31 - 1)


def model_of(
    kind: TypeEngine[Any] | type[TypeEngine[Any]], nullable: bool = False
) -> type[BaseModel]:
    """The default model of a table with a key and one column ``v`` of type ``kind``."""
    table = Table(
        "things",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("v", kind, nullable=nullable),
    )
    return default_spec(table).model


def accepts(model: type[BaseModel], value: object) -> object:
    return model(id=1, v=value).v  # type: ignore[attr-defined]


def refuses(model: type[BaseModel], value: object) -> None:
    with pytest.raises(ValidationError):
        model(id=1, v=value)


@pytest.mark.parametrize(
    ("kind", "low", "high"),
    [
        pytest.param(Integer, *INT32, id="INT"),
        pytest.param(mysql.INTEGER(display_width=11), *INT32, id="mysql INT(11)"),
        pytest.param(mysql.INTEGER(unsigned=True), 0, 2**32 - 1, id="INT UNSIGNED"),
        pytest.param(SmallInteger, -(2**15), 2**15 - 1, id="SMALLINT"),
        pytest.param(mysql.SMALLINT(unsigned=True), 0, 2**16 - 1, id="SMALLINT UNSIGNED"),
        pytest.param(mysql.TINYINT(), -128, 127, id="TINYINT"),
        pytest.param(mysql.TINYINT(display_width=4, unsigned=True), 0, 255, id="TINYINT UNSIGNED"),
        pytest.param(mysql.MEDIUMINT(), -(2**23), 2**23 - 1, id="MEDIUMINT"),
        pytest.param(BigInteger, -(2**63), 2**63 - 1, id="BIGINT"),
        pytest.param(mysql.BIGINT(unsigned=True), 0, 2**64 - 1, id="BIGINT UNSIGNED"),
    ],
)
def test_integers_take_the_range_of_their_column(
    kind: TypeEngine[Any], low: int, high: int
) -> None:
    model = model_of(kind)
    assert accepts(model, low) == low
    assert accepts(model, high) == high
    refuses(model, low - 1)
    refuses(model, high + 1)
    refuses(model, 1.5)


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(Boolean, id="BOOLEAN"),
        pytest.param(mysql.BOOLEAN(), id="mysql BOOLEAN"),
        pytest.param(mysql.TINYINT(display_width=1), id="TINYINT(1)"),
    ],
)
def test_booleans(kind: TypeEngine[Any]) -> None:
    model = model_of(kind)
    assert model.model_fields["v"].annotation is bool
    assert accepts(model, True) is True
    assert accepts(model, 0) is False
    refuses(model, "maybe")


def test_decimal_is_exact_at_the_column_scale() -> None:
    model = model_of(Numeric(12, 4))
    value = accepts(model, "12.5")
    assert isinstance(value, Decimal)
    assert str(value) == "12.5000"
    assert accepts(model, Decimal("99999999.9999")) == Decimal("99999999.9999")
    refuses(model, Decimal("100000000"))  # 9 digits before the point
    refuses(model, "1.00001")  # 5 places
    refuses(model, 1.5)  # floats are not exact


def test_mysql_decimal_and_a_decimal_without_precision() -> None:
    assert str(accepts(model_of(mysql.DECIMAL(10, 2)), 3)) == "3.00"
    assert accepts(model_of(Numeric()), "1.23456") == Decimal("1.23456")


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(Float, id="FLOAT"),
        pytest.param(Double, id="DOUBLE"),
        pytest.param(mysql.DOUBLE(), id="mysql DOUBLE"),
        pytest.param(mysql.FLOAT(), id="mysql FLOAT"),
    ],
)
def test_floating_point(kind: TypeEngine[Any]) -> None:
    model = model_of(kind)
    assert model.model_fields["v"].annotation is float
    assert accepts(model, 1.25) == 1.25


@pytest.mark.parametrize(
    ("kind", "limit"),
    [
        pytest.param(String(5), 5, id="VARCHAR(5)"),
        pytest.param(mysql.CHAR(3), 3, id="CHAR(3)"),
        pytest.param(mysql.VARCHAR(5, collation="utf8mb4_bin"), 5, id="mysql VARCHAR"),
        pytest.param(Text, None, id="TEXT"),
        pytest.param(mysql.LONGTEXT(), None, id="LONGTEXT"),
        pytest.param(String, None, id="VARCHAR"),
    ],
)
def test_text_with_its_length(kind: TypeEngine[Any], limit: int | None) -> None:
    model = model_of(kind)
    assert accepts(model, "abc") == "abc"
    refuses(model, 12)
    if limit is not None:
        assert accepts(model, "é" * limit) == "é" * limit  # characters, not bytes
        refuses(model, "x" * (limit + 1))
    else:
        assert accepts(model, "x" * 10_000) == "x" * 10_000


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(Enum("open", "closed", name="state"), id="Enum"),
        pytest.param(mysql.ENUM("open", "closed"), id="mysql ENUM"),
    ],
)
def test_enum_is_a_literal_of_its_values(kind: TypeEngine[Any]) -> None:
    model = model_of(kind)
    assert accepts(model, "open") == "open"
    assert accepts(model, "closed") == "closed"
    refuses(model, "pending")
    refuses(model, "OPEN")


def test_date_and_time() -> None:
    assert accepts(model_of(Date), date(2024, 2, 29)) == date(2024, 2, 29)
    assert accepts(model_of(Date), "2024-02-29") == date(2024, 2, 29)
    duration = -timedelta(hours=838, minutes=59, seconds=59)
    assert accepts(model_of(Time), duration) == duration
    assert accepts(model_of(Time), "-838:59:59") == duration


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(DateTime, id="DATETIME"),
        pytest.param(mysql.DATETIME(fsp=6), id="DATETIME(6)"),
        pytest.param(mysql.TIMESTAMP(), id="TIMESTAMP"),
    ],
)
def test_timestamps_are_aware_utc(kind: TypeEngine[Any]) -> None:
    model = model_of(kind)
    paris = timezone(timedelta(hours=2))
    moment = accepts(model, datetime(2024, 6, 1, 14, 0, 0, 123456, tzinfo=paris))
    assert moment == datetime(2024, 6, 1, 12, 0, 0, 123456, tzinfo=UTC)
    assert isinstance(moment, datetime)
    assert moment.tzinfo is UTC
    refuses(model, datetime(2024, 6, 1, 12, 0))  # naive: its zone is unknown


def test_json_takes_anything() -> None:
    model = model_of(JSON)
    assert accepts(model, {"a": [1, 2]}) == {"a": [1, 2]}
    assert accepts(model, [1, "x"]) == [1, "x"]


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(LargeBinary, id="BLOB"),
        pytest.param(mysql.LONGBLOB(), id="LONGBLOB"),
        pytest.param(mysql.VARBINARY(16), id="VARBINARY"),
    ],
)
def test_binary_is_bytes(kind: TypeEngine[Any]) -> None:
    model = model_of(kind)
    assert accepts(model, b"\x00\xff") == b"\x00\xff"
    refuses(model, 12)


class Cents(TypeDecorator[Decimal]):
    """A decorated type: the field follows the type it stores as."""

    impl = Numeric(10, 2)
    cache_ok = True


def test_a_type_decorator_maps_as_the_type_it_stores_as() -> None:
    assert str(accepts(model_of(Cents()), "1.5")) == "1.50"


def test_a_nullable_column_is_optional_and_defaults_to_none() -> None:
    model = model_of(Numeric(6, 2), nullable=True)
    assert not model.model_fields["v"].is_required()
    assert model(id=1).v is None  # type: ignore[attr-defined]
    assert str(accepts(model, "2")) == "2.00"
    refuses(model, "0.001")


def test_a_nullable_integer_keeps_its_range() -> None:
    model = model_of(SmallInteger, nullable=True)
    assert accepts(model, None) is None
    refuses(model, 2**15)


def test_a_required_column_must_be_given() -> None:
    model = model_of(Integer)
    with pytest.raises(ValidationError, match="v"):
        model(id=1)


def test_the_model_is_frozen_and_named_after_the_table() -> None:
    model = model_of(Integer)
    assert model.__name__ == "Things"
    instance = model(id=1, v=2)
    with pytest.raises(ValidationError):
        instance.v = 3  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(mysql.SET("a", "b"), id="SET"),
        pytest.param(mysql.BIT(1), id="BIT"),
        pytest.param(NullType(), id="unknown reflected type"),
        pytest.param(Uuid(), id="UUID"),
    ],
)
def test_an_unknown_type_names_table_column_and_type(kind: TypeEngine[Any]) -> None:
    with pytest.raises(UnsupportedColumn) as raised:
        model_of(kind)
    message = str(raised.value)
    assert "table things" in message
    assert "column v" in message
    assert type(kind).__name__ in message
    assert isinstance(raised.value, ValueError)


def test_every_unknown_column_of_a_table_is_named_at_once() -> None:
    table = Table(
        "odd",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("flags", mysql.SET("a")),
        Column("bits", mysql.BIT(8)),
    )
    with pytest.raises(ValueError, match=r"column flags.*column bits"):
        default_spec(table)


EMOJI = "\N{GRINNING FACE}"  # four bytes in UTF-8


@pytest.mark.parametrize(
    ("kind", "limit"),
    [
        (Text, 65_535),
        (mysql.TEXT, 65_535),
        (mysql.TINYTEXT, 255),
        (mysql.MEDIUMTEXT, 16_777_215),
    ],
    ids=["Text", "TEXT", "TINYTEXT", "MEDIUMTEXT"],
)
def test_text_columns_limit_bytes_not_characters(kind: Any, limit: int) -> None:
    model = model_of(kind)
    fits = EMOJI * (limit // 4) + "x" * (limit % 4)
    assert accepts(model, fits) == fits
    with pytest.raises(ValidationError) as raised:
        model(id=1, v=EMOJI * (limit // 4 + 1))
    assert raised.value.errors()[0]["type"] == "too_many_bytes"


def test_a_text_column_holds_its_characters_when_they_are_ascii() -> None:
    assert accepts(model_of(mysql.TINYTEXT), "x" * 255) == "x" * 255
    refuses(model_of(mysql.TINYTEXT), "x" * 256)


def test_varchar_limits_characters_whatever_their_bytes() -> None:
    model = model_of(String(10))
    assert accepts(model, EMOJI * 10) == EMOJI * 10
    refuses(model, EMOJI * 11)


@pytest.mark.parametrize(
    ("kind", "limit"),
    [(LargeBinary, 65_535), (mysql.TINYBLOB, 255), (mysql.VARBINARY(8), 8)],
    ids=["BLOB", "TINYBLOB", "VARBINARY(8)"],
)
def test_binary_columns_limit_bytes(kind: Any, limit: int) -> None:
    model = model_of(kind)
    assert accepts(model, b"\x00" * limit) == b"\x00" * limit
    refuses(model, b"\x00" * (limit + 1))


def test_a_sized_text_is_the_smallest_text_type_for_its_characters() -> None:
    from dal.entities.fields import byte_limit

    assert byte_limit(Text(60)) == 255
    assert byte_limit(Text(100)) == 65_535
    assert byte_limit(Text(20_000)) == 16_777_215
    assert byte_limit(String(100)) is None
