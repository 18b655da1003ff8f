"""The context of work off the request path: the caller's telemetry, none of its bindings."""

from __future__ import annotations

from contextvars import ContextVar

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from dal.routing import carry
from dal.routing.uow import _CURRENT, UnitOfWorkState, current_unit_of_work
from dal.routing.workcontext import carried, work_context
from dal.telemetry.correlation import (
    current_correlation_id,
    enter_correlation,
    leave_correlation,
)
from interfaces.deadlines import deadline, time_left
from interfaces.known import known_result, result_known

REQUEST: ContextVar[str] = ContextVar("test_request_id")
SESSION: ContextVar[str] = ContextVar("test_session", default="none")


def test_work_sees_the_callers_span_and_correlation_id_only() -> None:
    tracer = TracerProvider().get_tracer("test")
    carry(REQUEST)
    carry(REQUEST)  # once is enough
    assert carried().count(REQUEST) == 1
    token = enter_correlation("c" * 32)
    uow = _CURRENT.set(UnitOfWorkState())
    request, session = REQUEST.set("req-7"), SESSION.set("caller's")
    try:
        with tracer.start_as_current_span("call") as span, deadline(5), known_result("answer"):
            context = work_context()
            seen = context.run(
                lambda: (
                    trace.get_current_span(),
                    current_correlation_id(),
                    REQUEST.get(),
                    current_unit_of_work(),
                    SESSION.get(),
                    time_left(),
                    result_known(),
                )
            )
    finally:
        REQUEST.reset(request)
        SESSION.reset(session)
        _CURRENT.reset(uow)
        leave_correlation(token)
    assert seen == (span, "c" * 32, "req-7", None, "none", None, None)


def test_work_outside_a_call_has_no_correlation_id() -> None:
    assert work_context().run(current_correlation_id) is None
