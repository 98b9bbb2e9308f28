"""Registrations of prediction: jobs, schedules, subscribers."""


def register() -> None:
    """Called once from ``ConservationConfig.ready``."""
