"""The OpenTelemetry SDK behind a Prometheus endpoint (``DAL_METRICS_PORT``).

Needs the ``otel`` extra (``opentelemetry-sdk``, ``opentelemetry-exporter-prometheus``,
``prometheus-client``)::

    endpoint = MetricsEndpoint(9464)          # serves http://host:9464/metrics
    telemetry = endpoint.telemetry            # give it to Router(telemetry=...)
    endpoint.close()                          # stops the server and the meter provider

The endpoint has a meter provider and a Prometheus registry of its own: it changes
no global state, so an application's own OpenTelemetry setup is left alone. Spans
go to the global tracer provider (the application's SDK setup, if any).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dal.telemetry.instruments import Telemetry

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

    from opentelemetry.sdk.metrics import MeterProvider

__all__ = ["MetricsEndpoint", "TelemetryUnavailable"]

INSTALL_HINT = "pip install 'dual-dal[otel]'"


class TelemetryUnavailable(RuntimeError):
    """The OpenTelemetry SDK or the Prometheus exporter is not installed."""


class MetricsEndpoint:
    """A Prometheus endpoint on ``port`` (``0``: a free one, see :attr:`port`) of ``address``.

    :class:`TelemetryUnavailable` when the ``otel`` extra is missing; OSError when the
    port cannot be listened on.
    """

    def __init__(self, port: int, address: str = "0.0.0.0") -> None:
        try:
            from opentelemetry.exporter.prometheus import PrometheusMetricReader
            from opentelemetry.sdk.metrics import MeterProvider
            from prometheus_client import CollectorRegistry, start_http_server
        except ImportError as error:
            raise TelemetryUnavailable(
                f"a metrics port needs the OpenTelemetry SDK and Prometheus exporter "
                f"({error.name} is missing): {INSTALL_HINT}"
            ) from error
        self.registry = CollectorRegistry()
        reader = PrometheusMetricReader(registry=self.registry)
        self.meter_provider: MeterProvider = MeterProvider(metric_readers=[reader])
        try:
            server, _ = start_http_server(port, addr=address, registry=self.registry)
        except BaseException:
            self.meter_provider.shutdown()
            raise
        self._server: WSGIServer = server
        self.port: int = server.server_port
        self.telemetry = Telemetry(meter_provider=self.meter_provider)

    def close(self) -> None:
        """Stop serving and shut the meter provider down."""
        self._server.shutdown()
        self._server.server_close()
        self.meter_provider.shutdown()
