"""Every backend against the tracker's declarations: the whole conformance suite."""

from dal.testing.suite import *  # noqa: F403
