"""The composition root: the one place that builds concrete adapters from :class:`Settings`.

Application code and the CLI ask the container for what they need::

    container = build_container()          # settings from DAL_* variables
    store = container.routed_store()       # MySQL and DynamoDB behind the router
    with store.unit_of_work():
        store.repository("tickets").get({"project_id": 1, "number": 7})
    container.shutdown_resources()         # closes the router and the engine

Singletons are thread-safe (built once under a lock); the engine is a Resource, disposed by
``shutdown_resources()``. Every provider can be overridden in tests, for example
``container.clock.override(SteppingClock())``.
Adapters are imported inside the factories below, on first use, so importing this module
costs nothing and a CLI command pulls in only the backends it uses.

Providers are grouped by what they build: settings, runtime (clock), the MySQL engine,
ids, the entities (every entity of the contract: ``DAL_DECLARATIONS`` or defaults from the
reflected tables, and each backend's generic repositories of them), the stores, the
router, the migration tools; add a group per new backend or service the same way. An
application with typed repositories of its own (an :class:`~interfaces.EntityStore`
subclass) overrides the store providers; ``examples/store/wiring.py`` shows how.

The router group puts both stores behind one store routed by the stage flags
(``DAL_FLAGS``, with ``DAL_STAGE_*`` overrides), keeping failed secondary writes in the
repair log (``DAL_REPAIR_LOG``, default ``var/dal/repair-log.jsonl``) and writing its
records as JSON lines (``DAL_RECORDS``, default ``var/dal/records.jsonl``); a file that
cannot be written stops the build with SettingsError::

    store = container.routed_store()       # every entity routed old/new by its stage
    container.shutdown_resources()         # closes the router (flushes shadow work), the
                                           # records file and the engine
    container.recorder.override(providers.Object(MemoryRecorder()))   # records elsewhere

Its two stores share one :class:`~dal.routing.ReplayingClock` and
:class:`~dal.routing.ReplayingIdAllocator`, so a dual write stores the same ids and
timestamps on both sides.

The migration group gives ``dal backfill``, ``dal verify`` and ``dal repair`` their tools
(:class:`~dal.migrate.tools.MigrationTools`), over the same contract and stage flags::

    container.migration_workers.override(8)   # pool sizes for 8 worker threads
    tools = container.migration_tools()        # engine disposed by shutdown_resources()

Ids come from the allocator ``DAL_ID_SOURCE`` names: ``mysql`` (the hi/lo table in the
MySQL database) or ``dynamodb`` (counters in ``{prefix}dal_sequences``, a table created on
the first id). ``container.id_handover()`` compares and syncs the two (``docs/ids.md``).
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dependency_injector import containers, providers

from dal.routing import (
    CompareSettings,
    DeferredRepositories,
    EnvFlags,
    FileFlags,
    FlagSource,
    JsonlRecorder,
    KnownKeys,
    Recorder,
    RepairLog,
    ReplayingClock,
    ReplayingIdAllocator,
    Router,
    ShadowParts,
    ShadowSettings,
    StaticFlags,
)
from dal.routing.redaction import DEFAULT_SENSITIVE
from dal.settings import Settings, SettingsError, load_settings, require_mysql_url
from dal.telemetry import Telemetry, default_telemetry
from interfaces import Clock, EntityStore, IdAllocator, SystemClock
from interfaces.entities import EntitySpec
from interfaces.repository import Repositories

if TYPE_CHECKING:
    from sqlalchemy import Engine, Table

    from adapters.dynamodb import DynamoClient
    from adapters.mysql.timeouts import SqlTimeouts
    from dal.contract import Contract
    from dal.idsource import IdHandover
    from dal.migrate.drainprocess import DrainerProcess
    from dal.migrate.plan import SourcePlan
    from dal.migrate.tools import MigrationTools
    from dal.routing.deferred import DrainFunction

__all__ = ["POOL_MARGIN", "Container", "build_container", "connection_pool_size"]

log = logging.getLogger("dal.container")

# --- factories: the only imports of concrete adapters -------------------------------------


POOL_MARGIN = 2
"""Connections a pool keeps beyond one per application thread and shadow worker."""


_DYNAMODB_POOL = 20  # the DynamoDB adapter's default pool, kept as the least


def connection_pool_size(app_threads: int, shadow: ShadowSettings | None) -> int:
    """A connection per application thread and shadow worker, plus :data:`POOL_MARGIN`.

    The size of the MySQL pool and of the DynamoDB client's pool. A shadow read
    takes a connection of its own while the caller holds one, so a pool sized for
    the application's threads only would make callers wait for the shadow workers.
    The shadow pool counts at its largest (``max_workers``): under load it grows to it.
    """
    workers = (shadow if shadow is not None else ShadowSettings()).max_workers
    return app_threads + workers + POOL_MARGIN


def _mysql_engine(
    url: str | None, settings: Settings, shadow: ShadowSettings | None
) -> Iterator[Engine]:
    """The configured SQLAlchemy engine of the old store; disposed at shutdown.

    Its pool is sized by :func:`connection_pool_size` from ``DAL_APP_THREADS`` and the
    shadow pool (SQLite keeps its own pooling). SettingsError naming ``DAL_MYSQL_URL``
    when it is not set.
    """
    from adapters.mysql import create_engine

    url = require_mysql_url(url)
    pool = (
        {}
        if url.startswith("sqlite")
        else {"pool_size": connection_pool_size(settings.app_threads, shadow)}
    )
    engine = create_engine(url, timeouts=_sql_timeouts(settings), **pool)
    try:
        yield engine
    finally:
        engine.dispose()


def _sql_timeouts(settings: Settings) -> SqlTimeouts:
    """``DAL_MYSQL_CONNECT_TIMEOUT``, ``DAL_MYSQL_READ_TIMEOUT`` and ``DAL_MYSQL_WRITE_TIMEOUT``."""
    from adapters.mysql.timeouts import SqlTimeouts

    return SqlTimeouts(
        connect=settings.mysql_connect_timeout,
        read=settings.mysql_read_timeout,
        write=settings.mysql_write_timeout,
    )


def _sql_id_allocator(engine: Engine) -> IdAllocator:
    from adapters.mysql import SqlIdAllocator

    allocator: IdAllocator = SqlIdAllocator(engine)
    return allocator


def _sequences_table_creator(settings: Settings) -> Callable[[], str]:
    """Creates ``{prefix}dal_sequences`` unless it exists; returns its name."""
    from adapters.dynamodb import ensure_sequences_table
    from dal.aws import aws_errors, dynamodb_client

    endpoint, region = settings.dynamodb_endpoint, settings.dynamodb_region
    client = dynamodb_client(endpoint, region)

    def create() -> str:
        with aws_errors(endpoint, region):
            return ensure_sequences_table(client, settings.table_prefix)

    return create


def _dynamodb_id_allocator(
    settings: Settings, client: DynamoClient, create_table: Callable[[], str]
) -> IdAllocator:
    """Ids from DynamoDB counters; the counters' table is created before the first id."""
    from adapters.dynamodb import DynamoIdAllocator
    from dal.idsource import PreparedIdAllocator

    counters = DynamoIdAllocator(client, settings.table_prefix)
    return PreparedIdAllocator(counters, create_table)


