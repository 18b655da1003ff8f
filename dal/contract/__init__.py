"""The migration contract: which DynamoDB items the MySQL rows become.

Load ``config/migration_contract.json`` (the format of AWS's modernization
workshop, ``migrationContract.json``) with :func:`load_contract`; every consumer
(table creation, the DynamoDB adapter's item layout, backfill, comparison)
reads the same typed, validated :class:`Contract`.
"""

from dal.contract.dates import DatePattern
from dal.contract.derivations import (
    AggregateCalculation,
    AggregateOperation,
    Calculation,
    CalculationType,
    CaseCalculation,
    CaseWhen,
    ChainJoin,
    ChainStep,
    ConcatCalculation,
    ConditionalJoin,
    Construction,
    ConstructionType,
    DateFormat,
    DateMathCalculation,
    ForeignKeyJoin,
    Join,
    JoinType,
    JsonConstructionJoin,
    JsonParse,
    LookupTableJoin,
    MultiColumnJoin,
    NumberFormat,
    SelfJoin,
    StringFormat,
    Transformation,
    TransformationType,
)
from dal.contract.errors import ContractError, Location, Problem, TemplateError
from dal.contract.loader import load_contract, parse_contract
from dal.contract.model import (
    KEY_TYPES,
    Attribute,
    AttributeType,
    Contract,
    Entity,
    Gsi,
    Projection,
    Table,
    TableType,
)
from dal.contract.template import Template
from dal.contract.validation import MAX_GSIS, MAX_ITEM_BYTES, template_names

__all__ = [
    "KEY_TYPES",
    "MAX_GSIS",
    "MAX_ITEM_BYTES",
    "AggregateCalculation",
    "AggregateOperation",
    "Attribute",
    "AttributeType",
    "Calculation",
    "CalculationType",
    "CaseCalculation",
    "CaseWhen",
    "ChainJoin",
    "ChainStep",
    "ConcatCalculation",
    "ConditionalJoin",
    "Construction",
    "ConstructionType",
    "Contract",
    "ContractError",
    "DateFormat",
    "DateMathCalculation",
    "DatePattern",
    "Entity",
    "ForeignKeyJoin",
    "Gsi",
    "Join",
    "JoinType",
    "JsonConstructionJoin",
    "JsonParse",
    "Location",
    "LookupTableJoin",
    "MultiColumnJoin",
    "NumberFormat",
    "Problem",
    "Projection",
    "SelfJoin",
    "StringFormat",
    "Table",
    "TableType",
    "Template",
    "TemplateError",
    "Transformation",
    "TransformationType",
    "load_contract",
    "parse_contract",
    "template_names",
]
