"""The generic SQL repositories (SQLAlchemy 2 Core): MySQL, MariaDB and SQLite.

One repository per declared entity, driven by its
:class:`~interfaces.entities.EntitySpec`, following :mod:`interfaces.repository`::

    from adapters.mysql import create_engine
    from adapters.sql import SqlRepositories

    engine = create_engine("mysql+pymysql://user:password@host/tracker")
    repositories = SqlRepositories(engine, SPECS)
    with repositories.unit_of_work():
        tickets = repositories.repository("tickets")
        page = tickets.query("by_project", project_id=1)

Repositories never open or commit transactions: the caller's unit of work does.
"""

from adapters.sql.repositories import SqlRepositories
from adapters.sql.repository import SqlRepository

__all__ = ["SqlRepositories", "SqlRepository"]
