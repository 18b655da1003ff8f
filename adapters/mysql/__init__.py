"""The MySQL/MariaDB adapter (SQLAlchemy 2 Core), which also runs on SQLite.

Every repository Protocol of :mod:`interfaces` over the legacy store schema::

    from adapters.mysql import build_store, create_engine
    from dal.migrations import upgrade

    engine = create_engine("mysql+pymysql://user:password@host/store")
    upgrade(engine)                      # the layer's version columns and id table
    store = build_store(engine)
    with store.unit_of_work():           # one transaction: commit on success
        user = store.users.get(42)

Repositories never open or commit transactions: the caller's unit of work does.
Driver errors reach the caller as :mod:`interfaces.errors` (see
:mod:`adapters.mysql.errors`).
"""

from adapters.mysql.engine import create_engine
from adapters.mysql.ids import SqlIdAllocator
from adapters.mysql.session import UnitOfWork

__all__ = ["SqlIdAllocator", "UnitOfWork", "create_engine"]
