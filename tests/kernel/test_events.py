"""Events: written with the change, delivered after commit, at least once, idempotently."""

from __future__ import annotations

import pytest
from django.db import transaction

from taihe.kernel.events import Event, publish, subscribe
from taihe.kernel.events.delivery import deliver, sweep_outbox
from taihe.kernel.events.models import DeliveryFailure, EventDelivery, OutboxEvent

pytestmark = pytest.mark.django_db

seen: list[tuple[str, str]] = []
flaky_failures = {"left": 0}


class SampleHappened(Event):
    name = "tests.sample.happened.v1"
    number: int


class FlakyHappened(Event):
    name = "tests.flaky.happened.v1"


@subscribe("tests.sample.happened.v1", name="tests.listener", durable=False)
def listener(event: SampleHappened) -> None:
    seen.append(("listener", str(event.number)))


@subscribe("tests.sample.*", name="tests.durable")
def durable(event: SampleHappened) -> None:
    seen.append(("durable", str(event.number)))


@subscribe("tests.flaky.happened.v1", name="tests.flaky")
def flaky(event: FlakyHappened) -> None:
    if flaky_failures["left"] > 0:
        flaky_failures["left"] -= 1
        raise RuntimeError("downstream unavailable")
    seen.append(("flaky", str(event.event_id)))


@pytest.fixture(autouse=True)
def _reset():
    seen.clear()
    flaky_failures["left"] = 0


def test_subscribers_run_only_after_commit(run_commit_hooks):
    with run_commit_hooks(), transaction.atomic():
        publish(SampleHappened(number=1))
        assert seen == []
        assert OutboxEvent.objects.filter(name="tests.sample.happened.v1").count() == 1
    assert seen == [("listener", "1"), ("durable", "1")]
    row = OutboxEvent.objects.get()
    assert row.dispatched is True
    # The audit log subscribes to every event, so it is delivered to two durable subscribers.
    assert sorted(EventDelivery.objects.values_list("subscriber", flat=True)) == [
        "audit.record", "tests.durable"]


def test_a_rolled_back_change_publishes_nothing(run_commit_hooks):
    with run_commit_hooks(), pytest.raises(ZeroDivisionError), transaction.atomic():
        publish(SampleHappened(number=2))
        1 / 0  # noqa: B018
    assert seen == []
    assert OutboxEvent.objects.count() == 0


def test_redelivery_does_not_run_a_durable_subscriber_twice(run_commit_hooks):
    with run_commit_hooks():
        publish(SampleHappened(number=3))
    row = OutboxEvent.objects.get()
    assert deliver(row) == []
    assert seen.count(("durable", "3")) == 1


def test_a_failing_subscriber_is_recorded_and_retried_until_it_succeeds(run_commit_hooks):
    from taihe.kernel.jobs.backends import backend
    from taihe.kernel.jobs.models import JobRecord

    flaky_failures["left"] = 2
    with run_commit_hooks():
        publish(FlakyHappened())
    row = OutboxEvent.objects.get()
    # The delivery job failed once and is queued for a retry with backoff.
    job = JobRecord.objects.get(name="kernel.events.deliver")
    assert (job.status, job.attempts) == ("queued", 1)
    assert DeliveryFailure.objects.get(event=row).attempts == 1
    assert row.dispatched is False
    # A retry that fails again, then one that succeeds.
    JobRecord.objects.filter(pk=job.pk).update(run_after=job.created_at)
    backend("eager").run_pending()
    JobRecord.objects.filter(pk=job.pk).update(run_after=job.created_at)
    backend("eager").run_pending()
    job.refresh_from_db()
    row.refresh_from_db()
    assert (job.status, job.attempts) == ("done", 3)
    assert row.dispatched is True
    assert DeliveryFailure.objects.count() == 0
    assert seen == [("flaky", str(row.event_id))]


def test_the_sweep_delivers_events_whose_job_was_lost():
    # Given an event written without its after-commit hook ever running (a crash)
    publish(SampleHappened(number=4))
    assert seen == []
    # When the periodic sweep runs
    assert sweep_outbox(older_than_seconds=0) == 1
    assert seen == [("durable", "4")]
    assert OutboxEvent.objects.get().dispatched is True


def test_events_carry_the_request_and_actor_of_the_current_request(run_commit_hooks):
    from taihe.kernel import context

    with context.bound(request_id="req-12345678", actor_id=42), run_commit_hooks():
        publish(SampleHappened(number=5))
    payload = OutboxEvent.objects.get().payload
    assert payload["request_id"] == "req-12345678"
    assert payload["actor_id"] == 42
    assert payload["number"] == 5


def test_event_names_must_be_versioned():
    with pytest.raises(ValueError, match="past_verb"):
        type("Bad", (Event,), {"name": "tests.bad", "__annotations__": {}})
