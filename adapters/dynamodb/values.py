"""Python values <-> DynamoDB attribute values, refusing what DynamoDB cannot store.

Every value is checked before a request is sent, so a value DynamoDB would
refuse (or silently round) raises :class:`~interfaces.UnstorableValue` naming
the field and nothing is written:

* numbers: at most 38 significant digits, magnitude within 1e-130 .. 9.99...e125,
  finite, never ``float`` (use ``Decimal``: floats are not exact);
* sets: never empty;
* items: at most 400 KB; partition keys at most 2048 bytes, sort keys at most 1024
  bytes, key strings never empty.

Numbers are read back as ``int`` when integral and ``Decimal`` otherwise, so a
``Decimal`` round-trips exactly (up to DynamoDB's normalization of trailing zeros,
which the domain models undo by quantizing money).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from interfaces import UnstorableValue

__all__ = [
    "MAX_ITEM_BYTES",
    "MAX_PARTITION_KEY_BYTES",
    "MAX_SORT_KEY_BYTES",
    "AttributeValue",
    "check_item_size",
    "check_key",
    "decode_item",
    "decode_value",
    "encode_value",
    "format_duration",
    "format_timestamp",
    "parse_timestamp",
]

AttributeValue = dict[str, Any]
"""One attribute value in DynamoDB's wire form, e.g. ``{"N": "12.5"}``."""

MAX_ITEM_BYTES = 400 * 1024
MAX_PARTITION_KEY_BYTES = 2048
MAX_SORT_KEY_BYTES = 1024
_MAX_DIGITS = 38
_SMALLEST = Decimal("1e-130")
_LARGEST = Decimal("9.9999999999999999999999999999999999999e125")


# --- timestamps ----------------------------------------------------------------------------


def format_timestamp(value: datetime) -> str:
    """The canonical form: UTC, ``Z``, whole seconds unless the value has microseconds."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise UnstorableValue("timestamp must be timezone-aware")
    utc = value.astimezone(UTC)
    spec = "seconds" if utc.microsecond == 0 else "microseconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def parse_timestamp(text: str) -> datetime:
    """Parse a timestamp written by :func:`format_timestamp` (any ISO-8601 offset accepted)."""
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_duration(value: timedelta) -> str:
    """A MySQL TIME value as MySQL writes it: ``[-]H:MM:SS[.ffffff]`` (``-838:59:59``,
    ``12:30:00.250000``), hours past 24 included; pydantic reads it back as the same
    ``timedelta``."""
    sign = "-" if value < timedelta(0) else ""
    micros = abs(value) // timedelta(microseconds=1)
    seconds, fraction = divmod(micros, 1_000_000)
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    text = f"{sign}{hours:02d}:{minute:02d}:{second:02d}"
    return f"{text}.{fraction:06d}" if fraction else text


# --- numbers -------------------------------------------------------------------------------


def _check_number(value: Decimal, field: str) -> str:
    if not value.is_finite():
        raise UnstorableValue(f"DynamoDB cannot store {value}", field=field)
    if value == 0:
        return "0"
    significant = "".join(map(str, value.as_tuple().digits)).strip("0")
    if len(significant) > _MAX_DIGITS:
        raise UnstorableValue(
            f"{len(significant)} significant digits, DynamoDB stores at most {_MAX_DIGITS}",
            field=field,
        )
    if not _SMALLEST <= abs(value) <= _LARGEST:
        raise UnstorableValue(
            f"magnitude of {value} is outside DynamoDB's range 1e-130 .. 9.99e125", field=field
        )
    return str(value)


# --- encoding ------------------------------------------------------------------------------


def encode_value(value: object, field: str) -> AttributeValue:
    """The attribute value of ``value``; UnstorableValue naming ``field`` if it cannot be stored."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": _check_number(Decimal(value), field)}
    if isinstance(value, Decimal):
        return {"N": _check_number(value, field)}
    if isinstance(value, float):
        raise UnstorableValue("floats are not exact; use Decimal", field=field)
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, (bytes, bytearray)):
        return {"B": bytes(value)}
    if isinstance(value, datetime):
        return {"S": format_timestamp(value)}
    if isinstance(value, date):
        return {"S": value.isoformat()}  # a DATE column: YYYY-MM-DD, no zone
    if isinstance(value, timedelta):
        return {"S": format_duration(value)}  # a TIME column
    if isinstance(value, Mapping):
        return {"M": {str(k): encode_value(v, f"{field}.{k}") for k, v in value.items()}}
    if isinstance(value, (set, frozenset)):
        return _encode_set(value, field)
    if isinstance(value, (list, tuple)):
        return {"L": [encode_value(v, f"{field}[{i}]") for i, v in enumerate(value)]}
    raise UnstorableValue(f"cannot store a {type(value).__name__}", field=field)


