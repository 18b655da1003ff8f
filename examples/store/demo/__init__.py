"""The demonstration: a shop migrated from MySQL to DynamoDB, stage by stage (``dal demo``).

::

    from examples.store.demo import DemoConfig, run_demo

    result = run_demo(DemoConfig(out=Path("out/demo")))
    result.files.html          # the comparison report
    result.planted             # the drifts planted in DynamoDB, and where the report shows them

See ``docs/demo.md``.
"""

from examples.store.demo.config import DEFAULT_SCALE, SMALL_SCALE, DemoConfig, DemoScale
from examples.store.demo.drift import PlantedDrift
from examples.store.demo.runner import DemoResult, StageRun, run_demo

__all__ = [
    "DEFAULT_SCALE",
    "SMALL_SCALE",
    "DemoConfig",
    "DemoResult",
    "DemoScale",
    "PlantedDrift",
    "StageRun",
    "run_demo",
]
