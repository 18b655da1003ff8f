"""Entity declarations for every entity of the contract, written or defaulted.

An application declares what the contract and its tables cannot say (an
:class:`~interfaces.entities.EntitySpec`); every other entity gets a default
declaration built from its MySQL table::

    contract = load_contract("config/migration_contract.json")
    tables = reflect_tables(engine, entity_tables(contract))
    specs = resolve_specs(contract, tables, load_declarations("myapp.declarations"))

See ``docs/entities.md`` for what a default declaration holds.
"""

from dal.entities.collation import COLLATION_INFO, is_case_insensitive
from dal.entities.declarations import load_declarations
from dal.entities.defaults import default_spec
from dal.entities.errors import DeclarationError
from dal.entities.fields import UnsupportedColumn, field_type
from dal.entities.reflect import reflect_tables
from dal.entities.resolve import GUARD_SORT_KEY, entity_tables, resolve_specs

__all__ = [
    "COLLATION_INFO",
    "GUARD_SORT_KEY",
    "DeclarationError",
    "UnsupportedColumn",
    "default_spec",
    "entity_tables",
    "field_type",
    "is_case_insensitive",
    "load_declarations",
    "reflect_tables",
    "resolve_specs",
]
