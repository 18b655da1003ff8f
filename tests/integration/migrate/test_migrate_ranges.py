"""Key-range segments on MariaDB: every key in exactly one range, whatever the key's type."""

from __future__ import annotations

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, insert, select

from dal.migrate.ranges import KeyRange, range_filter, split_ranges


def _table(engine: Engine, kind: type[Integer] | type[String]) -> Table:
    column = Column("key", Integer if kind is Integer else String(20), primary_key=True)
    table = Table(f"ranges_{kind.__name__.lower()}", MetaData(), column)
    table.create(engine)
    return table


def _in_each(engine: Engine, table: Table, ranges: list[KeyRange]) -> list[list[object]]:
    with engine.connect() as connection:
        return [
            list(connection.execute(select(table.c.key).where(range_filter(table, r))).scalars())
            for r in ranges
        ]


def test_integer_keys_split_evenly_and_open_at_both_ends(engine: Engine) -> None:
    table = _table(engine, Integer)
    with engine.begin() as connection:
        connection.execute(insert(table), [{"key": n} for n in range(10, 50)])
    ranges = split_ranges(engine, table, 4)
    with engine.begin() as connection:  # rows added after the split still have a segment
        connection.execute(insert(table), [{"key": 1}, {"key": 99}])

    found = _in_each(engine, table, ranges)

    assert ranges == [KeyRange(None, 20), KeyRange(20, 30), KeyRange(30, 40), KeyRange(40, None)]
    assert [len(keys) for keys in found] == [11, 10, 10, 11]
    assert sorted(k for keys in found for k in keys) == [1, *range(10, 50), 99]


def test_text_keys_split_at_quantiles(engine: Engine) -> None:
    table = _table(engine, String)
    with engine.begin() as connection:
        connection.execute(insert(table), [{"key": f"k{n:03d}"} for n in range(30)])

    found = _in_each(engine, table, split_ranges(engine, table, 3))

    assert [len(keys) for keys in found] == [10, 10, 10]
    assert sorted(k for keys in found for k in keys) == [f"k{n:03d}" for n in range(30)]


def test_an_empty_table_gives_the_first_segment_everything(engine: Engine) -> None:
    table = _table(engine, String)
    ranges = split_ranges(engine, table, 3)
    with engine.begin() as connection:
        connection.execute(insert(table), [{"key": "a"}, {"key": "b"}])

    assert [len(keys) for keys in _in_each(engine, table, ranges)] == [2, 0, 0]
    assert KeyRange.from_json(ranges[1].to_json()) == ranges[1]
