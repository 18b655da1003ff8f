"""The hand-over from backfill to change data capture: where in the log a pass began.

Before a backfill pass copies an entity's first row, :func:`record_backfill_start`
saves the binary log's end as ``backfill:<entity>`` in ``dal_cdc_positions``.
Every change committed after that point is in the log from there on, so ``dal cdc
mysql --from-backfill`` starting at the earliest of these positions misses nothing
the copy may have read too early (what it repeats, the version guards make harmless).
A resumed pass keeps the position of the pass it continues. A server without a
row-based binary log, or a database without the table, records nothing.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from dal.cdc.binlog import BinlogUnavailable, current_position
from dal.cdc.checkpoints import PositionStore
from dal.cdc.mysql_service import BACKFILL_PREFIX

__all__ = ["record_backfill_start"]

log = logging.getLogger("dal.cdc")


def record_backfill_start(engine: Engine, entity: str) -> None:
    """Save where the binary log ends now as the start of ``entity``'s backfill pass."""
    store = PositionStore(engine)
    if engine.dialect.name not in ("mysql", "mariadb") or not store.exists():
        return
    try:
        position = current_position(engine)
    except BinlogUnavailable as reason:
        log.info("no binary-log position recorded for the backfill of %s: %s", entity, reason)
        return
    store.save(BACKFILL_PREFIX + entity, str(position))
