"""The monitoring screens: dashboard, sensor list and page, chart series, sensor forms, device
token and logger-file import. Anonymous people are sent to sign in, people without monitoring
access refused, and a sensor in a restricted store never appears for someone who may not know
restricted stores."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from taihe.modules.conservation import services, store, views
from taihe.modules.conservation.models import (
    Calibration,
    IngestBatch,
    Reading,
    Sensor,
    SensorPlacement,
)

pytestmark = pytest.mark.django_db

LOGGERS = Path(__file__).resolve().parents[2] / "fixtures" / "conservation" / "loggers"
MORNING = dt.datetime(2025, 3, 1, 10, 0, tzinfo=dt.UTC)
"""A fixed past moment for readings whose exact times a test asserts."""

PAGES = ["/conservation/", "/conservation/sensors/", "/conservation/sensors/new/",
         "/conservation/import/"]
SENSOR_PAGES = ["", "edit/", "move/", "calibrations/", "token/"]


def _epoch(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def _uploads() -> list[str]:
    folder = Path(settings.MEDIA_ROOT) / "conservation" / "uploads"
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def _layout(response: Any) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    return [(section.title, [(room.title, [tile.sensor.code for tile in room.tiles])
                             for room in section.rooms.values()])
            for section in response.context["sections"]]


# --- Who may open the pages -----------------------------------------------------------------

@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_sign_in(client: Any, conservation: Any, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('directory:login')}?next={url}"


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_people_without_monitoring_access_are_refused_everywhere(
        client_for: Any, conservation: Any, who: str) -> None:
    client = client_for(conservation["people"][who])
    sensor_id = conservation["case"].pk
    urls = [*PAGES, *(f"/conservation/sensors/{sensor_id}/{page}" for page in SENSOR_PAGES),
            f"/conservation/sensors/{sensor_id}/series/?quantity=temperature"]
    assert {url: client.get(url).status_code for url in urls} == dict.fromkeys(urls, 403)
    assert client.post("/conservation/sensors/new/", {"code": "X1"}).status_code == 403
    assert not Sensor.objects.filter(code="X1").exists()


def test_the_conservator_opens_every_page(client_for: Any, conservation: Any) -> None:
    client = client_for(conservation["people"]["conservator"])
    sensor_id = conservation["case"].pk
    urls = [*PAGES, *(f"/conservation/sensors/{sensor_id}/{page}" for page in SENSOR_PAGES)]
    assert {url: client.get(url).status_code for url in urls} == dict.fromkeys(urls, 200)


def test_a_viewer_sees_the_pages_but_no_forms(client_for: Any, conservation: Any) -> None:
    # given the curator, who may view monitoring but not manage sensors or import files
    client = client_for(conservation["people"]["curator"])
    sensor_id = conservation["case"].pk
    # then the overview and the sensor page open, without the buttons of what they cannot do
    response = client.get("/conservation/")
    dashboard = response.content.decode()
    assert [(tab["label"], tab["current"]) for tab in response.context["nav"]] == [
        ("Environment", True), ("Sensors", False), ("Alerts", False), ("Alert rules", False),
        ("Specifications and places", False), ("Reports", False)]
    sensor_page = client.get(f"/conservation/sensors/{sensor_id}/").content.decode()
    assert "/conservation/sensors/new/" not in dashboard
    assert "/conservation/import/" not in dashboard
    assert f"/conservation/sensors/{sensor_id}/edit/" not in sensor_page
    assert f"/conservation/sensors/{sensor_id}/token/" not in sensor_page
    # and the forms themselves are refused
    urls = ["/conservation/sensors/new/", "/conservation/import/",
            *(f"/conservation/sensors/{sensor_id}/{page}" for page in SENSOR_PAGES[1:])]
    assert {url: client.get(url).status_code for url in urls} == dict.fromkeys(urls, 403)
    assert client.post(f"/conservation/sensors/{sensor_id}/token/").status_code == 403
    assert Sensor.objects.get(pk=sensor_id).token_hash == ""


# --- Dashboard --------------------------------------------------------------------------------

def test_dashboard_groups_tiles_by_floor_and_room_with_latest_values(
        client_for: Any, conservation: Any, store_readings: Any) -> None:
    # given readings of the gallery case (T and RH) and of the vault shelf
    case, vault = conservation["case"], conservation["vault"]
    store_readings(case, [(MORNING, {"temperature": 20.52, "relative_humidity": 48.0})])
    store_readings(vault, [(MORNING, {"temperature": 17.0, "relative_humidity": 41.25})])
    # when the conservator (who knows restricted stores) opens the overview
    response = client_for(conservation["people"]["conservator"]).get("/conservation/")
    html = response.content.decode()
    # then the tiles are grouped under the site, room by room; the shelf shows on its tile
    assert response.status_code == 200
    assert _layout(response) == [("Main site", [("Gallery 1", ["G1-CASE3"]),
                                                ("Hidden vault", ["VAULT-S1"])])]
    assert '<h3 class="room-title">Gallery 1 <span class="muted small">G1</span></h3>' in html
    assert '<span class="small muted">Vault shelf</span>' in html
    # with the latest values, their units and the time they were taken
    assert '<span><span class="reading" data-value>20.5</span> °C</span>' in html
    assert '<span><span class="reading" data-value>48.0</span> %</span>' in html
    assert '<span><span class="reading" data-value>41.2</span> %</span>' in html
    assert f'data-age data-epoch="{_epoch(MORNING)}"' in html
    # and the RH sparkline is drawn against the gallery's specification band (45–55 %)
    assert 'data-low="45.0" data-high="55.0"' in html
    # the readings are old, so both sensors are silent, said in words
    tile = response.context["sections"][0].rooms[conservation["gallery"].pk].tiles[0]
    assert (tile.status, tile.status_label, tile.open_alerts) == ("silent", "Silent", 0)
    assert '<span class="sensor-status" data-status="silent" data-status-text>Silent</span>' \
        in html
    assert [item["label"] for item in response.context["legend"]] == [
        "Alert", "Warning", "Silent", "In range", "No data yet", "Out of service"]
    # and the page listens to the restricted topic too
    assert 'data-live-restricted="true"' in html


def test_sensors_without_a_place_come_last(client_for: Any, conservation: Any) -> None:
    services.do_create_sensor(conservation["people"]["conservator"], services.SensorData(
        code="SPARE-1", name="Spare logger"))
    response = client_for(conservation["people"]["conservator"]).get("/conservation/")
    assert _layout(response) == [("Main site", [("Gallery 1", ["G1-CASE3"]),
                                                ("Hidden vault", ["VAULT-S1"])]),
                                 ("Not placed", [("", ["SPARE-1"])])]
    assert '<h2 id="floor-2">Not placed</h2>' in response.content.decode()


def test_dashboard_hides_restricted_stores_from_those_who_may_not_know_them(
        client_for: Any, conservation: Any, store_readings: Any) -> None:
    store_readings(conservation["vault"], [(MORNING, {"temperature": 17.0})])
    response = client_for(conservation["people"]["curator"]).get("/conservation/")
    html = response.content.decode()
    assert _layout(response) == [("Main site", [("Gallery 1", ["G1-CASE3"])])]
    assert "VAULT" not in html
    assert "Hidden vault" not in html
    assert "Vault shelf" not in html
    assert 'data-live-restricted="false"' in html


def test_open_alerts_colour_the_tile_and_link_to_the_alerts(
        client_for: Any, conservation: Any, open_alert: Any) -> None:
    open_alert(conservation["case"], severity="critical")
    open_alert(conservation["vault"], severity="warning")
    response = client_for(conservation["people"]["conservator"]).get("/conservation/")
    html = response.content.decode()
    statuses = {tile.sensor.code: (tile.status, tile.open_alerts)
                for section in response.context["sections"]
                for room in section.rooms.values() for tile in room.tiles}
    assert statuses == {"G1-CASE3": ("alert", 1), "VAULT-S1": ("warning", 1)}
    assert (f'<a class="small" href="/conservation/sensors/{conservation["case"].pk}/'
            '#alerts-title">1 open alert</a>') in html
    assert ('<a href="/conservation/alerts/?status=unresolved" data-open-alerts>2 open alerts'
            "</a>") in html


def test_the_dashboard_fragment_is_what_a_reconnect_fetches(
        client_for: Any, conservation: Any) -> None:
    response = client_for(conservation["people"]["conservator"]).get(
        "/conservation/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.startswith('<div id="conservation-places">')
    assert "<html" not in html
    assert f'data-sensor-id="{conservation["case"].pk}"' in html


def test_sparkline_has_one_hourly_mean_per_hour_of_the_last_day(
        conservation: Any, store_readings: Any) -> None:
    # given readings at 10:00 and 10:30 (20 and 22 °C) and at 11:15 (21 °C)
    case = conservation["case"]
    store_readings(case, [(MORNING, {"temperature": 20.0}),
                          (MORNING + dt.timedelta(minutes=30), {"temperature": 22.0}),
                          (MORNING + dt.timedelta(minutes=75), {"temperature": 21.0})])
    # when the sparkline is drawn at 12:30
    values = views.sparkline_values(case, store.quantity_ids()["temperature"],
                                    MORNING + dt.timedelta(hours=2, minutes=30))
    # then it has 24 hourly slots ending with the current hour, empty where nothing was logged
    assert values == [None] * 21 + [21.0, 21.0, None]


def test_ages_are_short_words() -> None:
    assert [views.age_text(seconds) for seconds in (0, 59, 61, 3599, 3600, 47 * 3600,
                                                    48 * 3600, 10 * 86400)] == [
        "just now", "just now", "1 min ago", "59 min ago", "1 h ago", "47 h ago", "2 d ago",
        "10 d ago"]


# --- Sensor list and page -----------------------------------------------------------------------

def test_sensor_list_filters_by_text_place_and_status(
        client_for: Any, conservation: Any, open_alert: Any) -> None:
    client = client_for(conservation["people"]["conservator"])
    open_alert(conservation["case"], severity="critical")

    def codes(**params: Any) -> list[str]:
        response = client.get("/conservation/sensors/", params)
        assert response.status_code == 200
        return [row["sensor"].code for row in response.context["rows"]]

    assert codes() == ["G1-CASE3", "VAULT-S1"]
    assert codes(q="shelf") == ["VAULT-S1"]
    assert codes(q="21000003") == ["G1-CASE3"]
    assert codes(place=conservation["store"].pk) == ["VAULT-S1"]
    assert codes(place=conservation["site"].pk) == ["G1-CASE3", "VAULT-S1"]
    assert codes(status="alert") == ["G1-CASE3"]
    assert codes(status="no_data") == ["VAULT-S1"]
    # a curator never sees the vault sensor, not even by naming its store
    curator = client_for(conservation["people"]["curator"])
    assert [row["sensor"].code for row in curator.get(
        "/conservation/sensors/").context["rows"]] == ["G1-CASE3"]
    assert curator.get("/conservation/sensors/", {
        "place": conservation["store"].pk}).context["rows"] == []


def test_sensor_page_shows_place_history_charts_and_metrics(
        client_for: Any, conservation: Any, store_readings: Any) -> None:
    # given two days of steady readings up to now
    case = conservation["case"]
    from django.utils import timezone

    now = timezone.now().replace(second=0, microsecond=0)
    store_readings(case, [(now - dt.timedelta(minutes=30 * step),
                           {"temperature": 20.0, "relative_humidity": 50.0})
                          for step in range(96)])
    # when the conservator opens the sensor page for the last 7 days
    response = client_for(conservation["people"]["conservator"]).get(
        f"/conservation/sensors/{case.pk}/", {"period": "7d"})
    html = response.content.decode()
    # then the place, its specification and the placement history are shown
    assert response.status_code == 200
    assert "<p>Main site › Gallery 1</p>" in html
    assert "Specification: Gallery 1 mixed collection (G1-MIXED)" in html
    assert [row["place"] for row in response.context["placements"]] == [
        "Main site › Gallery 1"]
    # the charts ask the series view for both quantities and the dew point
    assert (f'data-series-url="/conservation/sensors/{case.pk}/series/" '
            'data-quantities="temperature,relative_humidity,dew_point"') in html
    period = response.context["period"]
    assert (period.key, period.end - period.start) == ("7d", dt.timedelta(days=7))
    # and the metrics of the period are computed against the specification
    assert ('<tr data-metric="temperature_mean"><td>Mean temperature</td>'
            '<td class="number">20.0 °C</td>') in html
    assert ('<tr data-metric="relative_humidity_in_band"><td>Time within the RH band</td>'
            '<td class="number">100.0 %</td>') in html
    assert "Measured against the specification Gallery 1 mixed collection (G1-MIXED)." in html
    assert "Device token</dt><dd>None issued</dd>" in html


def test_a_custom_period_is_whole_museum_days(client_for: Any, conservation: Any) -> None:
    client = client_for(conservation["people"]["conservator"])
    url = f"/conservation/sensors/{conservation['case'].pk}/"
    response = client.get(url, {"period": "custom", "from": "2025-03-01", "to": "2025-03-02"})
    # Asia/Shanghai is UTC+8: 1 March 00:00 to 3 March 00:00 museum time
    assert (response.context["chart_start"], response.context["chart_end"]) == (
        "2025-02-28T16:00:00Z", "2025-03-02T16:00:00Z")
    bad = client.get(url, {"period": "custom", "from": "2025-03-02", "to": "2025-03-01"})
    assert bad.context["period"].key == "7d"
    assert '<p class="field-error" role="alert">The last day is before the first.</p>' in \
        bad.content.decode()


@pytest.mark.parametrize(("first", "last"), [("0001-01-01", "0001-01-02"),
                                             ("9999-12-01", "9999-12-31")])
def test_a_period_at_the_ends_of_the_calendar_is_refused_with_a_message(
        client_for: Any, conservation: Any, first: str, last: str) -> None:
    # given days whose UTC bounds do not exist (year 1 at UTC+8; the day after 9999-12-31)
    client = client_for(conservation["people"]["conservator"])
    # when the sensor page is asked for them
    response = client.get(f"/conservation/sensors/{conservation['case'].pk}/",
                          {"period": "custom", "from": first, "to": last})
    # then it shows the default period and says which days may be chosen
    assert response.status_code == 200
    assert response.context["period"].key == "7d"
    assert response.context["period"].error == "Choose days from 1900-01-01 to 2999-12-31."


def test_sensor_page_fragment_holds_the_latest_values(client_for: Any, conservation: Any,
                                                      store_readings: Any) -> None:
    store_readings(conservation["case"], [(MORNING, {"temperature": 19.0})])
    response = client_for(conservation["people"]["conservator"]).get(
        f"/conservation/sensors/{conservation['case'].pk}/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.startswith(f'<div id="sensor-latest" data-sensor-id="{conservation["case"].pk}"')
    assert '<span class="reading" data-value>19.0</span> °C' in html


def test_a_restricted_sensor_is_not_found_for_the_curator(client_for: Any,
                                                          conservation: Any) -> None:
    vault_id = conservation["vault"].pk
    curator = client_for(conservation["people"]["curator"])
    assert curator.get(f"/conservation/sensors/{vault_id}/").status_code == 404
    series = curator.get(f"/conservation/sensors/{vault_id}/series/",
                         {"quantity": "temperature"})
    assert (series.status_code, series.json()) == (404, {"detail": "Not found.",
                                                         "code": "not_found"})
    registrar = client_for(conservation["people"]["registrar"])
    assert registrar.get(f"/conservation/sensors/{vault_id}/series/",
                         {"quantity": "temperature"}).status_code == 200


# --- Chart series -------------------------------------------------------------------------------

def test_series_answers_the_chart_json(client_for: Any, conservation: Any,
                                       store_readings: Any) -> None:
    case = conservation["case"]
    store_readings(case, [(MORNING + dt.timedelta(minutes=5 * i), {"temperature": value})
                          for i, value in enumerate([20.0, 20.5, 21.0])])
    response = client_for(conservation["people"]["curator"]).get(
        f"/conservation/sensors/{case.pk}/series/", {
            "quantity": "temperature", "start": "2025-03-01T10:00:00Z",
            "end": "2025-03-01T11:00:00+00:00", "points": "1000"})
    data = response.json()
    assert response.status_code == 200
    assert (data["label"], data["unit"], data["resolution"]) == ("Temperature", "°C", "raw")
    assert data["t"] == [_epoch(MORNING), _epoch(MORNING) + 300, _epoch(MORNING) + 600]
    assert data["mean"] == [20.0, 20.5, 21.0]
    assert data["band"] == {"low": 18.0, "high": 24.0}


@pytest.mark.parametrize(("params", "fields"), [
    ({"quantity": "illuminance"}, {"quantity": "This sensor does not measure illuminance."}),
    ({"quantity": "temperature", "start": "2025-03-01T10:00:00"},
     {"start": "Give the time in ISO 8601 with its UTC offset."}),
    ({"quantity": "temperature", "start": "2025-03-02T00:00:00Z",
      "end": "2025-03-01T00:00:00Z"}, {"start": "The start must be before the end."}),
    ({"quantity": "dew_point", "points": "3"}, {"points": "Ask for 10 to 5,000 points."}),
    ({"quantity": "temperature", "end": "0001-01-02T00:00:00+00:00"},
     {"end": "This date and time is out of range."}),
    ({"quantity": "temperature", "start": "0001-01-01T00:00:00+14:00",
      "end": "0001-01-03T00:00:00Z"}, {"start": "This date and time is out of range."}),
])
def test_series_refuses_bad_parameters_with_a_message(
        client_for: Any, conservation: Any, params: dict[str, str],
        fields: dict[str, str]) -> None:
    response = client_for(conservation["people"]["conservator"]).get(
        f"/conservation/sensors/{conservation['case'].pk}/series/", params)
    assert response.status_code == 400
    assert response.json() == {"detail": "Some values are not valid.", "code": "invalid",
                               "fields": fields}


# --- Sensor forms -------------------------------------------------------------------------------

def test_adding_a_sensor(client_for: Any, conservation: Any) -> None:
    client = client_for(conservation["people"]["conservator"])
    response = client.post("/conservation/sensors/new/", {
        "code": "G1-CASE4", "name": "Case 4 logger", "quantities": ["temperature", "illuminance"],
        "logging_interval_seconds": "600", "location": conservation["gallery"].pk,
        "status": "active", "lorawan_device_eui": "70-b3-d5-7e-d0-05-12-34"})
    sensor = Sensor.objects.get(code="G1-CASE4")
    assert (response.status_code, response.url) == (302, f"/conservation/sensors/{sensor.pk}/")
    assert (sensor.name, sensor.quantities, sensor.logging_interval_seconds,
            sensor.location_id, sensor.lorawan_device_eui) == (
        "Case 4 logger", ["temperature", "illuminance"], 600, conservation["gallery"].pk,
        "70B3D57ED0051234")
    assert list(SensorPlacement.objects.filter(sensor=sensor).values_list(
        "location_id", flat=True)) == [conservation["gallery"].pk]


def test_a_sensor_form_shows_the_services_messages(client_for: Any, conservation: Any) -> None:
    client = client_for(conservation["people"]["conservator"])
    taken = client.post("/conservation/sensors/new/", {
        "code": "G1-CASE3", "quantities": ["temperature"], "logging_interval_seconds": "300",
        "status": "active"})
    assert taken.status_code == 422
    assert taken.context["form"].errors == {"code": ["Another sensor has this code."]}
    bad = client.post("/conservation/sensors/new/", {
        "code": "bad code!", "quantities": ["temperature"], "logging_interval_seconds": "300",
        "status": "active"})
    assert bad.context["form"].errors["code"] == [
        "Use 1–64 letters, digits, dots, dashes or underscores, starting with a letter or digit."]
    assert Sensor.objects.count() == 2


def test_editing_a_sensor(client_for: Any, conservation: Any) -> None:
    case = conservation["case"]
    client = client_for(conservation["people"]["conservator"])
    form = client.get(f"/conservation/sensors/{case.pk}/edit/").context["form"]
    assert (form.initial["code"], form.initial["location"]) == ("G1-CASE3",
                                                                conservation["gallery"].pk)
    response = client.post(f"/conservation/sensors/{case.pk}/edit/", {
        "code": "G1-CASE3", "name": "Renamed", "quantities": ["temperature",
                                                              "relative_humidity"],
        "logging_interval_seconds": "900", "location": conservation["gallery"].pk,
        "status": "inactive"})
    case.refresh_from_db()
    assert response.status_code == 302
    assert (case.name, case.logging_interval_seconds, case.status) == ("Renamed", 900,
                                                                       "inactive")


def test_moving_a_sensor_keeps_its_history(client_for: Any, conservation: Any) -> None:
    case = conservation["case"]
    client = client_for(conservation["people"]["conservator"])
    too_early = client.post(f"/conservation/sensors/{case.pk}/move/", {
        "location": conservation["site"].pk, "at": "2020-01-01T09:00"})
    assert too_early.status_code == 422
    assert too_early.context["form"].errors == {"at": [
        "The move must be after the sensor was placed where it is now."]}
    response = client.post(f"/conservation/sensors/{case.pk}/move/", {
        "location": conservation["site"].pk, "note": "Case opened for the new display"})
    assert response.status_code == 302
    history = [(placement.location_id, placement.note, placement.removed_at is None)
               for placement in SensorPlacement.objects.filter(sensor=case).order_by("placed_at")]
    assert history == [(conservation["gallery"].pk, "", False),
                       (conservation["site"].pk, "Case opened for the new display", True)]
    page = client.get(f"/conservation/sensors/{case.pk}/")
    assert [row["place"] for row in page.context["placements"]] == [
        "Main site", "Main site › Gallery 1"]


def test_a_calibration_corrects_the_stored_readings_from_its_date(
        client_for: Any, conservation: Any, store_readings: Any) -> None:
    case = conservation["case"]
    store_readings(case, [(MORNING, {"temperature": 20.0}),
                          (MORNING + dt.timedelta(hours=1), {"temperature": 20.0})])
    client = client_for(conservation["people"]["conservator"])
    page = client.get(f"/conservation/sensors/{case.pk}/calibrations/").content.decode()
    assert "Readings already stored in that span are corrected now" in page
    # 18:30 museum time is 10:30 UTC: only the 11:00 reading is corrected
    response = client.post(f"/conservation/sensors/{case.pk}/calibrations/", {
        "quantity": "temperature", "effective_from": "2025-03-01T18:30", "offset": "-0.5",
        "reference": "Vaisala HM70 no. 123"})
    assert response.status_code == 302
    calibration = Calibration.objects.get(sensor=case)
    assert (calibration.effective_from, calibration.offset, calibration.reference) == (
        MORNING + dt.timedelta(minutes=30), -0.5, "Vaisala HM70 no. 123")
    assert list(Reading.objects.filter(sensor_id=case.pk).values_list("time", "value")) == [
        (_epoch(MORNING), 20.0), (_epoch(MORNING) + 3600, 19.5)]
    refused = client.post(f"/conservation/sensors/{case.pk}/calibrations/", {
        "quantity": "illuminance", "effective_from": "2025-03-01T18:30", "offset": "1"})
    assert refused.status_code == 422
    assert list(refused.context["form"].errors) == ["quantity"]


def test_a_device_token_is_shown_once(client_for: Any, conservation: Any) -> None:
    case = conservation["case"]
    client = client_for(conservation["people"]["conservator"])
    before = client.get(f"/conservation/sensors/{case.pk}/token/").content.decode()
    assert "No token is issued yet." in before
    assert "ths_" not in before
    # when a token is issued
    response = client.post(f"/conservation/sensors/{case.pk}/token/")
    token = response.context["token"]
    html = response.content.decode()
    # then the answer shows it, with the command that uses it, and is never cached
    assert response["Cache-Control"] == "no-store"
    assert f'<code class="secret" id="device-token" data-token>{token}</code>' in html
    assert (f"curl -X POST http://testserver/api/v1/conservation/push \\\n"
            f"  -H &quot;Authorization: Bearer {token}&quot;") in html
    assert services.sensor_for_token(token) == case
    # and never again: later the page only names its last four characters
    after = client.get(f"/conservation/sensors/{case.pk}/token/").content.decode()
    assert token not in after
    assert f"A token is issued; it ends with …{token[-4:]}." in after
    assert token not in client.get(f"/conservation/sensors/{case.pk}/").content.decode()


# --- Logger-file import -------------------------------------------------------------------------

def _upload(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    data = content if content is not None else (LOGGERS / name).read_bytes()
    return SimpleUploadedFile(name, data, content_type="text/csv")


OPTIONS = {"file_format": "auto", "time_zone": "Asia/Shanghai", "date_order": ""}


def test_import_previews_with_a_dry_run_then_stores(client_for: Any, conservation: Any) -> None:
    client = client_for(conservation["people"]["conservator"])
    # given a HOBOware file with impossible values, uploaded for the gallery case logger
    preview = client.post("/conservation/import/", {
        "step": "upload", "file": _upload("hoboware_bad_values.csv"), "sensor": "G1-CASE3",
        **OPTIONS})
    html = preview.content.decode()
    # then the dry run shows what the file holds and stores nothing
    outcome = preview.context["outcome"]
    assert (preview.status_code, preview.context["step"].mode) == (200, "preview")
    assert (outcome.file_format, outcome.sensors, outcome.stored, len(outcome.rejected)) == (
        "hoboware", ["G1-CASE3"], 8, 8)
    assert '<dd data-format="hoboware">HOBOware CSV</dd>' in html
    assert '<dd data-count="readings">8</dd>' in html
    assert ('<tr><td class="number">3</td><td>Temp, °C (LGR S/N: 777)</td>'
            "<td>95 °C is outside the possible range -50 to 80 °C.</td></tr>") in html
    assert (Reading.objects.count(), IngestBatch.objects.count()) == (0, 0)
    token = preview.context["step"].token
    assert _uploads() == [token]
    # when the person imports
    response = client.post("/conservation/import/", {
        "step": "import", "token": token, "sensor": "G1-CASE3", "column_mapping": "",
        "create_sensor": "False", **OPTIONS})
    # then the readings are stored, the upload is gone, and the result lists the rejections
    batch = IngestBatch.objects.get()
    assert (response.status_code, response.url) == (302, f"/conservation/import/{batch.pk}/")
    assert (batch.stored, batch.rejected, batch.sensors) == (8, 8, ["G1-CASE3"])
    assert Reading.objects.filter(sensor_id=conservation["case"].pk).count() == 8
    assert _uploads() == []
    result = client.get(response.url)
    page = result.content.decode()
    assert '<dd data-count="stored">8</dd>' in page
    assert '<dd data-count="duplicates">0</dd>' in page
    assert ('<tr><td class="number">3</td><td>Temp, °C (LGR S/N: 777)</td>'
            "<td>95 °C is outside the possible range -50 to 80 °C.</td></tr>") in page
    assert f'<a href="/conservation/sensors/{conservation["case"].pk}/">G1-CASE3</a>' in page
    sensor_page = client.get(f"/conservation/sensors/{conservation['case'].pk}/")
    assert [imported.pk for imported in sensor_page.context["imports"]] == [batch.pk]
    # and importing the same file again stores nothing new
    again = client.post("/conservation/import/", {
        "step": "upload", "file": _upload("hoboware_bad_values.csv"), "sensor": "G1-CASE3",
        **OPTIONS})
    client.post("/conservation/import/", {"step": "import", "token": again.context["step"].token,
                                          "sensor": "G1-CASE3", **OPTIONS})
    assert list(IngestBatch.objects.order_by("id").values_list("stored", "duplicates")) == [
        (8, 0), (0, 8)]


def test_a_file_naming_a_new_sensor_can_create_it(client_for: Any, conservation: Any) -> None:
    client = client_for(conservation["people"]["conservator"])
    preview = client.post("/conservation/import/", {
        "step": "upload", "file": _upload("hoboware_bad_values.csv"), "sensor": "",
        "create_sensor": "on", **OPTIONS})
    assert preview.context["sensors_found"] == [("777", False)]
    assert "(new: it will be created)" in preview.content.decode()
    assert not Sensor.objects.filter(code="777").exists()
    client.post("/conservation/import/", {
        "step": "import", "token": preview.context["step"].token, "sensor": "",
        "create_sensor": "True", **OPTIONS})
    created = Sensor.objects.get(code="777")
    assert Reading.objects.filter(sensor_id=created.pk).count() == 8


def test_unrecognised_columns_are_mapped_by_the_person(client_for: Any,
                                                       conservation: Any) -> None:
    client = client_for(conservation["people"]["conservator"])
    content = (b"Zeitpunkt,Kanal A,Kanal B\n"
               b"2025-03-01 18:00,20.1,45\n2025-03-01 18:30,20.3,46\n")
    # given a table whose value columns no format recognises
    dialog = client.post("/conservation/import/", {
        "step": "upload", "file": _upload("kanal.csv", content), "sensor": "G1-CASE3",
        **OPTIONS})
    step = dialog.context["step"]
    assert (dialog.status_code, step.mode) == (200, "columns")
    assert [(row["column"].name, row["column"].sample) for row in step.mapping_form.rows()] == [
        ("Zeitpunkt", "2025-03-01 18:00"), ("Kanal A", "20.1"), ("Kanal B", "45")]
    assert step.mapping_form["time_column"].value() == "0"
    posted = {"step": "map", "token": step.token, "sensor": "G1-CASE3", **OPTIONS,
              "time_column": "0", "clock_column": "", "sensor_column": ""}
    # when no column is given a quantity, the dialog says so
    empty = client.post("/conservation/import/", posted)
    assert empty.status_code == 422
    assert empty.context["step"].mapping_form.non_field_errors() == [
        "Choose the quantity of at least one column."]
    # a unit that is not the quantity's is refused in the dialog, which keeps the choices
    wrong = client.post("/conservation/import/", {**posted, "quantity_1": "temperature",
                                                  "unit_1": "lx"})
    assert wrong.status_code == 422
    assert wrong.context["step"].mapping_form.non_field_errors() == [
        "Column 'Kanal A': 'lx' is not a unit for the quantity 'temperature'."]
    assert wrong.context["step"].mapping_form["unit_1"].value() == "lx"
    # when the person says what the columns hold, the dry run reads them
    preview = client.post("/conservation/import/", {
        **posted, "quantity_1": "temperature", "unit_1": "°C",
        "quantity_2": "relative_humidity", "unit_2": ""})
    assert (preview.context["step"].mode, preview.context["outcome"].stored) == ("preview", 4)
    mapping = json.loads(preview.context["step"].column_mapping)
    assert mapping == {"time": "Zeitpunkt", "columns": {
        "Kanal A": {"quantity": "temperature", "unit": "°C"},
        "Kanal B": {"quantity": "relative_humidity", "unit": ""}}}
    # and the import stores them with the mapping (18:00 museum time is 10:00 UTC)
    client.post("/conservation/import/", {
        "step": "import", "token": step.token, "sensor": "G1-CASE3",
        "column_mapping": preview.context["step"].column_mapping, **OPTIONS})
    assert list(Reading.objects.filter(sensor_id=conservation["case"].pk).order_by(
        "quantity_id", "time").values_list("time", "value")) == [
        (_epoch(MORNING), 20.1), (_epoch(MORNING) + 1800, 20.3),
        (_epoch(MORNING), 45.0), (_epoch(MORNING) + 1800, 46.0)]


def test_a_file_that_is_no_logger_file_is_refused_and_not_kept(
        client_for: Any, conservation: Any) -> None:
    client = client_for(conservation["people"]["conservator"])
    response = client.post("/conservation/import/", {
        "step": "upload", "file": _upload("unknown_not_a_logger.csv"), **OPTIONS})
    assert (response.status_code, response.context["step"].mode) == (422, "upload")
    assert response.context["step"].error.startswith(
        "unknown_not_a_logger.csv is not a data-logger file this importer knows.")
    assert _uploads() == []


def test_a_cancelled_upload_is_deleted_and_others_cannot_continue_it(
        client_for: Any, conservation: Any) -> None:
    conservator = conservation["people"]["conservator"]
    client = client_for(conservator)
    preview = client.post("/conservation/import/", {
        "step": "upload", "file": _upload("meaco_new.csv"), "sensor": "G1-CASE3", **OPTIONS})
    token = preview.context["step"].token
    # another session (even of the same person) does not know the upload
    other = client_for(conservator).post("/conservation/import/", {
        "step": "import", "token": token, "sensor": "G1-CASE3", **OPTIONS})
    assert (other.status_code, other.url) == (302, "/conservation/import/")
    assert _uploads() == [token]
    cancelled = client.post("/conservation/import/", {"step": "cancel", "token": token})
    assert cancelled.status_code == 302
    assert _uploads() == []
    assert (Reading.objects.count(), IngestBatch.objects.count()) == (0, 0)


def test_imports_naming_a_restricted_sensor_are_hidden_from_importers_who_may_not_know_it(
        client_for: Any, conservation: Any, store_readings: Any) -> None:
    from taihe.modules.directory.models import Role, RoleAssignment

    # given an HTTP push of the vault logger, a file naming it and the gallery logger, and
    # the curator's own file naming it, all recorded as import batches
    store_readings(conservation["vault"], [(MORNING, {"temperature": 17.0})])
    pushed = IngestBatch.objects.get()
    curator = conservation["people"]["curator"]
    mixed = IngestBatch.objects.create(source="file", file_name="vault-x9-march.csv",
                                       sensors=["G1-CASE3", "VAULT-S1"], stored=2)
    case_only = IngestBatch.objects.create(source="file", file_name="case3.csv",
                                           sensors=["G1-CASE3"], stored=1)
    own = IngestBatch.objects.create(source="file", file_name="mine.csv",
                                     sensors=["VAULT-S1"], rejected=1, by=curator,
                                     rejected_rows=[[2, "sensor", "No sensor has the code "
                                                                   "VAULT-S1."]])
    # and the curator may import readings but not know restricted stores
    role = Role.objects.create(code="importer", name_zh="导入", name_en="Importer",
                               operations=["conservation.monitoring.view",
                                           "conservation.reading.import"])
    RoleAssignment.objects.create(person=curator, role=role)
    client = client_for(curator)
    # when the curator opens the import page, the results and the gallery sensor's page
    page = client.get("/conservation/import/")
    results = {batch.pk: client.get(f"/conservation/import/{batch.pk}/").status_code
               for batch in (pushed, mixed, case_only, own)}
    sensor_page = client.get(f"/conservation/sensors/{conservation['case'].pk}/")
    # then only the batches that name no hidden sensor, and the curator's own, are there
    assert [batch.pk for batch in page.context["batches"]] == [own.pk, case_only.pk]
    assert "vault-x9-march.csv" not in page.content.decode()
    assert results == {pushed.pk: 404, mixed.pk: 404, case_only.pk: 200, own.pk: 200}
    assert [batch.pk for batch in sensor_page.context["imports"]] == [case_only.pk]
    # and the registrar, who knows restricted stores, is shown every file import
    registrar = conservation["people"]["registrar"]
    RoleAssignment.objects.create(person=registrar, role=role)
    assert [batch.pk for batch in client_for(registrar).get(
        "/conservation/import/").context["batches"]] == [own.pk, case_only.pk, mixed.pk]


def test_import_results_are_for_importers_only(client_for: Any, conservation: Any) -> None:
    batch = IngestBatch.objects.create(source="file", file_name="x.csv", stored=1)
    assert client_for(conservation["people"]["curator"]).get(
        f"/conservation/import/{batch.pk}/").status_code == 403
    conservator = client_for(conservation["people"]["conservator"])
    assert conservator.get(f"/conservation/import/{batch.pk}/").status_code == 200
    assert conservator.get(f"/conservation/import/{batch.pk + 1}/").status_code == 404


# --- Live updates (static/conservation/live.js) in headless Chromium -----------------------------

CHROMIUM = "/usr/bin/chromium"
FAKE_SOCKET = """
window.__sent = [];
window.__sockets = [];
window.WebSocket = function (url) {
  var socket = this;
  window.__sockets.push(socket);
  socket.send = function (text) {
    var message = JSON.parse(text);
    window.__sent.push(message);
    setTimeout(function () {
      socket.onmessage({data: JSON.stringify({type: "subscribed", topic: message.topic})});
    }, 0);
  };
  setTimeout(function () { socket.onopen(); }, 0);
};
window.__push = function (topic, data) {
  window.__sockets.forEach(function (socket) {
    socket.onmessage({data: JSON.stringify({type: "message", topic: topic, data: data})});
  });
};
"""
"""A WebSocket stand-in: it confirms every subscription and lets the test push messages."""


def _serve(pages: dict[str, bytes], fragments: dict[str, bytes]) -> Any:
    """An http.server thread answering the rendered pages (the fragment when HTMX asks) and
    the static files as Django finds them."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import urlsplit

    from django.contrib.staticfiles import finders

    fetched: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path.startswith("/static/"):
                found = finders.find(path.removeprefix("/static/"))
                body = Path(str(found)).read_bytes() if found else None
                kind = "text/javascript" if path.endswith(".js") else "text/css"
            elif self.headers.get("HX-Request") == "true" and path in fragments:
                fetched.append(path)
                body, kind = fragments[path], "text/html"
            else:
                body, kind = pages.get(path), "text/html"
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.fetched = fetched  # type: ignore[attr-defined]
    return server


