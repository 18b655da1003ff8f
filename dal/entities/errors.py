"""The error of entity declarations that cannot be resolved."""

from __future__ import annotations

__all__ = ["DeclarationError"]


class DeclarationError(ValueError):
    """Declarations, tables and contract do not fit together; the message names each problem.

    Raised for a declarations module that cannot be loaded, a table the contract
    maps but the database lacks, a column no field type fits, a declaration the
    contract or the table contradicts. Command-line tools report it as bad input
    (exit code 2).
    """
