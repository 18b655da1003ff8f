"""Large write requests encoded to JSON by the standard library instead of botocore's serializer.

botocore serializes a request by walking the service model's shapes value by value
in Python: for a BatchWriteItem of 25 ordinary items that costs about twelve times
what :func:`json.dumps` (in C) takes for the same request, and on a backfill it is
the largest single cost of the process. DynamoDB's JSON protocol sends the
request's members under their own names and the attribute values in the very
form the layer holds them (``{"S": "..."}``); only binary values (``B``, ``BS``)
travel as base64 text, and sets as lists. :func:`encode_request` writes that
body directly.

:func:`install` registers two handlers on a botocore DynamoDB client: before the
parameters are built, a request carrying an encoded body under :data:`ENCODED`
gives it to the call's context and keeps only the table names (botocore resolves
the endpoint from them and serializes nothing else); before the call, the body
replaces the one botocore made. Headers, signing, retries, errors and the parsed
response are botocore's as ever. A request without the marker goes through
botocore's serializer unchanged, so the handlers change nothing for other callers.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["ENCODED", "ENCODED_OPERATIONS", "encode_request", "install"]

ENCODED = "_dal_encoded_body"
"""The request key that carries a body already encoded (removed before botocore sees it)."""

ENCODED_OPERATIONS = frozenset({"BatchWriteItem", "TransactWriteItems"})
"""Operations whose requests carry whole items, where encoding them once pays off."""

_CONTEXT_KEY = "dal_encoded_body"
_INSTALLED = "_dal_wire_installed"


def _default(value: Any) -> Any:
    """JSON for what :mod:`json` does not know: binary values as base64, sets as lists."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, set | frozenset):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not a DynamoDB wire value")


def encode_request(request: Mapping[str, Any]) -> bytes | None:
    """The JSON body DynamoDB expects for ``request``; None for a value JSON cannot hold.

    ``request`` is what would be given to botocore (members by name, items in wire
    form). A None answer means the caller lets botocore serialize the request.
    """
    try:
        return json.dumps(request, default=_default).encode("utf-8")
    except (TypeError, ValueError):
        return None


def install(client: Any) -> None:
    """Let requests of ``client`` (a botocore DynamoDB client) carry an encoded body.

    Idempotent: a client gets the handlers once.
    """
    if getattr(client.meta, _INSTALLED, False):
        return
    events = client.meta.events
    events.register_first("before-parameter-build.dynamodb", _take_body)
    events.register_last("before-call.dynamodb", _put_body)
    setattr(client.meta, _INSTALLED, True)


def _take_body(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    """Move an encoded body into the call's context; leave botocore nothing to serialize."""
    body = params.pop(ENCODED, None)
    if body is None:
        return
    context[_CONTEXT_KEY] = body
    stub = _table_names(params)
    params.clear()
    params.update(stub)


def _table_names(params: Mapping[str, Any]) -> dict[str, Any]:
    """The request reduced to its table names (the endpoint rules may read them)."""
    if "RequestItems" in params:
        return {"RequestItems": {table: [] for table in params["RequestItems"]}}
    if "TransactItems" in params:
        actions = [
            {kind: {"TableName": body["TableName"]} for kind, body in action.items()}
            for action in params["TransactItems"]
        ]
        return {"TransactItems": actions}
    return {}


def _put_body(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    """Send the encoded body in place of the one botocore serialized."""
    body = context.pop(_CONTEXT_KEY, None)
    if body is not None:
        params["body"] = body