@pytest.mark.browser
@pytest.mark.slow
def test_live_messages_update_the_dashboard_tiles(client_for: Any, conservation: Any,
                                                  store_readings: Any,
                                                  open_alert: Any) -> None:
    import shutil

    from tests.conftest import service_missing

    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        service_missing("Chromium", "install Debian's package: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    # given the overview as the server renders it, the gallery case silent for hours
    case = conservation["case"]
    store_readings(case, [(MORNING, {"temperature": 20.0, "relative_humidity": 50.0})])
    client = client_for(conservation["people"]["conservator"])
    page_html = client.get("/conservation/").content
    fragments = {"/conservation/": client.get("/conservation/", HTTP_HX_REQUEST="true").content}
    # and the fragment the server answers once a critical alert has opened
    open_alert(case, severity="critical")
    with_alert = client.get("/conservation/", HTTP_HX_REQUEST="true").content
    server = _serve({"/conservation/": page_html}, fragments)
    tile = f'[data-sensor-id="{case.pk}"]'
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.add_init_script(FAKE_SOCKET)
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/conservation/")
            page.wait_for_function("window.__sent.length >= 3")
            # then live.js subscribes to both topics (the conservator knows restricted stores)
            topics = page.evaluate("window.__sent.map(function (m) { return m.topic; })")
            assert sorted(topic for topic in topics if topic.startswith("conservation")) == [
                "conservation.live", "conservation.live.restricted"]
            # and, once subscribed, fetches the fragment so that nothing missed stays wrong
            for _attempt in range(200):
                if server.fetched:
                    break
                page.wait_for_timeout(50)
            assert server.fetched == ["/conservation/"]
            page.wait_for_load_state("networkidle")
            assert page.get_attribute(tile, "data-status") == "silent"
            # when a reading arrives, the tile shows it, how old it is, and that all is well
            push = "data => window.__push('conservation.live', data)"
            page.evaluate(push, {"sensor_id": case.pk, "code": "G1-CASE3",
                                 "values": {"temperature": [int(time.time()), 25.46]}})
            row = f'{tile} [data-quantity="temperature"]'
            assert page.inner_text(f"{row} [data-value]") == "25.5"
            assert page.inner_text(f"{row} [data-age]") == "just now"
            assert page.inner_text(f'{tile} [data-quantity="relative_humidity"] [data-value]') \
                == "50.0"
            assert page.get_attribute(tile, "data-status") == "ok"
            assert page.inner_text(f"{tile} [data-status-text]") == "In range"
            # a late reading does not replace the newest one
            page.evaluate(push, {"sensor_id": case.pk, "code": "G1-CASE3",
                                 "values": {"temperature": [_epoch(MORNING), 19.0]}})
            assert page.inner_text(f"{row} [data-value]") == "25.5"
            # when an alert changes, the page asks the server again and shows the alert
            fragments["/conservation/"] = with_alert
            page.evaluate(push, {"alert_id": 1, "sensor_id": case.pk, "status": "open"})
            page.wait_for_function(
                "id => document.querySelector('[data-sensor-id=\"' + id + '\"]')"
                ".getAttribute('data-status') === 'alert'", arg=case.pk)
            assert page.inner_text(f"{tile} [data-status-text]") == "Alert"
            browser.close()
        assert problems == []
        # the fragment was fetched on subscribing and after the alert message
        assert server.fetched == ["/conservation/", "/conservation/"]
    finally:
        server.shutdown()
        server.server_close()
