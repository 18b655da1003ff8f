"""The conformance suite: the same tests for every backend and every declared entity.

Import every test into one test module of the project (with the plugin enabled
in its conftest, see :mod:`dal.testing.plugin`)::

    from dal.testing.suite import *  # noqa: F403

Each test takes ``dal_harness`` (the fresh repositories of the backend under
test) and ``dal_spec`` (the entity under test), so it runs once per backend and
declared entity. A test that does not apply to an entity (no unique constraint,
no version, no named query...) skips saying why; a test that a backend may
legitimately fail skips only through that backend's
:class:`~dal.testing.backends.Capabilities`.
"""

from dal.testing.suite.batches import *  # noqa: F403
from dal.testing.suite.batches import __all__ as _batches
from dal.testing.suite.crud import *  # noqa: F403
from dal.testing.suite.crud import __all__ as _crud
from dal.testing.suite.limits import *  # noqa: F403
from dal.testing.suite.limits import __all__ as _limits
from dal.testing.suite.queries import *  # noqa: F403
from dal.testing.suite.queries import __all__ as _queries
from dal.testing.suite.references import *  # noqa: F403
from dal.testing.suite.references import __all__ as _references
from dal.testing.suite.uniques import *  # noqa: F403
from dal.testing.suite.uniques import __all__ as _uniques
from dal.testing.suite.units import *  # noqa: F403
from dal.testing.suite.units import __all__ as _units
from dal.testing.suite.updates import *  # noqa: F403
from dal.testing.suite.updates import __all__ as _updates

__all__ = [
    *_crud,
    *_updates,
    *_uniques,
    *_references,
    *_queries,
    *_batches,
    *_units,
    *_limits,
]
