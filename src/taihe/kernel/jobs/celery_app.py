"""The Celery adapter (scaled profile). The only module that imports celery."""

from __future__ import annotations

from typing import Any

from celery import Celery
from django.conf import settings

app = Celery("taihe")
app.conf.update(
    broker_url=settings.CELERY_BROKER_URL,
    task_acks_late=settings.CELERY_TASK_ACKS_LATE,
    task_reject_on_worker_lost=settings.CELERY_TASK_REJECT_ON_WORKER_LOST,
    worker_prefetch_multiplier=settings.CELERY_WORKER_PREFETCH_MULTIPLIER,
    task_default_queue=settings.CELERY_TASK_DEFAULT_QUEUE,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    task_ignore_result=True,
)


@app.task(name="taihe.run_job", bind=True)
def run_job(task: Any, record_id: int) -> str:
    from django.db import close_old_connections

    from taihe.kernel.jobs.execution import Outcome, execute
    from taihe.kernel.jobs.models import JobRecord

    close_old_connections()
    try:
        outcome, delay = execute(record_id)
        if outcome == Outcome.RETRY:
            queue = JobRecord.objects.values_list("queue", flat=True).get(pk=record_id)
            send(record_id, queue=queue, countdown=delay)
        return outcome
    finally:
        close_old_connections()


def send(record_id: int, *, queue: str, countdown: float = 0.0) -> None:
    run_job.apply_async(args=[record_id], queue=queue, countdown=countdown or None)


def run_worker(queues: list[str], concurrency: int = 2) -> None:
    app.worker_main(
        ["worker", "--loglevel=INFO", f"--concurrency={concurrency}", "-Q", ",".join(queues),
         "--without-gossip", "--without-mingle", "--pool=threads"]
    )