def _id_handover(
    engine: Engine,
    settings: Settings,
    create_table: Callable[[], str],
    specs: Callable[[], Mapping[str, EntitySpec]],
    extra_sequences: Mapping[str, str],
) -> IdHandover:
    """MySQL's high-water marks next to the DynamoDB counters of the same sequences.

    The sequences are those of every entity with an allocated key, and
    ``extra_sequences`` (sequence -> key column of the table it is named after) for
    ids an application allocates for tables that are not entities.
    """
    from adapters.dynamodb.ids import SEQUENCES_TABLE
    from dal.aws import dynamodb_client
    from dal.idsource import DynamoSequences, IdHandover, SqlHighWater

    sequences = {
        spec.id_sequence: spec.column(spec.key[0])
        for spec in specs().values()
        if spec.id_sequence is not None
    }
    sequences.update(extra_sequences)
    client = dynamodb_client(settings.dynamodb_endpoint, settings.dynamodb_region)
    table = f"{settings.table_prefix}{SEQUENCES_TABLE}"
    counters = DynamoSequences(client, table, create_table)
    return IdHandover(SqlHighWater(engine, sequences), counters, sequences)


def _declarations(name: str | None) -> tuple[EntitySpec, ...]:
    """The application's declarations named by ``DAL_DECLARATIONS`` (none when unset)."""
    if name is None:
        return ()
    from dal.entities import load_declarations

    return tuple(load_declarations(name))


