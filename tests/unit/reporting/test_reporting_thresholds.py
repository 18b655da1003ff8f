"""Thresholds from the flags file: overall and per entity, names and values checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from dal.reporting import (
    THRESHOLDS,
    Thresholds,
    ThresholdsError,
    load_thresholds,
    resolve_thresholds,
)


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "flags.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_overall_and_per_entity_thresholds_are_read_from_the_flags_file(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        """
[stages]
users = "shadow"

[thresholds]
min_comparisons = 500
max_mismatch_rate = 0.01
"users.min_comparisons" = 5000
orders = { max_p95_latency_ratio = 1.5 }
""",
    )

    thresholds = load_thresholds(path)

    users, orders, carts = (thresholds.for_entity(e) for e in ("users", "orders", "carts"))
    assert (users["min_comparisons"], users["max_mismatch_rate"]) == (5000, 0.01)
    assert (orders["min_comparisons"], orders["max_p95_latency_ratio"]) == (500, 1.5)
    assert carts["max_error_rate"] == THRESHOLDS["max_error_rate"].default
    assert thresholds.source == f"flags file {path}"


def test_no_file_means_the_defaults() -> None:
    limits = load_thresholds(None).for_entity("users")

    assert dict(limits.values) == {name: t.default for name, t in THRESHOLDS.items()}
    assert Thresholds().source == load_thresholds(None).source == "built-in defaults"


def test_the_file_given_wins_over_dal_flags_which_wins_over_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    given = _file(tmp_path, "[thresholds]\nmin_comparisons = 7\n")
    configured = tmp_path / "configured.toml"
    configured.write_text("[thresholds]\nmin_comparisons = 9\n", encoding="utf-8")
    monkeypatch.delenv("DAL_SETTINGS_FILE", raising=False)
    monkeypatch.setenv("DAL_FLAGS", str(configured))

    explicit, from_settings = resolve_thresholds(given), resolve_thresholds()
    monkeypatch.delenv("DAL_FLAGS")
    default = resolve_thresholds()

    assert explicit.for_entity("users")["min_comparisons"] == 7
    assert explicit.source == f"flags file {given}"
    assert from_settings.for_entity("users")["min_comparisons"] == 9
    assert from_settings.source == f"flags file {configured} (DAL_FLAGS)"
    assert default.for_entity("users")["min_comparisons"] == THRESHOLDS["min_comparisons"].default
    assert default.source == "built-in defaults"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[thresholds]\nmax_mismatch = 0.1\n", "unknown threshold 'max_mismatch'"),
        (
            "[thresholds]\nmax_error_rate = 1.5\n",
            "max_error_rate is a share and must be within 0..1",
        ),
        ('[thresholds]\n"users.min_comparisons" = 2.5\n', "thresholds.users.min_comparisons"),
        ("[thresholds]\nmax_p99_latency_ratio = 0\n", "must be a ratio above 0"),
        ("[thresholds]\nmax_p99_latency_ratio = nan\n", "must be a number"),
        ('[thresholds]\nmin_comparisons = "many"\n', "expected a number"),
        ("[thresholds\n", "not valid TOML"),
        ('[stages]\nusers = "sideways"\n', "unknown stage"),
    ],
)
def test_a_bad_thresholds_file_is_refused_with_the_key_named(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ThresholdsError, match=message):
        load_thresholds(_file(tmp_path, text))


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ThresholdsError, match="cannot read the thresholds"):
        load_thresholds(tmp_path / "nope.toml")
