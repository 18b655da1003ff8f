"""The binary collation that compares text exactly on a MySQL-compatible server."""

from __future__ import annotations

from sqlalchemy.engine import Dialect

__all__ = ["exact_collation"]


def exact_collation(charset: str, dialect: Dialect) -> str:
    """The binary collation of ``charset`` on this server, NO PAD where it has one."""
    if getattr(dialect, "is_mariadb", False):
        return f"{charset}_nopad_bin"
    version = getattr(dialect, "server_version_info", None) or (0,)
    if charset == "utf8mb4" and version >= (8, 0, 17):
        return "utf8mb4_0900_bin"
    return f"{charset}_bin"
