"""Settings of the layer, read from ``DAL_*`` environment variables and an optional env file.

Nothing is read at import time: call :func:`load_settings` (or build :class:`Settings`
yourself). Precedence, highest first: keyword arguments, environment variables, the
env file (``file`` argument or ``DAL_SETTINGS_FILE``), the defaults.

Keys (see ``config/settings.example.env``):

==========================  =====================================  =============================
key                         default                                meaning
==========================  =====================================  =============================
``DAL_MYSQL_URL``           none: required by what reads MySQL     SQLAlchemy URL of the old store
``DAL_DYNAMODB_ENDPOINT``   empty (real AWS)                       DynamoDB endpoint URL
``DAL_DYNAMODB_REGION``     ``us-east-1``                          AWS region
``DAL_TABLE_PREFIX``        empty                                  prefix of every DynamoDB table
``DAL_CONTRACT``            ``config/migration_contract.json``     the migration contract
``DAL_FLAGS``               empty (none)                           stage flags file
``DAL_ID_SOURCE``           ``mysql``                              new ids: mysql or dynamodb
``DAL_DECLARATIONS``        empty (defaults from the contract)     ``module[:NAME]`` of entity specs
``DAL_REPAIR_LOG``          ``var/dal/repair-log``                 the router's repair log; ``off``
``DAL_RECORDS``             ``var/dal/records``                    the router's records; ``off``
``DAL_RECORDS_ROTATE_MB``   ``64``                                 size of a records file to rotate
``DAL_METRICS_PORT``        empty (no endpoint)                    Prometheus endpoint's port
``DAL_APP_THREADS``         ``8``                                  application threads (MySQL pool)
``DAL_SHADOW_WORKERS``      ``4``                                  threads the shadow pool starts
``DAL_SHADOW_MAX_WORKERS``  ``16``                                 the most it grows to
``DAL_SHADOW_QUEUE``        ``16``                                 shadow work waiting at the most
``DAL_SHADOW_PROCESSES``    ``0`` (the thread pool)                shadow worker processes
``DAL_SHADOW_NICE``         ``0``                                  their lower priority (os.nice)
``DAL_SHADOW_INDEX_COPIES`` ``true``                               shadow reads use index copies
==========================  =====================================  =============================

The shadow pool (``docs/router.md``) starts ``DAL_SHADOW_WORKERS`` threads and, while
work waits and every worker is busy, grows to ``DAL_SHADOW_MAX_WORKERS`` (at least
``DAL_SHADOW_WORKERS``; the MySQL pool counts this many); once there, up to
``DAL_SHADOW_QUEUE`` pieces of work wait and more are dropped as ``pool_full``.
``DAL_SHADOW_PROCESSES`` (0 to 64) above 0 runs shadow reads in that many worker
processes instead (``dal.routing.processes``): the caller runs the primary read and
enqueues the job; besides the jobs the processes run, at most ``DAL_SHADOW_QUEUE`` wait
(more are dropped as ``queue_full`` and lower the adaptive sampling); each process runs
``DAL_SHADOW_WORKERS`` reads at once and builds the stores from these settings.
``DAL_SHADOW_NICE`` (0 to 19) lowers the worker processes' scheduling priority.
``DAL_SHADOW_INDEX_COPIES`` (``true``/``false``) lets a shadow read answer from an
index's copy of the item (``docs/router.md``, "Index copies").

``DAL_METRICS_PORT`` (1-65535) starts a Prometheus endpoint of the layer's OpenTelemetry
metrics on that port when the container builds the router (``docs/telemetry.md``); unset,
nothing listens.

Relative paths (and the defaults) are under the current directory. The routed store
keeps failed secondary writes in ``DAL_REPAIR_LOG`` (for ``dal repair --from-log``) and
writes comparisons, errors, metrics and drops to ``DAL_RECORDS`` (for ``dal report``
and ``dal gate``); ``off`` turns either off, and turning the repair log off is warned
about when the router starts. A file that cannot be created or written stops the
start (:class:`SettingsError` naming the key and the path). Both files are mode 0600.
A path ending in ``.jsonl`` is one file; any other path is a folder in which each
process writes a file of its own, rotated (records: and compressed) by size
(``dal.routing.recordfiles``).

``DAL_MYSQL_URL`` has no default, so a misspelt or forgotten key never points the
layer at an empty database: whatever needs MySQL asks :meth:`Settings.require_mysql_url`,
which raises :class:`SettingsError` naming the key.

Timeouts and the secondary's time budget, all in seconds (see ``docs/timeouts.md``):

==================================  =======  ==================================================
key                                 default  meaning
==================================  =======  ==================================================
``DAL_MYSQL_CONNECT_TIMEOUT``       ``5``    opening a MySQL connection
``DAL_MYSQL_READ_TIMEOUT``          ``10``   waiting for MySQL's answer (SQLite: busy timeout)
``DAL_MYSQL_WRITE_TIMEOUT``         ``10``   sending a request to MySQL
``DAL_DYNAMODB_CONNECT_TIMEOUT``    ``2``    opening a DynamoDB connection
``DAL_DYNAMODB_READ_TIMEOUT``       ``5``    waiting for DynamoDB's answer (not retried)
``DAL_SECONDARY_WRITE_BUDGET``      ``1``    the longest a caller waits for a secondary write
``DAL_SECONDARY_SLOW_THRESHOLD``    ``0.5``  a secondary call slower than this counts as failed
==================================  =======  ==================================================

How the second side of a dual write is written (see ``docs/router.md``, "Deferred
secondary writes"):

==========================  ==========  =====================================================
key                         default     meaning
==========================  ==========  =====================================================
``DAL_SECONDARY_WRITES``    ``inline``  ``inline``: on the caller's thread, within its budget;
                                        ``deferred``: the caller writes the authoritative
                                        side only, a drainer thread applies the repair log
``DAL_DEFERRED_MAX_LAG``    ``5``       seconds: deferred writers wait (at most this long)
                                        while the oldest unapplied deferred write is older
``DAL_DEFERRED_DRAINER``    ``thread``  ``thread``: the router's process drains the log;
                                        ``process``: a child process it starts does;
                                        ``external``: it only follows it, and
                                        ``dal repair --from-log LOG --follow`` drains it
``DAL_DEFERRED_NICE``       ``0``       how much the ``process`` drainer lowers its priority
==========================  ==========  =====================================================

``deferred`` needs the repair log (``DAL_REPAIR_LOG`` not ``off``): it is the queue.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

__all__ = [
    "CONTRACT_FILE_NAME",
    "DEFERRED_DRAINERS",
    "ENV_PREFIX",
    "ID_SOURCES",
    "MAX_APP_THREADS",
    "MAX_NICE",
    "MAX_SHADOW_PROCESSES",
    "MAX_SHADOW_QUEUE",
    "MAX_SHADOW_WORKERS",
    "MAX_TIMEOUT",
    "SECONDARY_WRITES",
    "SETTINGS_FILE_VARIABLE",
    "DeferredDrainer",
    "IdSource",
    "SecondaryWrites",
    "Settings",
    "SettingsError",
    "default_contract_path",
    "default_records_path",
    "default_repair_log_path",
    "load_settings",
    "require_mysql_url",
]

ENV_PREFIX = "DAL_"
SETTINGS_FILE_VARIABLE = "DAL_SETTINGS_FILE"
CONTRACT_FILE_NAME = "migration_contract.json"
OUTPUT_DIRECTORY = Path("var") / "dal"
"""Where the router's repair log and records go by default, under the current directory."""
REPAIR_LOG_FILE_NAME = "repair-log"
RECORDS_FILE_NAME = "records"
OFF = "off"
"""The value of ``DAL_REPAIR_LOG`` or ``DAL_RECORDS`` that turns it off."""
_DECLARATIONS = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*(:[A-Za-z_]\w*)?")

