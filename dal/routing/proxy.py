"""Routed classes: one per Protocol, with exactly the Protocol's methods.

:func:`protocol_operations` reads a Protocol's methods and their
``query``/``command`` markers (and refuses what it cannot route);
:func:`routed_class` builds, once per Protocol, a class whose methods forward
to the router. Nothing is looked up by name at call time: each instance holds
one prepared callable per method.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from interfaces import OperationKind, command, operation_kind, query

__all__ = ["RoutedBase", "protocol_operations", "routed_class"]

Dispatch = Callable[[tuple[Any, ...], dict[str, Any]], Any]

_MARK: Mapping[OperationKind, Callable[[Callable[..., Any]], Callable[..., Any]]] = {
    "query": query,
    "command": command,
}
_classes: dict[type, type[RoutedBase]] = {}
_classes_lock = threading.Lock()


class RoutedBase:
    """Base of routed classes: holds the prepared call of every method."""

    __slots__ = ("_dal_calls", "_dal_entity")

    _dal_calls: Mapping[str, Dispatch]
    _dal_entity: str

    def __init__(self, entity: str, calls: Mapping[str, Dispatch]) -> None:
        self._dal_entity = entity
        self._dal_calls = calls

    def __repr__(self) -> str:
        return f"<{type(self).__name__} entity={self._dal_entity!r}>"


def _is_protocol(candidate: object) -> bool:
    return isinstance(candidate, type) and bool(getattr(candidate, "_is_protocol", False))


def protocol_operations(protocol: type) -> dict[str, tuple[OperationKind, Callable[..., Any]]]:
    """The Protocol's methods with their kind; TypeError naming any member that cannot be routed."""
    if not _is_protocol(protocol) or protocol is Protocol:
        raise TypeError(f"{protocol!r} is not a typing.Protocol class")
    operations: dict[str, tuple[OperationKind, Callable[..., Any]]] = {}
    for klass in reversed(protocol.__mro__):
        if not _is_protocol(klass) or klass is Protocol:
            continue
        for name in inspect.get_annotations(klass):
            raise TypeError(
                f"{protocol.__name__}.{name} is an attribute; only methods can be routed"
            )
        for name, member in vars(klass).items():
            if name.startswith("__") or not _is_member(name, member):
                continue
            operations[name] = (_kind(protocol, name, member), member)
    if not operations:
        raise TypeError(f"{protocol.__name__} declares no methods to route")
    return operations


def _is_member(name: str, member: object) -> bool:
    if isinstance(member, property | classmethod | staticmethod):
        raise TypeError(f"{name} is a {type(member).__name__}; only plain methods can be routed")
    return inspect.isfunction(member)


def _kind(protocol: type, name: str, member: Callable[..., Any]) -> OperationKind:
    kind = operation_kind(member)
    if kind is None:
        raise TypeError(
            f"{protocol.__name__}.{name} is marked neither @query nor @command; "
            "mark it so the router knows whether it reads or writes"
        )
    return kind


def routed_class(protocol: type) -> type[RoutedBase]:
    """The routed class of ``protocol`` (built on first use, then cached)."""
    found = _classes.get(protocol)
    if found is not None:
        return found
    with _classes_lock:
        found = _classes.get(protocol)
        if found is None:
            found = _build(protocol)
            _classes[protocol] = found
    return found


def _build(protocol: type) -> type[RoutedBase]:
    namespace: dict[str, Any] = {
        "__slots__": (),
        "__doc__": f"{protocol.__name__} routed between an old and a new implementation.",
        "__module__": __name__,
    }
    for name, (kind, member) in protocol_operations(protocol).items():
        namespace[name] = _forwarder(protocol, name, kind, member)
    return type(f"Routed{protocol.__name__}", (RoutedBase,), namespace)


def _forwarder(
    protocol: type, name: str, kind: OperationKind, member: Callable[..., Any]
) -> Callable[..., Any]:
    def method(self: RoutedBase, /, *args: Any, **kwargs: Any) -> Any:
        return self._dal_calls[name](args, kwargs)

    method.__name__ = name
    method.__qualname__ = f"Routed{protocol.__name__}.{name}"
    method.__doc__ = member.__doc__
    method.__annotations__ = dict(getattr(member, "__annotations__", {}))
    method.__signature__ = inspect.signature(member)  # type: ignore[attr-defined]
    return _MARK[kind](method)
