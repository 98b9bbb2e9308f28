"""The forecast and anomaly pages: who may open them, what they show, deciding an anomaly."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from django.urls import reverse

from taihe.modules.conservation.models import Anomaly, Forecast
from taihe.modules.conservation.prediction import services

pytestmark = pytest.mark.django_db

END = dt.datetime(2026, 10, 20, 6, 0, tzinfo=dt.UTC)
NOW = END + dt.timedelta(minutes=30)


@pytest.fixture
def predicted(conservation: dict[str, Any], store_readings: Any) -> dict[str, Any]:
    """A forecast of the case sensor and an equipment anomaly with its repair request in
    Gallery 1; an anomaly on the restricted vault shelf."""
    case = conservation["case"]
    start = END - dt.timedelta(hours=8 * 24 - 1)
    store_readings(
        case,
        [
            (
                start + dt.timedelta(hours=i),
                {
                    "temperature": 21.0 + 0.5 * math.sin(2 * math.pi * i / 24),
                    "relative_humidity": 50.0 + math.sin(2 * math.pi * i / 24),
                },
            )
            for i in range(8 * 24)
        ],
    )
    forecast = services.do_forecast_sensor(case.pk, now=NOW)
    assert forecast is not None
    anomalies = {}
    for name in ("case", "vault"):
        sensor = conservation[name]
        anomalies[name] = Anomaly.objects.create(
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
                "days": 3.0,
                "rh_daily_range_before": 2.1,
                "rh_daily_range_after": 6.4,
            },
            fingerprint=f"view-{name}",
            detected_at=NOW,
        )
    number = services.request_maintenance(anomalies["case"].pk)
    return {**conservation, "forecast": forecast, "anomalies": anomalies, "number": number}


def _pages(data: dict[str, Any]) -> list[str]:
    return [
        reverse("conservation:prediction_forecasts"),
        reverse("conservation:prediction_forecast", args=[data["case"].pk]),
        reverse("conservation:prediction_anomalies"),
        reverse("conservation:prediction_anomaly", args=[data["anomalies"]["case"].pk]),
    ]


@pytest.mark.parametrize(
    ("who", "expected"), [(None, 302), ("member", 403), ("curator", 200), ("admin", 200)]
)
def test_the_pages_open_for_those_who_may_see_climate_risk(
    predicted: dict[str, Any], client_for: Any, who: str | None, expected: int
) -> None:
    client = client_for(predicted["people"][who] if who else None)
    for url in _pages(predicted):
        response = client.get(url)
        assert response.status_code == expected, url
        if who is None:
            assert "/login" in response["Location"] or "login" in response["Location"]


def test_the_anomaly_page_explains_shows_the_request_and_offers_a_decision(
    predicted: dict[str, Any], client_for: Any
) -> None:
    anomaly = predicted["anomalies"]["case"]
    url = reverse("conservation:prediction_anomaly", args=[anomaly.pk])
    page = client_for(predicted["people"]["conservator"]).get(url).content.decode()
    assert "The water vapour in the air rose every day for 3 days, from 1250 to 1460 Pa" in page
    assert f'data-request="{predicted["number"]}"' in page
    assert reverse("conservation:sensor_series", args=[predicted["case"].pk]) in page
    assert reverse("conservation:prediction_anomaly_decide", args=[anomaly.pk]) in page
    # the curator sees it but may not decide
    page = client_for(predicted["people"]["curator"]).get(url).content.decode()
    assert reverse("conservation:prediction_anomaly_decide", args=[anomaly.pk]) not in page


def test_a_restricted_place_stays_hidden_on_the_pages(
    predicted: dict[str, Any], client_for: Any
) -> None:
    vault = predicted["anomalies"]["vault"]
    curator = client_for(predicted["people"]["curator"])
    assert (
        curator.get(reverse("conservation:prediction_anomaly", args=[vault.pk])).status_code == 404
    )
    listing = curator.get(reverse("conservation:prediction_anomalies")).content.decode()
    assert f'data-anomaly="{vault.pk}"' not in listing
    assert f'data-anomaly="{predicted["anomalies"]["case"].pk}"' in listing
    registrar = client_for(predicted["people"]["registrar"])
    assert (
        registrar.get(reverse("conservation:prediction_anomaly", args=[vault.pk])).status_code
        == 200
    )


def test_the_forecast_page_shows_the_model_window_and_band(
    predicted: dict[str, Any], client_for: Any
) -> None:
    forecast: Forecast = predicted["forecast"]
    page = (
        client_for(predicted["people"]["curator"])
        .get(reverse("conservation:prediction_forecast", args=[predicted["case"].pk]))
        .content.decode()
    )
    assert forecast.model in page
    assert "G1-MIXED" in page
    assert page.count('class="spec"') == 4  # t_min, t_max, rh_min, rh_max
    assert page.count('class="mean"') == 2


@pytest.mark.parametrize(
    ("who", "expected"),
    [(None, 302), ("member", 403), ("curator", 403), ("conservator", 302), ("admin", 302)],
)
def test_deciding_needs_the_right_to_manage_risk(
    predicted: dict[str, Any], client_for: Any, who: str | None, expected: int
) -> None:
    anomaly = predicted["anomalies"]["case"]
    client = client_for(predicted["people"][who] if who else None)
    response = client.post(
        reverse("conservation:prediction_anomaly_decide", args=[anomaly.pk]),
        {"decision": "resolve", "note": "Dehumidifier repaired."},
    )
    assert response.status_code == expected
    anomaly.refresh_from_db()
    assert anomaly.status == ("resolved" if who in ("conservator", "admin") else "open")


def test_a_decision_without_a_note_is_refused_naming_the_field(
    predicted: dict[str, Any], client_for: Any
) -> None:
    anomaly = predicted["anomalies"]["case"]
    client = client_for(predicted["people"]["conservator"])
    response = client.post(
        reverse("conservation:prediction_anomaly_decide", args=[anomaly.pk]),
        {"decision": "resolve", "note": ""},
        follow=True,
    )
    assert "Say what was found or done." in response.content.decode()
    anomaly.refresh_from_db()
    assert anomaly.status == "open"


def _warned(conservation: dict[str, Any], store_readings: Any) -> Any:
    """The case sensor's RH rising towards 55 %: an open early warning."""
    case = conservation["case"]
    start = END - dt.timedelta(hours=14 * 24 - 1)
    store_readings(
        case,
        [
            (
                start + dt.timedelta(hours=i),
                {
                    "temperature": 21.0,
                    "relative_humidity": 50.0
                    + math.sin(2 * math.pi * i / 24)
                    + max(0, i - (14 * 24 - 72)) * 0.05,
                },
            )
            for i in range(14 * 24)
        ],
    )
    assert services.do_forecast_sensor(case.pk, now=NOW) is not None
    alert = services.open_forecast_alert(case)
    assert alert is not None
    return alert


def test_an_early_warning_shows_on_the_alert_pages(
    conservation: dict[str, Any], store_readings: Any, client_for: Any
) -> None:
    alert = _warned(conservation, store_readings)
    case = conservation["case"]
    client = client_for(conservation["people"]["conservator"])
    page = client.get(reverse("conservation:alert", args=[alert.pk]))
    assert page.status_code == 200
    assert alert.summary in page.content.decode()
    assert client.get(reverse("conservation:alerts")).status_code == 200
    forecast_page = client.get(reverse("conservation:prediction_forecast", args=[case.pk]))
    assert reverse("conservation:alert", args=[alert.pk]) in forecast_page.content.decode()


def test_the_rules_page_lists_the_built_in_forecast_rule(
    conservation: dict[str, Any], store_readings: Any, client_for: Any
) -> None:
    _warned(conservation, store_readings)
    client = client_for(conservation["people"]["conservator"])
    page = client.get(reverse("conservation:rules"))
    assert page.status_code == 200
    assert "The 72-hour forecast predicts a breach" in page.content.decode()
    # The form offers no forecast kind: those alerts come from forecasts only.
    form = client.get(reverse("conservation:rule_create")).content.decode()
    assert 'value="forecast"' not in form
