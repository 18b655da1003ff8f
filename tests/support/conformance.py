"""What every conformance folder of this repository shares: the plugin and the servers.

pytest accepts ``pytest_plugins`` only in the top-level conftest, so each folder's
conftest takes the plugin's hooks and fixtures by importing this module (a project
enabling the suite in its top-level conftest writes ``pytest_plugins =
["dal.testing.plugin"]`` instead). The server fixtures point at this repository's
own (``tests/conftest.py``); each folder adds ``dal_conformance``, its SQL
databases and its table prefix.
"""

from __future__ import annotations

import pytest

from dal.testing.plugin import (
    dal_backend,
    dal_backend_session,
    dal_clock,
    dal_entity,
    dal_harness,
    dal_repositories,
    dal_samples,
    dal_spec,
    pytest_configure,
    pytest_generate_tests,
)

__all__ = [
    "dal_backend",
    "dal_backend_session",
    "dal_clock",
    "dal_dynamodb_endpoint",
    "dal_entity",
    "dal_harness",
    "dal_repositories",
    "dal_samples",
    "dal_spec",
    "pytest_configure",
    "pytest_generate_tests",
]


@pytest.fixture(scope="session")
def dal_dynamodb_endpoint(dynamodb_endpoint: str) -> str:
    """This run's DynamoDB Local."""
    return dynamodb_endpoint
