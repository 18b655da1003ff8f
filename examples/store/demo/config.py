"""How big the demonstration is, and where it runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dal.settings import Settings

__all__ = ["DEFAULT_SCALE", "SMALL_SCALE", "DemoConfig", "DemoScale"]


@dataclass(frozen=True)
class DemoScale:
    """Rows seeded and calls made per stage; ``seed`` makes the workload reproducible."""

    users: int = 80
    sellers: int = 16
    categories: int = 18
    products: int = 240
    calls_per_stage: int = 200
    seed: int = 2026

    def __post_init__(self) -> None:
        checks = {
            "users": self.users >= 4,
            "sellers": 1 <= self.sellers < self.users,
            "categories": self.categories >= 2,
            "products": self.products >= 4,
            "calls_per_stage": self.calls_per_stage >= 1,
        }
        wrong = [name for name, ok in checks.items() if not ok]
        if wrong:
            raise ValueError(f"demo scale out of range: {', '.join(wrong)}")


DEFAULT_SCALE = DemoScale()
"""A few hundred rows and a workload that runs in a minute or two."""

SMALL_SCALE = DemoScale(users=16, sellers=4, categories=6, products=30, calls_per_stage=40)
"""Enough to see every stage and the planted drifts, in a few seconds of work per stage."""


@dataclass(frozen=True)
class DemoConfig:
    """Where the demo writes (``out``), its size, and its settings.

    ``settings`` None reads ``DAL_*`` from the environment. An unset
    ``DAL_MYSQL_URL`` means a SQLite database in ``out``; an unset
    ``DAL_DYNAMODB_ENDPOINT`` means a DynamoDB Local the demo starts itself, so
    the demo never creates tables in real AWS by accident.
    """

    out: Path
    scale: DemoScale = field(default_factory=DemoScale)
    settings: Settings | None = None
