"""What the tracker declares: its models and three entity specs.

Everything else (the DynamoDB layout, the SQL statements, the rules each backend
enforces) comes from the contract and these declarations.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict

from interfaces.entities import EntitySpec, NamedQuery, OnDelete, Reference, Unique
from interfaces.types import Id, Int32, Timestamp, exact_decimal

__all__ = ["LABELS", "PROJECTS", "SPECS", "TICKETS", "Label", "Project", "Ticket"]


class Project(BaseModel):
    """A project: its name is unique, compared case-insensitively."""

    model_config = ConfigDict(frozen=True)
    id: Id
    name: str
    owner_email: str
    version: int
    created_at: Timestamp
    updated_at: Timestamp


class Label(BaseModel):
    """A label of a project's tickets."""

    model_config = ConfigDict(frozen=True)
    id: Id
    project_id: Id
    title: str
    created_at: Timestamp


class Ticket(BaseModel):
    """A ticket, numbered within its project."""

    model_config = ConfigDict(frozen=True)
    project_id: Id
    number: Int32
    code: str
    title: str
    status: Literal["open", "in_progress", "closed"]
    estimate: Annotated[Decimal, exact_decimal(12, 4)]
    due_at: Timestamp | None = None
    label_id: Id | None = None
    version: int
    created_at: Timestamp
    updated_at: Timestamp


PROJECTS = EntitySpec(
    name="projects",
    table="projects",
    model=Project,
    key=("id",),
    id_sequence="projects",
    unique=(Unique(("name",), case_insensitive=True),),
    sensitive=frozenset({"owner_email"}),
    version="version",
    created_at="created_at",
    updated_at="updated_at",
)

LABELS = EntitySpec(
    name="labels",
    table="labels",
    model=Label,
    key=("id",),
    id_sequence="labels",
    created_at="created_at",
    references=(Reference(("project_id",), "projects", on_delete=OnDelete.CASCADE),),
    queries=(NamedQuery("by_project", where=("project_id",), order_by=("title",)),),
)

TICKETS = EntitySpec(
    name="tickets",
    table="tickets",
    model=Ticket,
    key=("project_id", "number"),
    unique=(Unique(("code",), case_insensitive=True),),
    references=(
        Reference(("project_id",), "projects", on_delete=OnDelete.RESTRICT),
        Reference(("label_id",), "labels", on_delete=OnDelete.SET_NULL),
    ),
    queries=(
        NamedQuery("by_project", where=("project_id",), order_by=("number",)),
        NamedQuery("by_label", where=("label_id",), order_by=("due_at",), descending=True),
    ),
    version="version",
    created_at="created_at",
    updated_at="updated_at",
)

SPECS = (PROJECTS, LABELS, TICKETS)
"""The tracker's declarations, referenced entities first."""
