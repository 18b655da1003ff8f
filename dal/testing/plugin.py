"""The conformance suite's pytest plugin: fixtures and parametrization over backends and entities.

Enable it in a project's ``conftest.py`` and describe the project's entities::

    pytest_plugins = ["dal.testing.plugin"]

    @pytest.fixture(scope="session")
    def dal_conformance() -> ConformanceConfig:
        return ConformanceConfig(specs=SPECS, contract=CONTRACT_PATH, metadata=schema.metadata)

then import the suite's tests into a test module (``from dal.testing.suite import *``).
Every test that takes ``dal_entity`` (or ``dal_spec``) runs once per declared
entity, and every test that takes ``dal_backend`` (directly or through
``dal_repositories`` / ``dal_harness``) once per backend of
``ConformanceConfig.backends``; the mysql and dynamodb parameters carry the
``mysql`` and ``dynamodb`` marks. ``dal_conformance`` is read while tests are
collected (to know the entities and backends), so it must not take fixtures.

Where the servers are: ``dal_mysql_url`` (``DAL_TEST_MYSQL_URL``, a database
URL), ``dal_dynamodb_endpoint`` (``DAL_TEST_DYNAMODB_URL``), ``dal_sqlite_url``
(a temporary file) and ``dal_table_prefix`` (a random DynamoDB table prefix);
a backend whose server is not configured is skipped with the reason. A project
overrides these fixtures to use its own servers.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

from dal.testing.backends import BACKENDS, Backend, BackendSession
from dal.testing.clock import RecordingClock
from dal.testing.config import ConformanceConfig
from dal.testing.harness import Harness
from dal.testing.samples import SampleGenerator
from interfaces.entities import EntitySpec
from interfaces.repository import Repositories
from interfaces.runtime import MemoryIdAllocator

pytest.register_assert_rewrite("dal.testing.suite")

__all__ = [
    "dal_backend",
    "dal_backend_session",
    "dal_clock",
    "dal_conformance",
    "dal_dynamodb_endpoint",
    "dal_entity",
    "dal_harness",
    "dal_mysql_url",
    "dal_repositories",
    "dal_samples",
    "dal_spec",
    "dal_sqlite_url",
    "dal_table_prefix",
    "pytest_configure",
    "pytest_generate_tests",
]

MYSQL_URL_VARIABLE = "DAL_TEST_MYSQL_URL"
DYNAMODB_URL_VARIABLE = "DAL_TEST_DYNAMODB_URL"

_CONFIG_KEY = pytest.StashKey[dict[int, ConformanceConfig]]()


def pytest_configure(config: pytest.Config) -> None:
    """Register the marks the suite's backends carry."""
    config.addinivalue_line("markers", "mysql: needs a MySQL-compatible server")
    config.addinivalue_line("markers", "dynamodb: needs DynamoDB Local or real DynamoDB")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``dal_backend`` by the configured backends and ``dal_entity`` by entity."""
    wanted = {"dal_backend", "dal_entity"} & set(metafunc.fixturenames)
    if not wanted:
        return
    config = _collected_config(metafunc)
    if "dal_backend" in wanted:
        params = [_backend(name).param() for name in config.backends]
        metafunc.parametrize("dal_backend", params, indirect=True, scope="session")
    if "dal_entity" in wanted:
        metafunc.parametrize("dal_entity", config.entity_names, indirect=True, ids=str)


def _backend(name: str) -> Backend:
    try:
        return BACKENDS[name]
    except KeyError:
        known = ", ".join(BACKENDS)
        raise pytest.UsageError(
            f"ConformanceConfig.backends names {name!r}, not a registered backend ({known})"
        ) from None


def _collected_config(metafunc: pytest.Metafunc) -> ConformanceConfig:
    """The project's ``dal_conformance`` fixture, evaluated once while collecting."""
    definitions = metafunc._arg2fixturedefs.get("dal_conformance")
    if not definitions:
        raise pytest.UsageError("the conformance suite needs a dal_conformance fixture")
    definition = definitions[-1]
    cache = metafunc.config.stash.setdefault(_CONFIG_KEY, {})
    if id(definition) not in cache:
        if definition.argnames:
            raise pytest.UsageError(
                "the dal_conformance fixture must take no fixtures: it is read while "
                f"collecting tests, but it asks for {', '.join(definition.argnames)}"
            )
        found = definition.func()
        if not isinstance(found, ConformanceConfig):
            raise pytest.UsageError("the dal_conformance fixture must return a ConformanceConfig")
        cache[id(definition)] = found
    return cache[id(definition)]


