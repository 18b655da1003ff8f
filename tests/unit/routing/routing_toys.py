"""A toy Protocol and a hand-written fake of it, to prove the router is generic.

``Notes`` has nothing to do with the store: queries and commands over notes
with an id and timestamps taken from an injected clock and id allocator, so
that replay can be checked too. :class:`FakeNotes` can be told to fail, to be
slow (honouring the caller's deadline as the real adapters do, or not), or to
block until released, per operation.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from dal import MemoryRecorder, Router, Stage, StaticFlags
from dal.routing import FlagSource, MultiRecorder, Recorder, ShadowSettings
from interfaces import (
    Clock,
    DeadlineExceeded,
    IdAllocator,
    MemoryIdAllocator,
    NotFound,
    SteppingClock,
    command,
    query,
    time_left,
)


class Note(BaseModel):
    """A note: the toy entity."""

    model_config = ConfigDict(frozen=True)

    id: int
    key: str
    text: str
    price: Decimal = Decimal("0.00")
    secret: str | None = None
    tags: tuple[str, ...] = ()
    created_at: datetime


@runtime_checkable
class Notes(Protocol):
    """The toy Protocol."""

    @query
    def get(self, key: str) -> Note:
        """The note; NotFound."""
        ...

    @query
    def find(self, key: str) -> Note | None:
        """The note or None."""
        ...

    @query
    def count(self) -> int:
        """How many notes there are."""
        ...

    @command
    def put(self, key: str, text: str, secret: str | None = None) -> Note:
        """Create or replace a note."""
        ...

    @command
    def delete(self, key: str) -> None:
        """Delete a note; NotFound."""
        ...


@dataclass
class Behaviour:
    """How a fake answers one operation: fail, sleep, or wait for a gate first.

    With ``honours_deadline`` a delay ends at the caller's deadline with
    :class:`~interfaces.DeadlineExceeded`, as a real adapter's wait does.
    """

    error: Exception | None = None
    delay: float = 0.0
    gate: threading.Event | None = None
    started: threading.Event = field(default_factory=threading.Event)
    honours_deadline: bool = False


class FakeNotes:
    """An in-memory ``Notes`` with per-operation behaviours and a log of calls."""

    def __init__(
        self,
        name: str,
        clock: Clock | None = None,
        ids: IdAllocator | None = None,
        journal: list[str] | None = None,
    ):
        self.name = name
        self.journal = journal if journal is not None else []
        self.clock = clock if clock is not None else SteppingClock()
        self.ids = ids if ids is not None else MemoryIdAllocator()
        self.notes: dict[str, Note] = {}
        self.calls: list[str] = []
        self.behaviours: dict[str, Behaviour] = {}
        self.lock = threading.Lock()
        self.transform: Callable[[Note], Note] | None = None

    def behave(self, operation: str, **kwargs: object) -> Behaviour:
        """Set how ``operation`` behaves from now on."""
        behaviour = Behaviour(**kwargs)  # type: ignore[arg-type]
        self.behaviours[operation] = behaviour
        return behaviour

    def _enter(self, operation: str) -> None:
        with self.lock:
            self.calls.append(operation)
            self.journal.append(f"{self.name}.{operation}")
        behaviour = self.behaviours.get(operation)
        if behaviour is None:
            return
        behaviour.started.set()
        if behaviour.gate is not None:
            behaviour.gate.wait(30)
        if behaviour.delay:
            left = time_left() if behaviour.honours_deadline else None
            if left is not None and left < behaviour.delay:
                time.sleep(max(left, 0.0))
                raise DeadlineExceeded(f"{self.name}.{operation}: no answer within the deadline")
            time.sleep(behaviour.delay)
        if behaviour.error is not None:
            raise behaviour.error

    def _out(self, note: Note) -> Note:
        return self.transform(note) if self.transform is not None else note

    def get(self, key: str) -> Note:
        self._enter("get")
        if key not in self.notes:
            raise NotFound("note", key)
        return self._out(self.notes[key])

    def find(self, key: str) -> Note | None:
        self._enter("find")
        note = self.notes.get(key)
        return None if note is None else self._out(note)

    def count(self) -> int:
        self._enter("count")
        return len(self.notes)

    def put(self, key: str, text: str, secret: str | None = None) -> Note:
        self._enter("put")
        note = Note(
            id=self.ids.allocate("notes"),
            key=key,
            text=text,
            secret=secret,
            created_at=self.clock.now(),
        )
        self.notes[key] = note
        return self._out(note)

    def delete(self, key: str) -> None:
        self._enter("delete")
        if key not in self.notes:
            raise NotFound("note", key)
        del self.notes[key]


def seed(*fakes: FakeNotes, key: str = "a", text: str = "hello") -> None:
    """Store the same note in every fake, without going through the router."""
    note = Note(id=1, key=key, text=text, created_at=datetime.fromisoformat("2026-01-01T00:00Z"))
    for fake in fakes:
        fake.notes[key] = note


@dataclass
class Rig:
    """A router over two fakes, with its recorder."""

    router: Router
    notes: Notes
    old: FakeNotes
    new: FakeNotes
    recorder: MemoryRecorder


def make_rig(
    stages: dict[str, Stage | str] | FlagSource,
    *,
    shadow: ShadowSettings | None = None,
    extra_recorder: Recorder | None = None,
    **router_kwargs: object,
) -> Rig:
    """A :class:`Rig` over two fresh fakes routed as entity ``notes``.

    ``extra_recorder`` also receives every record (after the rig's memory recorder).
    """
    flags = stages if isinstance(stages, FlagSource) else StaticFlags(stages)
    recorder = MemoryRecorder()
    router = Router(
        flags,
        recorder if extra_recorder is None else MultiRecorder(recorder, extra_recorder),
        shadow=shadow,
        metrics_interval=None,
        **router_kwargs,  # type: ignore[arg-type]
    )
    journal: list[str] = []
    old, new = FakeNotes("old", journal=journal), FakeNotes("new", journal=journal)
    notes = router.route("notes", Notes, old=old, new=new)
    return Rig(router, notes, old, new, recorder)
