"""Keeping sensitive values out of reports, whatever the records hold.

The router already redacts what it records; the report does it again, so
that records from an older router, a hand-edited file or a field that became
sensitive later cannot leak into a report. A value under a sensitive field
name (at any depth, or on a path through one) is replaced by the router's
stable token (:class:`~dal.routing.Redactor`); every sensitive value seen
anywhere in the input is also scrubbed from the text of examples and error
messages. Examples are shortened *after* scrubbing, so a cut never leaves
part of a secret behind.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Any

from dal.routing import Redactor
from dal.routing.redaction import DEFAULT_SENSITIVE, scrub_message

__all__ = ["DEFAULT_SENSITIVE", "ReportRedactor"]

_TOKEN = re.compile(r"<redacted:[0-9a-f]{12}>")
_MARKER = re.compile(r"<[^<>]{1,80}>")  # <missing>, <raised NotFound>, a token
_SEGMENT = re.compile(r"[A-Za-z0-9_]+")
_MAX_SECRETS = 10_000


class ReportRedactor:
    """Redacts examples and scrubs messages; collects the secrets it meets on the way."""

    def __init__(self, sensitive: Collection[str] = DEFAULT_SENSITIVE, *, width: int = 160) -> None:
        self._redactor = Redactor(sensitive)
        self.sensitive = self._redactor.sensitive
        self.width = width
        self._secrets: set[str] = set()

    def _on_sensitive_path(self, path: str) -> bool:
        return any(name in self.sensitive for name in _SEGMENT.findall(path))

    def collect(self, value: Any, path: str = "") -> None:
        """Remember the sensitive values inside ``value`` (found at ``path``)."""
        if len(self._secrets) >= _MAX_SECRETS:
            return
        if self._on_sensitive_path(path) and isinstance(value, str):
            found = {value}
        else:
            found = self._redactor.secrets(value)
        self._secrets.update(secret for secret in found if secret and not _TOKEN.fullmatch(secret))

    def value(self, value: Any, path: str = "") -> Any:
        """``value`` as JSON-ready data with sensitive fields replaced by tokens."""
        if self._on_sensitive_path(path):
            if isinstance(value, str) and _TOKEN.fullmatch(value):
                return value
            return self._redactor.token(value)
        return self._walk(value)

    def _walk(self, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: self._field(key, item) for key, item in data.items()}
        if isinstance(data, list):
            return [self._walk(item) for item in data]
        return data

    def _field(self, key: str, item: Any) -> Any:
        if key not in self.sensitive:
            return self._walk(item)
        if isinstance(item, str) and _TOKEN.fullmatch(item):
            return item
        return self._redactor.token(item)

    def scrub(self, text: str) -> str:
        """``text`` without any sensitive value seen so far, nor what error messages quote."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, self._redactor.token(secret))
        return scrub_message(text)

    def example(self, value: Any, path: str = "") -> str:
        """A short, redacted, scrubbed text of ``value`` for a report."""
        if isinstance(value, str):
            redacted = self.value(value, path)
            marker = isinstance(redacted, str) and _MARKER.fullmatch(redacted)
            text = redacted if marker else json.dumps(redacted, ensure_ascii=False)
        else:
            text = json.dumps(
                self.value(value, path), ensure_ascii=False, sort_keys=True, default=str
            )
        return self.shorten(self.scrub(text))

    def message(self, text: str) -> str:
        """An error message, scrubbed and shortened."""
        return self.shorten(self.scrub(text))

    def shorten(self, text: str) -> str:
        """``text`` cut to the redactor's width, marking the cut."""
        text = " ".join(text.split())
        return text if len(text) <= self.width else text[: self.width - 1] + "…"
