"""DynamoDB tables from the migration contract: create, drop, describe.

For programmatic use::

    from dal.aws import dynamodb_client
    from dal.contract import load_contract
    from dal.schema import create_tables

    client = dynamodb_client("http://127.0.0.1:8000", "us-east-1")
    create_tables(client, load_contract("config/migration_contract.json"), prefix="dev_")

The ``dal schema`` commands are the same functions behind a command line.
"""

from dal.schema.errors import InvalidTableName, SchemaError, SchemaMismatch, SchemaTimeout
from dal.schema.layout import (
    IndexLayout,
    TableLayout,
    create_index_request,
    create_table_request,
    differences,
    expected_layout,
    live_layout,
    physical_name,
)
from dal.schema.operations import (
    DEFAULT_TIMEOUT,
    TableReport,
    create_tables,
    describe,
    drop_tables,
    planned,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "IndexLayout",
    "InvalidTableName",
    "SchemaError",
    "SchemaMismatch",
    "SchemaTimeout",
    "TableLayout",
    "TableReport",
    "create_index_request",
    "create_table_request",
    "create_tables",
    "describe",
    "differences",
    "drop_tables",
    "expected_layout",
    "live_layout",
    "physical_name",
    "planned",
]
