"""Background jobs and schedules of attendance."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from taihe.kernel.jobs import job, schedule
from taihe.modules.attendance import services
from taihe.modules.attendance.computing import local_zone, recompute


@job(name="attendance.days.recompute", queue="default", max_retries=2, backoff_seconds=30.0)
def recompute_days(person_ids: list[int] | None, start: str, end: str, cause: str = "") -> None:
    """Judge the days of some people (everyone when None) again after a rule changed."""
    recompute(person_ids, date.fromisoformat(start), date.fromisoformat(end), cause=cause)


@job(name="attendance.days.refresh", queue="default", max_retries=1, backoff_seconds=60.0)
def refresh_recent_days() -> None:
    """Keep yesterday and today judged for everyone: an absence shows even when nothing
    happened (no punch is itself the fact)."""
    today = timezone.localdate(timezone.now(), local_zone())
    recompute(None, today - timedelta(days=1), today, cause="")


@job(name="attendance.leave.year_end", queue="default", max_retries=1, backoff_seconds=300.0)
def leave_year_end() -> None:
    """On New Year: carry last year's annual leave over, grant this year's, and expire
    carry-overs past their last day. Each step is idempotent."""
    today = timezone.localdate(timezone.now(), local_zone())
    services.do_carry_over(None, today.year - 1)
    services.do_grant_annual_leave(None, today.year)
    services.do_expire_carried_over(today)


schedule("attendance.refresh", cron="*/15 * * * *", job_name="attendance.days.refresh")
schedule("attendance.year_end", cron="30 0 * * *", job_name="attendance.leave.year_end")
