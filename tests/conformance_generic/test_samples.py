"""The sample generator: valid, distinct values from the model, the MySQL column and the spec."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, Field, ValidationError

from dal.testing import SampleError, SampleGenerator
from dal.testing.samples import field_kind
from examples.tracker import schema
from examples.tracker.declarations import SPECS, TICKETS
from interfaces.entities import EntitySpec

COUNT = 60


@pytest.fixture
def samples() -> SampleGenerator:
    return SampleGenerator(SPECS, schema.metadata)


def stamped_placeholders(generator: SampleGenerator, spec: EntitySpec) -> dict[str, Any]:
    return {name: generator.value(spec.name, name, 0) for name in spec.stamped}


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_every_sample_is_valid_for_the_model(samples: SampleGenerator, spec: EntitySpec) -> None:
    for n in range(COUNT):
        values = samples.values(spec.name, n)
        assert not set(values) & spec.stamped
        model = spec.model.model_validate({**values, **stamped_placeholders(samples, spec)})
        assert {name: getattr(model, name) for name in values} == values


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_distinct_n_give_distinct_unique_values_and_keys(
    samples: SampleGenerator, spec: EntitySpec
) -> None:
    rows = [samples.values(spec.name, n) for n in range(COUNT)]
    for unique in spec.unique:
        seen = {tuple(str(row[f]).casefold() for f in unique.fields) for row in rows}
        assert len(seen) == COUNT, unique.label
    given_key = [name for name in spec.key if name not in spec.stamped]
    if given_key:
        assert len({tuple(row[f] for f in given_key) for row in rows}) == COUNT


def test_columns_bound_text_decimals_and_datetimes(samples: SampleGenerator) -> None:
    rows = [samples.values("tickets", n) for n in range(COUNT)]

    assert all(len(row["code"]) <= 40 for row in rows)
    assert all(row["estimate"].as_tuple().exponent == -4 for row in rows)
    assert all(abs(row["estimate"]) < Decimal(10) ** 8 for row in rows)
    assert all(row["status"] in schema.TICKET_STATUSES for row in rows)
    assert {row["status"] for row in rows} == set(schema.TICKET_STATUSES)
    due = [row["due_at"] for row in rows]
    assert all(isinstance(d, datetime) and d.utcoffset() is not None for d in due)
    assert any(d.microsecond for d in due), "DATETIME(6) keeps microseconds"


def test_whole_seconds_and_default_scale_without_a_schema() -> None:
    generator = SampleGenerator(SPECS)
    rows = [generator.values("tickets", n) for n in range(COUNT)]

    assert all(row["due_at"].microsecond == 0 for row in rows)
    assert all(row["estimate"].as_tuple().exponent == -2 for row in rows)


def test_text_orders_differently_by_code_point_and_ignoring_case(
    samples: SampleGenerator,
) -> None:
    titles = [samples.value("labels", "title", n) for n in range(4)]

    assert sorted(titles) != sorted(titles, key=str.casefold)
    assert all(title.swapcase() != title for title in titles)


def test_ints_start_at_one_within_their_bounds(samples: SampleGenerator) -> None:
    assert samples.value("tickets", "number", 0) == 1
    assert samples.value("tickets", "project_id", 4) == 5
    assert samples.kind("tickets", "project_id").lower == 1
    assert samples.kind("tickets", "label_id").nullable


def test_invalid_values_are_refused_by_the_model(samples: SampleGenerator) -> None:
    for name in TICKETS.fields:
        with pytest.raises(ValidationError):
            TICKETS.model.model_validate(
                {
                    **samples.values("tickets", 0),
                    **stamped_placeholders(samples, TICKETS),
                    name: samples.invalid_value("tickets", name),
                }
            )


def test_a_factory_replaces_the_generated_values() -> None:
    def projects(n: int) -> dict[str, Any]:
        return {"name": f"project {n}", "owner_email": f"owner{n}@example.com", "version": 9}

    generator = SampleGenerator(SPECS, schema.metadata, {"projects": projects})

    assert generator.values("projects", 3) == {
        "name": "project 3",
        "owner_email": "owner3@example.com",
    }


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Odd(BaseModel):
    id: Annotated[int, Field(gt=10, lt=20)]
    colour: Colour | None = None
    blob: bytes


ODD = EntitySpec(name="odds", table="odds", model=Odd, key=("id",))


def test_bounds_enums_and_unsupported_types() -> None:
    generator = SampleGenerator([ODD])

    assert [generator.value("odds", "id", n) for n in (0, 8, 9)] == [11, 19, 11]
    assert generator.value("odds", "colour", 1) is Colour.BLUE
    assert field_kind(Odd.model_fields["colour"]).nullable
    with pytest.raises(SampleError, match=r"odds\.blob.*samples\['odds'\]"):
        generator.values("odds", 0)
