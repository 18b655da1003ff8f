"""Backend implementations of the repository Protocols: mysql, dynamodb and an in-memory fake."""
