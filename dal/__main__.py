"""``python -m dal``: the ``dal`` command line."""

from dal.cli import main

main()
