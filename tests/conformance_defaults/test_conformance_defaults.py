"""Every backend against the tracker's default declarations: the whole conformance suite."""

from dal.testing.suite import *  # noqa: F403
