"""A design explained in plain words: ``design.md``.

For each DynamoDB table: which entities it holds and why (root, owned child,
adjacency items), their key templates and GSIs, and every access pattern with
the request that serves it and whether that read is strongly consistent; then
what the draft left out (views, tables without a primary key, columns it
cannot carry), what it noted (triggers, stored routines), the columns it marks
sensitive, and optional sections given by the caller (the query log analysis,
the differences from another contract).
"""

from __future__ import annotations

from collections.abc import Iterable

from dal.contract.draft.model import Design, EntityDesign, Served

__all__ = ["render_design"]

_LAYOUTS = {
    "aggregate": "a DynamoDB table per aggregate root, its owned children in its item collections",
    "single": "every entity in one DynamoDB table, roots owning their children's collections",
    "per-table": "a DynamoDB table per MySQL table, a GSI for every lookup",
}


def render_design(design: Design, sections: Iterable[str] = ()) -> str:
    """The text of ``design.md``; ``sections`` are appended as they are (Markdown)."""
    lines = [
        f"# Drafted design of database {design.schema.database or '?'}",
        "",
        f"Layout: **{design.layout.value}**: {_LAYOUTS[design.layout.value]}. "
        "Entity and attribute names are the MySQL table and column names; every key is a "
        "string (`PK`, `SK`, `GSI<n>PK`, `GSI<n>SK`) built from a template of the row's columns.",
        "",
        "Rules: a table per aggregate root; a child owned by a parent (a foreign key with "
        "ON DELETE CASCADE, or a primary key that starts with the parent's) in the parent's "
        "item collection; a many-to-many join table as adjacency items with a GSI for the "
        "other direction; a GSI for each unique index, secondary index and foreign-key lookup "
        "that a partition key does not answer; a table with no relation on its own.",
        "",
    ]
    for name, entities in design.tables.items():
        lines += _table(design, name, entities)
    lines += _left_out(design)
    lines += _sensitive(design)
    for section in sections:
        lines += [section.rstrip(), ""]
    return "\n".join(lines).rstrip() + "\n"


def _table(design: Design, name: str, entities: tuple[EntityDesign, ...]) -> list[str]:
    count = design.gsi_count(name)
    gsis = ", ".join(f"GSI{n}" for n in range(1, count + 1)) or "none"
    lines = [f"## Table {name}", "", f"Keys `PK`, `SK`; GSIs: {gsis}.", ""]
    for entity in entities:
        lines += _entity(entity)
    return lines


def _entity(entity: EntityDesign) -> list[str]:
    lines = [
        f"### {entity.table} ({entity.placement.value})",
        "",
        f"Why: {entity.reason}.",
        "",
        f"- Item key: `PK = {entity.pk}`, `SK = {entity.sk}`.",
    ]
    lines += [f"- {line}" for line in _declaration(entity)]
    for use in entity.gsis:
        lines.append(
            f"- `{use.index_name}`: `{use.index_name}PK = {use.pk}`, "
            f"`{use.index_name}SK = {use.sk}` ({use.pattern})."
        )
    lines += [
        "",
        "| access pattern | columns | from | served by | consistent |",
        "|---|---|---|---|---|",
    ]
    for pattern in entity.patterns:
        consistent = "yes" if pattern.consistent else "no (GSI)"
        lines.append(
            f"| `{entity.table}.{pattern.name}` | {', '.join(pattern.columns)} | {pattern.origin} "
            f"| {pattern.how} | {consistent} |"
        )
    scans = [p for p in entity.patterns if p.served is Served.SCAN]
    if scans:
        lines += ["", f"Served by a Scan: {', '.join(p.name for p in scans)}."]
    notes = [f"`{c.column}`: {c.note}" for c in entity.columns if c.note]
    if notes:
        lines += ["", "Columns:", "", *(f"- {note}" for note in notes)]
    return [*lines, ""]


def _declaration(entity: EntityDesign) -> list[str]:
    """What the entity's declaration says beyond its columns, one short line each."""
    spec = entity.spec
    lines: list[str] = []
    if spec.id_sequence is not None:
        lines.append(
            f"New keys come from the layer's id allocator (sequence `{spec.id_sequence}`)."
        )
    if spec.version is not None:
        lines.append(f"Optimistic concurrency on `{spec.version}`.")
    for unique in spec.unique:
        how = "case-insensitively (its collation)" if unique.case_insensitive else "exactly"
        lines.append(
            f"Unique `{unique.label}`, compared {how}: a guard item per value keeps it unique."
        )
    for reference in spec.references:
        lines.append(
            f"`{', '.join(reference.fields)}` references {reference.target} "
            f"(on delete: {reference.on_delete.value})."
        )
    return lines


def _left_out(design: Design) -> list[str]:
    schema = design.schema
    lines = ["## Left out and noted", ""]
    for view in schema.views:
        lines.append(f"- view `{view}`: skipped (a view holds no rows of its own)")
    for skipped in schema.skipped:
        lines.append(f"- table `{skipped.name}`: skipped: {skipped.reason}")
    for note in design.notes:
        lines.append(f"- {note}")
    for entity in design.entities:
        for column in entity.columns:
            if not column.carried:
                lines.append(f"- column `{entity.table}.{column.column}`: {column.note}")
    for trigger in schema.triggers:
        lines.append(
            f"- trigger `{trigger.name}` ({trigger.timing} on `{trigger.table}`): DynamoDB has no "
            "triggers; the rows it writes in MySQL are copied by the backfill, but a write through "
            "DynamoDB does not run it (make it application code, or a DynamoDB Stream consumer)"
        )
    for routine in schema.routines:
        lines.append(
            f"- {routine.kind} `{routine.name}`: not carried; code that calls it needs a "
            "DynamoDB equivalent"
        )
    if len(lines) == 2:
        lines.append("- nothing")
    return [*lines, ""]


def _sensitive(design: Design) -> list[str]:
    lines = ["## Sensitive columns", ""]
    for entity in design.entities:
        if entity.spec.sensitive:
            names = ", ".join(f"`{n}`" for n in sorted(entity.spec.sensitive))
            lines.append(f"- {entity.table}: {names}")
    if len(lines) == 2:
        lines.append("- none recognized; declare them (`sensitive`) in the module")
    lines += [
        "",
        "They are redacted in records, reports, logs and `dal verify` findings (the names "
        "look like personal data; adjust with `sensitive`/`not_sensitive` in the overrides).",
        "",
    ]
    return lines
