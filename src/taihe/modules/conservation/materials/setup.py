"""Registrations of the material rule base: jobs, subscribers."""


def register() -> None:
    """Called once from ``ConservationConfig.ready``."""
