"""Sub-commands of the ``dal`` CLI, one module per group; each exposes ``register(app)``."""
