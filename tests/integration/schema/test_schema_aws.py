"""boto3 clients from endpoint and region: dummy credentials only for an endpoint without any."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from dal.aws import LOCAL_ACCESS_KEY, aws_errors, dynamodb_client, session_for
from interfaces.errors import AccessDenied

_CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials anywhere in the default chain."""
    for name in _CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.mark.usefixtures("no_credentials")
def test_an_endpoint_without_credentials_gets_dummy_ones() -> None:
    credentials = session_for("http://127.0.0.1:8000", "eu-west-1").get_credentials()

    assert credentials is not None
    assert credentials.access_key == LOCAL_ACCESS_KEY


@pytest.mark.usefixtures("no_credentials")
def test_configured_credentials_are_kept_for_an_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")

    credentials = session_for("http://127.0.0.1:8000", "eu-west-1").get_credentials()

    assert credentials is not None
    assert credentials.access_key == "AKIDEXAMPLE"


@pytest.mark.usefixtures("no_credentials")
def test_real_aws_never_gets_dummy_credentials() -> None:
    client = dynamodb_client(None, "eu-west-1")

    assert client.meta.region_name == "eu-west-1"
    assert client.meta.endpoint_url == "https://dynamodb.eu-west-1.amazonaws.com"
    with pytest.raises(AccessDenied, match="no usable AWS credentials") as raised:
        with aws_errors(None, "eu-west-1"):
            client.list_tables()
    assert "DynamoDB in region eu-west-1" in str(raised.value)


@pytest.mark.usefixtures("no_credentials")
def test_dummy_credentials_work_against_dynamodb_local(dynamodb_endpoint: str) -> None:
    client = dynamodb_client(dynamodb_endpoint, "us-east-1")

    assert "TableNames" in client.list_tables(Limit=1)


def test_other_client_errors_pass_unchanged(dynamodb_endpoint: str, table_prefix: str) -> None:
    client = dynamodb_client(dynamodb_endpoint, "us-east-1")

    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        with aws_errors(dynamodb_endpoint, "us-east-1"):
            client.describe_table(TableName=f"{table_prefix}missing")
