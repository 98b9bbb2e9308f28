"""Reads of prediction, filtered by what the actor may see: forecasts and anomalies of
sensors in restricted stores (or raised there) are hidden like the sensors themselves
(``conservation.selectors.sensors_for``), and nothing is shown without
``conservation.risk.view``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from taihe.kernel import authz
from taihe.modules.catalog import api as catalog
from taihe.modules.conservation import operations as ops
from taihe.modules.conservation.models import Anomaly, Forecast, Sensor


def can_view(actor: Any) -> bool:
    return authz.can(actor, ops.RISK_VIEW.code)


def _visible_sensors(actor: Any) -> QuerySet[Sensor]:
    return Sensor.objects.exclude(location_id__in=catalog.hidden_location_ids(actor))


def forecasts_for(actor: Any) -> QuerySet[Forecast]:
    """Forecasts of sensors the actor may see (none without ``conservation.risk.view``)."""
    if not can_view(actor):
        return Forecast.objects.none()
    hidden = catalog.hidden_location_ids(actor)
    return Forecast.objects.filter(sensor__in=_visible_sensors(actor)).exclude(
        location_id__in=hidden
    )


def anomalies_for(actor: Any) -> QuerySet[Anomaly]:
    """Anomalies of visible sensors, found where the actor may know."""
    if not can_view(actor):
        return Anomaly.objects.none()
    hidden = catalog.hidden_location_ids(actor)
    return Anomaly.objects.filter(sensor__in=_visible_sensors(actor)).exclude(
        location_id__in=hidden
    )


def open_anomalies_for(actor: Any) -> QuerySet[Anomaly]:
    """Open and confirmed anomalies the actor may see, newest first (for the overview)."""
    return (
        anomalies_for(actor)
        .filter(status__in=[Anomaly.Status.OPEN, Anomaly.Status.CONFIRMED])
        .select_related("sensor")
        .order_by("-started_at", "-id")
    )


@dataclass(frozen=True)
class ForecastSummary:
    """A sensor's newest forecast in brief (for the overview and the forecast list).

    ``breaches`` are the predicted breaches (``science.forecast.Breach.to_dict``);
    ``hours_to_mould_1``/``hours_to_mould_3`` count forecast hours to the mould index
    reaching 1 and 3 along the mean (0: already; None: not within the horizon);
    ``first_breach_hours`` is the soonest hour a breach is expected (mean), or None."""

    forecast_id: int
    sensor_id: int
    sensor_code: str
    location_id: int | None
    made_at: Any
    model: str
    specification: dict[str, Any]
    breaches: list[dict[str, Any]]
    first_breach_hours: int | None
    hours_to_mould_1: int | None
    hours_to_mould_3: int | None
    mould_index: float | None


def summarise(forecast: Forecast) -> ForecastSummary:
    mould = forecast.mould or {}
    expected = [
        int(b["hours_until_expected"])
        for b in forecast.breaches or []
        if b.get("hours_until_expected")
    ]
    current = mould.get("current_index")
    return ForecastSummary(
        forecast.pk,
        forecast.sensor_id,
        forecast.sensor.code,
        forecast.location_id,
        forecast.made_at,
        forecast.model,
        dict(forecast.specification or {}),
        list(forecast.breaches or []),
        min(expected) if expected else None,
        mould.get("hours_to_1"),
        mould.get("hours_to_3"),
        float(current) if isinstance(current, int | float) else None,
    )


def latest_forecasts_for(actor: Any) -> list[ForecastSummary]:
    """The newest forecast of each sensor the actor may see, those with a predicted breach
    or mould first (soonest first), then by sensor code."""
    newest: dict[int, Forecast] = {}
    for forecast in (
        # The summary never reads the hourly series: leave the large JSON in the database.
        forecasts_for(actor).select_related("sensor").defer("data")
        .order_by("sensor_id", "-made_at", "-id")
    ):
        newest.setdefault(forecast.sensor_id, forecast)
    found = [summarise(f) for f in newest.values()]

    def soonest(item: ForecastSummary) -> tuple[int, str]:
        hours = [h for h in (item.first_breach_hours, item.hours_to_mould_1) if h is not None]
        return (min(hours) if hours else 10_000, item.sensor_code)

    return sorted(found, key=soonest)


def latest_forecast(actor: Any, sensor_id: int) -> Forecast | None:
    """The sensor's newest forecast the actor may see."""
    return (
        forecasts_for(actor)
        .select_related("sensor")
        .filter(sensor_id=sensor_id)
        .order_by("-made_at", "-id")
        .first()
    )
