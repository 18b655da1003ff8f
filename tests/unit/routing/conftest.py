"""Fixtures of the router's unit tests: rigs over two toy fakes, closed after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from routing_toys import Rig, make_rig


@pytest.fixture
def rig_factory() -> Iterator[Callable[..., Rig]]:
    """Build rigs with :func:`routing_toys.make_rig`; their routers are closed afterwards."""
    rigs: list[Rig] = []

    def build(*args: object, **kwargs: object) -> Rig:
        rig = make_rig(*args, **kwargs)  # type: ignore[arg-type]
        rigs.append(rig)
        return rig

    yield build
    for rig in rigs:
        rig.router.close(timeout=1)
