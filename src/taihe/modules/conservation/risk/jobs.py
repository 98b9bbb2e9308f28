"""Risk jobs: recompute climate and object assessments (nightly, and after readings,
moves and rule base changes)."""
