"""Cron-like schedules, fired by whichever scheduler holds the lease."""

from __future__ import annotations

import logging
import socket
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from croniter import croniter
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone

from taihe.kernel.jobs.models import SchedulerLease, ScheduleState
from taihe.kernel.jobs.registry import enqueue, job_definition

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Schedule:
    name: str
    cron: str
    job_name: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def next_after(self, moment: datetime) -> datetime:
        # Cron fields are read in UTC: stored times are UTC and schedules stay unambiguous
        # across daylight-saving changes in museums that have them.
        result: datetime = croniter(self.cron, moment).get_next(datetime)
        return result


_SCHEDULES: dict[str, Schedule] = {}


def schedule(name: str, *, cron: str, job_name: str, args: tuple[Any, ...] = (),
             kwargs: dict[str, Any] | None = None) -> Schedule:
    if not croniter.is_valid(cron):
        raise ValueError(f"schedule {name!r}: {cron!r} is not a valid cron expression")
    entry = Schedule(name, cron, job_name, args, kwargs or {})
    _SCHEDULES[name] = entry
    return entry


def schedules() -> list[Schedule]:
    return sorted(_SCHEDULES.values(), key=lambda s: s.name)


def acquire_lease(holder: str, *, ttl_seconds: int = 30, now: datetime | None = None,
                  name: str = "scheduler") -> bool:
    """Take or renew the lease. True when ``holder`` holds it until ``now + ttl``."""
    moment = now or timezone.now()
    expires = moment + timedelta(seconds=ttl_seconds)
    with transaction.atomic():
        taken = SchedulerLease.objects.filter(name=name).filter(
            holder=holder
        ).update(expires_at=expires) or SchedulerLease.objects.filter(
            name=name, expires_at__lt=moment
        ).update(holder=holder, expires_at=expires)
    if taken:
        return True
    try:
        with transaction.atomic():
            SchedulerLease.objects.create(name=name, holder=holder, expires_at=expires)
        return True
    except IntegrityError:
        return False


def release_lease(holder: str, name: str = "scheduler") -> None:
    SchedulerLease.objects.filter(name=name, holder=holder).delete()


def fire_due(now: datetime | None = None) -> list[str]:
    """Enqueue every schedule whose next time since it last fired has come. The first time a
    schedule is seen it starts counting from now instead of catching up on the past."""
    moment = now or timezone.now()
    fired: list[str] = []
    for entry in schedules():
        with transaction.atomic():
            state, created = ScheduleState.objects.get_or_create(
                name=entry.name, defaults={"last_fired_at": moment}
            )
            if created:
                continue
            if entry.next_after(state.last_fired_at) > moment:
                continue
            job_definition(entry.job_name)
            enqueue(entry.job_name, *entry.args, **entry.kwargs)
            state.last_fired_at = moment
            state.save(update_fields=["last_fired_at"])
            fired.append(entry.name)
    return fired


class Scheduler(threading.Thread):
    def __init__(self, tick_seconds: float = 5.0, ttl_seconds: int = 30) -> None:
        super().__init__(name="taihe-scheduler", daemon=True)
        self.holder = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        self.tick_seconds = tick_seconds
        self.ttl_seconds = ttl_seconds
        self.stopping = threading.Event()

    def tick(self, now: datetime | None = None) -> list[str]:
        if not acquire_lease(self.holder, ttl_seconds=self.ttl_seconds, now=now):
            return []
        return fire_due(now)

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.tick()
            except Exception:
                logger.exception("scheduler tick failed; continuing")
            finally:
                close_old_connections()
            self.stopping.wait(self.tick_seconds)
        try:
            release_lease(self.holder)
        except Exception:
            logger.exception("could not release the scheduler lease")
        finally:
            close_old_connections()

    def stop(self) -> None:
        self.stopping.set()
