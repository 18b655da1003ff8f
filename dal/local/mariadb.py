"""A local MariaDB (or MySQL) server for development, tests and the demo.

:func:`ensure_server` returns the URL of a server that answers, starting the
locally installed ``mariadbd``/``mysqld`` when it is installed but stopped.
:func:`create_database` and :func:`drop_database` manage throw-away databases on it.
:func:`start_private_server` starts a server of its own (a temporary data folder, a
free port, settings of its choosing, such as a row-based binary log) and
:meth:`PrivateServer.stop` ends it.

From a shell: ``python -m dal.local.mariadb`` makes sure the local server runs.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

__all__ = [
    "BINLOG_SETTINGS",
    "DEFAULT_SERVER_URL",
    "MariaDBError",
    "PrivateServer",
    "create_database",
    "database_url",
    "drop_database",
    "ensure_server",
    "main",
    "server_error",
    "start_private_server",
]

log = logging.getLogger(__name__)

DEFAULT_SERVER_URL = "mysql+pymysql://root@127.0.0.1:3306/"
_DAEMONS = ("/usr/sbin/mariadbd", "/usr/sbin/mysqld")
_SOCKET_DIR = Path("/run/mysqld")
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_DATABASE_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")


class MariaDBError(RuntimeError):
    """No MySQL-compatible server could be had; the message says why and what to do."""


def server_error(url: str, timeout: float = 3.0) -> str | None:
    """Why the server at ``url`` does not answer ``SELECT 1``, or None when it does."""
    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": timeout})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        cause = getattr(error, "orig", None) or error
        return str(cause).splitlines()[0]
    finally:
        engine.dispose()
    return None


def ensure_server(url: str = DEFAULT_SERVER_URL, *, start_timeout: float = 60.0) -> str:
    """``url`` once its server answers; starts the local daemon if it is installed and stopped.

    Only a server on this machine (127.0.0.1, localhost) is started. Raises MariaDBError,
    saying why, when no server answers.
    """
    problem = server_error(url)
    if problem is None:
        return url
    _refuse_login_problems(problem)
    host = make_url(url).host or "localhost"
    if host not in _LOCAL_HOSTS:
        raise MariaDBError(f"the MySQL server at {host} does not answer: {problem}")
    _start_local_daemon(problem)
    deadline = time.monotonic() + start_timeout
    while time.monotonic() < deadline:
        time.sleep(0.5)
        problem = server_error(url)
        if problem is None:
            log.info("local MariaDB is running")
            return url
        _refuse_login_problems(problem)
    raise MariaDBError(
        f"the local MariaDB did not answer within {start_timeout:.0f}s: {problem} "
        "(see /var/log/mysql/error.log)"
    )


def _refuse_login_problems(problem: str) -> None:
    """A server that answers but refuses the login is running: starting it cannot help."""
    if "Access denied" in problem:
        raise MariaDBError(f"the MySQL server answers but refuses the login: {problem}")


def _start_local_daemon(problem: str) -> None:
    daemon = next((path for path in _DAEMONS if Path(path).is_file()), None)
    if daemon is None:
        raise MariaDBError(
            f"no MySQL server answers ({problem}) and MariaDB is not installed "
            "(Debian: apt-get install mariadb-server)"
        )
    launcher = shutil.which("start-stop-daemon") or "/usr/sbin/start-stop-daemon"
    if os.geteuid() != 0 or not Path(launcher).is_file():
        raise MariaDBError(f"no MySQL server answers ({problem}); start it as root: {daemon}")
    _prepare_socket_dir()
    log.info("starting the local MariaDB (%s)", daemon)
    subprocess.run(
        [launcher, "--start", "--oknodo", "--background", "--exec", daemon],
        check=True,
        timeout=30,
        capture_output=True,
    )


def _prepare_socket_dir() -> None:
    """Create /run/mysqld (lost at reboot) for the server's socket and pid file."""
    if _SOCKET_DIR.is_dir():
        return
    _SOCKET_DIR.mkdir(parents=True)
    if shutil.which("chown"):
        subprocess.run(["chown", "mysql:mysql", str(_SOCKET_DIR)], check=False, timeout=10)


def _server_url(server_url: str) -> URL:
    url = make_url(server_url)
    if "charset" not in url.query:
        url = url.update_query_dict({"charset": "utf8mb4"})
    return url


