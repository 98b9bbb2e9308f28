"""Background jobs: ``@job``, ``enqueue`` after commit, schedules, two backends.

The embedded backend keeps jobs in a database table and runs them in a worker thread of
the server (or ``taihe worker``); the scaled backend hands them to Celery. Both run the same
registry with the same retry rule, and pass the same contract tests.
"""

from taihe.kernel.jobs.registry import JobDefinition, enqueue, job, job_definition, jobs
from taihe.kernel.jobs.schedules import Schedule, schedule, schedules

__all__ = [
    "JobDefinition",
    "Schedule",
    "enqueue",
    "job",
    "job_definition",
    "jobs",
    "schedule",
    "schedules",
]
