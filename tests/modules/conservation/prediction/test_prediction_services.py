"""Forecasts, early warnings, anomalies and the repair requests equipment faults open."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import pytest

from taihe.kernel.errors import PermissionDenied, ValidationFailed
from taihe.kernel.events.models import OutboxEvent
from taihe.modules.conservation.models import (
    Alert,
    AlertEntry,
    AlertRule,
    Anomaly,
    Forecast,
    ObjectMaterials,
    Sensor,
)
from taihe.modules.conservation.prediction import selectors, services
from taihe.modules.workflows import api as workflows

pytestmark = pytest.mark.django_db

END = dt.datetime(2026, 10, 20, 6, 0, tzinfo=dt.UTC)
"""The last reading of every series below (an hour start)."""
NOW = END + dt.timedelta(minutes=30)


def hourly(
    days: int, rh: Callable[[int, int], float], t: Callable[[int, int], float] | None = None
) -> list[tuple[dt.datetime, dict[str, float]]]:
    """Hourly readings for ``days`` days up to :data:`END`; ``rh(i, n)``/``t(i, n)`` give
    the value of hour ``i`` of ``n``."""
    count = days * 24
    start = END - dt.timedelta(hours=count - 1)
    rows = []
    for i in range(count):
        temperature = t(i, count) if t else 21.0 + 0.5 * math.sin(2 * math.pi * i / 24)
        rows.append(
            (
                start + dt.timedelta(hours=i),
                {"temperature": round(temperature, 3), "relative_humidity": round(rh(i, count), 3)},
            )
        )
    return rows


def rising(i: int, n: int) -> float:
    """50 % with a daily swing of ±1 %, rising 0.05 %/h over the last three days (ends 53.6 %):
    the forecast crosses 55 % about 30 hours ahead."""
    return 50.0 + math.sin(2 * math.pi * i / 24) + max(0, i - (n - 72)) * 0.05


def steady(i: int, n: int) -> float:
    return 50.0 + math.sin(2 * math.pi * i / 24)


def test_a_series_trending_out_of_band_is_forecast_to_breach_and_warns_once(
    conservation: dict[str, Any], store_readings: Any
) -> None:
    # Given two weeks of Gallery 1 case readings whose RH is rising towards the 55 % limit
    case = conservation["case"]
    store_readings(case, hourly(14, rising))
    # When it is forecast twice
    first = services.do_forecast_sensor(case.pk, now=NOW)
    second = services.do_forecast_sensor(case.pk, now=NOW + dt.timedelta(hours=6))
    # Then the forecast predicts the RH limit crossed, within the 72 hours
    assert first is not None and second is not None
    assert first.specification["code"] == "G1-MIXED"
    assert (first.specification["rh_min"], first.specification["rh_max"]) == (45.0, 55.0)
    assert first.specification["mould_sensitivity"] == "very_sensitive"
    assert first.training_end == END + dt.timedelta(hours=1)
    assert first.model == "daily_profile_ar2_naive_blend"
    breach = first.breaches[0]
    assert (breach["quantity"], breach["side"], breach["limit"]) == (
        "relative_humidity",
        "above",
        55.0,
    )
    # the breach is the first forecast hour whose mean is above the limit: hour 53
    means = first.data["relative_humidity"]["mean"]
    assert breach["hours_until_expected"] == next(
        hour for hour, value in enumerate(means, start=1) if value > 55.0) == 53
    assert len(first.data["times"]) == 72
    # and one early warning is open, through the built-in forecast rule, telling the
    # person responsible for the place
    alerts = list(Alert.objects.filter(sensor=case, kind=AlertRule.Kind.FORECAST))
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.rule.name == services.FORECAST_RULE_NAME
    assert (alert.rule.sensor_id, alert.rule.location_id) == (None, None)
    assert alert.status == Alert.Status.OPEN
    assert alert.summary.startswith("G1-CASE3: RH forecast to exceed 55 % in about ")
    notified = alert.entries.get(kind=AlertEntry.Kind.NOTIFIED)
    assert notified.recipients == [conservation["people"]["conservator"].pk]
    assert AlertRule.objects.filter(kind=AlertRule.Kind.FORECAST).count() == 1


def test_the_early_warning_resolves_itself_when_no_longer_predicted(
    conservation: dict[str, Any], store_readings: Any
) -> None:
    # Given an open early warning from a forecast that predicted a breach
    case = conservation["case"]
    store_readings(case, hourly(14, rising))
    warned = services.do_forecast_sensor(case.pk, now=NOW)
    assert warned is not None and warned.breaches
    alert = Alert.objects.get(sensor=case, kind=AlertRule.Kind.FORECAST)
    # When the next forecast predicts nothing
    calm = Forecast.objects.create(
        sensor=case,
        location_id=case.location_id,
        made_at=NOW + dt.timedelta(hours=6),
        training_start=warned.training_start,
        training_end=warned.training_end,
        model=warned.model,
        data=warned.data,
        breaches=[],
        mould={"hours_to_1": None, "hours_to_3": None, "current_index": 0.0},
        specification=warned.specification,
    )
    services.apply_early_warning(calm, now=NOW + dt.timedelta(hours=6))
    # Then the warning is resolved by Taihe, with the reason in its history
    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED
    assert alert.resolved_by_id is None
    assert alert.entries.filter(kind=AlertEntry.Kind.RESOLVED).get().text == (
        "The latest forecast no longer predicts it."
    )
    # and a later warning opens a new alert
    services.apply_early_warning(warned, now=NOW + dt.timedelta(hours=12))
    assert (
        Alert.objects.filter(
            sensor=case, kind=AlertRule.Kind.FORECAST, status=Alert.Status.OPEN
        ).count()
        == 1
    )


def test_mould_reaching_three_is_a_critical_warning(
    conservation: dict[str, Any], store_readings: Any
) -> None:
    case = conservation["case"]
    store_readings(case, hourly(14, steady))
    forecast = services.do_forecast_sensor(case.pk, now=NOW)
    assert forecast is not None
    forecast.mould = {**forecast.mould, "hours_to_1": 0, "hours_to_3": 20}
    forecast.breaches = []
    warning = services.warning_for(forecast)
    assert warning is not None
    assert warning.severity == "critical"
    assert warning.summary.startswith(
        "G1-CASE3: mould index forecast to reach 3 (visible growth) in about 20 h ("
    )
    assert warning.at == dt.datetime.fromisoformat(
        forecast.data["times"][19].replace("Z", "+00:00")
    ) + dt.timedelta(hours=1)


def test_a_sensor_with_less_than_a_week_is_not_forecast(
    conservation: dict[str, Any], store_readings: Any
) -> None:
    case = conservation["case"]
    store_readings(case, hourly(5, steady))
    assert not services.forecastable(case, now=NOW)
    assert services.do_forecast_sensor(case.pk, now=NOW) is None
    assert Forecast.objects.count() == 0


def test_only_the_newest_ten_forecasts_are_kept(
    conservation: dict[str, Any], store_readings: Any
) -> None:
    case = conservation["case"]
    store_readings(case, hourly(8, steady))
    for run in range(12):
        services.do_forecast_sensor(case.pk, now=NOW + dt.timedelta(minutes=run))
    kept = list(
        Forecast.objects.filter(sensor=case).order_by("made_at").values_list("made_at", flat=True)
    )
    assert len(kept) == 10
    assert kept[0] == NOW + dt.timedelta(minutes=2)
    assert not Alert.objects.filter(kind=AlertRule.Kind.FORECAST).exists()


def test_a_stuck_sensor_is_stored_once_however_often_it_is_detected(
    conservation: dict[str, Any], store_readings: Any
) -> None:
    # Given a sensor that repeats 21.0 °C / 50.0 % for its last 12 hours
    case = conservation["case"]

    def stuck(i: int, n: int) -> float:
        return 50.0 if i >= n - 12 else steady(i, n)

    def stuck_t(i: int, n: int) -> float:
        return 21.0 if i >= n - 12 else 21.0 + 0.5 * math.sin(2 * math.pi * i / 24)

    store_readings(case, hourly(4, stuck, stuck_t))
    # When detection runs twice
    first = services.do_detect_anomalies(case.pk, now=NOW)
    second = services.do_detect_anomalies(case.pk, now=NOW + dt.timedelta(hours=1))
    # Then the flat-line is stored once, explained with its numbers, as a sensor fault
    assert [(a.kind, a.quantity, a.cause) for a in first] == [("flatline", "both", "sensor")]
    assert second == []
    anomaly = Anomaly.objects.get()
    assert anomaly.fingerprint == services.fingerprint(
        case.pk, "flatline", "both", int((END - dt.timedelta(hours=11)).timestamp())
    )
    assert anomaly.evidence["hours"] == 11.0
    assert anomaly.maintenance_request == ""
    assert services.explanation(anomaly).startswith(
        "The sensor repeated exactly the same reading (21.0 °C, 50.0 % RH) for 11.0 hours"
    )
    assert OutboxEvent.objects.filter(name="conservation.anomaly.detected.v1").count() == 1


def _equipment_anomaly(sensor: Sensor, **values: Any) -> Anomaly:
    return Anomaly.objects.create(
        sensor=sensor,
        location_id=sensor.location_id,
        kind=Anomaly.Kind.CONTROL_LOSS,
        quantity="relative_humidity",
        cause=Anomaly.Cause.EQUIPMENT,
        started_at=END - dt.timedelta(days=4),
        ended_at=END,
        score=1.6,
        severity="low",
        explanation_code="anomaly.control_loss.equipment",
        evidence={
            "vapour_pressure_before_pa": 1250.0,
            "vapour_pressure_after_pa": 1460.0,
            "rh_before": 50.2,
            "rh_after": 58.9,
            "log_rise": 0.155,
            "threshold_log_rise": 0.15,
            "days": 3.0,
            "rh_daily_range_before": 2.1,
            "rh_daily_range_after": 6.4,
            **values,
        },
        fingerprint=f"test-{sensor.pk}-{len(values)}",
        detected_at=NOW,
    )


def test_an_equipment_fault_opens_exactly_one_repair_request(conservation: dict[str, Any]) -> None:
    # Given a dehumidifier that stopped controlling Gallery 1
    anomaly = _equipment_anomaly(conservation["case"])
    # When the maintenance request is asked for twice
    number = services.request_maintenance(anomaly.pk)
    again = services.request_maintenance(anomaly.pk)
    # Then one repair request exists, filed by the person responsible for the place
    assert number and again == number
    requests = workflows.requests_about(services.SUBJECT, str(anomaly.pk))
    assert [r.number for r in requests] == [number]
    request = requests[0]
    assert request.process_code == "repair"
    assert request.applicant_id == conservation["people"]["conservator"].pk
    data = request.form_data
    assert data["location"] == conservation["gallery"].pk
    assert data["equipment"] == "Dehumidifier or humidity control of G1 一号展厅"
    assert data["place_detail"] == "G1 一号展厅, at sensor G1-CASE3"
    assert data["urgency"] == "urgent"
    assert data["problem"].startswith(
        "The water vapour in the air rose every day for 3 days, "
        "from 1250 to 1460 Pa, and the daily mean RH from 50.2 to 58.9 %"
    )
    assert f"/conservation/anomalies/{anomaly.pk}/" in data["problem"]
    anomaly.refresh_from_db()
    assert anomaly.maintenance_request == number
    assert OutboxEvent.objects.filter(name="conservation.maintenance.requested.v1").count() == 1


def test_damp_sensitive_objects_make_the_repair_an_emergency(
    conservation: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a work on paper (damp and mould sensitivity high) in the gallery
    ObjectMaterials.objects.create(
        object_id=9001,
        text="Ink on paper",
        materials=[{"key": "paper", "confidence": 1.0}],
        classified_at=NOW,
    )
    monkeypatch.setattr(services, "objects_in", lambda location_id: [9001])
    assert services.urgency_for(conservation["gallery"].pk) == "emergency"
    assert services.mould_class_for(conservation["gallery"].pk) == "very_sensitive"
    # and with only a stone (damp sensitivity none) the class is the most resistant one
    ObjectMaterials.objects.filter(object_id=9001).update(
        materials=[{"key": "stone", "confidence": 1.0}]
    )
    assert services.urgency_for(conservation["gallery"].pk) == "urgent"


def test_a_weather_or_sensor_anomaly_opens_no_request(conservation: dict[str, Any]) -> None:
    anomaly = _equipment_anomaly(conservation["case"])
    Anomaly.objects.filter(pk=anomaly.pk).update(cause=Anomaly.Cause.WEATHER)
    assert services.request_maintenance(anomaly.pk) == ""
    assert workflows.requests_about(services.SUBJECT, str(anomaly.pk)) == []


def test_restricted_places_are_hidden_from_those_who_may_not_know_them(
    conservation: dict[str, Any], store_readings: Any
) -> None:
    # Given forecasts and anomalies of the case sensor and of the vault sensor
    people = conservation["people"]
    for sensor in (conservation["case"], conservation["vault"]):
        store_readings(sensor, hourly(8, steady))
        services.do_forecast_sensor(sensor.pk, now=NOW)
        _equipment_anomaly(sensor)
    Anomaly.objects.filter(sensor=conservation["vault"]).update(maintenance_request="X")
    # Then the curator (no restricted stores) sees only the gallery's
    curator = people["curator"]
    assert [f.sensor_code for f in selectors.latest_forecasts_for(curator)] == ["G1-CASE3"]
    assert [a.sensor.code for a in selectors.open_anomalies_for(curator)] == ["G1-CASE3"]
    # the registrar sees both, and a member of staff nothing
    assert sorted(f.sensor_code for f in selectors.latest_forecasts_for(people["registrar"])) == [
        "G1-CASE3",
        "VAULT-S1",
    ]
    assert selectors.open_anomalies_for(people["registrar"]).count() == 2
    assert selectors.latest_forecasts_for(people["member"]) == []
    assert selectors.open_anomalies_for(people["member"]).count() == 0


def test_deciding_an_anomaly_needs_the_right_and_a_note(conservation: dict[str, Any]) -> None:
    people = conservation["people"]
    anomaly = _equipment_anomaly(conservation["case"])
    with pytest.raises(PermissionDenied):
        services.do_decide_anomaly(
            people["curator"], anomaly.pk, decision="dismiss", note="Looks fine"
        )
    with pytest.raises(ValidationFailed) as failed:
        services.do_decide_anomaly(people["conservator"], anomaly.pk, decision="maybe", note=" ")
    assert set(failed.value.fields) == {"decision", "note"}
    decided = services.do_decide_anomaly(
        people["conservator"], anomaly.pk, decision="confirm", note="Dehumidifier tank full."
    )
    assert (decided.status, decided.decided_by_id, decided.note) == (
        "confirmed",
        people["conservator"].pk,
        "Dehumidifier tank full.",
    )
    assert OutboxEvent.objects.filter(name="conservation.anomaly.decided.v1").count() == 1


def test_the_same_fault_seen_by_a_second_sensor_shares_the_request(
    conservation: dict[str, Any],
) -> None:
    # Given a repair request for the gallery's dehumidifier
    first = _equipment_anomaly(conservation["case"])
    number = services.request_maintenance(first.pk)
    # When a sensor on a place inside the gallery sees the same fault a day later
    inner = Sensor.objects.create(
        code="G1-CASE3-B",
        quantities=["temperature", "relative_humidity"],
        location_id=conservation["gallery"].pk,
    )
    second = _equipment_anomaly(inner, extra=1.0)
    Anomaly.objects.filter(pk=second.pk).update(started_at=first.started_at + dt.timedelta(days=1))
    # Then it points to the same request, and no second request is filed
    assert services.request_maintenance(second.pk) == number
    assert workflows.requests_about(services.SUBJECT, str(second.pk)) == []
