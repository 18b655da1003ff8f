"""Tracker entities for the generic SQL repositories' tests, and spec variants."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from typing import Any

from adapters.sql import SqlRepositories
from examples.tracker.declarations import LABELS, PROJECTS, TICKETS
from interfaces.entities import EntitySpec


def project(repos: SqlRepositories, name: str = "Apollo", **extra: Any) -> Any:
    """A new project."""
    values = {"name": name, "owner_email": f"{name.lower()}@example.com", **extra}
    return repos.repository("projects").create(values)


def label(repos: SqlRepositories, project_id: int, title: str = "bug") -> Any:
    """A new label of ``project_id``."""
    return repos.repository("labels").create({"project_id": project_id, "title": title})


def ticket(
    repos: SqlRepositories,
    project_id: int,
    number: int,
    *,
    code: str | None = None,
    due_at: datetime | None = None,
    label_id: int | None = None,
    estimate: Decimal = Decimal("1.5"),
    status: str = "open",
) -> Any:
    """A new ticket ``number`` of ``project_id``."""
    return repos.repository("tickets").create(
        {
            "project_id": project_id,
            "number": number,
            "code": code if code is not None else f"P{project_id}-{number}",
            "title": f"ticket {number}",
            "status": status,
            "estimate": estimate,
            "due_at": due_at,
            "label_id": label_id,
        }
    )


def variant(spec: EntitySpec, **changes: Any) -> EntitySpec:
    """``spec`` with ``changes`` (another unique, other queries...)."""
    return dataclasses.replace(spec, **changes)


def specs_with(*replacements: EntitySpec) -> tuple[EntitySpec, ...]:
    """The tracker's specs with the ones of the same name replaced."""
    by_name = {spec.name: spec for spec in replacements}
    return tuple(by_name.get(spec.name, spec) for spec in (PROJECTS, LABELS, TICKETS))
