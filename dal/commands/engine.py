"""``--engine local|dask`` of `dal backfill`, `verify` and `repair`: where segments run.

``local`` (the default) runs in this process with ``--workers`` threads. ``dask``
runs the segments as tasks on Dask distributed: on the scheduler named by
``--scheduler tcp://host:8786``, or else on a LocalCluster of ``--workers``
processes (:mod:`dal.migrate.distributed`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

from dal.commands.exits import UsageError
from dal.settings import Settings

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "ENGINES",
    "EngineChoice",
    "EngineOption",
    "RetriesOption",
    "SchedulerOption",
    "ThreadsOption",
    "cluster",
    "portable",
]

ENGINES = ("local", "dask")

EngineOption = Annotated[
    str,
    typer.Option(
        "--engine",
        help="local: this process, --workers threads; dask: segments as Dask tasks "
        "(on --scheduler, else on a LocalCluster of --workers processes).",
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option("--scheduler", help="Dask scheduler address, such as tcp://host:8786."),
]
RetriesOption = Annotated[
    int, typer.Option("--retries", min=0, max=20, help="Dask: runs again of a failed segment.")
]
ThreadsOption = Annotated[
    int, typer.Option("--threads", min=1, max=64, help="Dask: writer threads per segment task.")
]


@dataclass(frozen=True)
class EngineChoice:
    """The engine options of one command, checked."""

    engine: str = "local"
    scheduler: str | None = None
    retries: int = 2
    threads: int = 4

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        if self.scheduler is not None and self.engine != "dask":
            raise UsageError("--scheduler needs --engine dask")

    @property
    def dask(self) -> bool:
        """Whether the segments run on Dask."""
        return self.engine == "dask"


@contextmanager
def cluster(choice: EngineChoice, workers: int) -> Iterator[Client]:
    """A Dask client for ``choice``; exit 2 when Dask is not installed."""
    from dal.migrate.distributed import DaskUnavailable, dask_client

    with ExitStack() as stack:
        try:
            client = stack.enter_context(dask_client(choice.scheduler, workers))
        except DaskUnavailable as exc:
            raise UsageError(str(exc)) from exc
        yield client


def portable(settings: Settings) -> Settings:
    """``settings`` with the contract's path made absolute, as workers elsewhere need it."""
    return settings.model_copy(update={"contract": settings.contract.resolve()})
