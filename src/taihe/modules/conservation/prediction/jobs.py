"""Jobs and schedules of prediction: ids in, idempotent (a forecast run adds one forecast
per sensor and keeps the newest ten; anomalies are stored once per fingerprint and a repair
request once per anomaly)."""

from __future__ import annotations

from taihe.kernel.jobs import enqueue, job, schedule
from taihe.modules.conservation.prediction import services


@job(name="conservation.prediction.forecast", queue="default", max_retries=2, backoff_seconds=60.0)
def forecast_sensor(sensor_id: int) -> None:
    """Forecast one sensor (and open or resolve its early warning)."""
    services.do_forecast_sensor(sensor_id)


@job(
    name="conservation.prediction.forecast_all",
    queue="default",
    max_retries=1,
    backoff_seconds=300.0,
)
def forecast_all() -> None:
    """Queue a forecast for every active T/RH sensor with a week of data."""
    for sensor in services.climate_sensors():
        if not services.is_outdoor(sensor) and services.forecastable(sensor):
            enqueue(forecast_sensor, sensor.pk, unique=True)


@job(
    name="conservation.prediction.anomalies", queue="default", max_retries=1, backoff_seconds=300.0
)
def detect_anomalies() -> None:
    """Look for anomalies in every active T/RH sensor's last 28 days."""
    services.detect_all()


@job(
    name="conservation.prediction.anomalies_sensor",
    queue="default",
    max_retries=1,
    backoff_seconds=300.0,
)
def detect_sensor_anomalies(sensor_id: int) -> None:
    """Look for anomalies in one sensor's last 28 days."""
    services.do_detect_anomalies(sensor_id)


@job(
    name="conservation.prediction.anomalies_all",
    queue="default",
    max_retries=1,
    backoff_seconds=300.0,
)
def detect_all_anomalies() -> None:
    """Queue anomaly detection for every active T/RH sensor, one job each (in the embedded
    profile one worker runs every job: a single job over all sensors kept approvals and
    other short jobs waiting behind it), and retry maintenance requests that failed."""
    for sensor in services.climate_sensors():
        enqueue(detect_sensor_anomalies, sensor.pk, unique=True)
    services.retry_maintenance_requests()


# Refit every 6 hours (at 20 past, after the hour's rollups): the forecast's first hours
# lean on the newest readings, so a fresher fit warns earlier.
schedule(
    "conservation.prediction.forecast",
    cron="20 */6 * * *",
    job_name="conservation.prediction.forecast_all",
)
# Hourly: a dehumidifier that stops shows within a few days (control loss needs 3), so an
# hour of delay costs nothing and the job reads only 28 days per sensor.
schedule(
    "conservation.prediction.anomalies",
    cron="40 * * * *",
    job_name="conservation.prediction.anomalies_all",
)
