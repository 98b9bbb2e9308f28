"""The job registry and ``enqueue``."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import transaction

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class JobDefinition:
    name: str
    function: Callable[..., Any]
    queue: str
    max_retries: int
    backoff_seconds: float

    def delay_before_retry(self, attempt: int) -> timedelta:
        """Exponential backoff: ``backoff * 2**(attempt-1)``, capped at one hour."""
        return timedelta(seconds=min(self.backoff_seconds * (2 ** max(attempt - 1, 0)), 3600.0))


_JOBS: dict[str, JobDefinition] = {}


def job(
    *,
    name: str,
    queue: str = "default",
    max_retries: int = 3,
    backoff_seconds: float = 5.0,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Register a function as a job. Arguments must be JSON values (ids, not objects)."""
    if queue not in settings.TAIHE_JOB_QUEUES:
        raise ValueError(f"job {name!r}: unknown queue {queue!r}")
    if max_retries < 0 or max_retries > 25:
        raise ValueError(f"job {name!r}: max_retries must be between 0 and 25")

    def register(function: Callable[P, R]) -> Callable[P, R]:
        _JOBS[name] = JobDefinition(name, function, queue, max_retries, backoff_seconds)
        function.job_name = name  # type: ignore[attr-defined]
        return function

    return register


def job_definition(name: str) -> JobDefinition:
    try:
        return _JOBS[name]
    except KeyError:
        raise LookupError(f"unknown job {name!r}") from None


def jobs() -> dict[str, JobDefinition]:
    return dict(_JOBS)


def _name_of(target: Callable[..., Any] | str) -> str:
    if isinstance(target, str):
        return target
    name = getattr(target, "job_name", None)
    if name is None:
        raise ValueError(f"{target!r} is not a registered job")
    return str(name)


def enqueue(
    target: Callable[..., Any] | str,
    *args: Any,
    delay_seconds: float = 0.0,
    unique: bool = False,
    **kwargs: Any,
) -> None:
    """Run the job in the background once the current transaction commits.

    ``unique``: do not queue it when the same job with the same arguments is already waiting
    (not yet started): for idempotent jobs that read "whatever is new", such as evaluating a
    sensor's alerts after each of many small MQTT messages."""
    definition = job_definition(_name_of(target))
    # Fail now, in the caller, if the arguments cannot travel.
    json.dumps([args, kwargs])
    from taihe.kernel.jobs.backends import backend
    from taihe.kernel.jobs.models import JobRecord

    def submit() -> None:
        if unique and JobRecord.objects.filter(
                name=definition.name, status=JobRecord.Status.QUEUED, args=list(args),
                kwargs=kwargs).exists():
            return
        backend().submit(definition, list(args), kwargs, delay_seconds=delay_seconds)

    transaction.on_commit(submit)
