"""``python -m examples.store.demo --out out/demo``: the store's migration, stage by stage."""

from examples.store.demo.cli import main

main()