def _encode_set(values: set[Any] | frozenset[Any], field: str) -> AttributeValue:
    if not values:
        raise UnstorableValue("DynamoDB cannot store an empty set", field=field)
    if all(isinstance(v, str) for v in values):
        return {"SS": sorted(values)}
    if all(isinstance(v, (int, Decimal)) and not isinstance(v, bool) for v in values):
        return {"NS": [_check_number(Decimal(v), field) for v in values]}
    if all(isinstance(v, bytes) for v in values):
        return {"BS": sorted(values)}
    raise UnstorableValue("a set must hold only strings, only numbers or only bytes", field=field)


# --- decoding ------------------------------------------------------------------------------


def _decode_number(text: str) -> int | Decimal:
    number = Decimal(text)
    return int(number) if number == number.to_integral_value() and "." not in text else number


def decode_value(value: AttributeValue) -> Any:
    """The Python value of an attribute value (numbers as int or Decimal)."""
    ((kind, raw),) = value.items()
    return _DECODERS[kind](raw)


def _decode_map(raw: Mapping[str, AttributeValue]) -> dict[str, Any]:
    return {k: decode_value(v) for k, v in raw.items()}


def _decode_list(raw: list[AttributeValue]) -> list[Any]:
    return [decode_value(v) for v in raw]


def _decode_number_set(raw: list[str]) -> set[int | Decimal]:
    return {_decode_number(v) for v in raw}


def _identity(raw: Any) -> Any:
    return raw


def _null(_raw: Any) -> None:
    return None


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "S": _identity,
    "N": _decode_number,
    "BOOL": bool,
    "NULL": _null,
    "B": bytes,
    "M": _decode_map,
    "L": _decode_list,
    "SS": set,
    "NS": _decode_number_set,
    "BS": set,
}
"""The decoder of each attribute value kind (built once, not per value)."""


def decode_item(item: Mapping[str, AttributeValue]) -> dict[str, Any]:
    """Decode a whole item."""
    return {name: decode_value(v) for name, v in item.items()}


# --- sizes ---------------------------------------------------------------------------------


def _value_size(value: AttributeValue) -> int:
    ((kind, raw),) = value.items()
    if kind == "S":
        return len(raw.encode())
    if kind == "N":
        return len(raw.lstrip("-").replace(".", "")) // 2 + 2
    if kind == "B":
        return len(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(v) + 1 for k, v in raw.items())
    if kind == "L":
        return 3 + sum(_value_size(v) + 1 for v in raw)
    if kind == "SS":
        return sum(len(s.encode()) for s in raw)
    if kind == "NS":
        return sum(len(n) // 2 + 2 for n in raw)
    return sum(len(b) for b in raw)


def check_item_size(item: Mapping[str, AttributeValue], what: str) -> None:
    """Refuse an item larger than DynamoDB's 400 KB (sizes as DynamoDB counts them)."""
    size = sum(len(name.encode()) + _value_size(v) for name, v in item.items())
    if size > MAX_ITEM_BYTES:
        raise UnstorableValue(
            f"item of {size} bytes exceeds DynamoDB's {MAX_ITEM_BYTES}-byte limit", field=what
        )


def check_key(value: str, *, field: str, partition: bool) -> None:
    """Refuse an empty key string or one longer than DynamoDB allows (2048 / 1024 bytes)."""
    if value == "":
        raise UnstorableValue("DynamoDB keys cannot be empty strings", field=field)
    limit = MAX_PARTITION_KEY_BYTES if partition else MAX_SORT_KEY_BYTES
    size = len(value.encode())
    if size > limit:
        kind = "partition" if partition else "sort"
        raise UnstorableValue(
            f"{kind} key of {size} bytes exceeds DynamoDB's {limit}-byte limit", field=field
        )
