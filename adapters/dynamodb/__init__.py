"""The DynamoDB adapter: every repository Protocol over the contract's tables (PynamoDB).

Entry points:

* :func:`build_store` - a :class:`~interfaces.Store` over DynamoDB;
* :class:`RetryPolicy` - how transient failures are retried;
* :class:`DynamoIdAllocator` and :func:`ensure_sequences_table` - ids from DynamoDB counters;
* :func:`batch_get`, :func:`batch_write`, :class:`BatchIncomplete` - batch I/O that never
  drops an item (also used by the backfill tool);
* :class:`DynamoClient` and :func:`connect` - raw requests with the adapter's retries and errors.
"""

from adapters.dynamodb.batch import BatchIncomplete, WriteRequest, batch_get, batch_write
from adapters.dynamodb.client import DynamoClient, connect
from adapters.dynamodb.errors import MissingTable
from adapters.dynamodb.ids import DynamoIdAllocator, ensure_sequences_table
from adapters.dynamodb.retry import RetryPolicy

__all__ = [
    "BatchIncomplete",
    "DynamoClient",
    "DynamoIdAllocator",
    "MissingTable",
    "RetryPolicy",
    "WriteRequest",
    "batch_get",
    "batch_write",
    "connect",
    "ensure_sequences_table",
]
