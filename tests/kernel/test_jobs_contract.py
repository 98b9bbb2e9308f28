"""The job contract, run against every backend: the embedded database queue and Celery.

Both must: run a job once with its arguments, retry a failing job with backoff up to its
limit and then give up, route by queue, and never run a job whose transaction rolled back.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import transaction

from taihe.kernel.jobs import enqueue, job
from taihe.kernel.jobs.backends import DatabaseBackend, backend
from taihe.kernel.jobs.models import JobRecord
from tests.conftest import service_missing

_lock = threading.Lock()
calls: list[tuple[str, Any]] = []
failures_left = {"count": 0}


@job(name="tests.contract.record", backoff_seconds=0.05)
def record(value: str, *, extra: int = 0) -> None:
    with _lock:
        calls.append(("record", (value, extra)))


@job(name="tests.contract.flaky", max_retries=3, backoff_seconds=0.05)
def flaky(value: str) -> None:
    with _lock:
        calls.append(("flaky", value))
        if failures_left["count"] > 0:
            failures_left["count"] -= 1
            raise RuntimeError("temporarily broken")


@job(name="tests.contract.broken", max_retries=2, backoff_seconds=0.05)
def broken() -> None:
    with _lock:
        calls.append(("broken", None))
    raise ValueError("always broken")


@job(name="tests.contract.export", queue="export", backoff_seconds=0.05)
def on_export_queue(value: str) -> None:
    with _lock:
        calls.append(("export", value))


class Harness:
    """Submits through ``enqueue`` and drives the backend until jobs settle."""

    def __init__(self, name: str, drain: Callable[[], None]) -> None:
        self.name = name
        self.drain = drain

    def submit(self, target: Any, *args: Any, **kwargs: Any) -> None:
        with transaction.atomic():
            enqueue(target, *args, **kwargs)

    def wait_for(self, predicate: Callable[[], bool], seconds: float = 15.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.drain()
            if predicate():
                return
            time.sleep(0.05)
        raise AssertionError(f"{self.name}: condition not met within {seconds}s; calls={calls}")


def _database_harness(settings: Any) -> Iterator[Harness]:
    settings.TAIHE_JOBS_BACKEND = "database"
    db_backend = backend("database")
    assert isinstance(db_backend, DatabaseBackend)
    yield Harness("database", lambda: db_backend.run_pending(limit=50) and None)


def _celery_harness(settings: Any) -> Iterator[Harness]:
    import redis

    # One Redis database per xdist worker: parallel workers must not share a queue.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or "0"
    url = f"redis://127.0.0.1:6379/{8 + int(worker) % 8}"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as error:
        service_missing("Redis", str(error))
    from celery.contrib.testing.worker import start_worker

    from taihe.kernel.jobs.celery_app import app

    redis.Redis.from_url(url).flushdb()
    app.conf.broker_url = url
    settings.TAIHE_JOBS_BACKEND = "celery"
    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False,
                      queues=["default", "export"], shutdown_timeout=10):
        yield Harness("celery", lambda: None)


@pytest.fixture(params=["database", "celery"])
def harness(request: Any, settings: Any, transactional_db: Any) -> Iterator[Harness]:
    calls.clear()
    failures_left["count"] = 0
    factory = _database_harness if request.param == "database" else _celery_harness
    yield from factory(settings)


def _record(name: str) -> JobRecord:
    return JobRecord.objects.get(name=name)


def test_a_job_runs_once_with_its_arguments(harness: Harness) -> None:
    harness.submit(record, "hello", extra=3)
    harness.wait_for(lambda: _record("tests.contract.record").status == "done")
    assert calls == [("record", ("hello", 3))]
    assert _record("tests.contract.record").attempts == 1


def test_a_failing_job_is_retried_then_succeeds(harness: Harness) -> None:
    failures_left["count"] = 2
    harness.submit(flaky, "x")
    harness.wait_for(lambda: _record("tests.contract.flaky").status == "done")
    entry = _record("tests.contract.flaky")
    assert entry.attempts == 3
    assert calls == [("flaky", "x")] * 3
    assert "temporarily broken" in entry.last_error


def test_retries_are_bounded_and_the_job_ends_failed(harness: Harness) -> None:
    harness.submit(broken)
    harness.wait_for(lambda: _record("tests.contract.broken").status == "failed")
    entry = _record("tests.contract.broken")
    assert entry.attempts == 3  # the first try and max_retries=2 retries
    assert calls == [("broken", None)] * 3
    assert entry.last_error == "ValueError: always broken"


def test_jobs_are_routed_to_their_queue(harness: Harness) -> None:
    harness.submit(on_export_queue, "sheet")
    harness.wait_for(lambda: _record("tests.contract.export").status == "done")
    assert _record("tests.contract.export").queue == "export"
    assert calls == [("export", "sheet")]


def test_a_job_enqueued_in_a_rolled_back_transaction_never_runs(harness: Harness) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue(record, "ghost")
        raise RuntimeError("the caller failed")
    harness.submit(record, "after")
    harness.wait_for(lambda: JobRecord.objects.filter(status="done").count() == 1)
    assert calls == [("record", ("after", 0))]
    assert JobRecord.objects.count() == 1


def test_backoff_doubles_and_is_capped() -> None:
    from taihe.kernel.jobs import job_definition

    definition = job_definition("tests.contract.flaky")
    assert [definition.delay_before_retry(n).total_seconds() for n in (1, 2, 3)] == [
        0.05, 0.1, 0.2]
    assert job_definition("notifications.email.send").delay_before_retry(20).total_seconds() \
        == 3600.0


def test_arguments_must_be_json() -> None:
    with pytest.raises(TypeError):
        enqueue(record, object())


def test_unknown_queues_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown queue"):
        job(name="tests.contract.nowhere", queue="nowhere")


@pytest.mark.django_db
def test_a_unique_job_is_not_queued_twice_while_one_waits(
        settings: Any, django_capture_on_commit_callbacks: Any) -> None:
    # given the database backend with nobody draining it
    settings.TAIHE_JOBS_BACKEND = "database"
    # when the same unique job is enqueued three times and another argument once
    for value in ("s1", "s1", "s1", "s2"):
        with django_capture_on_commit_callbacks(execute=True):
            enqueue(record, value, unique=True)
    # then one waits per argument
    assert sorted(JobRecord.objects.values_list("args", flat=True)) == [["s1"], ["s2"]]
    # and once the waiting one has started, a new one is queued again
    JobRecord.objects.filter(args=["s1"]).update(status=JobRecord.Status.RUNNING)
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(record, "s1", unique=True)
    assert JobRecord.objects.filter(args=["s1"]).count() == 2
