"""The reference store on both backends, built as the container builds them."""

from __future__ import annotations

from sqlalchemy import Engine

from dal import ReplayingClock, ReplayingIdAllocator
from dal.routing.processes import ShadowParts
from examples.store import Store
from interfaces import SystemClock


def store_sides(
    engine: Engine,
    dynamodb_endpoint: str,
    prefix: str,
    *,
    ids_engine: Engine | None = None,
    tables_endpoint: str | None = None,
) -> tuple[Store, Store]:
    """The store on ``engine`` (MySQL) and on DynamoDB at ``dynamodb_endpoint``.

    The contract's tables are created under ``prefix`` (through ``tables_endpoint``
    when DynamoDB is reached through a proxy); both sides share one replaying clock
    and id allocator, its ids from ``ids_engine`` (default: ``engine``).
    """
    from adapters.mysql import SqlIdAllocator
    from dal.aws import dynamodb_client
    from dal.contract import load_contract
    from dal.schema import create_tables
    from examples.store import CONTRACT
    from examples.store.dynamodb import build_store as dynamo_store
    from examples.store.sql import build_store as mysql_store

    contract = load_contract(CONTRACT)
    tables = dynamodb_client(tables_endpoint or dynamodb_endpoint, "us-east-1")
    create_tables(tables, contract, prefix)
    clock = ReplayingClock(SystemClock())
    ids = ReplayingIdAllocator(SqlIdAllocator(ids_engine or engine))
    old = mysql_store(engine, clock=clock, ids=ids)
    new = dynamo_store(
        contract=contract, table_prefix=prefix, endpoint=dynamodb_endpoint, clock=clock, ids=ids
    )
    return old, new


def store_tables(dynamodb_endpoint: str, prefix: str) -> str:
    """Create the store's DynamoDB tables under ``prefix`` and return it."""
    from dal.aws import dynamodb_client
    from dal.contract import load_contract
    from dal.schema import create_tables
    from examples.store import CONTRACT

    create_tables(dynamodb_client(dynamodb_endpoint, "us-east-1"), load_contract(CONTRACT), prefix)
    return prefix


def proxied_store_sides(
    engine: Engine,
    proxy_port: int,
    prefix: str,
    *,
    read_timeout: float | None = None,
    ids_engine: Engine | None = None,
) -> tuple[Store, Store]:
    """The store on ``engine`` (MySQL) and on DynamoDB reached through the fault proxy
    listening on ``proxy_port`` (tables already created under ``prefix``).

    ``read_timeout`` seconds: a DynamoDB client that patient (to outlast a freeze);
    None: the store's default client. Both sides share one replaying clock and id
    allocator, its ids from ``ids_engine`` (default: ``engine``).
    """
    from adapters.dynamodb import DynamoClient, connect
    from adapters.mysql import SqlIdAllocator
    from dal.contract import load_contract
    from examples.store import CONTRACT
    from examples.store.dynamodb import build_store as dynamo_store
    from examples.store.sql import build_store as mysql_store

    clock = ReplayingClock(SystemClock())
    ids = ReplayingIdAllocator(SqlIdAllocator(ids_engine or engine))
    endpoint = f"http://127.0.0.1:{proxy_port}"
    old = mysql_store(engine, clock=clock, ids=ids)
    contract = load_contract(CONTRACT)
    if read_timeout is None:
        new = dynamo_store(
            contract=contract, table_prefix=prefix, endpoint=endpoint, clock=clock, ids=ids
        )
    else:
        client = DynamoClient(connect(endpoint, "us-east-1", read_timeout=read_timeout))
        new = dynamo_store(
            contract=contract, table_prefix=prefix, clock=clock, ids=ids, client=client
        )
    return old, new


def unreachable_parts(message: str) -> ShadowParts:
    """A shadow worker's factory that cannot build its parts (raises ``message``)."""
    raise ConnectionError(message)


def shadow_parts(
    mysql_url: str, dynamodb_endpoint: str, prefix: str, records: str | None = None
) -> ShadowParts:
    """A shadow worker process's parts: the store on ``mysql_url`` and on DynamoDB at
    ``dynamodb_endpoint`` (tables under ``prefix``, already created); records to a
    :class:`~dal.routing.recording.JsonlRecorder` on ``records`` (None: back to the router).

    Module-level, so ``functools.partial(shadow_parts, ...)`` is a picklable factory.
    """
    from adapters.mysql import SqlIdAllocator, create_engine
    from dal.contract import load_contract
    from dal.routing import JsonlRecorder
    from examples.store import CONTRACT
    from examples.store.dynamodb import build_store as dynamo_store
    from examples.store.sql import build_store as mysql_store

    engine = create_engine(mysql_url)
    clock = ReplayingClock(SystemClock())
    ids = ReplayingIdAllocator(SqlIdAllocator(engine))
    old = mysql_store(engine, clock=clock, ids=ids)
    new = dynamo_store(
        contract=load_contract(CONTRACT),
        table_prefix=prefix,
        endpoint=dynamodb_endpoint,
        clock=clock,
        ids=ids,
    )
    recorder = None if records is None else JsonlRecorder(records)
    return ShadowParts(old=old, new=new, recorder=recorder, close=engine.dispose)
