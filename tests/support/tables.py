"""DynamoDB table listing for tests: every page of ListTables, not just the first 100 names."""

from __future__ import annotations

from typing import Any


def table_names(client: Any, prefix: str = "") -> set[str]:
    """Names of the tables on ``client``'s endpoint that start with ``prefix``.

    The test servers are shared by the whole run and hold well over a hundred
    tables, more than one ListTables page, so a single call would miss some.
    """
    pages = client.get_paginator("list_tables").paginate()
    return {name for page in pages for name in page["TableNames"] if name.startswith(prefix)}