def _entity_specs(
    contract: Contract, engine: Engine, declared: tuple[EntitySpec, ...]
) -> Mapping[str, EntitySpec]:
    """Every entity of the contract: the declared ones, the rest defaulted from their tables."""
    from dal.entities import entity_tables, reflect_tables, resolve_specs

    tables = reflect_tables(engine, entity_tables(contract))
    return resolve_specs(contract, tables, declared)


def _sql_entities(
    engine: Engine, specs: Callable[[], Mapping[str, EntitySpec]], clock: Clock, ids: IdAllocator
) -> Repositories:
    """The generic SQL repositories of every entity, built on first use."""

    def build() -> Repositories:
        from adapters.sql import SqlRepositories

        return SqlRepositories(engine, specs().values(), clock=clock, ids=ids)

    return DeferredRepositories(build)


def _dynamodb_entities(
    client: Callable[[], DynamoClient],
    contract: Contract,
    specs: Callable[[], Mapping[str, EntitySpec]],
    prefix: str,
    clock: Clock,
    ids: IdAllocator,
) -> Repositories:
    """The generic DynamoDB repositories of every entity, built on first use."""

    def build() -> Repositories:
        from adapters.dynamodb.entities import DynamoRepositories

        return DynamoRepositories(
            client(), contract, specs().values(), table_prefix=prefix, clock=clock, ids=ids
        )

    return DeferredRepositories(build)


def _memory_entities(specs: Callable[[], Mapping[str, EntitySpec]], clock: Clock) -> Repositories:
    """The in-memory repositories of every entity, built on first use."""

    def build() -> Repositories:
        from adapters.memory.generic import MemoryRepositories

        return MemoryRepositories(specs().values(), clock=clock)

    return DeferredRepositories(build)


def _dynamodb_client(settings: Settings, shadow: ShadowSettings | None) -> DynamoClient:
    """The layer's DynamoDB client (the adapter's retries and errors, the settings' timeouts),
    with at least a connection per thread that may use it (:func:`connection_pool_size`)."""
    from adapters.dynamodb import DynamoClient, connect

    connection = connect(
        settings.dynamodb_endpoint,
        settings.dynamodb_region,
        connect_timeout=settings.dynamodb_connect_timeout,
        read_timeout=settings.dynamodb_read_timeout,
        max_pool_connections=max(
            _DYNAMODB_POOL, connection_pool_size(settings.app_threads, shadow)
        ),
    )
    return DynamoClient(connection)


def _entity_store(entities: Repositories) -> EntityStore:
    """A store of generic repositories; its unit of work is theirs (built on first use)."""
    return EntityStore(unit_of_work=lambda: entities.unit_of_work(), entities=entities)


def _contract(path: Path) -> Contract:
    from dal.contract import load_contract

    return load_contract(path)


def _flags(path: Path | None, operations: Mapping[str, frozenset[str]]) -> FlagSource:
    """The flags file (reloaded when it changes) if one is set, under ``DAL_STAGE_*`` overrides.

    A key naming no entity of ``operations``, or no operation of its entity, is refused
    (FlagsError naming the closest name); a bad edit of the file keeps the last good flags.
    """
    check = KnownKeys(operations)
    base = FileFlags(path, check=check) if path is not None else StaticFlags()
    return EnvFlags(base, check=check)


