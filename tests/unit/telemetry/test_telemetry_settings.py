"""DAL_METRICS_PORT: a port number or nothing; a bad value names the key."""

from __future__ import annotations

import pytest

from dal.settings import Settings, SettingsError, load_settings


def test_unset_or_blank_means_no_endpoint(monkeypatch):
    monkeypatch.setenv("DAL_METRICS_PORT", " ")
    assert load_settings().metrics_port is None
    monkeypatch.delenv("DAL_METRICS_PORT")
    assert load_settings().metrics_port is None


def test_a_port_number_is_read(monkeypatch):
    monkeypatch.setenv("DAL_METRICS_PORT", "9464")
    assert load_settings().metrics_port == 9464
    assert Settings(metrics_port=1).metrics_port == 1


@pytest.mark.parametrize("value", ["0", "65536", "-1", "http", "94.64", "true"])
def test_a_value_that_is_no_port_is_refused_naming_the_key(monkeypatch, value):
    monkeypatch.setenv("DAL_METRICS_PORT", value)
    with pytest.raises(SettingsError, match="DAL_METRICS_PORT: must be a port number"):
        load_settings()
