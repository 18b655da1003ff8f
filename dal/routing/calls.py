"""The static description of a routed operation and the two implementations it calls."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from dal.routing.compare import Outcome
from dal.routing.metrics import OperationMetrics
from dal.routing.stages import Side
from interfaces import OperationKind, UnitOfWorkFactory

__all__ = ["Operation", "Targets", "result_key"]


@dataclass(frozen=True, slots=True)
class Operation:
    """One method of a routed Protocol: its entity, name, kind and counters."""

    entity: str
    name: str
    kind: OperationKind
    signature: inspect.Signature
    metrics: OperationMetrics
    key_fields: tuple[str, ...] | None = None
    """The fields that make the key of the entity a command returns (None: guess)."""
    route: str = ""
    """The routed Protocol (``module:qualname``): tells apart an entity's typed and generic
    repositories, whose operations may share names."""
    key: str = field(init=False)
    """``entity.operation``, the flags key of this operation."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", f"{self.entity}.{self.name}")

    def arguments(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """The call's arguments by parameter name (defaults filled in)."""
        try:
            bound = self.signature.bind(None, *args, **kwargs)
        except TypeError:
            return {"args": list(args), "kwargs": dict(kwargs)}
        bound.apply_defaults()
        return dict(list(bound.arguments.items())[1:])  # without ``self``


@dataclass(frozen=True)
class Targets:
    """The old and new implementations of one routed repository.

    ``units_of_work`` (given for a routed store) lets work off the request path
    run each side's call in a unit of work of its own.
    """

    entity: str
    methods: Mapping[Side, Mapping[str, Callable[..., Any]]]
    units_of_work: Mapping[Side, UnitOfWorkFactory] | None = None

    def method(self, side: Side, name: str) -> Callable[..., Any]:
        """The bound method ``name`` of ``side``."""
        return self.methods[side][name]

    def call_isolated(
        self, side: Side, name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]
    ) -> Outcome:
        """Call ``side`` (in its own unit of work when there is one) and time it."""
        method = self.methods[side][name]
        started = time.perf_counter()
        try:
            if self.units_of_work is None:
                value = method(*args, **kwargs)
            else:
                with self.units_of_work[side]():
                    value = method(*args, **kwargs)
        except Exception as exc:
            return Outcome(error=exc, latency=time.perf_counter() - started)
        return Outcome(value=value, latency=time.perf_counter() - started)


def result_key(value: object, key_fields: tuple[str, ...] | None = None) -> dict[str, Any] | None:
    """The key of an entity a command returned.

    ``key_fields`` when the entity's declaration names them, else ``{"id": 7}`` or its
    ``*_id`` fields.
    """
    if not isinstance(value, BaseModel):
        return None
    if key_fields is not None:
        return {name: getattr(value, name) for name in key_fields}
    fields = type(value).model_fields
    if "id" in fields:
        return {"id": getattr(value, "id")}  # noqa: B009 (BaseModel declares no id)
    key = {name: getattr(value, name) for name in fields if name.endswith("_id")}
    return key or None