def _flag_operations(
    contract: Contract, declarations: tuple[EntitySpec, ...], store_type: type[EntityStore]
) -> Mapping[str, frozenset[str]]:
    """Every entity flags may name, with the operations of its repositories.

    The entities are the contract's (named by their declarations); each has the
    generic repository's operations, and a typed repository's (a field of an
    :class:`~interfaces.EntityStore` subclass) as well.
    """
    import dataclasses
    import typing

    from dal.routing.proxy import protocol_operations
    from interfaces.repository import Repository

    names = {spec.table: spec.name for spec in declarations}
    generic = frozenset(protocol_operations(Repository))
    operations = {
        names.get(entity.source_table, entity.source_table): generic
        for table in contract.tables
        for entity in table.entities
    }
    if dataclasses.is_dataclass(store_type) and store_type is not EntityStore:
        base = {field.name for field in dataclasses.fields(EntityStore)}
        hints = typing.get_type_hints(store_type)
        for field in dataclasses.fields(store_type):
            if field.name not in base:
                typed = frozenset(protocol_operations(hints[field.name]))
                operations[field.name] = operations.get(field.name, frozenset()) | typed
    return operations


def _sensitive(specs: Iterable[EntitySpec]) -> frozenset[str]:
    """The fields never shown: the layer's defaults and every field a declaration marks."""
    return frozenset(DEFAULT_SENSITIVE).union(*(spec.sensitive for spec in specs))


def _compare_settings(contract: Contract, declarations: tuple[EntitySpec, ...]) -> CompareSettings:
    """Comparison rules from the contract: its denormalized attributes are snapshots, not drift.

    Each source table's denormalized attributes count for the entity of that table:
    the declared entity's name, else the table's name (the default entity name). Every
    field a declaration marks sensitive is redacted in what the router records.
    """
    names = {spec.table: spec.name for spec in declarations}
    sensitive = _sensitive(declarations)
    denormalized: dict[str, set[str]] = {}
    for table in contract.tables:
        for entity in table.entities:
            name = names.get(entity.source_table, entity.source_table)
            if entity.denormalized:
                denormalized.setdefault(name, set()).update(a.name for a in entity.denormalized)
    return CompareSettings(denormalized=denormalized, sensitive=sensitive)


def _recorder(settings: Settings) -> Iterator[Recorder | None]:
    """The router's records as JSON lines in ``DAL_RECORDS`` (None when off); closed at shutdown.

    SettingsError naming the key and the path when the file cannot be created or written.
    """
    path = settings.records
    if path is None:
        yield None
        return
    try:
        recorder = JsonlRecorder(path, rotate_bytes=int(settings.records_rotate_mb * 2**20))
    except OSError as error:
        raise _unwritable("records", "the records file", path, error) from error
    try:
        yield recorder
    finally:
        recorder.close()


def _repair_log(settings: Settings) -> RepairLog | None:
    """The durable repair log in ``DAL_REPAIR_LOG``, created (mode 0600) if missing.

    None, with a warning, when it is off; SettingsError naming the key and the path when
    the file cannot be created or written.
    """
    path = settings.repair_log
    if path is None:
        log.warning(
            "DAL_REPAIR_LOG=off: failed secondary writes are not kept, so dal repair "
            "--from-log cannot find them; only a full dal verify and dal repair can"
        )
        return None
    repair_log = RepairLog(path)  # a folder holds one file per process: check that one
    try:
        repair_log.file.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(repair_log.file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))
    except OSError as error:
        raise _unwritable("repair_log", "the repair log", path, error) from error
    if not os.access(repair_log.file, os.W_OK):
        raise SettingsError(f"DAL_REPAIR_LOG: cannot write the repair log {str(path)!r}")
    return repair_log


def _unwritable(field: str, what: str, path: Path, error: OSError) -> SettingsError:
    reason = error.strerror or str(error)
    return SettingsError(f"DAL_{field.upper()}: cannot write {what} {str(path)!r}: {reason}")