SecondaryWrites = Literal["inline", "deferred"]
"""How the second side of a dual write is written (``DAL_SECONDARY_WRITES``)."""
SECONDARY_WRITES: tuple[SecondaryWrites, ...] = get_args(SecondaryWrites)
DeferredDrainer = Literal["thread", "process", "external"]
"""Where deferred secondary writes are drained (``DAL_DEFERRED_DRAINER``)."""
DEFERRED_DRAINERS: tuple[DeferredDrainer, ...] = get_args(DeferredDrainer)

IdSource = Literal["mysql", "dynamodb"]
"""Where new ids come from: the MySQL hi/lo table or the DynamoDB counters (see docs/ids.md)."""
ID_SOURCES: tuple[IdSource, ...] = get_args(IdSource)

_SQL_BACKENDS = frozenset({"mysql", "mariadb", "sqlite"})
_REGION = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_TABLE_PREFIX = re.compile(r"[A-Za-z0-9_.-]*")
_TABLE_PREFIX_MAX = 200  # DynamoDB table names are at most 255 characters
_MAX_PORT = 65535
MAX_APP_THREADS = 1024
"""The most application threads ``DAL_APP_THREADS`` accepts (each may hold a MySQL connection)."""
MAX_TIMEOUT = 3600.0
"""The longest timeout or budget a setting accepts, in seconds."""
MAX_SHADOW_WORKERS = 256
"""The most shadow workers ``DAL_SHADOW_WORKERS`` and ``DAL_SHADOW_MAX_WORKERS`` accept."""
MAX_SHADOW_QUEUE = 65536
"""The longest shadow queue ``DAL_SHADOW_QUEUE`` accepts."""
MAX_SHADOW_PROCESSES = 64
"""The most shadow worker processes ``DAL_SHADOW_PROCESSES`` accepts."""
MAX_NICE = 19
"""The largest ``DAL_SHADOW_NICE`` (the lowest priority)."""
_ZERO_OR_MORE = {
    "shadow_processes": MAX_SHADOW_PROCESSES,
    "shadow_nice": MAX_NICE,
    "deferred_nice": MAX_NICE,
}
_COUNTS = {
    "app_threads": MAX_APP_THREADS,
    "shadow_workers": MAX_SHADOW_WORKERS,
    "shadow_max_workers": MAX_SHADOW_WORKERS,
    "shadow_queue": MAX_SHADOW_QUEUE,
}
_TIMEOUTS = (
    "mysql_connect_timeout",
    "mysql_read_timeout",
    "mysql_write_timeout",
    "dynamodb_connect_timeout",
    "dynamodb_read_timeout",
    "secondary_write_budget",
    "secondary_slow_threshold",
    "deferred_max_lag",
)


