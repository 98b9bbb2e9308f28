"""Registrations of risk: jobs, schedules, subscribers, the object panel, tiles."""


def register() -> None:
    """Called once from ``ConservationConfig.ready``."""
