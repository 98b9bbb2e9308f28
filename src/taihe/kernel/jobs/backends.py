"""Job backends: database (embedded), eager (tests) and Celery (scaled)."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any, Protocol

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from taihe.kernel import context
from taihe.kernel.jobs.execution import Outcome, execute
from taihe.kernel.jobs.models import JobRecord
from taihe.kernel.jobs.registry import JobDefinition

logger = logging.getLogger(__name__)


class Backend(Protocol):
    name: str

    def submit(
        self, definition: JobDefinition, args: list[Any], kwargs: dict[str, Any], *,
        delay_seconds: float = 0.0,
    ) -> int: ...


def _create_record(
    definition: JobDefinition, args: list[Any], kwargs: dict[str, Any], delay_seconds: float
) -> JobRecord:
    return JobRecord.objects.create(
        name=definition.name,
        queue=definition.queue,
        args=args,
        kwargs=kwargs,
        run_after=timezone.now() + timedelta(seconds=delay_seconds),
        request_id=context.request_id() or "",
        actor_id=context.actor_id(),
    )


class DatabaseBackend:
    """Jobs wait in ``JobRecord``; workers claim them with a conditional UPDATE."""

    name = "database"

    def __init__(self) -> None:
        self.wakeup = threading.Event()

    def submit(
        self, definition: JobDefinition, args: list[Any], kwargs: dict[str, Any], *,
        delay_seconds: float = 0.0,
    ) -> int:
        record = _create_record(definition, args, kwargs, delay_seconds)
        self.wakeup.set()
        return record.pk

    def claim(self, queues: tuple[str, ...] | list[str]) -> int | None:
        now = timezone.now()
        candidates = (
            JobRecord.objects.filter(
                status=JobRecord.Status.QUEUED, queue__in=list(queues), run_after__lte=now
            )
            .order_by("run_after", "id")
            .values_list("pk", flat=True)[:5]
        )
        for pk in candidates:
            with transaction.atomic():
                won = JobRecord.objects.filter(pk=pk, status=JobRecord.Status.QUEUED).update(
                    status=JobRecord.Status.RUNNING, locked_until=now + timedelta(minutes=10)
                )
            if won:
                return pk
        return None

    def recover_stale(self) -> int:
        """Requeue jobs whose worker died while running them (their lock ran out)."""
        return JobRecord.objects.filter(
            status=JobRecord.Status.RUNNING, locked_until__lt=timezone.now()
        ).update(status=JobRecord.Status.QUEUED, locked_until=None)

    def run_pending(
        self, queues: tuple[str, ...] | list[str] | None = None, limit: int = 100
    ) -> int:
        """Run due jobs until none is left or ``limit`` ran. Returns how many ran."""
        selected = tuple(queues or settings.TAIHE_JOB_QUEUES)
        ran = 0
        while ran < limit:
            pk = self.claim(selected)
            if pk is None:
                break
            execute(pk)
            ran += 1
        return ran


class EagerBackend(DatabaseBackend):
    """Runs each job right after it is submitted (tests and one-shot commands)."""

    name = "eager"

    def submit(
        self, definition: JobDefinition, args: list[Any], kwargs: dict[str, Any], *,
        delay_seconds: float = 0.0,
    ) -> int:
        pk = super().submit(definition, args, kwargs, delay_seconds=delay_seconds)
        if delay_seconds <= 0:
            self.run_pending()
        return pk


class CeleryBackend:
    name = "celery"

    def submit(
        self, definition: JobDefinition, args: list[Any], kwargs: dict[str, Any], *,
        delay_seconds: float = 0.0,
    ) -> int:
        from taihe.kernel.jobs.celery_app import send

        record = _create_record(definition, args, kwargs, delay_seconds)
        send(record.pk, queue=definition.queue, countdown=delay_seconds)
        return record.pk


class Worker(threading.Thread):
    """Runs database-backend jobs in a thread (inside the server or ``taihe worker``)."""

    def __init__(
        self, backend: DatabaseBackend, queues: tuple[str, ...], poll_seconds: float = 1.0
    ) -> None:
        super().__init__(name="taihe-job-worker", daemon=True)
        self.backend = backend
        self.queues = queues
        self.poll_seconds = poll_seconds
        self.stopping = threading.Event()

    def run(self) -> None:
        ticks = 0
        while not self.stopping.is_set():
            try:
                if ticks % 60 == 0:
                    self.backend.recover_stale()
                ran = self.backend.run_pending(self.queues, limit=20)
            except Exception:
                logger.exception("job worker loop failed; continuing")
                ran = 0
            finally:
                close_old_connections()
            ticks += 1
            if not ran:
                self.backend.wakeup.wait(self.poll_seconds)
                self.backend.wakeup.clear()

    def stop(self) -> None:
        self.stopping.set()
        self.backend.wakeup.set()


_BACKENDS: dict[str, Backend] = {}


def backend(name: str | None = None) -> Backend:
    chosen = name or settings.TAIHE_JOBS_BACKEND
    if chosen not in _BACKENDS:
        classes: dict[str, type] = {
            "database": DatabaseBackend, "eager": EagerBackend, "celery": CeleryBackend,
        }
        if chosen not in classes:
            raise LookupError(f"unknown jobs backend {chosen!r}")
        _BACKENDS[chosen] = classes[chosen]()
    return _BACKENDS[chosen]


__all__ = ["Backend", "CeleryBackend", "DatabaseBackend", "EagerBackend", "Outcome", "Worker",
           "backend"]