class SettingsError(ValueError):
    """The settings are unusable; the message names every bad ``DAL_*`` key."""


def require_mysql_url(url: str | None) -> str:
    """``url``, the value of ``DAL_MYSQL_URL``; :class:`SettingsError` naming the key if unset."""
    if url is None:
        raise SettingsError(
            f"{_key('mysql_url')}: not set; name the old store's database, such as "
            "mysql+pymysql://user:password@host:3306/db (or sqlite:///path/to/file.db "
            "for a local run)"
        )
    return url


def default_contract_path(cwd: Path | None = None) -> Path:
    """Where the migration contract is when ``DAL_CONTRACT`` is not set.

    ``config/migration_contract.json`` under ``cwd`` (default: the current directory),
    whether or not it exists yet: loading a missing contract names the file the user
    is expected to write (or to point ``DAL_CONTRACT`` at).
    """
    return ((cwd or Path.cwd()) / "config" / CONTRACT_FILE_NAME).resolve()


def default_repair_log_path(cwd: Path | None = None) -> Path:
    """Where the repair log is when ``DAL_REPAIR_LOG`` is not set: the folder var/dal/repair-log."""
    return ((cwd or Path.cwd()) / OUTPUT_DIRECTORY / REPAIR_LOG_FILE_NAME).resolve()


def default_records_path(cwd: Path | None = None) -> Path:
    """Where the router's records go when ``DAL_RECORDS`` is not set: the folder var/dal/records."""
    return ((cwd or Path.cwd()) / OUTPUT_DIRECTORY / RECORDS_FILE_NAME).resolve()


_OUTPUT_DEFAULTS: dict[str, Callable[[], Path]] = {
    "repair_log": default_repair_log_path,
    "records": default_records_path,
}


