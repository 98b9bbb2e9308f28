"""Background jobs and schedules of environmental monitoring: ids in, idempotent."""

from __future__ import annotations

from django.conf import settings

from taihe.kernel.jobs import job, schedule
from taihe.modules.conservation import alerts, store


@job(name="conservation.alerts.evaluate", queue="ingest", max_retries=3, backoff_seconds=10.0)
def evaluate_alerts(sensor_id: int) -> None:
    """Advance the sensor's alert rules over readings stored since the last run."""
    alerts.evaluate_sensor(sensor_id)


@job(name="conservation.alerts.escalate", queue="default", max_retries=1, backoff_seconds=30.0)
def escalate_alerts() -> None:
    alerts.escalate_due()


@job(name="conservation.alerts.silence", queue="default", max_retries=1, backoff_seconds=30.0)
def check_silent_sensors() -> None:
    alerts.check_silence()


@job(name="conservation.readings.retention", queue="default", max_retries=1,
     backoff_seconds=300.0)
def apply_retention() -> None:
    """Delete raw readings older than TAIHE_READINGS_RETENTION_DAYS (0: keep them all)."""
    store.apply_retention(int(getattr(settings, "TAIHE_READINGS_RETENTION_DAYS", 0) or 0))


schedule("conservation.escalate", cron="* * * * *", job_name="conservation.alerts.escalate")
schedule("conservation.silence", cron="*/5 * * * *", job_name="conservation.alerts.silence")
schedule("conservation.retention", cron="30 3 * * *", job_name="conservation.readings.retention")
