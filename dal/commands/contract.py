"""`dal contract`: the migration contract and the database behind it.

The group's commands live in modules of their own: ``dal contract draft``
(:mod:`dal.commands.contract_draft`).
"""

from __future__ import annotations

import typer

__all__ = ["contract_app", "register"]

contract_app = typer.Typer(
    name="contract",
    help="Work with the migration contract and the MySQL database it describes.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the ``contract`` command group to ``app``."""
    app.add_typer(contract_app, name="contract")
