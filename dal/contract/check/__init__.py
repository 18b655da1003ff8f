"""`dal contract check`: the MySQL values that would not arrive in DynamoDB as they are.

Every row of the checked tables is read once (:func:`run_check`), and every value
that would not round-trip, or would make the two sides disagree, is counted per
table, column and :class:`Kind`, with a few example keys (sensitive key columns
redacted). The contract (when there is one) says which tables and keys, and how a
column is stored: a value it says how to store is reported as handled and fails
nothing. The backfill asks the same :class:`RowScreen` and refuses the values
that would be lost (:meth:`RowScreen.refusal`). See ``docs/contract-check.md``.
"""

from dal.contract.check.findings import CheckReport, Finding, TableScan
from dal.contract.check.kinds import KINDS, Kind, KindInfo, Level
from dal.contract.check.scan import run_check
from dal.contract.check.screen import Problem, RowScreen, build_screen
from dal.contract.check.targets import (
    CheckTarget,
    contract_targets,
    database_targets,
    key_columns,
)

__all__ = [
    "KINDS",
    "CheckReport",
    "CheckTarget",
    "Finding",
    "Kind",
    "KindInfo",
    "Level",
    "Problem",
    "RowScreen",
    "TableScan",
    "build_screen",
    "contract_targets",
    "database_targets",
    "key_columns",
    "run_check",
]