def _key(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def _empty_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


class Settings(BaseSettings):
    """Where the two stores are and which files configure the migration.

    Every field is read from the environment variable ``DAL_<FIELD>``.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        validate_default=False,  # the default contract may not exist yet; load_contract says so
    )

    mysql_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the old (MySQL) store; SQLite works for a local run. No "
            "default: what reads MySQL calls require_mysql_url()."
        ),
    )
    dynamodb_endpoint: str | None = Field(
        default=None,
        description="DynamoDB endpoint such as http://127.0.0.1:8000; None means real AWS.",
    )
    dynamodb_region: str = Field(default="us-east-1", description="AWS region of DynamoDB.")
    table_prefix: str = Field(default="", description="Prefix of every DynamoDB table name.")
    contract: Path = Field(
        default_factory=default_contract_path,
        description="The migration contract (JSON).",
    )
    flags: Path | None = Field(default=None, description="The stage flags file, if any.")
    id_source: IdSource = Field(
        default="mysql",
        description="Where new ids come from: 'mysql' (hi/lo table) or 'dynamodb' (counters).",
    )
    declarations: str | None = Field(
        default=None,
        description=(
            "The application's entity declarations: 'package.module' (its SPECS) or "
            "'package.module:NAME'; None: every entity gets its default declaration."
        ),
    )
    repair_log: Path | None = Field(
        default_factory=default_repair_log_path,
        description="The router's repair log (JSON lines); None ('off'): failed writes are lost.",
    )
    records: Path | None = Field(
        default_factory=default_records_path,
        description="Where the router's records go (JSON lines); None ('off'): nowhere.",
    )
    metrics_port: int | None = Field(
        default=None,
        description=(
            "Port of the Prometheus endpoint of the layer's OpenTelemetry metrics; None: "
            "no endpoint."
        ),
    )

    @field_validator("metrics_port", mode="before")
    @classmethod
    def _check_metrics_port(cls, value: Any) -> Any:
        value = _empty_to_none(value)
        if value is None:
            return None
        key = _key("metrics_port")
        try:
            port = int(str(value).strip()) if isinstance(value, str) else value
        except ValueError:
            raise ValueError(f"{key}: must be a port number such as 9464, got {value!r}") from None
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= _MAX_PORT:
            raise ValueError(f"{key}: must be a port number from 1 to {_MAX_PORT}, got {value!r}")
        return port

    app_threads: int = Field(
        default=8,
        description=(
            "How many of the application's threads use the store at once; the MySQL pool "
            "holds a connection for each, one for each shadow worker and a margin."
        ),
    )

    shadow_workers: int = Field(
        default=4,
        description="Threads the shadow pool starts with (and never shrinks below).",
    )
    shadow_max_workers: int = Field(
        default=16,
        description=(
            "The most threads the shadow pool grows to while work waits and every worker "
            "is busy; at least shadow_workers. The MySQL pool counts this many."
        ),
    )
    shadow_queue: int = Field(
        default=16,
        description=(
            "Shadow work that may wait once the pool is at its largest; more is dropped "
            "at once (pool_full)."
        ),
    )

    shadow_processes: int = Field(
        default=0,
        description=(
            "Shadow worker processes; 0 runs shadow reads on the thread pool. Above 0 the "
            "caller only enqueues each shadow read for a worker process."
        ),
    )
    shadow_nice: int = Field(
        default=0,
        description="How much the shadow worker processes lower their priority (os.nice).",
    )
    shadow_index_copies: bool = Field(
        default=True,
        description=(
            "Whether a shadow read may be answered from an index's copy of the item (one "
            "request for a lookup by a non-key field); a difference is read again from the "
            "table before it counts."
        ),
    )

    @field_validator(*_COUNTS, *_ZERO_OR_MORE, mode="before")
    @classmethod
    def _check_count(cls, value: Any, info: ValidationInfo) -> Any:
        field = str(info.field_name)
        if _empty_to_none(value) is None:
            return cls.model_fields[field].default
        key = _key(field)
        least = 0 if field in _ZERO_OR_MORE else 1
        most = _ZERO_OR_MORE.get(field) or _COUNTS[field]
        example = cls.model_fields[field].default
        try:
            count = int(str(value).strip()) if isinstance(value, str) else value
        except ValueError:
            raise ValueError(
                f"{key}: must be a whole number such as {example}, got {value!r}"
            ) from None
        if isinstance(count, bool) or not isinstance(count, int):
            raise ValueError(f"{key}: must be a whole number such as {example}, got {value!r}")
        if not least <= count <= most:
            raise ValueError(f"{key}: must be from {least} to {most}, got {value!r}")
        return count

    @model_validator(mode="after")
    def _check_shadow_pool(self) -> Settings:
        if self.shadow_max_workers < self.shadow_workers:
            raise ValueError(
                f"{_key('shadow_max_workers')}: must be at least {_key('shadow_workers')} "
                f"({self.shadow_workers}), got {self.shadow_max_workers}"
            )
        return self

    records_rotate_mb: float = Field(
        default=64.0,
        gt=0,
        description="A per-process records file is rotated and compressed at this size (MiB).",
    )

    @field_validator("mysql_url", mode="before")
    @classmethod
    def _blank_mysql_url(cls, value: Any) -> Any:
        return _empty_to_none(value)

    mysql_connect_timeout: float = Field(
        default=5.0, description="Seconds to open a MySQL connection (pymysql connect_timeout)."
    )
    mysql_read_timeout: float = Field(
        default=10.0,
        description=(
            "Seconds to wait for MySQL's answer (pymysql read_timeout); SQLite's busy timeout."
        ),
    )
    mysql_write_timeout: float = Field(
        default=10.0, description="Seconds to send a request to MySQL (pymysql write_timeout)."
    )
    dynamodb_connect_timeout: float = Field(
        default=2.0, description="Seconds to open a DynamoDB connection (botocore)."
    )
    dynamodb_read_timeout: float = Field(
        default=5.0,
        description="Seconds to wait for DynamoDB's answer (botocore); not retried after.",
    )
    secondary_write_budget: float = Field(
        default=1.0,
        description=(
            "Seconds a caller waits at most for the secondary side of a dual write (and its "
            "commit); a write over the budget fails and goes to the repair log."
        ),
    )
    secondary_slow_threshold: float = Field(
        default=0.5,
        description=(
            "A secondary read or write slower than this many seconds counts as a failure "
            "for its circuit breaker (a write over its budget counts in any case)."
        ),
    )

    secondary_writes: SecondaryWrites = Field(
        default="inline",
        description=(
            "inline: the second side of a dual write is written on the caller's thread; "
            "deferred: the caller writes the authoritative side and a deferred entry to the "
            "repair log, which a drainer thread applies within deferred_max_lag."
        ),
    )
    deferred_max_lag: float = Field(
        default=5.0,
        description=(
            "Seconds the oldest unapplied deferred write may age before writers wait for "
            "the drainer (each at most this long)."
        ),
    )

    deferred_drainer: DeferredDrainer = Field(
        default="thread",
        description=(
            "thread: the router's process drains deferred writes; process: a child process "
            "the router starts does (restarted if it dies); external: another process does "
            "(dal repair --from-log LOG --follow). With process and external the router "
            "only follows the log for the lag and backpressure."
        ),
    )
    deferred_nice: int = Field(
        default=0,
        description=(
            "How much the drainer child process (DAL_DEFERRED_DRAINER=process) lowers its "
            "priority (os.nice), so that the callers keep the processor and the drainer "
            "uses what they leave, within the lag bound."
        ),
    )

    @field_validator("deferred_drainer", mode="before")
    @classmethod
    def _check_deferred_drainer(cls, value: Any) -> Any:
        if _empty_to_none(value) is None:
            return cls.model_fields["deferred_drainer"].default
        chosen = str(value).strip().lower()
        if chosen not in DEFERRED_DRAINERS:
            allowed = " or ".join(repr(mode) for mode in DEFERRED_DRAINERS)
            raise ValueError(f"{_key('deferred_drainer')}: must be {allowed}, got {value!r}")
        return chosen

    @field_validator("secondary_writes", mode="before")
    @classmethod
    def _check_secondary_writes(cls, value: Any) -> Any:
        if _empty_to_none(value) is None:
            return cls.model_fields["secondary_writes"].default
        chosen = str(value).strip().lower()
        if chosen not in SECONDARY_WRITES:
            allowed = " or ".join(repr(mode) for mode in SECONDARY_WRITES)
            raise ValueError(f"{_key('secondary_writes')}: must be {allowed}, got {value!r}")
        return chosen

    @model_validator(mode="after")
    def _check_deferred_queue(self) -> Settings:
        if self.secondary_writes == "deferred" and self.repair_log is None:
            raise ValueError(
                f"{_key('secondary_writes')}: deferred writes need the repair log as their "
                f"queue, but {_key('repair_log')} is off"
            )
        return self

    @field_validator("mysql_url")
    @classmethod
    def _check_mysql_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        key = _key("mysql_url")
        try:
            url = make_url(value.strip())
        except ArgumentError as error:
            raise ValueError(f"{key}: not a database URL: {value!r}") from error
        if url.get_backend_name() not in _SQL_BACKENDS:
            raise ValueError(
                f"{key}: unsupported database {url.get_backend_name()!r}; use a mysql://, "
                "mysql+pymysql://, mariadb+pymysql:// or sqlite:/// URL"
            )
        return value.strip()

    @field_validator("dynamodb_endpoint", mode="before")
    @classmethod
    def _check_dynamodb_endpoint(cls, value: Any) -> Any:
        value = _empty_to_none(value)
        if value is None:
            return None
        parts = urlsplit(str(value).strip())
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(
                f"{_key('dynamodb_endpoint')}: not an http(s) URL: {value!r} "
                "(leave it empty for real AWS)"
            )
        return str(value).strip().rstrip("/")

    @field_validator("dynamodb_region")
    @classmethod
    def _check_region(cls, value: str) -> str:
        if not _REGION.fullmatch(value):
            raise ValueError(f"{_key('dynamodb_region')}: not a region name: {value!r}")
        return value

    @field_validator("table_prefix")
    @classmethod
    def _check_table_prefix(cls, value: str) -> str:
        key = _key("table_prefix")
        if not _TABLE_PREFIX.fullmatch(value):
            raise ValueError(f"{key}: only letters, digits, '_', '-' and '.' allowed: {value!r}")
        if len(value) > _TABLE_PREFIX_MAX:
            raise ValueError(f"{key}: longer than {_TABLE_PREFIX_MAX} characters")
        return value

    @field_validator("contract", mode="before")
    @classmethod
    def _blank_contract(cls, value: Any) -> Any:
        return default_contract_path() if _empty_to_none(value) is None else value

    @field_validator("contract")
    @classmethod
    def _check_contract(cls, value: Path) -> Path:
        path = value.expanduser().resolve()
        if not path.is_file():
            raise ValueError(f"{_key('contract')}: no such file: {str(path)!r}")
        return path

    @field_validator("flags", mode="before")
    @classmethod
    def _blank_flags(cls, value: Any) -> Any:
        return _empty_to_none(value)

    @field_validator("flags")
    @classmethod
    def _check_flags(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        path = value.expanduser().resolve()
        if path.is_dir():
            raise ValueError(f"{_key('flags')}: is a directory, not a file: {str(path)!r}")
        return path

    @field_validator("id_source", mode="before")
    @classmethod
    def _check_id_source(cls, value: Any) -> Any:
        if _empty_to_none(value) is None:
            return cls.model_fields["id_source"].default
        chosen = str(value).strip().lower()
        if chosen not in ID_SOURCES:
            allowed = " or ".join(repr(source) for source in ID_SOURCES)
            raise ValueError(f"{_key('id_source')}: must be {allowed}, got {value!r}")
        return chosen

    @field_validator("declarations", mode="before")
    @classmethod
    def _check_declarations(cls, value: Any) -> Any:
        if _empty_to_none(value) is None:
            return None
        text = str(value).strip()
        if not _DECLARATIONS.fullmatch(text):
            raise ValueError(
                f"{_key('declarations')}: must be 'package.module' or 'package.module:NAME', "
                f"got {value!r}"
            )
        return text

    @field_validator("repair_log", "records", mode="before")
    @classmethod
    def _off_or_default(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and value.strip().lower() == OFF:
            return None
        if isinstance(value, str) and not value.strip():
            return _OUTPUT_DEFAULTS[str(info.field_name)]()  # blank: the default, not off
        return value

    @field_validator("repair_log", "records")
    @classmethod
    def _check_output_file(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is None:
            return None
        path = value.expanduser().resolve()
        key = _key(str(info.field_name))
        if path.suffix == ".jsonl" and path.is_dir():
            raise ValueError(f"{key}: is a directory, not a file: {str(path)!r}")
        if path.suffix != ".jsonl" and path.is_file():
            raise ValueError(
                f"{key}: is a file: {str(path)!r}; name a folder (one file per process) "
                "or a path ending in .jsonl (one file)"
            )
        return path

    def require_mysql_url(self) -> str:
        """``mysql_url``; :class:`SettingsError` naming ``DAL_MYSQL_URL`` when it is not set."""
        return require_mysql_url(self.mysql_url)

    @field_validator(*_TIMEOUTS, mode="before")
    @classmethod
    def _check_seconds(cls, value: Any, info: ValidationInfo) -> Any:
        key = _key(str(info.field_name))
        if _empty_to_none(value) is None:
            return cls.model_fields[str(info.field_name)].default
        try:
            seconds = float(str(value).strip()) if isinstance(value, str) else float(value)
        except (TypeError, ValueError):
            message = f"{key}: must be a number of seconds such as 2.5, got {value!r}"
            raise ValueError(message) from None
        if isinstance(value, bool) or not 0 < seconds <= MAX_TIMEOUT:
            raise ValueError(
                f"{key}: must be more than 0 and at most {MAX_TIMEOUT:g} seconds, got {value!r}"
            )
        return seconds

    def __repr_args__(self) -> Any:
        """Like the default, with the password of ``mysql_url`` hidden."""
        for name, value in super().__repr_args__():
            if name == "mysql_url" and isinstance(value, str):
                value = make_url(value).render_as_string(hide_password=True)
            yield name, value


def load_settings(file: Path | None = None) -> Settings:
    """Read the settings from the environment and an optional env file.

    ``file`` (else the path in ``DAL_SETTINGS_FILE``) is a dotenv file of ``DAL_*``
    keys; environment variables override it. Raises :class:`SettingsError`, naming
    each bad key, when a value is invalid, the file does not exist, or a ``DAL_*``
    key is not a setting (a misspelt ``DAL_MYSQL_ULR`` would otherwise leave the
    default database in place, silently).
    """
    env_file = file if file is not None else _settings_file_from_environment()
    if env_file is not None and not env_file.is_file():
        raise SettingsError(f"{SETTINGS_FILE_VARIABLE}: no such file: {str(env_file)!r}")
    unknown = _unknown_keys(env_file)
    if unknown:
        raise SettingsError("; ".join(unknown))
    try:
        return Settings(_env_file=env_file)
    except ValidationError as error:
        raise SettingsError(_describe(error)) from error


_OTHER_KEYS = frozenset({SETTINGS_FILE_VARIABLE, "DAL_CACHE_DIR"})
"""``DAL_*`` variables read elsewhere: the settings file itself, the DynamoDB Local cache."""

_OTHER_PREFIXES = ("DAL_STAGE_", "DAL_TEST_")
"""Families of ``DAL_*`` variables read elsewhere: stage overrides, the test fixtures."""


def _unknown_keys(env_file: Path | None) -> list[str]:
    """A message per ``DAL_*`` key (environment or env file) that names no setting."""
    from dotenv import dotenv_values

    known = {_key(name) for name in Settings.model_fields} | _OTHER_KEYS
    given = {name for name in os.environ if name.upper().startswith("DAL_")}
    if env_file is not None:
        given |= {name for name in dotenv_values(env_file) if name.upper().startswith("DAL_")}
    problems = []
    for name in sorted(given):
        upper = name.upper()
        if upper in known or upper.startswith(_OTHER_PREFIXES):
            continue
        close = difflib.get_close_matches(upper, sorted(known), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        problems.append(f"{name}: not a setting{hint}")
    return problems


def _settings_file_from_environment() -> Path | None:
    value = os.environ.get(SETTINGS_FILE_VARIABLE, "").strip()
    return Path(value).expanduser() if value else None


def _describe(error: ValidationError) -> str:
    lines = []
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else "settings"
        key = _key(field)
        message = problem["msg"].removeprefix("Value error, ")
        named = message.startswith(key) or (not problem["loc"] and message.startswith(ENV_PREFIX))
        lines.append(message if named else f"{key}: {message}")
    return "; ".join(lines)
