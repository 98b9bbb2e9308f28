"""Running one job record: the retry rule both backends share."""

from __future__ import annotations

import logging
import traceback
from datetime import timedelta

from django.utils import timezone

from taihe.kernel import context
from taihe.kernel.jobs.models import JobRecord
from taihe.kernel.jobs.registry import job_definition

logger = logging.getLogger(__name__)


class Outcome:
    DONE = "done"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"


def execute(record_id: int, *, lock_seconds: int = 600) -> tuple[str, float]:
    """Run the job once. Returns the outcome and, for a retry, the delay in seconds.

    The record must already be claimed (status ``running``) by the caller's backend, or be
    ``queued`` (Celery delivers it directly); a finished record is skipped, which makes a
    redelivered Celery message harmless.
    """
    now = timezone.now()
    claimed = JobRecord.objects.filter(
        pk=record_id, status__in=[JobRecord.Status.QUEUED, JobRecord.Status.RUNNING]
    ).update(
        status=JobRecord.Status.RUNNING,
        started_at=now,
        locked_until=now + timedelta(seconds=lock_seconds),
    )
    if not claimed:
        return Outcome.SKIPPED, 0.0
    record = JobRecord.objects.get(pk=record_id)
    record.attempts += 1
    try:
        definition = job_definition(record.name)
    except LookupError:
        record.status = JobRecord.Status.FAILED
        record.last_error = f"unknown job {record.name!r}"
        record.finished_at = timezone.now()
        record.save(update_fields=["attempts", "status", "last_error", "finished_at"])
        return Outcome.FAILED, 0.0
    try:
        with context.bound(request_id=record.request_id or None, actor_id=record.actor_id):
            definition.function(*record.args, **record.kwargs)
    except Exception as error:
        record.last_error = "".join(traceback.format_exception_only(error)).strip()[:4000]
        if record.attempts <= definition.max_retries:
            delay = definition.delay_before_retry(record.attempts)
            record.status = JobRecord.Status.QUEUED
            record.run_after = timezone.now() + delay
            record.locked_until = None
            record.save(update_fields=["attempts", "status", "last_error", "run_after",
                                       "locked_until"])
            logger.warning("job %s#%s failed (attempt %s), retrying in %ss: %s",
                           record.name, record.pk, record.attempts, delay.total_seconds(),
                           record.last_error)
            return Outcome.RETRY, delay.total_seconds()
        record.status = JobRecord.Status.FAILED
        record.finished_at = timezone.now()
        record.save(update_fields=["attempts", "status", "last_error", "finished_at"])
        logger.error("job %s#%s failed for good after %s attempts: %s",
                     record.name, record.pk, record.attempts, record.last_error)
        return Outcome.FAILED, 0.0
    record.status = JobRecord.Status.DONE
    record.finished_at = timezone.now()
    record.locked_until = None
    record.save(update_fields=["attempts", "status", "finished_at", "locked_until"])
    return Outcome.DONE, 0.0
