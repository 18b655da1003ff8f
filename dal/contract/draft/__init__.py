"""Draft a migration contract, entity declarations and a design from a live database.

::

    from sqlalchemy import create_engine
    from dal.contract.draft import DraftOptions, draft, write_draft

    drafted = draft(create_engine(url), DraftOptions(module="shop_declarations"))
    write_draft(drafted, Path("draft"))  # migration_contract.json, shop_declarations.py, design.md

The rules are in ``docs/draft.md``: :mod:`~dal.contract.draft.inspect` reads the
schema, :mod:`~dal.contract.draft.ownership` and :mod:`~dal.contract.draft.design`
decide the layout, the ``render_*`` modules write the three files,
:mod:`~dal.contract.draft.queries` maps a query log to the access patterns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from dal.contract.draft.compare import compare_section
from dal.contract.draft.design import design
from dal.contract.draft.inspect import SchemaInfo, inspect_schema
from dal.contract.draft.model import Design, DraftError, Layout
from dal.contract.draft.overrides import Overrides, load_overrides
from dal.contract.draft.queries import QueryReport, analyze_queries
from dal.contract.draft.render_contract import render_contract
from dal.contract.draft.render_design import render_design
from dal.contract.draft.render_module import render_module

__all__ = [
    "CONTRACT_FILE",
    "DESIGN_FILE",
    "Design",
    "DraftError",
    "DraftOptions",
    "Drafted",
    "Layout",
    "SchemaInfo",
    "draft",
    "inspect_schema",
    "write_draft",
]

CONTRACT_FILE = "migration_contract.json"
DESIGN_FILE = "design.md"


@dataclass(frozen=True)
class DraftOptions:
    """What to draft: the layout (default: the overrides file's, else aggregate), the
    generated module's name, and the optional overrides, query log and contract to compare."""

    layout: Layout | None = None
    module: str = "declarations"
    overrides: Path | None = None
    queries: Path | None = None
    compare: Path | None = None
    table_name: str | None = None


@dataclass(frozen=True)
class Drafted:
    """A draft: the design and the text of its three files."""

    design: Design
    contract: dict[str, Any]
    module: str
    module_source: str
    design_md: str
    queries: QueryReport | None


def draft(engine: Engine, options: DraftOptions | None = None) -> Drafted:
    """Draft from the database behind ``engine``; DraftError for bad options or overrides."""
    options = options or DraftOptions()
    if not all(part.isidentifier() for part in options.module.split(".")):
        raise DraftError(f"module name {options.module!r} is not a Python module name")
    overrides = load_overrides(options.overrides) if options.overrides else Overrides()
    layout = options.layout or overrides.layout or Layout.AGGREGATE
    drafted = design(
        inspect_schema(engine), layout, overrides, options.table_name or overrides.table_name
    )
    queries = analyze_queries(options.queries, drafted) if options.queries else None
    sections = [queries.markdown()] if queries else []
    contract = render_contract(drafted)
    if options.compare is not None:
        sections.append(compare_section(drafted, options.compare))
    return Drafted(
        drafted,
        contract,
        options.module,
        render_module(drafted, options.module),
        render_design(drafted, sections),
        queries,
    )


def write_draft(drafted: Drafted, out: Path) -> list[Path]:
    """Write the three files into ``out`` (created as needed); returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    module_file = out / (drafted.module.rsplit(".", 1)[-1] + ".py")
    files = {
        out / CONTRACT_FILE: json.dumps(drafted.contract, indent=2, ensure_ascii=False) + "\n",
        module_file: drafted.module_source,
        out / DESIGN_FILE: drafted.design_md,
    }
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return list(files)
