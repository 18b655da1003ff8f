"""The conformance suite every backend must pass, as a pytest plugin for a project's own entities.

In the project's ``conftest.py``::

    import pytest
    from dal.testing import ConformanceConfig

    pytest_plugins = ["dal.testing.plugin"]

    @pytest.fixture(scope="session")
    def dal_conformance() -> ConformanceConfig:
        return ConformanceConfig(specs=SPECS, contract=CONTRACT_PATH, metadata=schema.metadata)

and in a test module::

    from dal.testing.suite import *  # noqa: F403

:mod:`dal.testing.plugin` has the fixtures (and the server fixtures a project
overrides), :mod:`dal.testing.backends` the registry of backends and their
capabilities, :mod:`dal.testing.samples` the generator of sample entities.
"""

from dal.testing.backends import BACKENDS, Backend, BackendSession, Capabilities, register_backend
from dal.testing.clock import RecordingClock
from dal.testing.config import DEFAULT_BACKENDS, ConformanceConfig
from dal.testing.harness import Harness
from dal.testing.samples import SampleError, SampleFactory, SampleGenerator

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKENDS",
    "Backend",
    "BackendSession",
    "Capabilities",
    "ConformanceConfig",
    "Harness",
    "RecordingClock",
    "SampleError",
    "SampleFactory",
    "SampleGenerator",
    "register_backend",
]
