"""Raw DynamoDB requests over PynamoDB's connection, with the adapter's retries and errors.

Items travel in DynamoDB's wire form (``{"PK": {"S": "..."}}``). PynamoDB's
``Connection`` supplies the botocore client (endpoint, region, timeouts, pooled
connections) with botocore's own retries bounded to a single attempt, so that
:class:`~adapters.dynamodb.retry.RetryPolicy` alone decides what is retried.
Every request goes through :meth:`DynamoClient.call`, the one place where
backend errors are translated.

Within a deadline (:func:`interfaces.deadline`) the client waits for an answer
no longer than the time left: the request is sent from a helper thread and a
request still unanswered at the deadline raises
:class:`~interfaces.DeadlineExceeded` (its answer, should it come, is dropped);
a request whose deadline has passed is not sent, and no retry waits past it.

A write is sent again only when sending it twice cannot change the outcome. When a
request may have reached DynamoDB but no answer came back (a read timeout, a
connection closed mid-request, a 5xx), reads, unconditional puts and deletes,
batch writes and transactions (which carry a ``ClientRequestToken``) are retried;
an ``UpdateItem`` (an ``ADD`` would count twice) or a conditional put or delete (a
second attempt would fail its own condition) is not: the caller gets
:class:`~interfaces.BackendUnavailable` saying that the write may have been applied.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from botocore.exceptions import ClientError, HTTPClientError
from botocore.session import get_session
from pynamodb.connection import Connection

from adapters.dynamodb.errors import (
    ConditionFailed,
    TransactionCancelled,
    cancel_reasons,
    error_code,
    http_status,
    is_transient,
    translate,
)
from adapters.dynamodb.retry import RetryPolicy, call_with_retry
from adapters.dynamodb.values import AttributeValue
from adapters.dynamodb.wire import ENCODED, ENCODED_OPERATIONS, encode_request, install
from interfaces.deadlines import time_left
from interfaces.errors import BackendUnavailable, DeadlineExceeded

__all__ = ["MAX_TRANSACTION_ACTIONS", "DynamoClient", "Item", "Key", "connect"]

Item = dict[str, AttributeValue]
Key = dict[str, AttributeValue]
MAX_TRANSACTION_ACTIONS = 100
LOCAL_KEY = "local"


def connect(
    endpoint: str | None,
    region: str,
    *,
    connect_timeout: float = 2.0,
    read_timeout: float = 5.0,
    max_pool_connections: int = 20,
) -> Connection:
    """A PynamoDB connection whose botocore client makes exactly one attempt per call.

    ``endpoint`` None (or empty) means the real AWS endpoint of ``region`` with
    botocore's default credential chain; against an endpoint (DynamoDB Local)
    without configured credentials, dummy ones are used (it accepts any).
    """
    local = bool(endpoint) and get_session().get_credentials() is None
    return Connection(
        region=region,
        host=endpoint or None,
        connect_timeout_seconds=connect_timeout,
        read_timeout_seconds=read_timeout,
        max_retry_attempts=0,
        retry_configuration={"total_max_attempts": 1, "mode": "standard"},
        max_pool_connections=max_pool_connections,
        aws_access_key_id=LOCAL_KEY if local else None,
        aws_secret_access_key=LOCAL_KEY if local else None,
    )


def _original(exc: ClientError) -> ClientError:
    """PynamoDB wraps botocore's error and keeps the full response on the cause."""
    cause = exc.__cause__
    return cause if isinstance(cause, ClientError) else exc


