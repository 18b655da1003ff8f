"""DAL_SHADOW_PROCESSES and DAL_SHADOW_NICE: shadow reads in worker processes, opt-in;
DAL_DEFERRED_NICE, the drainer process's priority."""

from __future__ import annotations

import pytest

from dal.container import build_container
from dal.routing import Router, ShadowSettings, StaticFlags
from dal.routing.shadow import AdaptiveSampling
from dal.settings import MAX_NICE, MAX_SHADOW_PROCESSES, Settings, SettingsError, load_settings

KEYS = ("DAL_SHADOW_PROCESSES", "DAL_SHADOW_NICE", "DAL_DEFERRED_NICE", "DAL_SHADOW_INDEX_COPIES")


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in KEYS:
        monkeypatch.delenv(key, raising=False)


def test_by_default_shadow_reads_stay_on_the_thread_pool() -> None:
    settings = load_settings()
    assert settings.shadow_processes == 0
    assert settings.shadow_nice == 0
    shadow = build_container(settings).shadow_settings()
    assert shadow.processes == 0
    assert shadow == ShadowSettings(
        workers=shadow.workers,
        max_workers=shadow.max_workers,
        queue_size=shadow.queue_size,
        write_budget=shadow.write_budget,
        slow_call=shadow.slow_call,
        process_threads=shadow.process_threads,
    )


def test_the_processes_and_their_priority_reach_the_shadow_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DAL_SHADOW_PROCESSES", "3")
    monkeypatch.setenv("DAL_SHADOW_NICE", "10")
    monkeypatch.setenv("DAL_SHADOW_WORKERS", "2")
    monkeypatch.setenv("DAL_SHADOW_QUEUE", "64")
    shadow = build_container(load_settings()).shadow_settings()
    assert (shadow.processes, shadow.nice, shadow.process_threads) == (3, 10, 2)
    assert shadow.queue_size == 64


def test_the_limits_are_accepted() -> None:
    settings = Settings(shadow_processes=MAX_SHADOW_PROCESSES, shadow_nice=MAX_NICE)
    assert (settings.shadow_processes, settings.shadow_nice) == (MAX_SHADOW_PROCESSES, MAX_NICE)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("DAL_SHADOW_PROCESSES", "-1"),
        ("DAL_SHADOW_PROCESSES", str(MAX_SHADOW_PROCESSES + 1)),
        ("DAL_SHADOW_PROCESSES", "two"),
        ("DAL_SHADOW_PROCESSES", "1.5"),
        ("DAL_SHADOW_NICE", "-5"),
        ("DAL_SHADOW_NICE", "20"),
        ("DAL_SHADOW_NICE", "low"),
        ("DAL_DEFERRED_NICE", "20"),
        ("DAL_DEFERRED_NICE", "-1"),
    ],
)
def test_a_bad_value_is_refused_naming_the_key(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str
) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError, match=f"{key}: must be"):
        load_settings()


def test_shadow_settings_refuse_negative_processes_and_a_nice_out_of_range() -> None:
    with pytest.raises(ValueError, match="processes out of range"):
        ShadowSettings(processes=-1)
    with pytest.raises(ValueError, match="nice out of range"):
        ShadowSettings(nice=25)
    with pytest.raises(ValueError, match="process_threads out of range"):
        ShadowSettings(process_threads=0)


def test_a_router_with_processes_needs_a_factory() -> None:
    with pytest.raises(ValueError, match="shadow_factory"):
        Router(StaticFlags({}), shadow=ShadowSettings(processes=2), metrics_interval=None)


def test_a_thread_mode_router_has_no_processes() -> None:
    router = Router(StaticFlags({}), metrics_interval=None)
    try:
        assert router.shadow_processes() is None
    finally:
        router.close()


def test_adaptive_sampling_halves_when_full_and_climbs_back_when_there_is_room() -> None:
    now = [0.0]
    sampling = AdaptiveSampling(floor=0.1, increase=0.25, cooldown=1.0, clock=lambda: now[0])
    assert sampling.factor == 1.0
    sampling.full()
    assert sampling.factor == 0.5
    sampling.full()  # within the cool-down: one decrease per burst
    assert sampling.factor == 0.5
    for _ in range(5):
        now[0] += 1.0
        sampling.full()
    assert sampling.factor == 0.1  # never below the floor
    sampling.room()  # within the cool-down of the decrease
    assert sampling.factor == 0.1
    now[0] += 1.0
    sampling.room()
    assert sampling.factor == pytest.approx(0.35)
    sampling.room()  # one increase per cool-down
    assert sampling.factor == pytest.approx(0.35)
    for _ in range(10):
        now[0] += 1.0
        sampling.room()
    assert sampling.factor == 1.0  # never above the configured ratio
    assert all(sampling.admit() for _ in range(100))


def test_the_drainer_process_niceness_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().deferred_nice == 0
    monkeypatch.setenv("DAL_DEFERRED_NICE", str(MAX_NICE))
    assert load_settings().deferred_nice == MAX_NICE


def test_index_copies_are_on_unless_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert build_container(load_settings()).shadow_settings().index_copies
    monkeypatch.setenv("DAL_SHADOW_INDEX_COPIES", "false")
    assert not build_container(load_settings()).shadow_settings().index_copies
    monkeypatch.setenv("DAL_SHADOW_INDEX_COPIES", "sometimes")
    with pytest.raises(SettingsError, match="DAL_SHADOW_INDEX_COPIES: "):
        load_settings()