# --- configuration ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def dal_conformance() -> ConformanceConfig:
    """The project's declarations; a project's conftest must override this fixture."""
    raise pytest.UsageError(
        "define a session fixture dal_conformance returning a ConformanceConfig "
        "in the conftest.py that enables dal.testing.plugin"
    )


@pytest.fixture(scope="session")
def dal_samples(dal_conformance: ConformanceConfig) -> SampleGenerator:
    """The sample generator over the project's declarations and schema."""
    return SampleGenerator(dal_conformance.specs, dal_conformance.metadata, dal_conformance.samples)


@pytest.fixture
def dal_entity(request: pytest.FixtureRequest) -> str:
    """The name of the entity under test (one run per declared entity)."""
    name: str = request.param
    return name


@pytest.fixture
def dal_spec(dal_entity: str, dal_conformance: ConformanceConfig) -> EntitySpec:
    """The declaration of the entity under test."""
    return dal_conformance.spec(dal_entity)


# --- servers ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def dal_mysql_url() -> str:
    """URL of a MySQL database the suite may fill (from ``DAL_TEST_MYSQL_URL``)."""
    return _from_environment(MYSQL_URL_VARIABLE, "a MySQL database URL", "dal_mysql_url")


@pytest.fixture(scope="session")
def dal_dynamodb_endpoint() -> str:
    """URL of a DynamoDB endpoint (from ``DAL_TEST_DYNAMODB_URL``)."""
    return _from_environment(
        DYNAMODB_URL_VARIABLE, "a DynamoDB endpoint URL", "dal_dynamodb_endpoint"
    )


@pytest.fixture(scope="session")
def dal_sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of a SQLite file database in a temporary folder."""
    return f"sqlite:///{tmp_path_factory.mktemp('dal_conformance') / 'conformance.db'}"


@pytest.fixture(scope="session")
def dal_table_prefix() -> str:
    """A DynamoDB table-name prefix unique to this run."""
    return f"dal_conformance_{secrets.token_hex(4)}_"


def _from_environment(variable: str, what: str, fixture: str) -> str:
    value = os.environ.get(variable, "").strip()
    if not value:
        pytest.skip(f"no server configured: set {variable} to {what} or override {fixture}")
    return value


# --- the backend under test ---------------------------------------------------------------


@pytest.fixture(scope="session")
def dal_backend(request: pytest.FixtureRequest) -> Backend:
    """The backend under test (one run of the suite per configured backend)."""
    return _backend(request.param)


@pytest.fixture(scope="session")
def dal_backend_session(
    dal_backend: Backend, dal_conformance: ConformanceConfig, request: pytest.FixtureRequest
) -> Iterator[BackendSession]:
    """The backend opened once for the session (schema created, connections made)."""
    session = dal_backend.open(request, dal_conformance)
    yield session
    session.close()


@pytest.fixture
def dal_clock() -> RecordingClock:
    """The clock the repositories stamp with: 1 s per call, every instant recorded."""
    return RecordingClock()


@pytest.fixture
def dal_repositories(
    dal_backend_session: BackendSession, dal_clock: RecordingClock
) -> Repositories:
    """Fresh, empty repositories of the backend under test."""
    dal_backend_session.reset()
    return dal_backend_session.build(dal_clock, MemoryIdAllocator())


@pytest.fixture
def dal_harness(
    dal_repositories: Repositories,
    dal_backend: Backend,
    dal_clock: RecordingClock,
    dal_samples: SampleGenerator,
) -> Harness:
    """The repositories under test with sample entities and keys (what the suite's tests use)."""
    return Harness(dal_repositories, dal_backend, dal_clock, dal_samples)
