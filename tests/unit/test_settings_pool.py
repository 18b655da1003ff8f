"""DAL_APP_THREADS: the application's threads size the MySQL pool, with the shadow workers."""

from __future__ import annotations

import pytest

from dal.container import POOL_MARGIN, build_container, connection_pool_size
from dal.routing import ShadowSettings
from dal.settings import MAX_APP_THREADS, Settings, SettingsError, load_settings

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
