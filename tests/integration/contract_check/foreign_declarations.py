"""A declaration of the foreign schema's ``teams`` that opts into optimistic concurrency."""

from __future__ import annotations

from pydantic import BaseModel

from interfaces.entities import EntitySpec


class Team(BaseModel):
    """A team of the foreign schema, with the version its declaration adds."""

    id: int
    captain_id: int | None = None
    name: str | None = None
    version: int


SPECS = [EntitySpec(name="teams", table="teams", model=Team, key=("id",), version="version")]
