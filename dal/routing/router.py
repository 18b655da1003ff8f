"""The migration router: one object that routes every repository by the stage flags.

::

    router = Router(flags=StaticFlags({"tickets": Stage.SHADOW}), recorder=MemoryRecorder())
    tickets = router.route("tickets", TicketRepository, old=sql_tickets, new=dynamo_tickets)
    store = router.route_store(old=mysql_store, new=dynamo_store)   # every entity
    routed = router.route_repositories(old=sql_repositories, new=dynamo_repositories)
    ...
    router.flush()   # wait for pending shadow work (tests, shutdown)
    router.close()   # stop the pool and the timer thread
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import os
import re
import time
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from dal.routing.calls import Operation, Targets
from dal.routing.closing import ClosedOnExit
from dal.routing.compare import Comparator, CompareSettings
from dal.routing.deferred import Drainer, DrainFunction
from dal.routing.flags import FlagSource
from dal.routing.metrics import Metrics
from dal.routing.processes import ProcessPoolState, ShadowFactory, ShadowProcesses
from dal.routing.proxy import RoutedBase, protocol_operations, routed_class
from dal.routing.reads import Reads, Rules
from dal.routing.recording import Recorder
from dal.routing.registry import RoutedRepositories, check_same_entities
from dal.routing.repairlog import RepairLog
from dal.routing.services import RaisedHook, Services
from dal.routing.shadow import PoolState, ShadowSettings
from dal.routing.stages import PLANS, Side
from dal.routing.uow import RoutedUnitOfWork
from dal.routing.writes import Writes
from dal.telemetry import Telemetry
from interfaces import EntityStore, UnitOfWorkFactory
from interfaces.entities import EntitySpec
from interfaces.repository import Repositories, Repository

if TYPE_CHECKING:
    from typing_extensions import TypeForm

    from dal.routing.processes import ShadowJob

__all__ = ["Router"]

P = TypeVar("P")
S = TypeVar("S", bound=EntityStore)

_ENTITY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _typed_repositories(store: type[EntityStore]) -> dict[str, type]:
    """Entity name -> repository Protocol of every field a store class adds to EntityStore."""
    if not dataclasses.is_dataclass(store):
        return {}
    hints = typing.get_type_hints(store)
    base = {field.name for field in dataclasses.fields(EntityStore)}
    return {
        field.name: hints[field.name]
        for field in dataclasses.fields(store)
        if field.name not in base
    }


class Router(ClosedOnExit):
    """Routes repository calls between an old and a new backend by migration stage.

    ``flags`` answers each entity's (or operation's) stage; ``recorder``
    receives comparisons, errors, metrics and drops; ``comparator`` (or its
    settings) decides what counts as equal; ``repair_log`` (a
    :class:`RepairLog` or a path) keeps failed secondary writes durably;
    ``shadow`` bounds the work off the request path; ``eventually_consistent``
    lists the reads, as ``(entity, operation)`` or ``"entity.operation"``, that
    are re-read once before a difference counts; metrics are recorded every
    ``metrics_interval`` seconds (None: only on flush); ``on_raised(operation,
    error)`` hears of every failure of the router's own machinery; ``telemetry``
    (default: :func:`~dal.telemetry.default_telemetry`, the global OpenTelemetry
    providers) receives its metrics and spans; ``metrics`` (default: new ones on
    ``telemetry``) are the counters it keeps.

    With ``shadow.processes`` above 0, shadow reads run in worker processes
    (:mod:`dal.routing.processes`) that build their side of the work from
    ``shadow_factory``, a picklable callable returning
    :class:`~dal.routing.processes.ShadowParts` (ValueError without one).

    With ``shadow.secondary_writes == "deferred"`` the second side of a dual write is
    left to a :class:`~dal.routing.deferred.Drainer` the router starts: ``repair_log``
    (required) is its queue and ``drain`` replays its entries
    (:func:`dal.migrate.replay.deferred_drain`); without ``drain`` the drainer only
    follows the log (lag, backpressure) while another process drains it
    (``dal repair --from-log LOG --follow``).
    """

    def __init__(
        self,
        flags: FlagSource,
        recorder: Recorder | None = None,
        *,
        comparator: Comparator | CompareSettings | None = None,
        repair_log: RepairLog | str | os.PathLike[str] | None = None,
        shadow: ShadowSettings | None = None,
        eventually_consistent: Iterable[tuple[str, str] | str] = (),
        metrics_interval: float | None = 60.0,
        on_raised: RaisedHook | None = None,
        telemetry: Telemetry | None = None,
        metrics: Metrics | None = None,
        shadow_factory: ShadowFactory | None = None,
        drain: DrainFunction | None = None,
    ) -> None:
        if metrics_interval is not None and metrics_interval <= 0:
            raise ValueError(f"metrics_interval must be positive, got {metrics_interval}")
        if shadow is not None and shadow.processes > 0 and shadow_factory is None:
            raise ValueError(
                f"shadow.processes is {shadow.processes}: the worker processes need a "
                "shadow_factory (a picklable callable returning ShadowParts)"
            )
        settings = shadow if shadow is not None else ShadowSettings()
        log = _repair_log(repair_log)
        if settings.secondary_writes == "deferred" and log is None:
            raise ValueError(
                "deferred secondary writes need a repair log (their queue): pass repair_log"
            )
        self._services = Services(
            flags=flags,
            recorder=recorder,
            comparator=_comparator(comparator),
            repair_log=log,
            settings=settings,
            eventually_consistent=_reads(eventually_consistent),
            on_raised=on_raised,
            telemetry=telemetry,
            metrics=metrics,
        )
        self._unwatch_sampling: Callable[[], None] = _nothing
        if shadow_factory is not None and self._services.settings.processes > 0:
            self._services.processes = ShadowProcesses(self._services, shadow_factory)
        if self._services.settings.adapts:
            self._unwatch_sampling = self._services.telemetry.watch_shadow_sampling(
                self.shadow_sampling
            )
        if log is not None and settings.secondary_writes == "deferred":
            drainer = Drainer(
                log,
                drain,
                max_lag=settings.max_lag,
                breakers=self._services.breakers,
                on_error=self._services.raised,
            )
            self._services.drainer = drainer.start()
            self._services.watch_lag(drainer.lag)
        self._reads = Reads(self._services)
        self._routes: dict[tuple[str, str, str], tuple[Targets, Operation]] = {}
        self._writes = Writes(self._services)
        self._metrics_interval = metrics_interval
        self._periodic_started = False
        self._closed = False

    # --- public API ----------------------------------------------------------------------

    @property
    def metrics(self) -> Metrics:
        """Counters and latencies per entity and operation; ``metrics.snapshot()``."""
        return self._services.metrics

    @property
    def telemetry(self) -> Telemetry:
        """The OpenTelemetry instruments and tracer the router reports through."""
        return self._services.telemetry

    def shadow_pool(self) -> PoolState:
        """The shadow pool now: its workers, the busy ones, queued work, its largest size."""
        return self._services.runner.pool()

    def shadow_sampling(self) -> float:
        """The adaptive sampling factor now (1.0: every read the flags sample is shadowed)."""
        return self._services.sampling.factor

    def breaker_states(self) -> dict[str, str]:
        """``{"users.read": "closed", ...}`` for every breaker used so far (with shadow
        processes, a read breaker is the most open of the workers' and this process's)."""
        return self._services.breaker_states()

    def shadow_processes(self) -> ProcessPoolState | None:
        """The shadow worker processes now (None in thread mode)."""
        processes = self._services.processes
        return None if processes is None else processes.state()

    def routed_target(self, entity: str, route: str, name: str) -> tuple[Targets, Operation] | None:
        """The targets and operation routed for ``entity``'s Protocol ``route`` (its
        ``module:qualname``) and operation ``name``, if routed yet (worker processes use it)."""
        return self._routes.get((entity, route, name))

    def start_shadow_job(
        self,
        targets: Targets,
        operation: Operation,
        job: ShadowJob,
        rules: Rules,
        on_settled: Callable[[], None],
    ) -> bool:
        """Start a job a caller's router handed to this (worker process's) router.

        False when it did not start (the drop counted); else ``on_settled`` runs when it
        is over.
        """
        return self._reads.start_job(targets, operation, job, rules, on_settled)

    @property
    def drainer(self) -> Drainer | None:
        """The drainer of deferred secondary writes (None unless they are deferred)."""
        return self._services.drainer

    @property
    def repair_log(self) -> RepairLog | None:
        """The repair log failed secondary writes go to, if any."""
        return self._services.repair_log

    def route(self, entity: str, protocol: TypeForm[P], *, old: P, new: P) -> P:
        """An object implementing ``protocol`` that routes each call between ``old`` and ``new``.

        Every method of ``protocol`` must be marked ``@query`` or ``@command``
        and exist on both implementations (TypeError otherwise, naming it).
        """
        routed, _ = self._route(entity, protocol, old, new, None)
        return typing.cast(P, routed)

    def route_repositories(self, old: Repositories, new: Repositories) -> RoutedRepositories:
        """Every entity's generic repository routed between ``old`` and ``new`` by its stage.

        Both registries must serve the same entities (ValueError naming the
        difference, on first use). The result's unit of work opens both sides' units
        of work.
        """
        factories: dict[Side, UnitOfWorkFactory] = {
            Side.OLD: old.unit_of_work,
            Side.NEW: new.unit_of_work,
        }
        operations: list[Operation] = []
        return self._registry(old, new, self._unit_of_work(factories, operations), operations)

    def route_store(self, old: S, new: S) -> S:
        """A store of the same class routing every repository of ``old`` and ``new``.

        Generic repositories (``store.repository(name)``) are routed when both sides
        have them; so is every typed repository a subclass of
        :class:`~interfaces.EntityStore` adds as a dataclass field (a Protocol, the
        field's name as its entity). The unit of work opens both sides' units of work
        (see :mod:`dal.routing.uow` for what it does when one of them fails).
        """
        if type(old) is not type(new):
            raise TypeError(
                f"both sides must be stores of one class, got {type(old).__name__} "
                f"and {type(new).__name__}"
            )
        factories: dict[Side, UnitOfWorkFactory] = {
            Side.OLD: old.unit_of_work,
            Side.NEW: new.unit_of_work,
        }
        operations: list[Operation] = []  # read by the unit of work when it opens
        unit_of_work = self._unit_of_work(factories, operations)
        entities = None
        if old.entities is not None and new.entities is not None:
            entities = self._registry(old.entities, new.entities, unit_of_work, operations)
        repositories: dict[str, Any] = {}
        for entity, protocol in _typed_repositories(type(old)).items():
            routed, routed_operations = self._route(
                entity, protocol, getattr(old, entity), getattr(new, entity), factories
            )
            repositories[entity] = routed
            operations.extend(routed_operations)
        return dataclasses.replace(
            old, **repositories, unit_of_work=unit_of_work, entities=entities
        )

    def flush(self, timeout: float | None = None) -> bool:
        """Wait for pending shadow work, then record pending drops and a metrics snapshot.

        Returns False when ``timeout`` seconds passed first.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        done = self._services.runner.flush(timeout)
        processes = self._services.processes
        if processes is not None:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            done = processes.flush(left) and done
        self._services.flush_drops()
        self._services.emit_metrics()
        return done

    def close(self, timeout: float | None = 5.0) -> None:
        """Flush (up to ``timeout``), then stop the shadow pool and the timer thread; drain
        deferred writes (up to ``timeout``) and stop the drainer.

        Routed objects keep working afterwards, without shadow reads or write comparisons.
        """
        if self._closed:
            return
        self._closed = True
        self.flush(timeout)
        self._services.runner.close()
        self._unwatch_sampling()
        if self._services.processes is not None:
            self._services.processes.close(timeout)
            self._services.flush_drops()
        drainer = self._services.drainer
        if drainer is not None and not drainer.close(timeout):
            self._services.raised(
                "deferred drain",
                TimeoutError(
                    f"{drainer.state().pending} deferred writes left open in "
                    f"{drainer.log.path}: drained on the next start or by dal repair --from-log"
                ),
            )
        self._services.stop_watching()

    def raised(self, operation: str, error: BaseException) -> None:
        """Report a failure of the router's own machinery (never raises)."""
        self._services.raised(operation, error)

    # --- building routed objects ---------------------------------------------------------

    def _unit_of_work(
        self, factories: Mapping[Side, UnitOfWorkFactory], operations: Sequence[Operation]
    ) -> RoutedUnitOfWork:
        """Both sides' units of work; ``operations`` (filled in later) decide the required sides."""
        required = functools.partial(self._required_sides, operations)
        return RoutedUnitOfWork(factories, required, self._services)

    def _registry(
        self,
        old: Repositories,
        new: Repositories,
        unit_of_work: RoutedUnitOfWork,
        operations: list[Operation],
    ) -> RoutedRepositories:
        """Every entity of ``old`` and ``new``, routed on first use (sides checked then).

        The operations of each routed entity join ``operations``.
        """
        factories = unit_of_work.factories

        def specs() -> Mapping[str, EntitySpec]:
            check_same_entities(old, new)
            return old.specs

        def route(name: str) -> Repository[Any]:
            repository, entity_operations = self._route(
                name,
                Repository,
                old.repository(name),
                new.repository(name),
                factories,
                old.specs[name].key,
            )
            operations.extend(entity_operations)
            self._services.eventually_consistent.update(_index_reads(new, name))
            return typing.cast(Repository[Any], repository)

        return RoutedRepositories(specs, route, unit_of_work)

    def _route(
        self,
        entity: str,
        protocol: object,
        old: object,
        new: object,
        units_of_work: Mapping[Side, UnitOfWorkFactory] | None,
        key_fields: tuple[str, ...] | None = None,
    ) -> tuple[RoutedBase, list[Operation]]:
        """The routed object and its operations; TypeError/ValueError for what cannot be routed."""
        if not isinstance(entity, str) or not _ENTITY.match(entity):
            raise ValueError(f"entity name {entity!r} must be an identifier such as 'users'")
        if not isinstance(protocol, type):
            raise TypeError(f"{protocol!r} is not a typing.Protocol class")
        klass = routed_class(protocol)
        operations = self._operations(entity, protocol, key_fields)
        names = [operation.name for operation in operations]
        methods = {
            Side.OLD: _methods(protocol, names, old, "old"),
            Side.NEW: _methods(protocol, names, new, "new"),
        }
        targets = Targets(entity, methods, units_of_work)
        for operation in operations:
            self._routes[(entity, operation.route, operation.name)] = (targets, operation)
        calls = {
            operation.name: functools.partial(self._dispatcher(operation), targets, operation)
            for operation in operations
        }
        self._start_periodic_metrics()
        routed: RoutedBase = klass(entity, calls)
        return routed, operations

    def _operations(
        self, entity: str, protocol: type, key_fields: tuple[str, ...] | None = None
    ) -> list[Operation]:
        return [
            Operation(
                entity=entity,
                name=name,
                kind=kind,
                signature=inspect.signature(member),
                metrics=self._services.metrics.operation(entity, name),
                key_fields=key_fields,
                route=route_name(protocol),
            )
            for name, (kind, member) in protocol_operations(protocol).items()
        ]

    def _dispatcher(self, operation: Operation) -> Callable[..., Any]:
        return self._reads.call if operation.kind == "query" else self._writes.call

    def _required_sides(self, operations: Sequence[Operation]) -> frozenset[Side]:
        snapshot = self._services.flags.snapshot()
        return frozenset(
            PLANS[snapshot.stage_for(operation.key, operation.entity)].authoritative
            for operation in operations
        )

    def _start_periodic_metrics(self) -> None:
        if self._periodic_started or self._metrics_interval is None:
            return
        self._periodic_started = True
        self._services.runner.scheduler.call_every(
            self._metrics_interval, self._services.emit_metrics
        )


def _nothing() -> None:
    """Nothing to stop."""


def route_name(protocol: type) -> str:
    """``module:qualname`` of a routed Protocol."""
    return f"{protocol.__module__}:{protocol.__qualname__}"


def _methods(protocol: type, names: list[str], implementation: object, side: str) -> dict[str, Any]:
    methods: dict[str, Any] = {}
    for name in names:
        method = getattr(implementation, name, None)
        if not callable(method):
            raise TypeError(
                f"{side} implementation {type(implementation).__name__} lacks "
                f"{protocol.__name__}.{name}"
            )
        methods[name] = method
    return methods


def _comparator(given: Comparator | CompareSettings | None) -> Comparator:
    if isinstance(given, Comparator):
        return given
    return Comparator(given)


def _repair_log(given: RepairLog | str | os.PathLike[str] | None) -> RepairLog | None:
    if given is None or isinstance(given, RepairLog):
        return given
    return RepairLog(Path(given))


def _reads(given: Iterable[tuple[str, str] | str]) -> set[tuple[str, str]]:
    reads: set[tuple[str, str]] = set()
    for item in given:
        pair = tuple(item.split(".")) if isinstance(item, str) else tuple(item)
        if len(pair) != 2 or not all(isinstance(p, str) and _ENTITY.match(p) for p in pair):
            raise ValueError(f"eventually consistent read {item!r} must be 'entity.operation'")
        reads.add((pair[0], pair[1]))
    return reads


def _index_reads(registry: Repositories, entity: str) -> set[tuple[str, str]]:
    """The named queries of ``entity`` that ``registry`` serves from an eventually consistent
    index, as ``(entity, "query.<name>")`` (registries that say so: ``eventually_consistent()``).
    """
    said = getattr(registry, "eventually_consistent", None)
    if not callable(said):
        return set()
    reads: set[tuple[str, str]] = set()
    for read in said():
        owner, _, name = str(read).partition(".")
        if owner == entity and name:
            reads.add((entity, f"query.{name}"))
    return reads
