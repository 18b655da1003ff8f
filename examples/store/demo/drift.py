"""Real drift, planted straight into DynamoDB with boto3, behind the layer's back.

Two writes that no dual write made, as a buggy script or a manual fix would:

* a product's ``price`` changed on its item in the Products table;
* one line of a shopper's cart deleted from the Users table.

Keys, attribute names and types come from the migration contract, as
everything else does. After planting, the shopper and a customer read what
was changed, so that the shadow reads compare it at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from dal.contract import Contract, Entity, Table
from dal.schema import physical_name
from examples.store import Store
from examples.store.demo.catalog import Catalog

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = ["PlantedDrift", "plant_drifts", "read_drifted"]


@dataclass(frozen=True)
class PlantedDrift:
    """One planted difference and where comparisons should report it.

    ``expected`` lists ``(operation, path)`` pairs of the entity whose drift
    (paths as the report folds them) shows the difference.
    """

    entity: str
    description: str
    expected: tuple[tuple[str, str], ...]
    user_id: int | None = None
    product_id: int = 0
    caught: list[tuple[str, str, int]] = field(default_factory=list)


def _entity(contract: Contract, source_table: str) -> tuple[Table, Entity]:
    for table in contract.tables:
        for entity in table.entities:
            if entity.source_table == source_table:
                return table, entity
    raise LookupError(f"the contract maps no table {source_table!r} to DynamoDB")


def _key(table: Table, entity: Entity, values: dict[str, object]) -> dict[str, Any]:
    key = {table.pk: {str(table.key_types[table.pk]): entity.pk_template.render(values)}}
    if table.sk is not None and entity.sk_template is not None:
        key[table.sk] = {str(table.key_types[table.sk]): entity.sk_template.render(values)}
    return key


def _price_attribute(entity: Entity) -> tuple[str, str]:
    for attribute in entity.attributes:
        if attribute.source_columns == ("price",) and not attribute.is_derived:
            return attribute.name, str(attribute.type)
    raise LookupError(f"entity {entity.entity_type} has no attribute copied from 'price'")


def _change_price(
    client: DynamoDBClient, contract: Contract, prefix: str, product_id: int, price: Decimal
) -> None:
    table, entity = _entity(contract, "products")
    name, kind = _price_attribute(entity)
    client.update_item(
        TableName=physical_name(prefix, table.name),
        Key=_key(table, entity, {"id": product_id, "product_id": product_id}),
        UpdateExpression="SET #price = :price",
        ConditionExpression=f"attribute_exists({table.pk})",
        ExpressionAttributeNames={"#price": name},
        ExpressionAttributeValues={":price": {kind: str(price)}},
    )


def _delete_cart_line(
    client: DynamoDBClient, contract: Contract, prefix: str, email: str, user_id: int, product: int
) -> None:
    table, entity = _entity(contract, "shopping_carts")
    values: dict[str, object] = {
        "user_email": email,
        "email": email,
        "user_id": user_id,
        "product_id": product,
    }
    client.delete_item(
        TableName=physical_name(prefix, table.name),
        Key=_key(table, entity, values),
        ConditionExpression=f"attribute_exists({table.pk})",
    )


def _shopper_with_two_lines(store: Store, catalog: Catalog) -> tuple[int, int]:
    """A user with at least two cart lines (two are added if no one has) and their last product.

    Chosen from what the workload put in carts, not by reading them: a read just
    before a write would race its own shadow read.
    """
    for user in catalog.users:
        cart = catalog.cart_of(user)
        if len(cart) >= 2:
            return user, max(cart)
    user = catalog.users[-1]
    products = sorted(catalog.products)[:2]
    with store.unit_of_work():
        for product in products:
            store.carts.add_item(user, product, 1)
    catalog.cart_of(user).update(products)
    return user, max(catalog.cart_of(user))


def plant_drifts(
    client: DynamoDBClient, contract: Contract, prefix: str, store: Store, catalog: Catalog
) -> list[PlantedDrift]:
    """Change a product's price and delete a cart line in DynamoDB only; return what was done."""
    product = sorted(catalog.products)[len(catalog.products) // 2]
    with store.unit_of_work():
        before = store.products.get(product)
    drifted_price = before.price + Decimal("5.00")
    _change_price(client, contract, prefix, product, drifted_price)
    user, line = _shopper_with_two_lines(store, catalog)
    _delete_cart_line(client, contract, prefix, catalog.emails[user], user, line)
    return [
        PlantedDrift(
            entity="products",
            description=f"product {product}: price {before.price} -> {drifted_price} in DynamoDB",
            expected=(("get", "price"), ("get_details", "price")),
            product_id=product,
        ),
        PlantedDrift(
            entity="carts",
            description=f"user {user}: cart line of product {line} deleted from DynamoDB",
            expected=(("get_item", "$"), ("list_items", "[*]")),
            user_id=user,
            product_id=line,
        ),
    ]


def read_drifted(store: Store, planted: list[PlantedDrift]) -> None:
    """Read what was changed, as a customer and the shopper would (shadow reads compare it)."""
    for drift in planted:
        with store.unit_of_work():
            if drift.user_id is None:
                store.products.get(drift.product_id)
                store.products.get_details(drift.product_id)
            else:
                store.carts.list_items(drift.user_id)
                store.carts.get_item(drift.user_id, drift.product_id)
