"""Feeding durable subscribers from the outbox."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from taihe.kernel.events.base import event_type
from taihe.kernel.events.bus import subscribers
from taihe.kernel.events.models import DeliveryFailure, EventDelivery, OutboxEvent
from taihe.kernel.jobs import job

logger = logging.getLogger(__name__)


class DeliveryIncomplete(Exception):
    """Some subscriber failed; the job retries with backoff and the sweep catches the rest."""


def deliver(row: OutboxEvent) -> list[str]:
    """Hand ``row`` to each durable subscriber that has not handled it; return failures."""
    try:
        event = event_type(row.name).model_validate(row.payload)
    except LookupError:
        logger.error("outbox event %s has unknown type %s; skipped", row.event_id, row.name)
        OutboxEvent.objects.filter(pk=row.pk).update(dispatched=True)
        return []
    done = set(EventDelivery.objects.filter(event=row).values_list("subscriber", flat=True))
    failed: list[str] = []
    for subscriber in subscribers(row.name, durable=True):
        if subscriber.name in done:
            continue
        try:
            with transaction.atomic():
                # The marker is written first and in the same transaction as the handler's
                # own writes: a crash rolls both back, a retry sees the marker and skips.
                EventDelivery.objects.create(event=row, subscriber=subscriber.name)
                subscriber.handler(event)
        except IntegrityError:
            continue  # another worker delivered it concurrently
        except Exception as error:  # record and move on to the next subscriber
            logger.exception("subscriber %s failed on %s", subscriber.name, row.name)
            failed.append(subscriber.name)
            failure, _ = DeliveryFailure.objects.get_or_create(
                event=row, subscriber=subscriber.name, defaults={"last_error": ""}
            )
            failure.attempts += 1
            failure.last_error = f"{type(error).__name__}: {error}"
            failure.save(update_fields=["attempts", "last_error", "updated_at"])
        else:
            DeliveryFailure.objects.filter(event=row, subscriber=subscriber.name).delete()
    if not failed:
        OutboxEvent.objects.filter(pk=row.pk).update(dispatched=True)
    return failed


@job(name="kernel.events.deliver", max_retries=5, backoff_seconds=2.0)
def deliver_event(outbox_id: int) -> None:
    row = OutboxEvent.objects.filter(pk=outbox_id).first()
    if row is None or row.dispatched:
        return
    failed = deliver(row)
    if failed:
        raise DeliveryIncomplete(", ".join(failed))


@job(name="kernel.events.sweep", max_retries=0)
def sweep_outbox(older_than_seconds: int = 30, limit: int = 500) -> int:
    """Redeliver events whose delivery job was lost (a crash between commit and enqueue)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    rows = list(OutboxEvent.objects.filter(dispatched=False, created_at__lt=cutoff)[:limit])
    for row in rows:
        deliver(row)
    return len(rows)
