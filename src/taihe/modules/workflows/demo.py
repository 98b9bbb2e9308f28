"""Demo approvals (being written)."""
