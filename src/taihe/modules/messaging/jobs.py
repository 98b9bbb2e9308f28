"""Background jobs and schedules of messaging. Each takes ids and is idempotent."""

from __future__ import annotations

from django.utils import timezone

from taihe.kernel.jobs import job, schedule


@job(name="messaging.mentions.notify", queue="default", max_retries=3, backoff_seconds=30.0)
def notify_mentions(message_id: int) -> None:
    """Tell the people named in a message (not @all: the group's unread badge does that)."""
    from taihe.modules.messaging.notifying import notify_mentions as run

    run(message_id)


@job(name="messaging.bots.outgoing", queue="default", max_retries=3, backoff_seconds=60.0)
def call_outgoing_bots(message_id: int) -> None:
    """POST a message that mentions a bot to the bot's outgoing URL (signed)."""
    from taihe.modules.messaging.bots import call_outgoing

    call_outgoing(message_id)


@job(name="messaging.ding.remind", queue="default", max_retries=1, backoff_seconds=30.0)
def remind_due_dings() -> None:
    """Remind every unconfirmed DING recipient whose next reminder is due."""
    from taihe.modules.messaging.escalation import remind_due

    remind_due(timezone.now())


@job(name="messaging.departments.sync", queue="default", max_retries=2, backoff_seconds=60.0)
def sync_department_groups() -> None:
    """Bring every department group in line with the directory."""
    from taihe.modules.messaging.departments import sync_all

    sync_all()


@job(name="messaging.retention.apply", queue="default", max_retries=1, backoff_seconds=600.0)
def apply_retention() -> None:
    """Delete messages past their conversation's retention (legal holds excepted)."""
    from taihe.modules.messaging.records import apply_retention as run

    run(timezone.now())


schedule("messaging.ding", cron="* * * * *", job_name="messaging.ding.remind")
schedule("messaging.departments", cron="17 3 * * *", job_name="messaging.departments.sync")
schedule("messaging.retention", cron="43 2 * * *", job_name="messaging.retention.apply")
