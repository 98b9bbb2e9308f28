"""The demo museum's forecasts and anomalies: every T/RH sensor forecast at the end of its
record, the last 28 days searched for anomalies, and the store dehumidifier failure of the
monitoring demo (``demo_climate``: 12 July, 11 days down) found as it happened, which files
its repair request to Facilities.

Runs after the approvals demo (order 50): its requests must not be the first a demo person
files, or the approvals demo would take the museum as already loaded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model

from taihe.kernel import context
from taihe.kernel import demo as kernel_demo
from taihe.modules.conservation import demo as monitoring_demo
from taihe.modules.conservation.demo_climate import incident_window
from taihe.modules.conservation.models import Anomaly, Forecast, Sensor, SensorPlacement
from taihe.modules.conservation.prediction import services

FAILURE_SEEN_AFTER = dt.timedelta(days=6)
"""When the demo looks at the failing store: 6 days in, when the humidity has risen for the
3 days the control-loss detector needs (``AnomalySpec.control_days``) and more."""


@kernel_demo.register("conservation.prediction", order=55)
def load(write: Callable[[str], None]) -> dict[str, Any]:
    """Forecasts and anomalies for the demo sensors (nothing when forecasts exist)."""
    return load_prediction(write)


def load_prediction(
    write: Callable[[str], None], *, now: dt.datetime | None = None
) -> dict[str, Any]:
    sensors = {
        sensor.code: sensor
        for sensor in Sensor.objects.filter(
            code__in=[spec.code for spec in monitoring_demo.demo_sensors()]
        )
    }
    if not sensors or Forecast.objects.filter(sensor__in=sensors.values()).exists():
        return {"forecasts": 0, "anomalies": 0, "created": 0}
    newest = max((s.last_reading_at for s in sensors.values() if s.last_reading_at), default=None)
    moment = now or newest
    if moment is None:
        return {"forecasts": 0, "anomalies": 0, "created": 0}
    conservator = (
        get_user_model()
        .objects.filter(username=monitoring_demo.CONSERVATOR)
        .values_list("pk", flat=True)
        .first()
    )
    with context.bound(request_id="taihe-demo", actor_id=conservator):
        forecasts = services.forecast_all(now=moment)
        found = services.detect_all(now=moment)
        # The monitoring demo places every sensor when its readings begin.
        start = (
            SensorPlacement.objects.filter(sensor__in=sensors.values())
            .order_by("placed_at")
            .values_list("placed_at", flat=True)
            .first()
        )
        for spec in monitoring_demo.demo_sensors():
            sensor = sensors.get(spec.code)
            if spec.incident != "dehumidifier_failure" or sensor is None or start is None:
                continue
            window = incident_window(spec.incident, start, moment)
            if window is None or window.start + FAILURE_SEEN_AFTER > moment:
                continue
            found.extend(
                a.pk
                for a in services.do_detect_anomalies(
                    sensor.pk, now=window.start + FAILURE_SEEN_AFTER
                )
            )
    requests = Anomaly.objects.filter(pk__in=found).exclude(maintenance_request="").count()
    write(f"  {len(forecasts)} forecasts, {len(found)} anomalies, {requests} repair requests")
    return {
        "forecasts": len(forecasts),
        "anomalies": len(found),
        "requests": requests,
        "created": len(forecasts) + len(found),
    }