def _shadow_settings(settings: Settings) -> ShadowSettings | None:
    """The router's limits: ``DAL_SHADOW_WORKERS``, ``DAL_SHADOW_MAX_WORKERS``,
    ``DAL_SHADOW_QUEUE``, ``DAL_SECONDARY_WRITE_BUDGET``, ``DAL_SECONDARY_SLOW_THRESHOLD``,
    ``DAL_SECONDARY_WRITES``, ``DAL_DEFERRED_MAX_LAG`` and ``DAL_SHADOW_INDEX_COPIES``."""
    return ShadowSettings(
        workers=settings.shadow_workers,
        max_workers=settings.shadow_max_workers,
        queue_size=settings.shadow_queue,
        write_budget=settings.secondary_write_budget,
        slow_call=settings.secondary_slow_threshold,
        processes=settings.shadow_processes,
        process_threads=settings.shadow_workers,
        nice=settings.shadow_nice,
        secondary_writes=settings.secondary_writes,
        max_lag=settings.deferred_max_lag,
        index_copies=settings.shadow_index_copies,
    )


def shadow_parts(
    settings: Settings, build: Callable[[Settings], Container] | None = None
) -> ShadowParts:
    """A shadow worker process's parts, built from ``settings`` as the container builds
    the routed stores: the stores of both sides and the records (``DAL_RECORDS``; a
    folder gets a file per process). Closing them shuts that container down.

    ``build`` (default :func:`build_container`) builds the container: an application
    whose container overrides the stores names its own builder in the container's
    ``builder`` provider (a module-level function, so that it pickles), and the
    workers build the same stores. The factory of the container's router with
    ``DAL_SHADOW_PROCESSES`` is ``functools.partial(shadow_parts, settings, builder)``.
    """
    container = (build or build_container)(settings)
    old = container.routed_old_store()
    new = container.routed_new_store()

    def close() -> None:
        container.shutdown_resources()

    return ShadowParts(old=old, new=new, recorder=container.recorder(), close=close)


def _telemetry(settings: Settings) -> Iterator[Telemetry]:
    """The router's OpenTelemetry instruments: on the global providers, or, with
    ``DAL_METRICS_PORT``, behind a Prometheus endpoint on that port (stopped at shutdown).

    SettingsError naming the key when the endpoint cannot start.
    """
    port = settings.metrics_port
    if port is None:
        yield default_telemetry()
        return
    from dal.telemetry.endpoint import MetricsEndpoint, TelemetryUnavailable

    try:
        endpoint = MetricsEndpoint(port)
    except TelemetryUnavailable as error:
        raise SettingsError(f"DAL_METRICS_PORT: {error}") from error
    except OSError as error:
        reason = error.strerror or str(error)
        raise SettingsError(f"DAL_METRICS_PORT: cannot listen on port {port}: {reason}") from error
    log.info("serving Prometheus metrics on port %d", endpoint.port)
    try:
        yield endpoint.telemetry
    finally:
        endpoint.close()


def _router(
    flags: FlagSource,
    recorder: Recorder | None,
    compare: CompareSettings,
    repair_log: RepairLog | Path | None,
    shadow: ShadowSettings | None,
    eventually_consistent: tuple[str, ...],
    telemetry: Telemetry,
    settings: Settings,
    drain: DrainFunction | None = None,
    builder: Callable[[Settings], Container] | None = None,
) -> Iterator[Router]:
    """The migration router; closed (its shadow work flushed, its deferred writes drained)
    at shutdown.

    With ``DAL_SHADOW_PROCESSES`` its worker processes build their parts from ``settings``
    with ``builder`` (:func:`shadow_parts`).
    """
    factory = None
    if shadow is not None and shadow.processes > 0:
        factory = functools.partial(shadow_parts, settings, builder)
    drainer = _drainer_process(settings, shadow, repair_log)
    router = Router(
        flags,
        recorder,
        comparator=compare,
        repair_log=repair_log,
        shadow=shadow,
        eventually_consistent=eventually_consistent,
        telemetry=telemetry,
        shadow_factory=factory,
        drain=drain,
    )
    try:
        yield router
    finally:
        router.close()
        if drainer is not None:
            drainer.close()


