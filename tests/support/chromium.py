"""Headless Chromium driven over the Chrome DevTools protocol, to see what a page rendered.

:func:`find_chromium` finds the browser (``DAL_TEST_CHROMIUM``, else ``chromium``,
``chromium-browser``, ``google-chrome`` on the PATH); :class:`Chromium` starts it
headless with a remote-debugging port and evaluates JavaScript in a page it loaded
(``Runtime.evaluate``), over a websocket (``websocket-client``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import websocket

from dal.routing.closing import ClosedOnExit

__all__ = ["CHROMIUM_VARIABLE", "Chromium", "find_chromium"]

CHROMIUM_VARIABLE = "DAL_TEST_CHROMIUM"
_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")


def find_chromium() -> str | None:
    """The path of a Chromium or Chrome binary, or None."""
    named = os.environ.get(CHROMIUM_VARIABLE)
    if named:
        return named
    return next((found for name in _NAMES if (found := shutil.which(name))), None)


class Chromium(ClosedOnExit):
    """A headless browser with one page; ``evaluate`` runs JavaScript in it."""

    def __init__(self, binary: str, width: int = 1280, height: int = 900) -> None:
        self._profile = tempfile.TemporaryDirectory(prefix="dal-chromium-")
        self._process = subprocess.Popen(
            [
                binary,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-extensions",
                "--remote-debugging-port=0",
                f"--user-data-dir={self._profile.name}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._socket: websocket.WebSocket | None = None
        self._next_id = 0
        try:
            self._socket = websocket.create_connection(self._page_url(), timeout=30)
        except BaseException:
            self.close()
            raise

    def _page_url(self) -> str:
        assert self._process.stderr is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self._process.stderr.readline()
            if not line and self._process.poll() is not None:
                raise RuntimeError(f"chromium exited with {self._process.returncode}")
            found = _LISTENING.search(line)
            if found:
                port = found.group(1).split(":")[2].split("/")[0]
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as answer:
                    pages = [t for t in json.load(answer) if t["type"] == "page"]
                return str(pages[0]["webSocketDebuggerUrl"])
        raise RuntimeError("chromium did not open its DevTools port within 30 s")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and return its result (events in between are skipped)."""
        assert self._socket is not None
        self._next_id += 1
        self._socket.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv())
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))

    def open(self, path: Path) -> None:
        """Load a local file and wait until its ``load`` event fired."""
        self.call("Page.enable")
        self.call("Page.navigate", url=path.resolve().as_uri())
        self.evaluate(
            "new Promise(done => document.readyState === 'complete' ? done(true)"
            " : addEventListener('load', () => done(true)))"
        )

    def evaluate(self, expression: str) -> Any:
        """The JSON value of ``expression`` (awaited when it is a promise)."""
        result = self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self) -> None:
        """Stop the browser and remove its profile."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process.stderr is not None:
            self._process.stderr.close()
        self._profile.cleanup()
