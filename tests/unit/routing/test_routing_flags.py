"""Stage flags: precedence, validation at load time, environment overrides."""

from __future__ import annotations

import pytest

from dal import EnvFlags, FlagsError, Stage, StaticFlags
from dal.routing import parse_flags


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


def test_a_bad_environment_variable_names_itself():
    with pytest.raises(FlagsError, match="DAL_STAGE_USERS__GET"):
        EnvFlags(environ={"DAL_STAGE_USERS__GET": "sideways"})
    with pytest.raises(FlagsError, match="DAL_STAGE_USERS__GET__X"):
        EnvFlags(environ={"DAL_STAGE_USERS__GET__X": "off"})


def test_environment_without_a_base_source():
    flags = EnvFlags(environ={"DAL_STAGE_USERS": "complete"})
    assert flags.snapshot().stage("users", "delete") is Stage.COMPLETE
    assert flags.snapshot() is flags.snapshot()
