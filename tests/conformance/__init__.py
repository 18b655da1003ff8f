"""One conformance suite, run against every adapter registered in ``backends.py``.

The Protocol docstrings of ``examples.store.repositories`` are the specification;
each test function runs once per backend (``test_create_user[mariadb]``)::

    .venv/bin/pytest tests/conformance                 # every backend
    .venv/bin/pytest tests/conformance -k memory       # one backend
    .venv/bin/pytest tests/conformance -m "not mysql"  # no server needed

Where backends may legitimately differ, the difference is a capability
declared on the :class:`~conformance.backends.Backend` entry, never a weaker
test for everyone.
"""
