"""The store's entities on memory, SQLite and MariaDB: the whole conformance suite."""

from dal.testing.suite import *  # noqa: F403
