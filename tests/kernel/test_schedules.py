"""Schedules fire on their cron times, and only the lease holder fires them."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

import pytest

from taihe.kernel.jobs import job
from taihe.kernel.jobs.models import JobRecord, ScheduleState
from taihe.kernel.jobs.schedules import (
    Scheduler,
    acquire_lease,
    fire_due,
    release_lease,
    schedule,
)

schedules_module = importlib.import_module("taihe.kernel.jobs.schedules")
REGISTERED = dict(schedules_module._SCHEDULES)

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 1, 8, 0, 30, tzinfo=UTC)
ticks: list[str] = []


@job(name="tests.schedules.tick")
def tick() -> None:
    ticks.append("tick")


@pytest.fixture(autouse=True)
def _only_test_schedules(monkeypatch):
    ticks.clear()
    monkeypatch.setattr(schedules_module, "_SCHEDULES", {})
    schedule("tests.every-five-minutes", cron="*/5 * * * *", job_name="tests.schedules.tick")


def test_a_new_schedule_starts_counting_from_now_without_catching_up():
    assert fire_due(T0) == []
    assert ScheduleState.objects.get().last_fired_at == T0


def test_a_schedule_fires_once_per_due_time(run_commit_hooks):
    fire_due(T0)
    with run_commit_hooks():
        assert fire_due(T0 + timedelta(minutes=4)) == []
        assert fire_due(T0 + timedelta(minutes=5)) == ["tests.every-five-minutes"]
        assert fire_due(T0 + timedelta(minutes=6)) == []
    assert ticks == ["tick"]
    assert JobRecord.objects.filter(name="tests.schedules.tick", status="done").count() == 1


def test_only_one_holder_has_the_lease_until_it_expires():
    assert acquire_lease("server-a", ttl_seconds=30, now=T0)
    assert not acquire_lease("server-b", ttl_seconds=30, now=T0 + timedelta(seconds=10))
    assert acquire_lease("server-a", ttl_seconds=30, now=T0 + timedelta(seconds=20))
    # server-a dies; once its lease runs out, server-b takes over
    assert acquire_lease("server-b", ttl_seconds=30, now=T0 + timedelta(seconds=51))
    assert not acquire_lease("server-a", ttl_seconds=30, now=T0 + timedelta(seconds=52))
    release_lease("server-b")
    assert acquire_lease("server-a", ttl_seconds=30, now=T0 + timedelta(seconds=53))


def test_two_schedulers_never_fire_the_same_schedule_twice(run_commit_hooks):
    first, second = Scheduler(), Scheduler()
    first.tick(T0)
    second.tick(T0)
    with run_commit_hooks():
        fired = first.tick(T0 + timedelta(minutes=5)) + second.tick(T0 + timedelta(minutes=5))
    assert fired == ["tests.every-five-minutes"]
    assert ticks == ["tick"]


def test_invalid_cron_expressions_are_refused():
    with pytest.raises(ValueError, match="not a valid cron expression"):
        schedule("tests.bad", cron="every day", job_name="tests.schedules.tick")


def test_the_kernel_sweeps_the_outbox_every_minute():
    assert REGISTERED["kernel.events.sweep"].cron == "* * * * *"
    assert REGISTERED["kernel.events.sweep"].job_name == "kernel.events.sweep"
