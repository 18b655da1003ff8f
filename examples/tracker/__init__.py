"""A small issue tracker: three tables the reference store does not have.

``projects`` (a name unique under a case-insensitive collation), ``labels`` (deleted
with their project) and ``tickets`` (a composite key, an ENUM, a DECIMAL(12,4), a
nullable DATETIME(6), a case-insensitive unique code, a reference to its project that
blocks the project's deletion and a reference to a label that is cleared when the
label goes). :mod:`examples.tracker.schema` is its MySQL schema, ``contract.json`` its
DynamoDB layout, :mod:`examples.tracker.declarations` the few lines it declares.
"""

from pathlib import Path

CONTRACT = Path(__file__).with_name("contract.json")
"""The tracker's migration contract."""

__all__ = ["CONTRACT"]
