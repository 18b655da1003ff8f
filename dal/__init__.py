"""The machinery of the dual-database layer: contract, routing, comparison, tools, CLI."""
