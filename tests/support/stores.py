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
