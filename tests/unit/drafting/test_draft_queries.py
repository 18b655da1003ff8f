"""Query logs: statements read from each log format, grouped by shape, mapped to patterns."""

from __future__ import annotations

from dal.contract.draft.design import design
from dal.contract.draft.model import Layout, Served
from dal.contract.draft.queries import analyze_statements, shape_of
from dal.contract.draft.querylog import read_statements, split_sql

from .tables import shop

GENERAL_LOG = """\
/usr/sbin/mariadbd, Version: 10.11.6-MariaDB-0+deb12u1-log (Debian 12). started with:
Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock
Time\t\t    Id Command\tArgument
261207  5:10:02\t    12 Connect\troot@localhost on shop using Socket
\t\t    12 Query\tSELECT * FROM orders
WHERE customer_id = 7
\t\t    12 Query\tSELECT * FROM orders WHERE customer_id = 8
2026-12-07T05:10:03.123456Z\t   13 Query\tSET autocommit=1
\t\t    12 Quit\t
"""

SLOW_LOG = """\
# Time: 261207  5:10:02
# User@Host: root[root] @ localhost []
# Query_time: 2.000  Lock_time: 0.000 Rows_sent: 1  Rows_examined: 90000
SET timestamp=1796620202;
SELECT id FROM tags
  WHERE label = 'x; y';
# Query_time: 3.000  Lock_time: 0.000 Rows_sent: 1  Rows_examined: 90000
SET timestamp=1796620203;
SELECT id FROM tags WHERE label = 'z';
"""


def test_literals_and_in_lists_do_not_change_the_shape() -> None:
    first, _ = shape_of("select * from orders where id = 7 and placed_at > '2026-01-01'")
    second, _ = shape_of("SELECT * FROM orders WHERE id=8 AND placed_at > '2027-01-01'")
    assert first == second == "SELECT * FROM orders WHERE id = ? AND placed_at > ?"
    assert (
        shape_of("SELECT 1 FROM t WHERE a IN (1, 2, 3)")[0]
        == shape_of("SELECT 1 FROM t WHERE a IN (4)")[0]
    )


def test_a_general_log_gives_its_statements_across_lines() -> None:
    kind, statements = read_statements(GENERAL_LOG)
    assert kind == "general log"
    assert statements == [
        "SELECT * FROM orders\nWHERE customer_id = 7",
        "SELECT * FROM orders WHERE customer_id = 8",
        "SET autocommit=1",
    ]


def test_a_slow_log_and_a_sql_file_split_at_semicolons_outside_quotes() -> None:
    kind, statements = read_statements(SLOW_LOG)
    assert kind == "slow log"
    assert statements == [
        "SELECT id FROM tags\n  WHERE label = 'x; y'",
        "SELECT id FROM tags WHERE label = 'z'",
    ]
    assert split_sql('SELECT \';\' FROM t; -- a comment; here\nDELETE FROM t WHERE a = "\\";"') == [
        "SELECT ';' FROM t",
        'DELETE FROM t WHERE a = "\\";"',
    ]


def test_shapes_map_to_patterns_and_scans_are_listed_with_their_frequency() -> None:
    drafted = design(shop(), Layout.AGGREGATE)
    statements = [
        *["SELECT * FROM orders WHERE customer_id = 1"] * 3,
        "SELECT * FROM customers WHERE id = 4",
        "SELECT * FROM customers c WHERE c.email = 'a@b.c' AND c.vip = 1",
        *["SELECT * FROM tags WHERE label LIKE 'a%'"] * 2,
        "SELECT o.* FROM orders o JOIN customers c ON c.id = o.customer_id"
        " WHERE o.placed_at = '2026-01-01'",
        "INSERT INTO tags (id, label) VALUES (1, 'x')",
        "UPDATE customers SET vip = 0 WHERE vip = 1",
        "BEGIN",
        "SELECT * FROM missing WHERE id = 1",
    ]
    report = analyze_statements(statements, drafted)
    by_shape = {s.shape: s for s in report.shapes}
    collection = by_shape["SELECT * FROM orders WHERE customer_id = ?"]
    assert (collection.count, collection.pattern, collection.served) == (
        3,
        "by_customer_id",
        Served.COLLECTION,
    )
    assert by_shape["SELECT * FROM customers WHERE id = ?"].served is Served.GET
    email = by_shape["SELECT * FROM customers AS c WHERE c.email = ? AND c.vip = ?"]
    assert (email.pattern, email.served) == ("by_email", Served.INDEX)
    assert "filtered on vip" in email.note
    joined = next(s for s in report.shapes if "JOIN" in s.shape)
    assert (joined.pattern, joined.served) == ("by_placed_at", Served.INDEX)
    assert "joins customers" in joined.note
    assert by_shape["INSERT INTO tags (id, label) VALUES (?, ?)"].pattern == "create"
    assert by_shape["SELECT * FROM missing WHERE id = ?"].served is None
    assert [(s.count, s.table) for s in report.scans] == [(2, "tags"), (1, "customers")]
    assert report.other == 1
    text = report.markdown()
    assert "- 2 x `SELECT * FROM tags WHERE label LIKE ?`: no equality on a column" in text
