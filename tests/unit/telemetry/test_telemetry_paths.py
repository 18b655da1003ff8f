"""The cap on distinct field paths of the drift metric."""

from __future__ import annotations

import threading

import pytest

from dal.telemetry.paths import MAX_PATH_LENGTH, OTHER, ROOT, FieldPathCap, fold_path


@pytest.mark.parametrize(
    ("path", "folded"),
    [
        ("price", "price"),
        ("items[2].price", "items[*].price"),
        ("items[10].tags[0]", "items[*].tags[*]"),
        ("[3]", "[*]"),
    ],
)
def test_list_indexes_fold_into_the_wildcard_of_the_ignore_rules(path, folded):
    assert fold_path(path) == folded


def test_paths_past_the_cap_count_as_other_and_admitted_ones_stay():
    cap = FieldPathCap(limit=2)
    assert cap("a") == "a"
    assert cap("items[1].b") == "items[*].b"
    assert cap("c") == OTHER
    assert cap("items[7].b") == "items[*].b"  # the same folded path: already admitted
    assert cap("a") == "a"
    assert cap.admitted == {"a", "items[*].b"}


def test_the_root_and_overlong_paths_take_no_slot():
    cap = FieldPathCap(limit=1)
    assert cap("") == ROOT
    assert cap("x" * (MAX_PATH_LENGTH + 1)) == OTHER
    assert cap("a") == "a"
    assert cap.admitted == {"a"}


def test_a_cap_of_zero_reports_every_path_as_other():
    cap = FieldPathCap(limit=0)
    assert {cap(name) for name in ("a", "b")} == {OTHER}


def test_a_negative_limit_is_refused():
    with pytest.raises(ValueError, match="limit must be 0 or more"):
        FieldPathCap(limit=-1)


def test_threads_racing_never_admit_more_than_the_cap():
    cap = FieldPathCap(limit=10)
    start = threading.Barrier(8)

    def offer(offset: int) -> None:
        start.wait()
        for number in range(100):
            cap(f"field{offset * 100 + number}")

    threads = [threading.Thread(target=offer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cap.admitted) == 10
