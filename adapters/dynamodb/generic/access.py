"""Which index finds the items of an entity whose given fields have given values.

:func:`find_access` looks for the base table, then each GSI of the contract, whose
partition key is rendered from exactly the given fields (a copy of the column or
a string template over the columns). It also says what the index can promise:

* ``sparse``: fields whose None leaves an item out of the index (a GSI sort key
  rendered from a nullable field leaves out every item where that field is None);
  such items must be found another way (a filtered Scan);
* ``ordered_by``: the field whose order the index's sort key keeps, when the
  sort key is a plain copy of one field whose stored form sorts like the value
  (numbers as ``N``; text as ``S``). Timestamps are stored as text whose
  precision varies with the value (``...05Z`` sorts after ``...05.5Z``), so no
  timestamp sort key counts as ordered;
* ``consistent``: base-table reads are strongly consistent, GSI reads are not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args, get_origin

from adapters.dynamodb.generic.mapping import EntityMap
from adapters.dynamodb.layout import Index
from dal.contract import Attribute, AttributeType, Projection, StringFormat
from dal.contract.template import Template

__all__ = ["Access", "find_access"]


@dataclass(frozen=True)
class Access:
    """An index that finds an entity's items by the values of ``fields``."""

    index: Index
    fields: tuple[str, ...]
    sparse: tuple[str, ...] = ()
    ordered_by: str | None = None
    projected: bool = True
    """Whether the index holds whole items (else each is read again from the table)."""

    @property
    def consistent(self) -> bool:
        """Whether reads of this index are strongly consistent (the base table)."""
        return self.index.name is None


def find_access(emap: EntityMap, fields: Sequence[str]) -> Access | None:
    """The base table or GSI whose partition key derives from exactly ``fields``; else None."""
    wanted = {emap.spec.column(f) for f in fields}
    base = _base(emap, wanted, tuple(fields))
    if base is not None:
        return base
    for gsi in emap.table.gsis:
        pk = _plain(emap, gsi.pk)
        if pk is None or set(_sources(pk)) != wanted:
            continue
        sk = _plain(emap, gsi.sk) if gsi.sk is not None else None
        if gsi.sk is not None and sk is None:
            continue  # the entity's items never carry this index's sort key
        sources = _sources(sk) if sk is not None else ()
        sparse = tuple(_field(emap, c) for c in sources if emap.nullable(_field(emap, c)))
        ordered = None
        if sk is not None and sk.transformation is None and len(sources) == 1:
            ordered = _ordered(emap, sources[0], sk.type)
        return Access(
            Index(gsi.index_name, gsi.pk, gsi.sk),
            tuple(fields),
            sparse,
            ordered,
            gsi.projection is Projection.ALL,
        )
    return None


def _base(emap: EntityMap, wanted: set[str], fields: tuple[str, ...]) -> Access | None:
    entity, table = emap.entity, emap.table
    if set(entity.pk_template.fields) != wanted:
        return None
    ordered = None
    template = entity.sk_template
    if table.sk is not None and template is not None and _bare(template):
        ordered = _ordered(emap, template.fields[0], table.key_types[table.sk])
    return Access(Index(None, table.pk, table.sk), fields, (), ordered)


def _bare(template: Template) -> bool:
    return len(template.fields) == 1 and template.text == "{" + template.fields[0] + "}"


def _plain(emap: EntityMap, name: str | None) -> Attribute | None:
    """The entity's attribute ``name`` when it is rendered from the row (not joined)."""
    if name is None or not emap.entity.has_attribute(name):
        return None
    attribute = emap.entity.attribute(name)
    return None if attribute.is_derived else attribute


def _sources(attribute: Attribute) -> tuple[str, ...]:
    transformation = attribute.transformation
    if isinstance(transformation, StringFormat):
        return transformation.template.fields
    return attribute.source_columns


def _field(emap: EntityMap, column: str) -> str:
    return emap.field(column) or column


def _ordered(emap: EntityMap, column: str, kind: AttributeType) -> str | None:
    """``column``'s field if its stored form (of type ``kind``) sorts like its values."""
    field = emap.field(column)
    if field is None or emap.nullable(field):
        return None
    base = _bare_type(emap.spec.model.model_fields[field].annotation)
    if kind is AttributeType.N and _is_number(base):
        return field
    if kind is AttributeType.S and _is_text(base):
        return field
    return None


def _bare_type(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _is_number(annotation: Any) -> bool:
    return isinstance(annotation, type) and (
        (issubclass(annotation, int) and not issubclass(annotation, bool))
        or issubclass(annotation, Decimal)
    )


def _is_text(annotation: Any) -> bool:
    if get_origin(annotation) is Literal:
        return all(isinstance(arg, str) for arg in get_args(annotation))
    return annotation is str
