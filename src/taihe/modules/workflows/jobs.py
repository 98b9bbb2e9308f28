"""Background jobs and schedules of approvals."""

from __future__ import annotations

from taihe.kernel.jobs import job, schedule
from taihe.modules.workflows import services


@job(name="workflows.tasks.due", queue="default", max_retries=1, backoff_seconds=30.0)
def handle_due_tasks() -> None:
    """Remind, escalate or decide tasks whose step's time limit has passed."""
    services.handle_due_tasks()


schedule("workflows.due", cron="* * * * *", job_name="workflows.tasks.due")
