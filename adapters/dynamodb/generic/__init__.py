"""Generic DynamoDB repositories driven by entity declarations and the migration contract.

The public names are re-exported by :mod:`adapters.dynamodb.entities`.
"""
