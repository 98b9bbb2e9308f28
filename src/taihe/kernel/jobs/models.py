from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobRecord(models.Model):
    """One job run request. Both backends keep it, so operators see every job the same way."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    name = models.CharField(max_length=120, db_index=True)
    queue = models.CharField(max_length=32, default="default")
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    run_after = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    request_id = models.CharField(max_length=64, blank=True, default="")
    actor_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "kernel"
        indexes = [models.Index(fields=["status", "queue", "run_after"])]

    def __str__(self) -> str:
        return f"{self.name}#{self.pk} ({self.status})"


class ScheduleState(models.Model):
    name = models.CharField(max_length=120, unique=True)
    last_fired_at = models.DateTimeField()

    class Meta:
        app_label = "kernel"


class SchedulerLease(models.Model):
    """Only the holder of an unexpired lease fires schedules, so running two schedulers
    (two servers, or a server and ``taihe scheduler``) never fires a schedule twice."""

    name = models.CharField(max_length=64, unique=True)
    holder = models.CharField(max_length=120)
    expires_at = models.DateTimeField()

    class Meta:
        app_label = "kernel"
