"""Stage flags: precedence, validation at load time, file reload, environment overrides."""

from __future__ import annotations

import os
import textwrap

import pytest

from dal import EnvFlags, FileFlags, FlagsError, Stage, StaticFlags
from dal.routing import parse_flags


def write(path, text: str) -> None:
    """Write ``text`` and move the modification time on, so a reload sees the change."""
    previous = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(textwrap.dedent(text))
    os.utime(path, ns=(previous + 10_000_000, previous + 10_000_000))


def test_the_more_specific_key_wins_and_the_default_is_off():
    flags = StaticFlags({"users": Stage.SHADOW, "users.get": "live"}).snapshot()
    assert flags.stage("users", "get") is Stage.LIVE
    assert flags.stage("users", "create") is Stage.SHADOW
    assert flags.stage("orders", "get") is Stage.OFF


def test_an_unknown_stage_names_the_key_and_the_allowed_values():
    with pytest.raises(FlagsError) as raised:
        StaticFlags({"users.get": "shadowing"})
    message = str(raised.value)
    assert "users.get" in message
    assert "'shadowing'" in message
    assert "off, dual_write, shadow, live, rampdown, complete" in message


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ({"stages": {"users.get.x": "off"}}, "users.get.x"),
        ({"stages": {"1users": "off"}}, "1users"),
        ({"sampling": {"users": 1.5}}, "within 0..1"),
        ({"sampling": {"users": True}}, "expected a number"),
        ({"ignore": {"users": "updated_at"}}, "expected a list"),
        ({"ignore": {"users": ["items[x]"]}}, "malformed path pattern"),
        ({"thresholds": {"max_mismatch_rate": "low"}}, "max_mismatch_rate"),
        ({"stage": {"users": "off"}}, "unknown section(s) stage"),
        ({"stages": ["users"]}, "[stages] must be a table"),
    ],
)
def test_bad_flags_are_refused_with_a_clear_error(document, fragment):
    with pytest.raises(FlagsError) as raised:
        parse_flags(document, "flags.toml")
    assert fragment in str(raised.value)
    assert str(raised.value).startswith("flags.toml")


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
    from pathlib import Path

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


def test_a_bad_environment_variable_names_itself():
    with pytest.raises(FlagsError, match="DAL_STAGE_USERS__GET"):
        EnvFlags(environ={"DAL_STAGE_USERS__GET": "sideways"})
    with pytest.raises(FlagsError, match="DAL_STAGE_USERS__GET__X"):
        EnvFlags(environ={"DAL_STAGE_USERS__GET__X": "off"})


def test_environment_without_a_base_source():
    flags = EnvFlags(environ={"DAL_STAGE_USERS": "complete"})
    assert flags.snapshot().stage("users", "delete") is Stage.COMPLETE
    assert flags.snapshot() is flags.snapshot()