def _drainer_process(
    settings: Settings, shadow: ShadowSettings | None, repair_log: RepairLog | Path | None
) -> DrainerProcess | None:
    """The child process draining deferred writes (``DAL_DEFERRED_DRAINER=process``), started;
    None in any other mode."""
    if shadow is None or shadow.secondary_writes != "deferred" or repair_log is None:
        return None
    if settings.deferred_drainer != "process":
        return None
    from dal.migrate.drainprocess import DrainerProcess

    path = repair_log.path if isinstance(repair_log, RepairLog) else Path(repair_log)
    return DrainerProcess(settings, path).start()


def _deferred_drain(
    settings: Settings,
    shadow: ShadowSettings | None,
    tools: Callable[[], MigrationTools],
    client: Callable[[], DynamoClient],
) -> DrainFunction | None:
    """How the router's drainer replays deferred writes: the repair by entry of ``dal repair
    --from-log`` over the migration tools, with the layer's DynamoDB client (its timeouts,
    ``DAL_DYNAMODB_*_TIMEOUT``); None (nothing built) with inline writes, or when another
    process drains (``DAL_DEFERRED_DRAINER=external`` or ``process``)."""
    if shadow is None or shadow.secondary_writes != "deferred":
        return None
    if settings.deferred_drainer != "thread":
        return None
    import dataclasses

    from dal.migrate.replay import deferred_drain

    opened = dataclasses.replace(tools(), client=client())
    return deferred_drain(opened.replayer(), workers=4)


def _routed_store(old: EntityStore, new: EntityStore, router: Router) -> EntityStore:
    """Both stores behind the router.

    The stores come first, so one that cannot be built (no ``DAL_MYSQL_URL``) fails
    before the router creates its repair log and records file.
    """
    return router.route_store(old=old, new=new)


def _migration_tools(
    settings: Settings,
    contract: Contract,
    flags: FlagSource,
    workers: int,
    specs: Callable[[], Mapping[str, EntitySpec]],
    ids: Callable[[], IdAllocator] | None = None,
) -> Iterator[MigrationTools]:
    """Backfill, verify and repair over an engine and a client pooled for ``workers`` threads.

    Every entity of the contract gets a plan; the plans are built before any row is
    read, so a contract the backfill cannot interpret fails first; the engine is
    disposed at shutdown.
    """
    from adapters.mysql import create_engine
    from dal.migrate.tools import MigrationTools

    url = settings.require_mysql_url()
    server = not url.startswith("sqlite")  # SQLite pools per thread
    pool = {"pool_size": workers + 2} if server else {}
    engine = create_engine(url, timeouts=_sql_timeouts(settings), **pool)
    try:
        plans, tables = _migration_plans(contract, engine, specs, settings.table_prefix)
        client = _migration_client(settings, workers)
        sensitive = set(DEFAULT_SENSITIVE).union(*(spec.sensitive for spec in specs().values()))
        yield MigrationTools(
            engine,
            client,
            contract,
            plans,
            tables,
            flags,
            tuple(sorted(sensitive)),
            ids=ids,
            table_prefix=settings.table_prefix,
        )
    finally:
        engine.dispose()


def _migration_plans(
    contract: Contract,
    engine: Engine,
    specs: Callable[[], Mapping[str, EntitySpec]],
    prefix: str,
) -> tuple[dict[str, SourcePlan], dict[str, Table]]:
    """A plan per entity of the contract, and every MySQL table the plans read."""
    from dal.entities import reflect_tables
    from dal.migrate.plan import build_entity_plans

    tables = reflect_tables(engine, sorted(_contract_tables(contract)))
    return build_entity_plans(contract, specs().values(), tables, prefix), tables


