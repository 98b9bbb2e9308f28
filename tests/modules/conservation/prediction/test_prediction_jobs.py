"""Jobs of prediction run any number of times without doing anything twice."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from django.utils import timezone

from taihe.kernel.jobs import jobs as registered_jobs
from taihe.kernel.jobs.schedules import schedules
from taihe.modules.conservation.models import Alert, Anomaly, Forecast
from taihe.modules.conservation.prediction import jobs
from taihe.modules.workflows import api as workflows

pytestmark = pytest.mark.django_db


def test_jobs_schedules_and_subject_are_registered() -> None:
    assert {
        "conservation.prediction.forecast",
        "conservation.prediction.forecast_all",
        "conservation.prediction.anomalies",
        "conservation.prediction.anomalies_all",
        "conservation.prediction.anomalies_sensor",
    } <= set(registered_jobs())
    crons = {entry.name: entry.cron for entry in schedules()}
    assert crons["conservation.prediction.forecast"] == "20 */6 * * *"
    assert crons["conservation.prediction.anomalies"] == "40 * * * *"
    # The hourly run fans out one job per sensor, so short jobs are not stuck behind it.
    assert {entry.name: entry.job_name for entry in schedules()}[
        "conservation.prediction.anomalies"] == "conservation.prediction.anomalies_all"
    assert any(
        subject.code == "conservation.equipment_fault" and subject.process_code == "repair"
        for subject in workflows.subjects()
    )


def test_running_the_jobs_twice_changes_nothing_the_second_time(
    conservation: dict[str, Any], store_readings: Any
) -> None:
    # Given a week and a day of readings ending now, stuck for the last 12 hours
    case = conservation["case"]
    end = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1)
    count = 8 * 24
    start = end - dt.timedelta(hours=count - 1)
    store_readings(
        case,
        [
            (
                start + dt.timedelta(hours=i),
                {
                    "temperature": 21.0
                    if i >= count - 12
                    else 21.0 + 0.5 * math.sin(math.pi * i / 12),
                    "relative_humidity": 50.0
                    if i >= count - 12
                    else 50.0 + math.sin(math.pi * i / 12),
                },
            )
            for i in range(count)
        ],
    )
    # When the anomaly job and the sensor's forecast job run twice
    found = []
    for _run in range(2):
        jobs.detect_anomalies()
        jobs.forecast_sensor(case.pk)
        found.append(sorted(Anomaly.objects.values_list("fingerprint", "kind", "cause")))
    # Then the stuck sensor is one anomaly, stored by the first run only; two forecasts (one
    # per run) and no warning for a steady climate
    assert [(kind, cause) for _print, kind, cause in found[0]] == [("flatline", "sensor")]
    assert found[1] == found[0]
    assert Forecast.objects.filter(sensor=case).count() == 2
    assert not Alert.objects.filter(kind="forecast").exists()
