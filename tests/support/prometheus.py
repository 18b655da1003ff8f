"""Scraping a Prometheus endpoint of the layer (``DAL_METRICS_PORT``) in tests."""

from __future__ import annotations

import socket
import urllib.request


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scrape(port: int) -> str:
    """The body of ``/metrics`` on ``port``."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        assert answer.status == 200
        return answer.read().decode()


def series(body: str) -> dict[str, list[str]]:
    """The sample lines of a scrape, by series name."""
    found: dict[str, list[str]] = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            found.setdefault(line.split("{")[0].split(" ")[0], []).append(line)
    return found