def _contract_tables(contract: Contract) -> set[str]:
    """Every MySQL table the contract reads: the entities' own and those their joins reach."""
    names: set[str] = set()
    for table in contract.tables:
        for entity in table.entities:
            names.add(entity.source_table)
            for attribute in entity.attributes:
                names.add(attribute.source_table)
                target = getattr(attribute.join, "target_table", None)
                if isinstance(target, str):
                    names.add(target)
    return names


def _migration_client(settings: Settings, workers: int) -> DynamoClient:
    """The adapter's client (its retries and errors) with a connection per worker thread."""
    from adapters.dynamodb import DynamoClient, connect

    connection = connect(
        settings.dynamodb_endpoint,
        settings.dynamodb_region,
        read_timeout=30.0,
        max_pool_connections=max(10, workers * 2),
    )
    # built once here, before worker threads share it
    connection.client.meta.events.register("before-parameter-build.dynamodb", _no_capacity)
    return DynamoClient(connection, encode_writes=True)


def _no_capacity(params: dict[str, Any], model: Any, **_: Any) -> None:
    """Ask DynamoDB not to count consumed capacity, which nothing reads.

    PynamoDB asks for the count on every request; computing it makes DynamoDB Local
    serve a batch of 25 puts about a quarter slower.
    """
    if "ReturnConsumedCapacity" in model.input_shape.members:
        params["ReturnConsumedCapacity"] = "NONE"


# --- the container -------------------------------------------------------------------------


