"""Registrations of risk: jobs, schedules, subscribers, the object panel, tiles."""


def register() -> None:
    """Called once from ``ConservationConfig.ready``."""
    from taihe.modules.conservation.risk import jobs  # noqa: F401  registers jobs, schedules
