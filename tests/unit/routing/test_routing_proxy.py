"""route(): any marked Protocol, exactly its methods, clear errors for what cannot be routed."""

from __future__ import annotations

import inspect
from typing import Protocol, runtime_checkable

import pytest
from routing_toys import FakeNotes, Notes

from dal import MemoryRecorder, Router, StaticFlags
from examples.store import (
    CartRepository,
    CategoryRepository,
    OrderRepository,
    ProductRepository,
    UserRepository,
)
from interfaces import command, operation_kind, query


@pytest.fixture
def router():
    with Router(StaticFlags({}), MemoryRecorder(), metrics_interval=None) as router:
        yield router


def test_the_routed_object_has_exactly_the_protocol_methods(router):
    notes = router.route("notes", Notes, old=FakeNotes("old"), new=FakeNotes("new"))
    assert isinstance(notes, Notes)
    public = {name for name in dir(notes) if not name.startswith("_")}
    assert public == {"get", "find", "count", "put", "delete"}
    with pytest.raises(AttributeError):
        notes.anything_else  # noqa: B018
    with pytest.raises(AttributeError):
        notes.extra = 1  # no attributes can be added either
    assert inspect.signature(type(notes).put) == inspect.signature(Notes.put)
    assert operation_kind(type(notes).put) == "command"
    assert type(notes).get.__doc__ == Notes.get.__doc__


def test_one_class_per_protocol(router):
    first = router.route("a", Notes, old=FakeNotes("o"), new=FakeNotes("n"))
    second = router.route("b", Notes, old=FakeNotes("o"), new=FakeNotes("n"))
    assert type(first) is type(second)


@pytest.mark.parametrize(
    "protocol",
    [UserRepository, CategoryRepository, ProductRepository, CartRepository, OrderRepository],
)
def test_every_store_protocol_can_be_routed(router, protocol):
    from examples.store.memory import build_store

    store = build_store()
    entity = {
        UserRepository: "users",
        CategoryRepository: "categories",
        ProductRepository: "products",
        CartRepository: "carts",
        OrderRepository: "orders",
    }[protocol]
    repository = getattr(store, entity)
    assert isinstance(router.route(entity, protocol, old=repository, new=repository), protocol)


def test_an_unmarked_method_is_refused_at_route_time(router):
    class Half(Protocol):
        @query
        def get(self, key: str) -> str: ...

        def put(self, key: str) -> None: ...

    with pytest.raises(TypeError, match=r"Half\.put is marked neither @query nor @command"):
        router.route("half", Half, old=object(), new=object())


def test_attributes_and_properties_are_refused(router):
    class WithAttribute(Protocol):
        name: str

        @query
        def get(self) -> str: ...

    class WithProperty(Protocol):
        @property
        def name(self) -> str: ...

    with pytest.raises(TypeError, match=r"WithAttribute\.name is an attribute"):
        router.route("x", WithAttribute, old=object(), new=object())
    with pytest.raises(TypeError, match="name is a property"):
        router.route("x", WithProperty, old=object(), new=object())


def test_not_a_protocol_or_an_empty_one_is_refused(router):
    class Plain:
        @query
        def get(self) -> str: ...

    class Empty(Protocol):
        pass

    with pytest.raises(TypeError, match=r"not a typing\.Protocol"):
        router.route("x", Plain, old=object(), new=object())
    with pytest.raises(TypeError, match="declares no methods"):
        router.route("x", Empty, old=object(), new=object())


def test_an_implementation_lacking_a_method_is_refused(router):
    class Partial:
        def get(self, key: str) -> None: ...

    with pytest.raises(TypeError, match=r"new implementation Partial lacks Notes\.find"):
        router.route("notes", Notes, old=FakeNotes("old"), new=Partial())


def test_a_bad_entity_name_is_refused(router):
    with pytest.raises(ValueError, match="entity name"):
        router.route("notes.get", Notes, old=FakeNotes("o"), new=FakeNotes("n"))


def test_inherited_protocol_methods_are_routed(router):
    @runtime_checkable
    class Base(Protocol):
        @query
        def get(self, key: str) -> str: ...

    @runtime_checkable
    class Derived(Base, Protocol):
        @command
        def put(self, key: str) -> None: ...

    class Impl:
        def get(self, key: str) -> str:
            return key

        def put(self, key: str) -> None:
            return None

    routed = router.route("d", Derived, old=Impl(), new=Impl())
    assert routed.get("k") == "k"
    assert isinstance(routed, Base)
    assert {n for n in dir(routed) if not n.startswith("_")} == {"get", "put"}


def test_routed_objects_can_be_routed_again(router):
    inner = router.route("notes", Notes, old=FakeNotes("o"), new=FakeNotes("n"))
    outer = router.route("notes2", Notes, old=inner, new=FakeNotes("n2"))
    assert outer.count() == 0
