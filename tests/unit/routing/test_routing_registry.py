"""Generic repositories behind the router: any declared entity is routed by its own stage.

Both sides are the in-memory repositories of the tracker example's declarations,
sharing one replaying clock and id allocator as the container wires them.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapters.memory import MemoryRepositories
from dal.routing import (
    MemoryRecorder,
    ReplayingClock,
    ReplayingIdAllocator,
    Router,
    Stage,
    StaticFlags,
)
from examples.tracker.declarations import SPECS
from interfaces import EntityStore, MemoryIdAllocator, NotFound, SteppingClock
from interfaces.repository import Repositories

TICKET = {
    "project_id": 1,
    "number": 7,
    "code": "APO-7",
    "title": "Fix the hatch",
    "status": "open",
    "estimate": Decimal("2.5"),
}


def _sides() -> tuple[MemoryRepositories, MemoryRepositories]:
    clock = ReplayingClock(SteppingClock())
    ids = ReplayingIdAllocator(MemoryIdAllocator())
    return (
        MemoryRepositories(SPECS, clock=clock, ids=ids),
        MemoryRepositories(SPECS, clock=clock, ids=ids),
    )


def _routed(
    stage: Stage, old: Repositories, new: Repositories
) -> tuple[Router, Repositories, MemoryRecorder]:
    recorder = MemoryRecorder()
    flags = StaticFlags(dict.fromkeys(("projects", "labels", "tickets"), stage))
    router = Router(flags, recorder, metrics_interval=None)
    return router, router.route_repositories(old, new), recorder


def _seed(repositories: Repositories) -> None:
    with repositories.unit_of_work():
        repositories.repository("projects").create({"name": "Apollo", "owner_email": "a@x.io"})
        repositories.repository("tickets").create(TICKET)


@pytest.mark.parametrize(
    ("stage", "written"),
    [
        (Stage.OFF, {"old"}),
        (Stage.DUAL_WRITE, {"old", "new"}),
        (Stage.SHADOW, {"old", "new"}),
        (Stage.LIVE, {"old", "new"}),
        (Stage.RAMPDOWN, {"old", "new"}),
        (Stage.COMPLETE, {"new"}),
    ],
)
def test_each_stage_writes_the_sides_its_plan_names(stage: Stage, written: set[str]) -> None:
    old, new = _sides()
    router, routed, _ = _routed(stage, old, new)
    _seed(routed)
    router.close()
    for name, side in (("old", old), ("new", new)):
        tickets = side.repository("tickets")
        if name in written:
            stored = tickets.get({"project_id": 1, "number": 7})
            assert stored.model_dump()["code"] == "APO-7"
        else:
            with pytest.raises(NotFound):
                tickets.get({"project_id": 1, "number": 7})
    if written == {"old", "new"}:
        key = {"project_id": 1, "number": 7}
        assert old.repository("tickets").get(key) == new.repository("tickets").get(key)


def test_a_shadow_read_names_the_drifting_field() -> None:
    old, new = _sides()
    router, routed, recorder = _routed(Stage.SHADOW, old, new)
    _seed(routed)
    new.repository("tickets").update({"project_id": 1, "number": 7}, {"title": "drifted"})
    routed.repository("tickets").get({"project_id": 1, "number": 7})
    router.flush()
    router.close()
    reads = [c for c in recorder.comparisons if c.operation == "get"]
    assert len(reads) == 1
    assert not reads[0].matched
    assert {d.path for d in reads[0].differences} >= {"title"}


def test_an_entity_nobody_declared_is_refused_by_name() -> None:
    old, new = _sides()
    router, routed, _ = _routed(Stage.SHADOW, old, new)
    with pytest.raises(
        KeyError, match="unknown entity 'reviews' \\(known: projects, labels, tickets\\)"
    ):
        routed.repository("reviews")
    router.close()


def test_both_sides_must_serve_the_same_entities() -> None:
    old, _ = _sides()
    router, routed, _ = _routed(Stage.SHADOW, old, MemoryRepositories(SPECS[:1]))
    with pytest.raises(ValueError, match="only old has labels, tickets"):
        routed.repository("projects")
    router.close()


def test_a_routed_store_serves_its_entities_through_repository() -> None:
    old, new = _sides()
    router, _, _ = _routed(Stage.SHADOW, old, new)
    with pytest.raises(KeyError, match="built without entities"):
        EntityStore(unit_of_work=old.unit_of_work).repository("tickets")
    store = router.route_store(
        EntityStore(unit_of_work=old.unit_of_work, entities=old),
        EntityStore(unit_of_work=new.unit_of_work, entities=new),
    )
    assert type(store) is EntityStore
    _seed(store.entities)  # type: ignore[arg-type]
    with store.unit_of_work():
        found = store.repository("tickets").get({"project_id": 1, "number": 7})
    assert found == new.repository("tickets").get({"project_id": 1, "number": 7})
    assert store.repository("tickets") is store.repository("tickets")
    router.close()


class _IndexedMemory(MemoryRepositories):
    """Memory repositories that say, as the DynamoDB ones do, which queries read an index."""

    def eventually_consistent(self) -> list[str]:
        return ["tickets.by_label", "labels.by_project"]


def test_queries_the_new_side_reads_from_an_index_are_re_read_before_they_count() -> None:
    old, _ = _sides()
    router, routed, _ = _routed(Stage.SHADOW, old, _IndexedMemory(SPECS))
    routed.repository("tickets")
    reads = router._services.eventually_consistent
    assert ("tickets", "query.by_label") in reads
    assert ("labels", "query.by_project") not in reads  # labels not routed yet
    routed.repository("labels")
    assert ("labels", "query.by_project") in reads
    router.close()
