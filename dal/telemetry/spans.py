"""Span scopes: a span made current for a block, ended (with its error) at the block's end.

Plain classes rather than generator-based context managers, to keep the cost per
routed call small. :class:`CallScope` also makes the call's correlation id current
(see :mod:`dal.telemetry.correlation`).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import Token
from types import TracebackType
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from dal.telemetry.correlation import enter_correlation, leave_correlation, new_correlation_id

__all__ = ["CallScope", "SpanScope"]


Answers = tuple[type[BaseException], ...]
"""Exceptions that are an answer about the data (NotFound...), not a failure."""


class SpanScope:
    """A span current within a ``with`` block; an exception leaving the block marks it failed.

    An exception of ``answers`` is noted as the span's ``error.type`` only: the call
    answered, so the status stays unset.
    """

    __slots__ = ("_answers", "_attributes", "_kind", "_name", "_span", "_token", "_tracer")

    def __init__(
        self,
        tracer: trace.Tracer,
        name: str,
        attributes: Mapping[str, Any],
        *,
        client: bool = False,
        answers: Answers = (),
    ) -> None:
        self._answers = answers
        self._tracer = tracer
        self._name = name
        self._attributes = attributes
        self._kind = SpanKind.CLIENT if client else SpanKind.INTERNAL
        self._span: trace.Span = trace.INVALID_SPAN
        self._token: object = None

    def __enter__(self) -> trace.Span:
        span = self._tracer.start_span(self._name, kind=self._kind, attributes=self._attributes)
        self._span = span
        self._token = otel_context.attach(trace.set_span_in_context(span))
        self._entered(span)
        return span

    def _entered(self, span: trace.Span) -> None:
        """Called once the span is current (subclasses add to the context)."""

    def _leaving(self) -> None:
        """Called before the span stops being current (subclasses undo :meth:`_entered`)."""

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace_: TracebackType | None,
    ) -> None:
        span = self._span
        if error is not None:
            failed(span, error, answered=isinstance(error, self._answers))
        self._leaving()
        otel_context.detach(self._token)  # type: ignore[arg-type]
        span.end()


class CallScope(SpanScope):
    """The span of a routed call, plus its correlation id; ``with`` gives the id."""

    __slots__ = ("_correlation",)

    def __init__(
        self,
        tracer: trace.Tracer,
        name: str,
        attributes: Mapping[str, Any],
        answers: Answers = (),
    ) -> None:
        super().__init__(tracer, name, attributes, answers=answers)
        self._correlation: Token[str | None] | None = None

    def _entered(self, span: trace.Span) -> None:
        context = span.get_span_context()
        if context.is_valid:
            correlation_id = trace.format_trace_id(context.trace_id)
        else:
            correlation_id = new_correlation_id()
        self._correlation = enter_correlation(correlation_id)

    def _leaving(self) -> None:
        if self._correlation is not None:
            leave_correlation(self._correlation)
            self._correlation = None


def failed(span: trace.Span, error: BaseException, *, answered: bool = False) -> None:
    """Note ``error``'s type on ``span`` (never its message: it may hold values); unless the
    error ``answered`` the call, mark the span failed."""
    name = type(error).__name__
    span.set_attribute("error.type", name)
    if not answered:
        span.set_status(Status(StatusCode.ERROR, name))
