"""DAL_APP_THREADS and DAL_SHADOW_*: the MySQL pool counts the threads and shadow workers."""

from __future__ import annotations

import pytest

from dal.container import POOL_MARGIN, build_container, connection_pool_size
from dal.routing import ShadowSettings
from dal.settings import (
    MAX_APP_THREADS,
    MAX_SHADOW_QUEUE,
    MAX_SHADOW_WORKERS,
    Settings,
    SettingsError,
    load_settings,
)

MYSQL_URL = "mysql+pymysql://root@127.0.0.1:1/none"  # never connected to


def test_unset_or_blank_means_eight_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DAL_APP_THREADS", raising=False)
    assert load_settings().app_threads == 8
    monkeypatch.setenv("DAL_APP_THREADS", " ")
    assert load_settings().app_threads == 8


def test_a_thread_count_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAL_APP_THREADS", "16")
    assert load_settings().app_threads == 16
    assert Settings(app_threads=MAX_APP_THREADS).app_threads == MAX_APP_THREADS


@pytest.mark.parametrize("value", ["0", "-3", str(MAX_APP_THREADS + 1), "many", "2.5", "true"])
def test_a_value_that_is_no_thread_count_is_refused_naming_the_key(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("DAL_APP_THREADS", value)
    with pytest.raises(SettingsError, match="DAL_APP_THREADS: must be"):
        load_settings()


def test_the_pool_holds_a_connection_per_thread_and_shadow_worker_plus_a_margin() -> None:
    shadow = ShadowSettings(workers=6, max_workers=10)
    assert connection_pool_size(16, shadow) == 16 + 10 + POOL_MARGIN  # the shadow pool's bound
    assert connection_pool_size(1, None) == 1 + ShadowSettings().max_workers + POOL_MARGIN


def test_the_containers_mysql_engine_is_pooled_for_the_threads_and_its_shadow_pool() -> None:
    container = build_container(Settings(mysql_url=MYSQL_URL, app_threads=12))
    container.shadow_settings.override(ShadowSettings(workers=3, max_workers=5))
    try:
        pool = container.mysql_engine().pool
        assert pool.size() == 12 + 5 + POOL_MARGIN  # type: ignore[attr-defined]
    finally:
        container.shutdown_resources()


SHADOW_KEYS = ("DAL_SHADOW_WORKERS", "DAL_SHADOW_MAX_WORKERS", "DAL_SHADOW_QUEUE")


def test_the_shadow_pool_defaults_to_four_workers_growing_to_sixteen_and_a_queue_of_sixteen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key in SHADOW_KEYS:
        monkeypatch.setenv(key, " ")  # blank: the default
    settings = load_settings()
    assert (settings.shadow_workers, settings.shadow_max_workers, settings.shadow_queue) == (
        4,
        16,
        16,
    )
    defaults = ShadowSettings()
    assert (defaults.workers, defaults.max_workers, defaults.queue_size) == (4, 16, 16)


def test_the_shadow_pool_settings_reach_the_routers_shadow_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DAL_SHADOW_WORKERS", "2")
    monkeypatch.setenv("DAL_SHADOW_MAX_WORKERS", "24")
    monkeypatch.setenv("DAL_SHADOW_QUEUE", "64")
    container = build_container(load_settings().model_copy(update={"mysql_url": MYSQL_URL}))
    try:
        shadow = container.shadow_settings()
        assert shadow is not None
        assert (shadow.workers, shadow.max_workers, shadow.queue_size) == (2, 24, 64)
        pool = container.mysql_engine().pool
        assert pool.size() == 8 + 24 + POOL_MARGIN  # type: ignore[attr-defined]
    finally:
        container.shutdown_resources()


@pytest.mark.parametrize("key", SHADOW_KEYS)
@pytest.mark.parametrize("value", ["0", "-1", "many", "2.5", "true", "70000"])
def test_a_value_that_is_no_count_is_refused_naming_the_key(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str
) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError, match=f"^{key}: must be"):
        load_settings()


def test_the_limits_of_the_shadow_pool_settings_are_accepted() -> None:
    settings = Settings(
        shadow_workers=MAX_SHADOW_WORKERS,
        shadow_max_workers=MAX_SHADOW_WORKERS,
        shadow_queue=MAX_SHADOW_QUEUE,
    )
    assert settings.shadow_max_workers == MAX_SHADOW_WORKERS
    assert settings.shadow_queue == MAX_SHADOW_QUEUE


def test_max_workers_below_workers_is_refused_naming_both_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DAL_SHADOW_WORKERS", "20")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value) == (
        "DAL_SHADOW_MAX_WORKERS: must be at least DAL_SHADOW_WORKERS (20), got 16"
    )
    monkeypatch.setenv("DAL_SHADOW_MAX_WORKERS", "20")
    assert load_settings().shadow_max_workers == 20