class DynamoClient:
    """Sends requests through a PynamoDB connection with retries and error translation.

    With ``encode_writes`` the requests of :data:`~adapters.dynamodb.wire.ENCODED_OPERATIONS`
    (batch writes, write transactions) are encoded to JSON by the standard library
    rather than by botocore's serializer (:mod:`adapters.dynamodb.wire`): the same
    body, for a fraction of the interpreter's time.
    """

    def __init__(
        self,
        connection: Connection,
        retry: RetryPolicy | None = None,
        *,
        encode_writes: bool = False,
    ) -> None:
        self.connection = connection
        self.retry = retry or RetryPolicy()
        self._encoded = ENCODED_OPERATIONS if encode_writes else frozenset()
        if encode_writes:
            install(connection.client)
        self._senders: ThreadPoolExecutor | None = None
        self._senders_lock = threading.Lock()

    # --- the boundary -------------------------------------------------------------------

    def call(self, operation: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """Send one request (retrying transient failures) and return the raw response.

        A failed condition raises :class:`ConditionFailed` (with the old item when
        the request asked for it), a cancelled transaction
        :class:`TransactionCancelled`; every other failure is translated.
        """
        table = request.get("TableName") or ", ".join(request.get("RequestItems", {})) or None
        resend = _resendable(operation, request)
        transient = is_transient if resend else _transient_and_unsent
        try:
            return call_with_retry(
                lambda: self._attempt(operation, dict(request)), self.retry, transient
            )
        except (ConditionFailed, TransactionCancelled, DeadlineExceeded):
            raise
        except Exception as exc:
            error = translate(exc, table)
            if not resend and _ambiguous(exc):
                raise BackendUnavailable(
                    f"{error} (DynamoDB {operation} got no answer: the write may or may not "
                    "have been applied, so it was not sent again)"
                ) from exc
            raise error from exc

    def _attempt(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        """Send once, waiting no longer than the deadline of the calling context, if any."""
        left = time_left()
        if left is None:
            return self._send(operation, request)
        if left <= 0:
            raise DeadlineExceeded(f"DynamoDB {operation} not sent: the deadline has passed")
        future = self._sender().submit(self._send, operation, request)
        try:
            return future.result(timeout=left)
        except FutureTimeout:
            future.cancel()
            raise DeadlineExceeded(
                f"DynamoDB {operation} gave no answer within the deadline ({left:.3f} s)"
            ) from None

    def _sender(self) -> ThreadPoolExecutor:
        """The threads that send requests made within a deadline (one per pooled connection)."""
        senders = self._senders
        if senders is None:
            with self._senders_lock:
                senders = self._senders
                if senders is None:
                    config = self.connection.client.meta.config
                    workers = getattr(config, "max_pool_connections", None) or 10
                    senders = ThreadPoolExecutor(workers, thread_name_prefix="dal-dynamodb")
                    self._senders = senders
        return senders

    def _send(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        if operation in self._encoded:
            body = encode_request(request)
            if body is not None:
                request = {**request, ENCODED: body}
        try:
            return self.connection.dispatch(operation, request)
        except ClientError as exc:
            code = error_code(exc)
            if code == "ConditionalCheckFailedException":
                raise ConditionFailed(_original(exc).response.get("Item")) from exc  # type: ignore[arg-type]
            if code == "TransactionCanceledException":
                raise TransactionCancelled(cancel_reasons(exc)) from exc
            raise

    # --- single items -------------------------------------------------------------------

    def get(self, table: str, key: Key, *, consistent: bool = True) -> Item | None:
        """The item with ``key``, or None."""
        response = self.call(
            "GetItem", {"TableName": table, "Key": key, "ConsistentRead": consistent}
        )
        item: Item | None = response.get("Item")
        return item

    def put(self, table: str, item: Item, **condition: Any) -> None:
        """Put ``item``; ``condition`` holds ConditionExpression and its names/values."""
        self.call("PutItem", {"TableName": table, "Item": item, **_old_on_failure(condition)})

    def update(self, table: str, key: Key, update: str, **extra: Any) -> Item:
        """Apply an UpdateExpression and return the item as it is afterwards."""
        request = {
            "TableName": table,
            "Key": key,
            "UpdateExpression": update,
            "ReturnValues": "ALL_NEW",
            **_old_on_failure(extra),
        }
        attributes: Item = self.call("UpdateItem", request).get("Attributes", {})
        return attributes

    def delete(self, table: str, key: Key, **condition: Any) -> Item | None:
        """Delete the item with ``key`` and return it as it was (None if there was none)."""
        request = {"TableName": table, "Key": key, "ReturnValues": "ALL_OLD"}
        old: Item | None = self.call("DeleteItem", {**request, **_old_on_failure(condition)}).get(
            "Attributes"
        )
        return old

    # --- reads of many items ------------------------------------------------------------

    def pages(
        self, operation: str, request: Mapping[str, Any]
    ) -> Iterator[tuple[list[Item], Key | None]]:
        """Run a Query or Scan page by page: each page's items and its LastEvaluatedKey."""
        start: Key | None = request.get("ExclusiveStartKey")
        while True:
            page_request = dict(request)
            if start is not None:
                page_request["ExclusiveStartKey"] = start
            response = self.call(operation, page_request)
            start = response.get("LastEvaluatedKey")
            yield response.get("Items", []), start
            if start is None:
                return

    def items(self, operation: str, request: Mapping[str, Any]) -> Iterator[Item]:
        """Every item of a Query or Scan, across pages."""
        for page, _ in self.pages(operation, request):
            yield from page

    # --- transactions -------------------------------------------------------------------

    def transact(self, actions: Sequence[Mapping[str, Any]]) -> None:
        """Run up to 100 actions atomically with TransactWriteItems.

        Retries reuse one ClientRequestToken, so a retry of a transaction that
        did commit is not applied twice. Raises :class:`TransactionCancelled`
        when a condition failed or the conflicts outlasted the retry budget.
        """
        if not actions:
            return
        if len(actions) > MAX_TRANSACTION_ACTIONS:
            raise ValueError(f"a transaction holds at most {MAX_TRANSACTION_ACTIONS} actions")
        request = {
            "TransactItems": [_old_on_failure_action(a) for a in actions],
            "ClientRequestToken": uuid.uuid4().hex,
        }
        self.call("TransactWriteItems", request)


_IDEMPOTENT = frozenset(
    {
        "GetItem",
        "BatchGetItem",
        "Query",
        "Scan",
        "TransactGetItems",
        "DescribeTable",
        "ListTables",
        "BatchWriteItem",  # whole items put or deleted, never conditional
    }
)
"""Operations that do the same whatever how many times they arrive."""


def _resendable(operation: str, request: Mapping[str, Any]) -> bool:
    """Whether sending ``request`` again after a lost answer cannot change the outcome."""
    if operation in _IDEMPOTENT:
        return True
    if operation == "TransactWriteItems":
        return "ClientRequestToken" in request  # DynamoDB applies a token once
    if operation in ("PutItem", "DeleteItem"):
        return "ConditionExpression" not in request
    return False  # UpdateItem, and anything unknown


def _ambiguous(exc: BaseException) -> bool:
    """Whether the request may have been applied although it failed."""
    if isinstance(exc, HTTPClientError):  # read timeout, connection closed mid-request
        return True
    return isinstance(exc, ClientError) and http_status(exc) >= 500


def _transient_and_unsent(exc: Exception) -> bool:
    """Transient, and certainly not applied (throttled, refused, never connected)."""
    return is_transient(exc) and not _ambiguous(exc)


def _old_on_failure(request: Mapping[str, Any]) -> dict[str, Any]:
    """Ask for the stored item when a conditional single-item write fails."""
    if "ConditionExpression" not in request:
        return dict(request)
    return {"ReturnValuesOnConditionCheckFailure": "ALL_OLD", **request}


def _old_on_failure_action(action: Mapping[str, Any]) -> dict[str, Any]:
    ((kind, body),) = action.items()
    if kind == "ConditionCheck" or "ConditionExpression" in body:
        return {kind: {"ReturnValuesOnConditionCheckFailure": "ALL_OLD", **body}}
    return {kind: dict(body)}
