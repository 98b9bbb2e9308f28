"""The demo museum shows forecasts and the store dehumidifier failure as an equipment anomaly
with its repair request."""

from __future__ import annotations

import datetime as dt

import pytest

from taihe.modules.catalog import demo as catalog_demo
from taihe.modules.conservation import demo as monitoring_demo
from taihe.modules.conservation.models import Anomaly, Forecast, Sensor
from taihe.modules.conservation.prediction import demo, services
from taihe.modules.directory import demo as directory_demo
from taihe.modules.workflows import api as workflows

pytestmark = pytest.mark.django_db

# 20 days: the dehumidifier fails at 45 % of the range (day 9), seen 6 days later.
DAYS = 20
END = dt.datetime(2026, 3, 18, 8, 0, tzinfo=dt.UTC)


def test_the_demo_forecasts_every_climate_sensor_and_files_the_dehumidifier_repair() -> None:
    directory_demo.load(lambda line: None)
    catalog_demo.load_collection(lambda line: None, objects=20, images=0)
    monitoring_demo.load_monitoring(lambda line: None, days=DAYS, now=END)

    summary = demo.load_prediction(lambda line: None, now=END)

    indoor = [s for s in services.climate_sensors() if not services.is_outdoor(s)]
    assert summary["forecasts"] == len(indoor) == Forecast.objects.count()
    assert services.is_outdoor(Sensor.objects.get(code="OUTDOOR"))
    failing = Anomaly.objects.filter(
        sensor__code__startswith="KF-B2-S4", kind="control_loss", cause="equipment"
    )
    assert failing.exists()
    # one failing dehumidifier, one repair request, whichever store sensors saw it
    requests = [
        request
        for anomaly in failing
        for request in workflows.requests_about(services.SUBJECT, str(anomaly.pk))
    ]
    assert len(requests) == 1
    assert {anomaly.maintenance_request for anomaly in failing} == {requests[0].number}
    request = requests[0]
    assert request.process_code == "repair"
    assert request.form_data["equipment"].startswith("Dehumidifier or humidity control of ")
    # loading again changes nothing
    assert demo.load_prediction(lambda line: None, now=END)["created"] == 0
