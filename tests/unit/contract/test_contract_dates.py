"""Date patterns of date-format transformations: UTC text that sorts in time order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dal.contract import DatePattern

ISO = DatePattern("YYYY-MM-DD[T]HH:mm:ss[Z]")


def test_render_in_utc() -> None:
    moment = datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone(timedelta(hours=2)))

    assert ISO.render(moment) == "2026-03-04T03:06:07Z"


def test_parse() -> None:
    assert ISO.parse("2026-03-04T03:06:07Z") == datetime(2026, 3, 4, 3, 6, 7, tzinfo=UTC)


def test_milliseconds_and_partial_patterns() -> None:
    moment = datetime(2026, 3, 4, 5, 6, 7, 891_000, tzinfo=UTC)

    assert DatePattern("YYYY-MM-DD HH:mm:ss.SSS").render(moment) == "2026-03-04 05:06:07.891"
    assert DatePattern("YYYY-MM").render(moment) == "2026-03"
    assert DatePattern("YYYY-MM").parse("2026-03") == datetime(2026, 3, 1, tzinfo=UTC)


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ISO.render(datetime(2026, 1, 1))


def test_text_in_another_pattern_is_refused() -> None:
    with pytest.raises(ValueError, match="is not a timestamp in the pattern"):
        ISO.parse("2026-03-04 03:06:07")


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("YYYY-MM-DDTHH", "unknown token 'THH'"),
        ("YY-MM", "unknown token 'YY'"),
        ("[date]", "has no date or time token"),
        ("YYYY-YYYY", "token 'YYYY' appears twice"),
    ],
)
def test_bad_patterns(pattern: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DatePattern(pattern)


_MOMENTS = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(9999, 1, 1), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=0))


@given(first=_MOMENTS, second=_MOMENTS)
def test_text_sorts_like_time_and_parses_back(first: datetime, second: datetime) -> None:
    assert ISO.parse(ISO.render(first)) == first
    assert (ISO.render(first) < ISO.render(second)) == (first < second)
