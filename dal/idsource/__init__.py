"""Where new ids come from, and how allocation moves from MySQL to DynamoDB.

``DAL_ID_SOURCE`` (see :mod:`dal.settings`) makes the container allocate ids
from MySQL's hi/lo table (``mysql``, the default) or from DynamoDB's counters
(``dynamodb``). Before switching, :meth:`IdHandover.sync` raises every DynamoDB
counter above the largest id MySQL has stored or reserved, so that no id is
ever handed out twice::

    handover = container.id_handover()
    for change in handover.sync():
        print(change.sequence, change.after.mysql_high_water, change.after.dynamodb_next)

The ``dal ids`` commands do the same from the shell; ``docs/ids.md`` describes
the procedure.
"""

from dal.idsource.allocator import PreparedIdAllocator
from dal.idsource.dynamodb import DynamoSequences
from dal.idsource.handover import (
    HighWaterMarks,
    IdHandover,
    IdHandoverError,
    SequenceChange,
    SequenceCounters,
    SequenceState,
)
from dal.idsource.mysql import SqlHighWater

__all__ = [
    "DynamoSequences",
    "HighWaterMarks",
    "IdHandover",
    "IdHandoverError",
    "PreparedIdAllocator",
    "SequenceChange",
    "SequenceCounters",
    "SequenceState",
    "SqlHighWater",
]
