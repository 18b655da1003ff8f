"""The figures of the fault suite: a row per case, printed as a table at the end of the run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["COLUMNS", "Row", "render", "rows"]


@dataclass(frozen=True)
class Row:
    """What one case came to."""

    case: str
    stage: str
    fault: str
    attempted: int
    acknowledged: int
    lost: int
    logged: int | None
    divergences: int
    p99_ms: float | None
    budget_ms: float | None

    @property
    def ok(self) -> bool:
        within = self.p99_ms is None or self.budget_ms is None or self.p99_ms <= self.budget_ms
        return self.lost == 0 and self.divergences == 0 and within

    def cells(self) -> list[str]:
        def ms(value: float | None) -> str:
            return "n/a" if value is None else f"{value:.0f}"

        return [
            self.case,
            self.stage,
            self.fault,
            str(self.attempted),
            str(self.acknowledged),
            str(self.lost),
            "n/a" if self.logged is None else str(self.logged),
            str(self.divergences),
            ms(self.p99_ms),
            ms(self.budget_ms),
            "ok" if self.ok else "FAIL",
        ]


COLUMNS = [
    "case",
    "stage",
    "fault",
    "attempted",
    "acknowledged",
    "lost",
    "logged for repair",
    "divergences after repair",
    "caller p99 (ms)",
    "budget (ms)",
    "result",
]

rows: list[Row] = []
"""The rows of this run, in the order the cases ran."""


def render(found: list[Row]) -> str:
    """The rows as a Markdown table."""
    lines = [
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---" for _ in COLUMNS) + "|",
    ]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in found]
    return "\n".join(lines) + "\n"


def write(found: list[Row], path: Path, seconds: float) -> None:
    """The table, and how long the suite took, into ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# Fault suite: {len(found)} cases in {seconds:.0f} s\n\n" + render(found))
