"""The server fixtures give working, isolated servers."""

from __future__ import annotations

import pytest
import servers
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from dal.local.dynamodb_local import local_client


def test_mysql_url_is_an_empty_utf8mb4_database(mysql_url: str) -> None:
    engine = create_engine(mysql_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
            charset = connection.execute(text("SELECT @@character_set_database")).scalar_one()
            tables = connection.execute(text("SHOW TABLES")).all()
    finally:
        engine.dispose()

    assert str(make_url(mysql_url).database).startswith("dal_test_")
    assert charset == "utf8mb4"
    assert tables == []


def test_dynamodb_endpoint_answers(dynamodb_endpoint: str) -> None:
    response = local_client(dynamodb_endpoint).list_tables()

    assert "TableNames" in response


def test_table_prefix_tables_are_seen_by_every_client_and_deleted(
    dynamodb_endpoint: str, table_prefix: str
) -> None:
    name = f"{table_prefix}probe"
    creator = local_client(dynamodb_endpoint)
    creator.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )

    assert name in local_client(dynamodb_endpoint).list_tables()["TableNames"]
    assert servers.delete_tables(dynamodb_endpoint, table_prefix) == [name]
    assert name not in creator.list_tables()["TableNames"]


def test_sqlite_url_is_a_file_database(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()

    assert make_url(sqlite_url).database not in (None, "", ":memory:")


@pytest.mark.parametrize(
    ("test_name", "marker", "expected"),
    [
        ("test_mysql_url_is_an_empty_utf8mb4_database", "mysql", True),
        ("test_dynamodb_endpoint_answers", "dynamodb", True),
        ("test_table_prefix_tables_are_seen_by_every_client_and_deleted", "dynamodb", True),
        ("test_sqlite_url_is_a_file_database", "mysql", False),
        ("test_sqlite_url_is_a_file_database", "dynamodb", False),
    ],
)
def test_fixtures_add_server_markers(
    request: pytest.FixtureRequest, test_name: str, marker: str, expected: bool
) -> None:
    items = {item.name: item for item in request.session.items}
    if test_name not in items:
        pytest.skip(f"{test_name} is not part of this run")

    assert (items[test_name].get_closest_marker(marker) is not None) is expected


def test_delete_tables_refuses_an_empty_prefix() -> None:
    with pytest.raises(ValueError, match="prefix is empty"):
        servers.delete_tables("http://127.0.0.1:1", "")


def test_an_unreachable_configured_server_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(servers.MYSQL_VARIABLE, "mysql+pymysql://root@127.0.0.1:1/")

    with pytest.raises(servers.Unavailable, match=r"DAL_TEST_MYSQL_URL=.* does not answer"):
        servers.mysql_server()