class Container(containers.DeclarativeContainer):
    """Every long-lived object of the layer, built lazily from one :class:`Settings`."""

    # settings: read from DAL_* variables on first use unless build_container was given some
    settings = providers.ThreadSafeSingleton(load_settings)
    # what built this container (None: build_container); shadow worker processes build
    # theirs the same way
    builder: providers.Provider[Callable[[Settings], Container] | None] = providers.Object(None)

    # runtime
    clock = providers.ThreadSafeSingleton(SystemClock)

    # old store: MySQL/MariaDB (or SQLite) through SQLAlchemy
    # DAL_SHADOW_* and DAL_SECONDARY_*
    shadow_settings = providers.ThreadSafeSingleton(_shadow_settings, settings)
    mysql_engine = providers.Resource(
        _mysql_engine, settings.provided.mysql_url, settings, shadow_settings
    )  # pooled for DAL_APP_THREADS and the shadow pool at its largest

    # ids: from the allocator DAL_ID_SOURCE names; id_handover (below) syncs the two sides
    mysql_id_allocator = providers.ThreadSafeSingleton(_sql_id_allocator, mysql_engine)
    sequences_table = providers.ThreadSafeSingleton(_sequences_table_creator, settings)
    dynamodb_client = providers.ThreadSafeSingleton(_dynamodb_client, settings, shadow_settings)
    dynamodb_id_allocator = providers.ThreadSafeSingleton(
        _dynamodb_id_allocator, settings, dynamodb_client, sequences_table
    )
    id_allocator = providers.Selector(
        settings.provided.id_source,
        mysql=mysql_id_allocator,
        dynamodb=dynamodb_id_allocator,
    )

    # entities: every entity of the contract, declared (DAL_DECLARATIONS) or defaulted from
    # its reflected table; read on first use, so building a store touches no table
    contract = providers.ThreadSafeSingleton(_contract, settings.provided.contract)
    declarations = providers.ThreadSafeSingleton(_declarations, settings.provided.declarations)
    entity_specs = providers.ThreadSafeSingleton(
        _entity_specs, contract, mysql_engine, declarations
    )
    mysql_entities = providers.ThreadSafeSingleton(
        _sql_entities, mysql_engine, entity_specs.provider, clock, id_allocator
    )
    dynamodb_entities = providers.ThreadSafeSingleton(
        _dynamodb_entities,
        dynamodb_client.provider,
        contract,
        entity_specs.provider,
        settings.provided.table_prefix,
        clock,
        id_allocator,
    )
    memory_entities = providers.ThreadSafeSingleton(_memory_entities, entity_specs.provider, clock)
    extra_sequences: providers.Object[Mapping[str, str]] = providers.Object({})
    id_handover = providers.ThreadSafeSingleton(
        _id_handover,
        mysql_engine,
        settings,
        sequences_table,
        entity_specs.provider,
        extra_sequences,
    )

    # stores: each backend's repositories with their unit of work; an application with
    # typed repositories of its own (an EntityStore subclass) overrides these providers
    mysql_store = providers.ThreadSafeSingleton(_entity_store, mysql_entities)
    memory_store = providers.ThreadSafeSingleton(_entity_store, memory_entities)
    dynamodb_store = providers.ThreadSafeSingleton(_entity_store, dynamodb_entities)

    # router: both stores behind one Store, routed by the stage flags; the recorder writes
    # to DAL_RECORDS and failed secondary writes go to DAL_REPAIR_LOG (override either, and
    # shadow_settings to bound shadow work); eventually_consistent lists the reads re-read
    # once before a difference counts; telemetry is its OpenTelemetry instruments (a
    # Prometheus endpoint with DAL_METRICS_PORT).
    # Flag keys must name an entity of the contract and an operation of its repositories
    # (the generic one, and the typed one of an EntityStore subclass named by store_type)
    store_type: providers.Object[type[EntityStore]] = providers.Object(EntityStore)
    flag_operations = providers.ThreadSafeSingleton(
        _flag_operations, contract, declarations, store_type
    )
    flags = providers.ThreadSafeSingleton(_flags, settings.provided.flags, flag_operations)
    recorder: providers.Provider[Recorder | None] = providers.Resource(_recorder, settings)
    repair_log: providers.Provider[RepairLog | Path | None] = providers.ThreadSafeSingleton(
        _repair_log, settings
    )
    compare_settings = providers.ThreadSafeSingleton(_compare_settings, contract, declarations)
    replaying_clock = providers.ThreadSafeSingleton(ReplayingClock, clock)
    replaying_ids = providers.ThreadSafeSingleton(ReplayingIdAllocator, id_allocator)
    routed_old_entities = providers.ThreadSafeSingleton(
        _sql_entities, mysql_engine, entity_specs.provider, replaying_clock, replaying_ids
    )
    routed_new_entities = providers.ThreadSafeSingleton(
        _dynamodb_entities,
        dynamodb_client.provider,
        contract,
        entity_specs.provider,
        settings.provided.table_prefix,
        replaying_clock,
        replaying_ids,
    )
    routed_old_store = providers.ThreadSafeSingleton(_entity_store, routed_old_entities)
    routed_new_store = providers.ThreadSafeSingleton(_entity_store, routed_new_entities)
    eventually_consistent: providers.Object[tuple[str, ...]] = providers.Object(())
    telemetry = providers.Resource(_telemetry, settings)  # DAL_METRICS_PORT
    # migration tools (dal backfill, verify, repair): the contract and stage flags above, an
    # engine and a client of their own with pools sized for migration_workers threads
    migration_workers: providers.Object[int] = providers.Object(4)
    migration_tools = providers.Resource(
        _migration_tools,
        settings,
        contract,
        flags,
        migration_workers,
        entity_specs.provider,
        id_allocator.provider,
    )

    # deferred secondary writes (DAL_SECONDARY_WRITES=deferred): the router's drainer replays
    # their entries over the migration tools (built only in that mode)
    deferred_drain = providers.Callable(
        _deferred_drain,
        settings,
        shadow_settings,
        migration_tools.provider,
        dynamodb_client.provider,
    )
    router = providers.Resource(
        _router,
        flags,
        recorder,
        compare_settings,
        repair_log,
        shadow_settings,
        eventually_consistent,
        telemetry,
        settings,
        deferred_drain,
        builder,
    )
    routed_store = providers.ThreadSafeSingleton(
        _routed_store, routed_old_store, routed_new_store, router
    )


def build_container(settings: Settings | None = None) -> Container:
    """A container over ``settings`` (default: :func:`~dal.settings.load_settings` on first use)."""
    container = Container()
    if settings is not None:
        container.settings.override(providers.Object(settings))
    return container
