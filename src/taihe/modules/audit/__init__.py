"""Audit: the append-only, hash-chained record of every write made through a service."""
