"""Flags files: the TOML format, reload on edit, a bad edit, environment overrides."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from dal import EnvFlags, FileFlags, FlagsError, KnownKeys, Stage


def write(path, text: str) -> None:
    """Write ``text`` and move the modification time on, so a reload sees the change."""
    previous = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(textwrap.dedent(text))
    os.utime(path, ns=(previous + 10_000_000, previous + 10_000_000))


def test_the_file_format(tmp_path):
    path = tmp_path / "flags.toml"
    write(
        path,
        """
        [stages]
        users = "shadow"
        "users.get" = "live"
        orders.create = "dual_write"

        [sampling]
        users = 0.25

        [ignore]
        users = ["updated_at"]
        "users.list_super_admins" = ["items[*].version"]

        [unordered]
        orders = ["items"]

        [thresholds]
        max_mismatch_rate = 0.001
        users.min_comparisons = 500
        """,
    )
    snapshot = FileFlags(path).snapshot()
    assert snapshot.stage("users", "get") is Stage.LIVE
    assert snapshot.stage("users", "create") is Stage.SHADOW
    assert snapshot.stage("orders", "create") is Stage.DUAL_WRITE
    assert snapshot.sampling_ratio("users", "get") == 0.25
    assert snapshot.sampling_ratio("orders", "get") == 1.0
    assert snapshot.ignore_rules("users", "list_super_admins") == (
        "updated_at",
        "items[*].version",
    )
    assert snapshot.unordered_paths("orders", "get") == ("items",)
    assert snapshot.threshold("users", "min_comparisons") == 500
    assert snapshot.threshold("orders", "max_mismatch_rate") == 0.001
    assert snapshot.threshold("orders", "min_comparisons") is None


def test_the_example_flags_file_is_valid():
    example = Path(__file__).parents[3] / "config" / "flags.example.toml"
    snapshot = FileFlags(example).snapshot()
    assert snapshot.stage("users", "get") in set(Stage)


def test_a_bad_file_at_start_raises(tmp_path):
    path = tmp_path / "flags.toml"
    write(path, '[stages]\nusers = "nope"\n')
    with pytest.raises(FlagsError, match="users"):
        FileFlags(path)
    with pytest.raises(FlagsError, match="cannot read"):
        FileFlags(tmp_path / "missing.toml")


def test_edits_are_picked_up_without_a_restart(tmp_path):
    path = tmp_path / "flags.toml"
    write(path, '[stages]\nusers = "shadow"\n')
    flags = FileFlags(path, check_interval=0)
    assert flags.snapshot().stage("users", "get") is Stage.SHADOW
    write(path, '[stages]\nusers = "live"\n')
    assert flags.snapshot().stage("users", "get") is Stage.LIVE


def test_edits_are_checked_at_most_every_interval(tmp_path):
    path = tmp_path / "flags.toml"
    write(path, '[stages]\nusers = "shadow"\n')
    flags = FileFlags(path, check_interval=3600)
    write(path, '[stages]\nusers = "live"\n')
    assert flags.snapshot().stage("users", "get") is Stage.SHADOW


def test_a_bad_edit_keeps_the_last_good_flags_and_reports_the_error(tmp_path, caplog):
    path = tmp_path / "flags.toml"
    write(path, '[stages]\nusers = "shadow"\n')
    reported: list[FlagsError] = []
    flags = FileFlags(path, check_interval=0, on_error=reported.append)

    write(path, '[stages]\nusers = "liv"\n')
    assert flags.snapshot().stage("users", "get") is Stage.SHADOW
    assert "liv" in str(flags.last_error)
    assert len(reported) == 1
    assert "keeping the last good flags" in caplog.text

    write(path, "[stages\n")  # not TOML at all
    assert flags.snapshot().stage("users", "get") is Stage.SHADOW
    assert "not valid TOML" in str(flags.last_error)

    path.unlink()  # an editor replacing the file
    assert flags.snapshot().stage("users", "get") is Stage.SHADOW

    write(path, '[stages]\nusers = "live"\n')
    assert flags.snapshot().stage("users", "get") is Stage.LIVE
    assert flags.last_error is None


def test_environment_variables_override_the_file(tmp_path):
    path = tmp_path / "flags.toml"
    write(path, '[stages]\nusers = "shadow"\n"users.get" = "shadow"\norders = "live"\n')
    environ = {"DAL_STAGE_USERS": "off", "DAL_STAGE_ORDERS__GET": "LIVE", "OTHER": "x"}
    flags = EnvFlags(FileFlags(path, check_interval=0), environ=environ)
    snapshot = flags.snapshot()
    assert snapshot.stage("users", "get") is Stage.OFF  # the override wins for the whole entity
    assert snapshot.stage("orders", "get") is Stage.LIVE
    assert snapshot.stage("orders", "create") is Stage.LIVE
    write(path, '[stages]\nusers = "shadow"\norders = "rampdown"\n')
    assert flags.snapshot().stage("orders", "create") is Stage.RAMPDOWN  # the file still reloads
    assert flags.snapshot().stage("users", "create") is Stage.OFF


def test_a_router_reports_a_rejected_edit_in_its_metrics(tmp_path):
    from dal import MemoryRecorder, Router

    path = tmp_path / "flags.toml"
    write(path, '[stages]\nusers = "shadow"\n')
    recorder = MemoryRecorder()
    with Router(EnvFlags(FileFlags(path, check_interval=0)), recorder) as router:
        write(path, '[stages]\nusers = "sideways"\n')
        router.flush()
    assert "sideways" in recorder.metrics[0].metrics["flags_error"]


KNOWN = KnownKeys({"users": ("get", "create", "list_super_admins"), "orders": ("get", "create")})


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            '[stages]\nuserz = "shadow"\n',
            "stages.userz: unknown entity 'userz' (did you mean 'users'?)",
        ),
        (
            '[stages]\n"users.gett" = "live"\n',
            "stages.users.gett: users has no operation 'gett' (did you mean 'get'?)",
        ),
        (
            "[sampling]\nordres = 0.5\n",
            "sampling.ordres: unknown entity 'ordres' (did you mean 'orders'?)",
        ),
        ('[ignore]\n"orders.creat" = ["x"]\n', "(did you mean 'create'?)"),
        ('[unordered]\nzebras = ["x"]\n', "unknown entity 'zebras'; known: orders, users"),
    ],
    ids=["entity", "operation", "sampling", "ignore", "no-close-match"],
)
def test_a_key_naming_no_entity_or_operation_is_refused_with_the_closest_name(
    tmp_path, text, fragment
):
    path = tmp_path / "flags.toml"
    write(path, text)

    with pytest.raises(FlagsError) as raised:
        FileFlags(path, check=KNOWN)

    assert str(path) in str(raised.value)
    assert fragment in str(raised.value)


def test_thresholds_keys_are_not_entities(tmp_path):
    path = tmp_path / "flags.toml"
    write(path, "[thresholds]\nmax_mismatch_rate = 0.01\n")

    assert FileFlags(path, check=KNOWN).snapshot().thresholds == {"max_mismatch_rate": 0.01}


def test_an_edit_naming_an_unknown_entity_is_rejected_and_the_last_good_flags_kept(tmp_path):
    path = tmp_path / "flags.toml"
    write(path, '[stages]\nusers = "shadow"\n')
    flags = FileFlags(path, check_interval=0, check=KNOWN)

    write(path, '[stages]\nusers = "live"\nuserz = "live"\n')

    assert flags.snapshot().stage("users", "get") is Stage.SHADOW
    assert "did you mean 'users'?" in str(flags.last_error)


def test_an_environment_override_naming_an_unknown_entity_is_refused():
    with pytest.raises(FlagsError, match=r"DAL_STAGE_USERZ: unknown entity 'userz' \(did you mean"):
        EnvFlags(environ={"DAL_STAGE_USERZ": "live"}, check=KNOWN)
    with pytest.raises(FlagsError, match=r"DAL_STAGE_USERS__GETT: users has no operation 'gett'"):
        EnvFlags(environ={"DAL_STAGE_USERS__GETT": "live"}, check=KNOWN)
