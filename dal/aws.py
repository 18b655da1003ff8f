"""boto3 DynamoDB clients and resources for the layer's tools, from an endpoint and a region.

With an endpoint (DynamoDB Local) and no credentials configured, dummy
credentials are used: DynamoDB Local accepts any. Without an endpoint the
client talks to real AWS in ``region`` with boto3's default credential chain
(environment, shared config and SSO, container or instance role); keys are
never read from the layer's own files. :func:`aws_errors` turns what boto3
raises for an unreachable endpoint or refused credentials into the layer's
errors with a message that says what to check.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from interfaces.errors import AccessDenied, BackendUnavailable, Throttled

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient, DynamoDBServiceResource

__all__ = [
    "LOCAL_ACCESS_KEY",
    "aws_errors",
    "client_config",
    "describe_target",
    "dynamodb_client",
    "dynamodb_resource",
    "session_for",
]

LOCAL_ACCESS_KEY = "local"
"""Access key id (and secret) used against an endpoint when no credentials are configured."""

_REFUSED = frozenset(
    {
        "AccessDeniedException",
        "ExpiredTokenException",
        "IncompleteSignatureException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "MissingAuthenticationTokenException",
        "UnrecognizedClientException",
    }
)
_THROTTLED = frozenset(
    {"ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded"}
)
_UNREACHABLE = (
    EndpointConnectionError,
    ConnectTimeoutError,
    ReadTimeoutError,
    ConnectionClosedError,
)


def client_config(*, connect_timeout: float = 5.0, read_timeout: float = 30.0) -> Config:
    """Timeouts and botocore's standard retry mode (3 attempts) for tool clients."""
    return Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"mode": "standard", "max_attempts": 3},
    )


def session_for(endpoint: str | None, region: str) -> boto3.Session:
    """A boto3 session for ``region``; dummy credentials for an endpoint without any."""
    session = boto3.Session(region_name=region)
    if endpoint and session.get_credentials() is None:
        session = boto3.Session(
            aws_access_key_id=LOCAL_ACCESS_KEY,
            aws_secret_access_key=LOCAL_ACCESS_KEY,
            region_name=region,
        )
    return session


def dynamodb_client(
    endpoint: str | None, region: str, *, config: Config | None = None
) -> DynamoDBClient:
    """A low-level DynamoDB client; ``endpoint`` None or empty means real AWS."""
    return session_for(endpoint, region).client(
        "dynamodb", endpoint_url=endpoint or None, config=config or client_config()
    )


def dynamodb_resource(
    endpoint: str | None, region: str, *, config: Config | None = None
) -> DynamoDBServiceResource:
    """A DynamoDB service resource; ``endpoint`` None or empty means real AWS."""
    return session_for(endpoint, region).resource(
        "dynamodb", endpoint_url=endpoint or None, config=config or client_config()
    )


def describe_target(endpoint: str | None, region: str) -> str:
    """``DynamoDB at http://...`` or ``DynamoDB in region eu-west-1``, for messages."""
    return f"DynamoDB at {endpoint}" if endpoint else f"DynamoDB in region {region}"


@contextmanager
def aws_errors(endpoint: str | None, region: str) -> Iterator[None]:
    """Translate boto3's connection, credential and throttling errors to the layer's errors.

    An unreachable endpoint raises :class:`~interfaces.errors.BackendUnavailable`,
    missing or refused credentials :class:`~interfaces.errors.AccessDenied`,
    throttling :class:`~interfaces.errors.Throttled`; the boto3 error is the
    ``__cause__``. Other errors pass unchanged.
    """
    target = describe_target(endpoint, region)
    try:
        yield
    except _UNREACHABLE as error:
        raise BackendUnavailable(f"{target} cannot be reached: {error}") from error
    except (NoCredentialsError, PartialCredentialsError) as error:
        raise AccessDenied(
            f"{target}: no usable AWS credentials ({error}); configure the default "
            "credential chain (AWS_PROFILE, aws sso login, an instance or task role)"
        ) from error
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", str(error))
        if code in _REFUSED:
            raise AccessDenied(f"{target} refused the credentials: {code}: {message}") from error
        if code in _THROTTLED:
            raise Throttled(f"{target} throttled the request: {code}: {message}") from error
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if status >= 500:
            raise BackendUnavailable(f"{target} failed: {code}: {message}") from error
        raise