def database_url(server_url: str, name: str) -> str:
    """The URL of database ``name`` on the server at ``server_url`` (utf8mb4)."""
    return _server_url(server_url).set(database=name).render_as_string(hide_password=False)


def create_database(server_url: str, name: str) -> str:
    """Create database ``name`` (utf8mb4, the server's default collation); return its URL."""
    _execute_on_server(server_url, f"CREATE DATABASE `{_checked(name)}` CHARACTER SET utf8mb4")
    return database_url(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    """Drop database ``name`` if it exists."""
    _execute_on_server(server_url, f"DROP DATABASE IF EXISTS `{_checked(name)}`")


def _checked(name: str) -> str:
    if not _DATABASE_NAME.fullmatch(name):
        raise ValueError(f"not a plain database name (letters, digits, '_'): {name!r}")
    return name


def _execute_on_server(server_url: str, statement: str) -> None:
    url = _server_url(server_url).set(database=None)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


BINLOG_SETTINGS: dict[str, str] = {
    "log-bin": "binlog",
    "binlog-format": "ROW",
    "binlog-row-image": "FULL",
    "binlog-row-metadata": "FULL",
    "server-id": "1",
}
"""A row-based binary log with whole rows and column names: what change data capture reads."""

_INSTALLERS = ("/usr/bin/mariadb-install-db", "/usr/bin/mysql_install_db")


@dataclass
class PrivateServer:
    """A server started by :func:`start_private_server`: its URL (no database) and process."""

    url: str
    datadir: Path
    process: subprocess.Popen[bytes]

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL after ``timeout``) and remove its data."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        shutil.rmtree(self.datadir, ignore_errors=True)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_private_server(
    settings: Mapping[str, str] | None = None, *, start_timeout: float = 60.0
) -> PrivateServer:
    """Start a MariaDB of its own on a free port with a fresh temporary data folder.

    ``settings`` are server options without the leading dashes (``BINLOG_SETTINGS``
    for a row-based binary log). The server lets root in over TCP without a password
    and runs until :meth:`PrivateServer.stop`. Raises MariaDBError when MariaDB is not
    installed or does not start.
    """
    daemon = next((path for path in _DAEMONS if Path(path).is_file()), None)
    installer = next((path for path in _INSTALLERS if Path(path).is_file()), None)
    if daemon is None or installer is None:
        raise MariaDBError("MariaDB is not installed (Debian: apt-get install mariadb-server)")
    datadir = Path(tempfile.mkdtemp(prefix="dal-mariadb-"))
    user = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run(
        [installer, "--no-defaults", *user, f"--datadir={datadir / 'data'}",
         "--auth-root-authentication-method=normal", "--skip-test-db"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    port = _free_port()
    options = [f"--{name}={value}" for name, value in (settings or {}).items()]
    log_bin = [o.replace("=binlog", f"={datadir / 'data' / 'binlog'}") for o in options]
    command = [
        daemon, "--no-defaults", *user, f"--datadir={datadir / 'data'}", f"--port={port}",
        "--bind-address=127.0.0.1", f"--socket={datadir / 'mysqld.sock'}",
        f"--pid-file={datadir / 'mysqld.pid'}", "--skip-name-resolve",
        "--innodb-buffer-pool-size=64M", f"--log-error={datadir / 'error.log'}", *log_bin,
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = PrivateServer(f"mysql+pymysql://root@127.0.0.1:{port}/", datadir, process)
    deadline = time.monotonic() + start_timeout
    while (problem := server_error(server.url, timeout=1)) is not None:
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise MariaDBError(f"the private MariaDB on port {port} did not start: {problem}")
        time.sleep(0.3)
    return server


def main(argv: list[str] | None = None) -> int:
    """``python -m dal.local.mariadb [URL]``: make sure the (local) server answers."""
    parser = argparse.ArgumentParser(prog="python -m dal.local.mariadb", description=__doc__)
    parser.add_argument("url", nargs="?", default=DEFAULT_SERVER_URL, help="server URL")
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        ensure_server(options.url)
    except MariaDBError as error:
        log.error("%s", error)
        return 1
    log.info("MySQL-compatible server answers at %s", make_url(options.url).host)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
