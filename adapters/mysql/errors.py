"""Translation of SQLAlchemy, PyMySQL and sqlite3 errors into the layer's error tree.

:func:`translate` is the one place where driver errors become
:mod:`interfaces.errors`; the adapter raises its result ``from`` the driver's
error, so the original stays available as ``__cause__``.

============================================  ==========================================
driver error                                  raised as
============================================  ==========================================
duplicate key (MySQL 1062/1586, SQLite        AlreadyExists(entity, field, value)
UNIQUE/PRIMARY KEY)
child row without parent (1452/1216,          NotFound(parent entity)
SQLite FOREIGN KEY on INSERT/UPDATE)
parent row still referenced (1451/1217,       ReferenceConflict(entity, referenced_by)
SQLite FOREIGN KEY on DELETE)
deadlock (1213), lock wait timeout (1205),    Throttled
SQLite BUSY/LOCKED, connection pool timeout
connection refused or lost (2002/2003/2006/   BackendUnavailable
2013/2055/1927/4031, invalidated connection),
server shutting down or read-only, SQLite
CANTOPEN/IOERR/FULL/READONLY/CORRUPT
access denied (1044/1045/1142/1143/1227/      AccessDenied
1698), SQLite PERM/AUTH
too long, out of range, wrong value (1406/    UnstorableValue(field)
1264/1366/1292/1265), SQLite TOOBIG
NULL in a NOT NULL column (1048), SQLite      ValidationFailed(field)
NOT NULL/CHECK, a value a column type refuses
missing table or column (1146/1054, SQLite    DalError naming ``dal db upgrade``
"no such table/column")
anything else                                 DalError
============================================  ==========================================
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import exc as sa_exc

from interfaces.errors import (
    AccessDenied,
    AlreadyExists,
    BackendUnavailable,
    DalError,
    NotFound,
    ReferenceConflict,
    Throttled,
    UnstorableValue,
    ValidationFailed,
)

__all__ = [
    "ends_transaction",
    "name_entities",
    "translate",
]

_DUPLICATE = frozenset({1062, 1586})
_NO_PARENT = frozenset({1452, 1216})
_STILL_REFERENCED = frozenset({1451, 1217})
_DEADLOCK = 1213
_CONTENTION = frozenset({_DEADLOCK, 1205})
_LOST = frozenset({2006, 2013, 2055, 1927, 4031})
_UNREACHABLE = _LOST | frozenset({2002, 2003, 2005, 1040, 1053, 1290, 1836})
_DENIED = frozenset({1044, 1045, 1142, 1143, 1227, 1698})
_UNSTORABLE = frozenset({1406, 1264, 1366, 1292, 1265})
_NOT_NULL = frozenset({1048})
_SCHEMA = frozenset({1146, 1054})

_SQLITE_BUSY = frozenset({"SQLITE_BUSY", "SQLITE_LOCKED"})
_SQLITE_DOWN = frozenset(
    {"SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_READONLY", "SQLITE_CORRUPT"}
)
_SQLITE_DENIED = frozenset({"SQLITE_PERM", "SQLITE_AUTH"})

_SCHEMA_HINT = "the schema is missing or outdated; run `dal db upgrade`"

_STATEMENT_TABLE = re.compile(
    r"^\s*(INSERT(?:\s+IGNORE)?\s+INTO|UPDATE|DELETE\s+FROM)\s+[`\"\[]?(\w+)", re.IGNORECASE
)
_DUPLICATE_ENTRY = re.compile(r"Duplicate entry '(.*)' for key '(?:\w+\.)?([^']+)'", re.DOTALL)
_FK_DETAIL = re.compile(r"\(`[^`]*`\.`(\w+)`, CONSTRAINT .*?REFERENCES `(\w+)`")
_COLUMN = re.compile(r"column [`'\"]?(?:[^`'\"\s]+[`'\"]?\.[`'\"]?)*(\w+)[`'\"]?", re.IGNORECASE)
_SQLITE_CONSTRAINT = re.compile(r"constraint failed: (\w+)\.(\w+)")


_TRANSLATED = "_dal_translated"


def translate(error: sa_exc.SQLAlchemyError) -> DalError:
    """The :mod:`interfaces.errors` error for ``error`` (to be raised ``from error``).

    One driver error always gives the same error object, wherever it is translated.
    """
    found = getattr(error, _TRANSLATED, None)
    if isinstance(found, DalError):
        return found
    translated = _translate(error)
    setattr(error, _TRANSLATED, translated)
    return translated


def _translate(error: sa_exc.SQLAlchemyError) -> DalError:
    if isinstance(error, sa_exc.TimeoutError):
        return Throttled(f"no database connection free in the pool: {error}")
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return BackendUnavailable(f"database connection lost: {_message(error)}")
        orig = error.orig
        if isinstance(orig, sqlite3.Error):
            return _from_sqlite(error, orig)
        code = _mysql_code(orig)
        if code is not None:
            return _from_mysql(error, code)
    if isinstance(error, sa_exc.StatementError) and isinstance(error.orig, ValueError):
        return ValidationFailed(str(error.orig))
    return DalError(f"database error: {_message(error)}")


def ends_transaction(error: sa_exc.SQLAlchemyError) -> bool:
    """Whether the server has already rolled back the whole transaction after ``error``."""
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    code = _mysql_code(error.orig)
    return code == _DEADLOCK or code in _LOST


def _mysql_code(orig: BaseException | None) -> int | None:
    args: tuple[Any, ...] = getattr(orig, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def _message(error: sa_exc.SQLAlchemyError) -> str:
    orig = getattr(error, "orig", None)
    args: tuple[Any, ...] = getattr(orig, "args", ())
    if len(args) >= 2 and isinstance(args[1], str):
        return args[1]
    return str(orig if orig is not None else error).splitlines()[0]


def _from_mysql(error: sa_exc.DBAPIError, code: int) -> DalError:
    message = _message(error)
    for codes, build in _MYSQL_RULES:
        if code in codes:
            return build(error, message)
    return DalError(f"database error {code}: {message}")


def _duplicate(error: sa_exc.DBAPIError, message: str) -> DalError:
    found = _DUPLICATE_ENTRY.search(message)
    value, key = found.groups() if found else (None, "id")
    field = "id" if key == "PRIMARY" else key
    return AlreadyExists(_entity(_statement_table(error)), field, value)


def _no_parent(error: sa_exc.DBAPIError, message: str) -> DalError:
    found = _FK_DETAIL.search(message)
    parent = found.group(2) if found else None
    return NotFound(_entity(parent), None)


def _still_referenced(error: sa_exc.DBAPIError, message: str) -> DalError:
    found = _FK_DETAIL.search(message)
    child = found.group(1) if found else "another table"
    return ReferenceConflict(
        _entity(_statement_table(error)), None, _REFERENCED_BY.get(child, child)
    )


def _unstorable(error: sa_exc.DBAPIError, message: str) -> DalError:
    return UnstorableValue(message, field=_column(message))


def _not_null(error: sa_exc.DBAPIError, message: str) -> DalError:
    found = re.search(r"Column '(\w+)'", message)
    return ValidationFailed(message, field=found.group(1) if found else None)


def _simple(kind: type[DalError], prefix: str) -> Callable[[sa_exc.DBAPIError, str], DalError]:
    def build(error: sa_exc.DBAPIError, message: str) -> DalError:
        return kind(f"{prefix}: {message}")

    return build


_MYSQL_RULES: tuple[tuple[frozenset[int], Callable[[sa_exc.DBAPIError, str], DalError]], ...] = (
    (_DUPLICATE, _duplicate),
    (_NO_PARENT, _no_parent),
    (_STILL_REFERENCED, _still_referenced),
    (_CONTENTION, _simple(Throttled, "database contention")),
    (_UNREACHABLE, _simple(BackendUnavailable, "database unavailable")),
    (_DENIED, _simple(AccessDenied, "database access denied")),
    (_UNSTORABLE, _unstorable),
    (_NOT_NULL, _not_null),
    (_SCHEMA, _simple(DalError, _SCHEMA_HINT)),
)


def _from_sqlite(error: sa_exc.DBAPIError, orig: sqlite3.Error) -> DalError:
    name = getattr(orig, "sqlite_errorname", "")
    message = str(orig)
    if name in _SQLITE_BUSY:
        return Throttled(f"database is busy: {message}")
    if name in _SQLITE_DOWN:
        return BackendUnavailable(f"database unavailable: {message}")
    if name in _SQLITE_DENIED:
        return AccessDenied(f"database access denied: {message}")
    if name == "SQLITE_TOOBIG":
        return UnstorableValue(message)
    if name.startswith("SQLITE_CONSTRAINT"):
        return _sqlite_constraint(error, name, message)
    if message.startswith(("no such table", "no such column")):
        return DalError(f"{_SCHEMA_HINT}: {message}")
    return DalError(f"database error: {message}")


def _sqlite_constraint(error: sa_exc.DBAPIError, name: str, message: str) -> DalError:
    found = _SQLITE_CONSTRAINT.search(message)
    table, column = found.groups() if found else (_statement_table(error), None)
    if name in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"):
        return AlreadyExists(_entity(table), column or "id", None)
    if "FOREIGN KEY" in message:  # SQLITE_CONSTRAINT_FOREIGNKEY, or _TRIGGER for RESTRICT
        verb = _statement_verb(error)
        if verb == "DELETE":
            return ReferenceConflict(_entity(table), None, "other rows")
        return NotFound("referenced row", None)
    return ValidationFailed(message, field=column)


def _statement_table(error: sa_exc.StatementError) -> str | None:
    found = _STATEMENT_TABLE.match(error.statement or "")
    return found.group(2) if found else None


def _statement_verb(error: sa_exc.StatementError) -> str | None:
    found = _STATEMENT_TABLE.match(error.statement or "")
    return found.group(1).split()[0].upper() if found else None


_ENTITY_NAMES: dict[str, str] = {}
_REFERENCED_BY: dict[str, str] = {}


def name_entities(names: Mapping[str, str], referenced_by: Mapping[str, str] | None = None) -> None:
    """Name each table's entity in translated errors (``{"line_items": "line_item"}``).

    ``referenced_by`` names what a referencing table is called in a
    ReferenceConflict (``{"line_items": "invoices"}``). A table nobody named is its
    own name in both. An application's repositories register theirs when built.
    """
    _ENTITY_NAMES.update(names)
    _REFERENCED_BY.update(referenced_by or {})


def _entity(table: str | None) -> str:
    if table is None:
        return "row"
    return _ENTITY_NAMES.get(table, table)


def _column(message: str) -> str | None:
    found = _COLUMN.search(message)
    return found.group(1) if found else None
