"""The draft's design rules, on declared tables (no database)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import Column, ForeignKey, Index, Integer, MetaData, String, Table

from dal.contract import parse_contract
from dal.contract.draft.design import design
from dal.contract.draft.model import DraftError, Layout, Placement, Served
from dal.contract.draft.overrides import Overrides, TableOverride, parse_overrides
from dal.contract.draft.render_contract import render_contract
from dal.contract.draft.render_design import render_design
from dal.contract.draft.render_module import render_module

from .tables import schema_of, shop

SCHEMA = (
    Path(__file__).resolve().parents[2]
    / "fixtures"
    / "contracts"
    / "migration_contract_schema.json"
)


def test_a_child_that_cascades_lives_in_its_parents_collection() -> None:
    orders = design(shop(), Layout.AGGREGATE).entity("orders")
    assert orders.placement is Placement.CHILD
    assert orders.dynamodb_table == "Customers"
    assert (orders.pk, orders.sk) == ("CUSTOMERS#{customer_id}", "ORDERS#{id}")
    by_customer = next(p for p in orders.patterns if p.name == "by_customer_id")
    assert by_customer.served is Served.COLLECTION
    get = orders.patterns[0]
    assert (get.name, get.served) == ("get", Served.INDEX)  # the key lacks customer_id
    assert orders.gsis[0].pk == "ORDERS#{id}"


def test_a_key_that_starts_with_the_parents_makes_a_child_read_by_its_key_alone() -> None:
    drafted = design(shop(), Layout.AGGREGATE)
    lines = drafted.entity("order_lines")
    # orders is a child of customers: order_lines cannot sit under customers' partition
    assert lines.placement is Placement.ROOT
    assert "orders is itself kept in customers's item collections" in lines.reason
    per_table = design(shop(), Layout.AGGREGATE, _overrides(orders=TableOverride("root")))
    lines = per_table.entity("order_lines")
    assert lines.placement is Placement.CHILD
    assert (lines.pk, lines.sk) == ("ORDERS#{order_id}", "ORDER_LINES#{line}")
    assert lines.patterns[0].served is Served.GET
    assert not any(g.pattern == "get" for g in lines.gsis)


def test_a_join_table_is_adjacency_items_with_a_gsi_for_the_other_side() -> None:
    pairs = design(shop(), Layout.AGGREGATE).entity("customer_tags")
    assert pairs.placement is Placement.ADJACENCY
    assert (pairs.pk, pairs.sk) == ("CUSTOMERS#{customer_id}", "CUSTOMER_TAGS#{tag_id}")
    by_tag = next(p for p in pairs.patterns if p.name == "by_tag_id")
    assert by_tag.served is Served.INDEX
    assert pairs.gsis[0].pk == "CUSTOMER_TAGS#tag_id#{tag_id}"


def test_self_references_and_unrelated_tables_stand_alone_with_a_gsi_per_lookup() -> None:
    drafted = design(shop(), Layout.AGGREGATE)
    customers = drafted.entity("customers")
    assert customers.placement is Placement.ROOT
    assert {p.name: p.served for p in customers.patterns} == {
        "get": Served.GET,
        "by_email": Served.INDEX,
        "by_referrer_id": Served.INDEX,
    }
    tags = drafted.entity("tags")
    assert tags.reason == "it references no other table, so no table owns it"
    assert tags.dynamodb_table == "Tags"


def test_a_fulltext_index_and_an_index_on_long_text_are_served_by_a_scan() -> None:
    lines = design(shop(), Layout.PER_TABLE).entity("order_lines")
    assert next(p for p in lines.patterns if p.name == "by_text").served is Served.SCAN
    long_text = Table(
        "pages",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("url", String(1000)),
        Index("idx_pages_url", "url"),
    )
    (_, by_url) = design(schema_of(long_text), Layout.AGGREGATE).entity("pages").patterns
    assert by_url.served is Served.SCAN
    assert "url may hold more than 1024 bytes, too long for a GSI key" in by_url.how


def test_the_layouts_choose_the_tables() -> None:
    assert set(design(shop(), Layout.SINGLE).tables) == {"Shop"}
    per_table = design(shop(), Layout.PER_TABLE)
    assert len(per_table.tables) == 6
    assert all(e.placement is Placement.ROOT for e in per_table.entities)
    named = design(shop(), Layout.SINGLE, table_name="Everything")
    assert set(named.tables) == {"Everything"}


def test_more_lookups_than_gsis_are_served_by_scans() -> None:
    metadata = MetaData()
    columns = [Column(f"c{i}", Integer) for i in range(22)]
    wide = Table(
        "wide",
        metadata,
        Column("id", Integer, primary_key=True),
        *columns,
        *(Index(f"i{i}", f"c{i}") for i in range(22)),
    )
    entity = design(schema_of(wide), Layout.AGGREGATE).entity("wide")
    assert len(entity.gsis) == 20
    assert entity.reason.endswith(
        "no table references it either: a table with no relation, on its own"
    )
    assert [p.name for p in entity.patterns if p.served is Served.SCAN] == ["by_c20", "by_c21"]


def test_overrides_move_and_skip_tables_and_refuse_what_cannot_apply() -> None:
    overrides = _overrides(
        notes=TableOverride(placement="skip"),
        tags=TableOverride(dynamodb_table="Labels"),
        customers=TableOverride(sensitive=("vip",)),
    )
    drafted = design(shop(), Layout.AGGREGATE, overrides)
    assert "notes" not in {e.table for e in drafted.entities}
    assert drafted.entity("tags").dynamodb_table == "Labels"
    assert drafted.entity("customers").spec.sensitive == frozenset({"email", "vip"})
    with pytest.raises(DraftError, match="orders lives in customers's item collections"):
        design(shop(), Layout.AGGREGATE, _overrides(orders=TableOverride(dynamodb_table="O")))
    with pytest.raises(DraftError, match="tags has no NOT NULL foreign key to the primary key"):
        design(shop(), Layout.AGGREGATE, _overrides(tags=TableOverride("child", "customers")))


def test_an_overrides_file_reports_every_problem() -> None:
    problems: list[str] = []
    parse_overrides(
        {"layout": "star", "color": 1, "tables": {"t": {"placement": "side", "x": 1}}}, problems
    )
    assert problems == [
        "color: unknown key (known: layout, table_name, tables)",
        "layout: unknown layout 'star'; allowed: aggregate, single, per-table",
        "tables.t.x: unknown key (known: dynamodb_table, not_sensitive, parent, placement, "
        "sensitive)",
        "tables.t.placement: unknown placement 'side'; allowed: root, child, skip",
    ]


@pytest.mark.parametrize("layout", list(Layout))
def test_the_contract_validates_and_loads_in_every_layout(layout: Layout) -> None:
    drafted = design(shop(), layout)
    contract = render_contract(drafted)
    jsonschema.validate(contract, json.loads(SCHEMA.read_text()))
    loaded = parse_contract(contract)
    sources = {e.source_table for t in loaded.tables for e in t.entities}
    assert sources == {e.table for e in drafted.entities}


def test_design_md_and_the_module_name_every_entity() -> None:
    drafted = design(shop(), Layout.AGGREGATE)
    text = render_design(drafted)
    assert "view `a_view`: skipped" in text
    assert "table `logs`: skipped: no key" in text
    assert "| `orders.by_customer_id` | customer_id | a foreign key to customers |" in text
    source = render_module(drafted, "shop_declarations")
    compile(source, "shop_declarations.py", "exec")
    assert "SPECS = (CUSTOMERS, CUSTOMER_TAGS, ORDERS, NOTES, ORDER_LINES, TAGS)" in source


def test_a_reference_to_a_missing_parent_is_refused() -> None:
    metadata = MetaData()
    child = Table(
        "child",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("p", Integer, ForeignKey("child.id"), nullable=False),
    )
    with pytest.raises(DraftError, match="no table ghost"):
        design(
            schema_of(child), Layout.AGGREGATE, _overrides(child=TableOverride("child", "ghost"))
        )


def _overrides(**tables: TableOverride) -> Overrides:
    return Overrides(tables=tables)
