"""Reading a contract: from a file or from decoded JSON, to a validated :class:`Contract`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dal.contract.errors import ContractError, Location, Problem
from dal.contract.model import Contract
from dal.contract.parser import parse_tables
from dal.contract.validation import validate_tables

__all__ = ["load_contract", "parse_contract"]


def parse_contract(data: Mapping[str, Any], source: str = "<memory>") -> Contract:
    """Validate decoded JSON (``{"tables": [...]}``) and return the typed contract.

    Raises :class:`ContractError` listing every problem found, each naming its
    table, entity and attribute.
    """
    problems: list[Problem] = []
    parsed = parse_tables(data, problems)
    tables = [table for table in parsed if table is not None]
    validate_tables(tables, problems)
    if problems:
        raise ContractError(problems, source)
    return Contract(tuple(tables), source)


def load_contract(path: str | Path) -> Contract:
    """Read, validate and return the contract in the JSON file at ``path``.

    Raises :class:`ContractError` when the file is missing, unreadable, not JSON,
    or not a valid contract.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise _file_error(source, "no such file") from error
    except (OSError, UnicodeDecodeError) as error:
        raise _file_error(source, f"cannot be read: {error}") from error
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        detail = f"{error.msg} (line {error.lineno}, column {error.colno})"
        raise _file_error(source, f"not valid JSON: {detail}") from error
    return parse_contract(data, source)


def _file_error(source: str, message: str) -> ContractError:
    return ContractError([Problem(Location(), message)], source)
