"""A design's entity declarations as a Python module: a pydantic model and an EntitySpec per table.

The module is what an application imports and refines (``DAL_DECLARATIONS``
names it): one frozen model per table, one field per carried column (typed as
the column: ``Annotated[int, Field(ge=0, le=255)]``, ``Literal[...]`` for an
ENUM, ``Timestamp``, ``Annotated[Decimal, exact_decimal(12, 4)]``...), and an
:class:`~interfaces.entities.EntitySpec` per table with its key, id sequence,
unique constraints, references, named queries, stamps and sensitive fields.
It is ruff- and mypy-clean as written; a line longer than 100 characters
carries ``# noqa: E501``.
"""

from __future__ import annotations

import keyword
from collections.abc import Iterable

from dal.contract.draft.model import Design, EntityDesign
from dal.entities.defaults import model_name
from interfaces.entities import NamedQuery, Reference, Unique

__all__ = ["render_module"]

_LINE = 100
_STDLIB = ("datetime", "decimal", "typing")
_ALWAYS = {
    ("pydantic", "BaseModel"),
    ("pydantic", "ConfigDict"),
    ("interfaces.entities", "EntitySpec"),
}


def render_module(design: Design, module: str) -> str:
    """The source of module ``module`` declaring every entity of ``design``."""
    entities = design.entities
    imports = set(_ALWAYS)
    body: list[str] = []
    for entity in entities:
        imports |= _model_imports(entity)
        body += ["", "", *_model(entity)]
    for entity in entities:
        spec_lines, spec_imports = _spec(entity)
        imports |= spec_imports
        body += ["", *spec_lines]
    names = [_constant(e.table) for e in entities]
    body += ["", "SPECS = (" + ", ".join(names) + ("," if len(names) == 1 else "") + ")"]
    body.append('"""Every drafted entity, table by table."""')
    exported = sorted([*names, "SPECS", *(model_name(e.table) for e in entities)], key=_isort_key)
    head = [
        f'"""Entity declarations of database {design.schema.database or "?"}: a draft.',
        "",
        "Models and declarations as the reflected tables describe them; refine them here",
        f"(narrower types, named queries with an order) and point DAL_DECLARATIONS at {module}.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        *_import_lines(imports),
        "",
        "__all__ = [",
        *(f'    "{name}",' for name in exported),
        "]",
    ]
    return "\n".join(_fit(line) for line in [*head, *body]) + "\n"


def _fit(line: str) -> str:
    return line if len(line) <= _LINE else f"{line}  # noqa: E501"


def _import_lines(imports: set[tuple[str, str]]) -> list[str]:
    groups: list[list[str]] = [[], [], []]
    modules = sorted({module for module, _ in imports})
    for module in modules:
        names = ", ".join(sorted({n for m, n in imports if m == module}, key=_isort_key))
        rank = 0 if module in _STDLIB else 1  # the layer is a third-party library to the app
        groups[rank].append(f"from {module} import {names}")
    lines: list[str] = []
    for group in groups:
        if group:
            lines += [*group, ""]
    return lines[:-1]


def _isort_key(name: str) -> tuple[int, str]:
    """isort's order of imported names: constants, then classes, then functions."""
    if name.isupper():
        return 0, name
    return (1, name) if name[:1].isupper() else (2, name)


def _model_imports(entity: EntityDesign) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for column in entity.carried:
        found |= column.imports
    return found


def _model(entity: EntityDesign) -> list[str]:
    lines = [
        f"class {model_name(entity.table)}(BaseModel):",
        f'    """A row of table {entity.table}."""',
        "",
        "    model_config = ConfigDict(frozen=True)",
    ]
    names = {entity.spec.column(f): f for f in entity.spec.fields}
    for column in entity.carried:
        annotation = column.annotation
        if column.nullable:
            lines.append(f"    {names[column.column]}: {annotation} | None = None")
        else:
            lines.append(f"    {names[column.column]}: {annotation}")
    return lines


def _constant(table: str) -> str:
    name = "".join(c if c.isalnum() else "_" for c in table).upper()
    if not name.isidentifier() or keyword.iskeyword(name):
        name = f"T_{name}"
    return name


def _tuple(values: Iterable[str]) -> str:
    items = [repr(v) for v in values]
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def _spec(entity: EntityDesign) -> tuple[list[str], set[tuple[str, str]]]:
    spec = entity.spec
    imports: set[tuple[str, str]] = set()
    lines = [
        f"{_constant(entity.table)} = EntitySpec(",
        f"    name={spec.name!r},",
        f"    table={spec.table!r},",
        f"    model={model_name(entity.table)},",
        f"    key={_tuple(spec.key)},",
    ]
    if spec.columns:
        pairs = ", ".join(f"{k!r}: {v!r}" for k, v in spec.columns.items())
        lines.append(f"    columns={{{pairs}}},")
    for role in ("id_sequence", "created_at", "updated_at", "version"):
        value = getattr(spec, role)
        if value is not None:
            lines.append(f"    {role}={value!r},")
    if spec.unique:
        imports.add(("interfaces.entities", "Unique"))
        lines += ["    unique=(", *(f"        {_unique(u)}," for u in spec.unique), "    ),"]
    if spec.references:
        imports |= {("interfaces.entities", "Reference"), ("interfaces.entities", "OnDelete")}
        lines += [
            "    references=(",
            *(f"        {_reference(r)}," for r in spec.references),
            "    ),",
        ]
    if spec.sensitive:
        lines.append(
            f"    sensitive=frozenset({{{', '.join(repr(s) for s in sorted(spec.sensitive))}}}),"
        )
    if spec.queries:
        imports.add(("interfaces.entities", "NamedQuery"))
        lines += ["    queries=(", *(f"        {_query(q)}," for q in spec.queries), "    ),"]
    lines.append(")")
    return lines, imports


def _unique(unique: Unique) -> str:
    flag = ", case_insensitive=True" if unique.case_insensitive else ""
    return f"Unique({_tuple(unique.fields)}{flag})"


def _reference(reference: Reference) -> str:
    parts = [_tuple(reference.fields), repr(reference.target)]
    if reference.target_fields is not None:
        parts.append(f"target_fields={_tuple(reference.target_fields)}")
    parts.append(f"on_delete=OnDelete.{reference.on_delete.name}")
    return f"Reference({', '.join(parts)})"


def _query(query: NamedQuery) -> str:
    return f"NamedQuery({query.name!r}, where={_tuple(query.where)})"
