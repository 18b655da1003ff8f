"""Settings of the timeouts and the secondary's budget: defaults, values, clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dal.settings import Settings, SettingsError, load_settings

TIMEOUT_KEYS = (
    "DAL_MYSQL_CONNECT_TIMEOUT",
    "DAL_MYSQL_READ_TIMEOUT",
    "DAL_MYSQL_WRITE_TIMEOUT",
    "DAL_DYNAMODB_CONNECT_TIMEOUT",
    "DAL_DYNAMODB_READ_TIMEOUT",
    "DAL_SECONDARY_WRITE_BUDGET",
    "DAL_SECONDARY_SLOW_THRESHOLD",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("DAL_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults() -> None:
    settings = load_settings()

    assert settings.mysql_connect_timeout == 5.0
    assert settings.mysql_read_timeout == 10.0
    assert settings.mysql_write_timeout == 10.0
    assert settings.dynamodb_connect_timeout == 2.0
    assert settings.dynamodb_read_timeout == 5.0
    assert settings.secondary_write_budget == 1.0
    assert settings.secondary_slow_threshold == 0.5


def test_values_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for number, key in enumerate(TIMEOUT_KEYS, start=1):
        monkeypatch.setenv(key, f" {number}.5 ")

    settings = load_settings()

    assert settings.mysql_connect_timeout == 1.5
    assert settings.secondary_slow_threshold == 7.5


def test_an_empty_value_keeps_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAL_MYSQL_READ_TIMEOUT", "")

    assert load_settings().mysql_read_timeout == 10.0


@pytest.mark.parametrize("key", TIMEOUT_KEYS)
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("soon", "must be a number of seconds such as 2.5, got 'soon'"),
        ("0", "must be more than 0 and at most 3600 seconds, got '0'"),
        ("-1", "must be more than 0 and at most 3600 seconds"),
        ("nan", "must be more than 0 and at most 3600 seconds"),
        ("inf", "must be more than 0 and at most 3600 seconds"),
        ("3601", "must be more than 0 and at most 3600 seconds"),
    ],
)
def test_bad_values_name_the_key(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str, message: str
) -> None:
    monkeypatch.setenv(key, value)

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert str(raised.value).startswith(f"{key}: {message}")


def test_a_misspelt_timeout_key_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAL_MYSQL_READ_TIMOUT", "3")

    with pytest.raises(SettingsError, match="did you mean DAL_MYSQL_READ_TIMEOUT"):
        load_settings()


def test_keyword_arguments_are_validated_too() -> None:
    with pytest.raises(ValueError, match="DAL_SECONDARY_WRITE_BUDGET: must be more than 0"):
        Settings(secondary_write_budget=0)


def test_the_container_applies_them() -> None:
    from dal.container import build_container

    settings = Settings(
        dynamodb_endpoint="http://127.0.0.1:1",
        dynamodb_connect_timeout=0.7,
        dynamodb_read_timeout=1.5,
        secondary_write_budget=0.8,
        secondary_slow_threshold=0.2,
    )
    container = build_container(settings)
    try:
        shadow = container.shadow_settings()
        assert shadow is not None
        assert (shadow.secondary_write_seconds, shadow.slow_call_seconds("read")) == (0.8, 0.2)
        config = container.dynamodb_client().connection.client.meta.config
        assert (config.connect_timeout, config.read_timeout) == (0.7, 1.5)
    finally:
        container.shutdown_resources()
