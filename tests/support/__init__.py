"""Helpers shared by the test suites: clocks, factories of valid entities, paging, threads."""
