"""SqlIdAllocator: hi/lo blocks from dal_id_blocks, unique across threads, allocators, rollbacks."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, insert

from adapters.mysql import SqlIdAllocator
from examples.store import NewCategory, NewUser
from examples.store.schema import users
from examples.store.sql import build_store
from interfaces import SteppingClock, ValidationFailed

_NOW = SteppingClock().now()


def _new_user(serial: int) -> NewUser:
    return NewUser(username=f"u{serial}", email=f"u{serial}@example.com", password_hash="h")


def test_ids_are_unique_across_threads(engine: Engine) -> None:
    allocator = SqlIdAllocator(engine, block_size=7)
    taken: list[int] = []
    lock = threading.Lock()

    def take() -> None:
        mine = [allocator.allocate("users") for _ in range(60)]
        with lock:
            taken.extend(mine)

    threads = [threading.Thread(target=take) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(taken) == list(range(1, 301))


def test_allocators_sharing_a_database_never_share_an_id(engine: Engine) -> None:
    first, second = SqlIdAllocator(engine, block_size=3), SqlIdAllocator(engine, block_size=4)
    from_first = [first.allocate("orders") for _ in range(10)]
    from_second = [second.allocate("orders") for _ in range(10)]
    from_first += [first.allocate("orders") for _ in range(10)]
    assert not set(from_first) & set(from_second)
    assert from_first == sorted(from_first)
    assert len(set(from_first)) == 20


def test_sequences_are_independent(engine: Engine) -> None:
    allocator = SqlIdAllocator(engine)
    assert [allocator.allocate("users"), allocator.allocate("orders")] == [1, 1]
    assert allocator.allocate("a-sequence-of-its-own") == 1


def test_a_block_starts_above_rows_written_meanwhile(engine: Engine) -> None:
    allocator = SqlIdAllocator(engine, block_size=2)
    assert [allocator.allocate("users"), allocator.allocate("users")] == [1, 2]
    user = _new_user(100).model_dump()
    with engine.begin() as connection:  # the legacy application adds a row itself
        connection.execute(insert(users), {**user, "id": 100, "created_at": _NOW})
    assert allocator.allocate("users") == 101


@pytest.mark.timeout(60)
def test_a_block_is_taken_inside_a_unit_of_work_that_has_written(engine: Engine) -> None:
    store = build_store(engine, clock=SteppingClock(), ids=SqlIdAllocator(engine, block_size=1))
    with store.unit_of_work():
        category = store.categories.create(NewCategory(name="Books"))
        user = store.users.create(_new_user(1))
        second = store.users.create(_new_user(2))
    with store.unit_of_work():
        assert store.categories.get(category.id).name == "Books"
        assert [store.users.get(u.id).username for u in (user, second)] == ["u1", "u2"]


@pytest.mark.timeout(60)
def test_ids_of_a_rolled_back_unit_of_work_are_not_handed_out_again(engine: Engine) -> None:
    store = build_store(engine, clock=SteppingClock(), ids=SqlIdAllocator(engine, block_size=5))
    handed_out: list[int] = []

    def create_then_give_up() -> None:
        with store.unit_of_work():
            store.categories.create(NewCategory(name="Books"))
            handed_out.append(store.users.create(_new_user(1)).id)
            raise RuntimeError("the caller gives up")

    with pytest.raises(RuntimeError):
        create_then_give_up()
    another_process = SqlIdAllocator(engine, block_size=5)
    assert another_process.allocate("users") > max(handed_out)


def test_a_bad_sequence_name_or_block_size_is_refused(engine: Engine) -> None:
    with pytest.raises(ValidationFailed) as raised:
        SqlIdAllocator(engine).allocate("")
    assert raised.value.field == "sequence"
    with pytest.raises(ValueError, match="block_size"):
        SqlIdAllocator(engine, block_size=0)
