"""Bounded modules, one Django app each. They talk through their ``api`` and events."""
