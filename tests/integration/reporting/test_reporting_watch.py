"""`dal watch`: records followed as they are written, through rotations, shown per entity."""

from __future__ import annotations

from pathlib import Path

from dependency_injector import providers
from support.records_writer import start_writer
from typer.testing import CliRunner

from dal.aws import dynamodb_client
from dal.cli import app
from dal.contract import load_contract
from dal.reporting import aggregate_files
from dal.reporting.follow import Follower
from dal.reporting.records import ComparisonLine, Located
from dal.routing import StaticFlags
from dal.schema import create_tables
from dal.settings import Settings
from examples.store import CONTRACT, NewUser
from examples.store.migrations import upgrade
from examples.store.wiring import store_container


def _latencies(follower: Follower) -> list[float]:
    return [
        line.record.latency_ms.new or 0.0
        for line in follower.poll()
        if isinstance(line, Located) and isinstance(line.record, ComparisonLine)
    ]


def test_the_follower_reads_every_record_once_through_rotations(tmp_path: Path):
    folder = tmp_path / "records"
    follower = Follower([str(folder)])
    assert _latencies(follower) == []  # nothing written yet: it keeps watching
    writer = start_writer(folder, 3000)
    seen: list[float] = []
    while writer.poll() is None:
        seen += _latencies(follower)
    writer.communicate(timeout=60)
    seen += _latencies(follower)
    follower.close()

    assert writer.returncode == 0
    assert len(list(folder.glob("*.gz"))) > 20, "the writer rotated many times"
    assert sorted(seen) == [float(n) for n in range(1, 3001)], "each record once"


def test_dal_watch_shows_a_routed_workload(tmp_path: Path, dynamodb_endpoint, table_prefix):
    sqlite_url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(sqlite_url)
    prefix = f"{table_prefix}watch_"
    create_tables(dynamodb_client(dynamodb_endpoint, "us-east-1"), load_contract(CONTRACT), prefix)
    settings = Settings(
        mysql_url=sqlite_url,
        dynamodb_endpoint=dynamodb_endpoint,
        table_prefix=prefix,
        contract=CONTRACT,
        records=tmp_path / "records",
        repair_log=tmp_path / "repair-log",
    )
    container = store_container(settings)
    container.flags.override(providers.Object(StaticFlags({"users": "shadow"})))
    store = container.routed_store()
    with store.unit_of_work():
        users = [
            store.users.create(
                NewUser(username=f"w{n}", email=f"w{n}@x.example", password_hash="h")
            )
            for n in range(5)
        ]
    for user in users * 2:
        with store.unit_of_work():
            store.users.get(user.id)
    container.shutdown_resources()  # the shadow reads are compared before it returns

    result = CliRunner().invoke(
        app,
        [
            "watch",
            "--from",
            str(tmp_path / "records"),
            "--refreshes",
            "2",
            "--interval",
            "0.1",
            "--window",
            "3600",
        ],
        env={"COLUMNS": "140"},
    )

    assert result.exit_code == 0, result.output
    assert result.output.count("dal watch: last 3600 s") == 2
    first, second = [line for line in result.output.splitlines() if "│ users" in line]
    assert first == second, "nothing new between the two refreshes"
    row = second
    cells = [cell.strip() for cell in row.strip("│ ").split("│")]
    assert cells[:2] == ["users", "shadow"]
    assert float(cells[2]) > 0, "comparisons per second"
    stats = aggregate_files([str(tmp_path / "records")]).entities["users"]
    mismatched = sum(op.drifted for op in stats.operations.values())
    assert cells[3] == f"{mismatched / stats.total('comparisons'):.2%}"  # as the report counts
    errors = [
        sum(op.errors.by_origin[side] for op in stats.operations.values())
        for side in ("old", "new")
    ]
    assert cells[4] == "{}/{}".format(*errors)  # a slow DynamoDB Local may fail a shadow read
    assert all(cell != "-" for cell in cells[5:]), "latency of both sides"
