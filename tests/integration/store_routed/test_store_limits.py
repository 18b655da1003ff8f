"""A value one backend cannot hold is refused before either backend writes it.

MySQL's ``TEXT`` holds 65,535 bytes; 16,384 four-byte emoji are far fewer
characters than that but more bytes. At ``live`` DynamoDB is written first, so
a check of characters alone let DynamoDB take the product while MySQL refused
it, leaving a write repair could never make.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from dal.routing import MemoryRecorder
from dal.settings import Settings
from examples.store import NewCategory, NewProduct, NewUser
from examples.store.schema import products
from interfaces import UnstorableValue

from .conftest import routed, scan

EMOJI = "\N{GRINNING FACE}"


@pytest.mark.parametrize("stage", ["live", "shadow"])
def test_an_oversize_description_is_refused_and_stored_nowhere(
    settings_at: Callable[[str], Settings],
    engine: Engine,
    raw: Any,
    prefix: str,
    tmp_path: Path,
    stage: str,
) -> None:
    recorder = MemoryRecorder()
    log = tmp_path / "repair.jsonl"
    description = EMOJI * (65_535 // 4 + 1)
    assert len(description) < 65_535 < len(description.encode())
    with routed(settings_at(stage), recorder, log) as store:
        with store.unit_of_work():
            seller = store.users.create(
                NewUser(username="seller", email="seller@example.com", password_hash="h" * 20)
            )
            store.users.upgrade_to_seller(seller.id)
            category = store.categories.create(NewCategory(name="Emoji"))
        new = NewProduct(
            seller_id=seller.id,
            category_id=category.id,
            name="Very expressive",
            description=description,
            price=Decimal("1.00"),
        )
        with pytest.raises(UnstorableValue) as raised, store.unit_of_work():
            store.products.create(new)
    assert raised.value.field == "description"
    assert "product.description" in str(raised.value)
    assert "65,535 bytes" in str(raised.value)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(products)).scalar() == 0
    assert [i for i in scan(raw, f"{prefix}Products") if "description" in i] == []
    assert not log.exists() or log.read_text() == ""
    assert recorder.errors == []
