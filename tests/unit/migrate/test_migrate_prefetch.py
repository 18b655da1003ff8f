"""Pages read ahead by a thread of their own: order, depth and errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from dal.migrate.lookups import Row
from dal.migrate.source import prefetched


def _pages(count: int, read: list[int], reader: list[str]) -> Iterator[list[Row]]:
    for number in range(count):
        read.append(number)
        reader.append(threading.current_thread().name)
        yield [{"id": number}]


def test_every_page_arrives_in_order_read_by_another_thread() -> None:
    read: list[int] = []
    reader: list[str] = []

    pages = list(prefetched(_pages(5, read, reader)))

    assert pages == [[{"id": n}] for n in range(5)]
    assert threading.current_thread().name not in reader


def test_at_most_one_page_is_read_ahead() -> None:
    read: list[int] = []
    stream = prefetched(_pages(10, read, []))

    first = next(stream)
    second = next(stream)
    stream.close()  # waits for the page being read ahead

    assert (first, second) == ([{"id": 0}], [{"id": 1}])
    assert read == [0, 1, 2]


def test_a_failed_read_reaches_the_consumer_after_the_pages_before_it() -> None:
    def failing() -> Iterator[list[Row]]:
        yield [{"id": 1}]
        raise ConnectionError("MySQL went away")

    stream = prefetched(failing())

    assert next(stream) == [{"id": 1}]
    with pytest.raises(ConnectionError, match="went away"):
        next(stream)
