"""Test settings for the conservation science library (run with --import-mode=importlib)."""

from hypothesis import settings

# Modest example counts keep the suite well under ~20 s on two cores.
# No example database: keeps the worktree free of a .hypothesis/ folder.
settings.register_profile("science", max_examples=40, deadline=None, database=None)
settings.load_profile("science")
