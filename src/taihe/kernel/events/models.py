from __future__ import annotations

from django.db import models


class OutboxEvent(models.Model):
    """An event, written in the transaction that caused it."""

    event_id = models.UUIDField(unique=True)
    name = models.CharField(max_length=120, db_index=True)
    payload = models.JSONField()
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    dispatched = models.BooleanField(default=False, db_index=True)
    """True once every durable subscriber that existed at dispatch time has handled it."""

    class Meta:
        app_label = "kernel"
        ordering = ["id"]


class EventDelivery(models.Model):
    """Marks that one durable subscriber handled one event; the unique pair makes
    handlers idempotent across redeliveries."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.CharField(max_length=120)
    delivered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "kernel"
        constraints = [
            models.UniqueConstraint(fields=["event", "subscriber"], name="kernel_delivery_once")
        ]


class DeliveryFailure(models.Model):
    """The last error of a subscriber on an event, kept for operators until it succeeds."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE)
    subscriber = models.CharField(max_length=120)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "kernel"
        constraints = [
            models.UniqueConstraint(fields=["event", "subscriber"], name="kernel_failure_once")
        ]
