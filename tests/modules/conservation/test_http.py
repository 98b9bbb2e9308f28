"""The conservation API end to end: device pushes (Taihe JSON and SenML), LoRaWAN webhooks,
chart series and metrics, logger-file imports, sensors, specifications, rules and alerts.
The four-actor matrix is in ``test_http_matrix.py``; here are the exact answers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from taihe.kernel.http import tokens
from taihe.modules.conservation import services, store
from taihe.modules.conservation.models import (
    Alert,
    AlertEntry,
    AlertRule,
    IngestBatch,
    PlaceEnvironment,
    Reading,
    Sensor,
    SensorPlacement,
    Specification,
)
from tests.modules.conservation.test_live_payloads import CHIRPSTACK_UP, TTS_UPLINK

pytestmark = pytest.mark.django_db

P = "/api/v1/conservation"
LOGGERS = Path(__file__).resolve().parents[2] / "fixtures" / "conservation" / "loggers"
SECRET = "the-network-server-secret"
T0 = dt.datetime(2025, 3, 1, 0, 0, tzinfo=dt.UTC)
E0 = int(T0.timestamp())  # 1740787200


def device(token: str) -> Client:
    """A machine's client: its bearer token, and CSRF enforced as for a browser (a device
    has no CSRF token, so an operation that wanted one would refuse it)."""
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {token}")


def push(client: Client, body: Any, content_type: str = "application/json",
         query: str = "") -> Any:
    return client.post(f"{P}/push{query}", data=json.dumps(body), content_type=content_type)


def readings_of(sensor: Sensor) -> list[tuple[str, int, float]]:
    codes = {qid: code for code, qid in store.quantity_ids().items()}
    return [(codes[r.quantity_id], r.time - E0, r.value)
            for r in Reading.objects.filter(sensor_id=sensor.pk).order_by("time", "quantity_id")]


@pytest.fixture
def token(conservation: dict[str, Any]) -> str:
    return services.do_issue_token(conservation["people"]["conservator"],
                                   conservation["case"].pk)


# --- device push --------------------------------------------------------------------------

TAIHE_BATCH = {"readings": [
    {"time": "2025-03-01T08:00:00+08:00", "temperature": 21.4, "relative_humidity": 48.2},
    {"time": "2025-03-01T00:05:00Z", "quantity": "temperature", "value": 294.75, "unit": "K"},
    {"time": "2025-03-01T00:05:00Z", "relative_humidity": 48.6},
]}


def test_push_stores_a_batch_and_the_same_batch_again_is_duplicates(
        conservation: dict[str, Any], token: str, run_commit_hooks: Any) -> None:
    # given the case sensor's device token
    client = device(token)
    # when the device pushes three readings objects (four values)
    with run_commit_hooks():
        first = push(client, TAIHE_BATCH)
    # then all four are stored, the Kelvin value converted, and the latest values kept
    assert first.status_code == 200, first.content
    assert first.json() == {"stored": 4, "duplicates": 0, "rejected": 0}
    sensor = Sensor.objects.get(code="G1-CASE3")
    kelvin = pytest.approx(294.75 - 273.15, abs=1e-9)
    assert readings_of(sensor) == [("temperature", 0, 21.4), ("relative_humidity", 0, 48.2),
                                   ("temperature", 300, kelvin),
                                   ("relative_humidity", 300, 48.6)]
    assert sensor.last_values == {"temperature": [E0 + 300, kelvin],
                                  "relative_humidity": [E0 + 300, 48.6]}
    batch = IngestBatch.objects.get()
    assert (batch.source, batch.sensors, batch.stored, batch.duplicates) == (
        "http", ["G1-CASE3"], 4, 0)
    # when the gateway retries the same batch
    again = push(client, TAIHE_BATCH)
    # then nothing new is stored
    assert again.json() == {"stored": 0, "duplicates": 4, "rejected": 0}
    assert len(readings_of(sensor)) == 4


def test_senml_push_by_content_type_or_query(conservation: dict[str, Any], token: str) -> None:
    # given a SenML pack with a base name, base time and relative record times
    pack = [{"bn": "G1-CASE3/", "bt": E0, "n": "temperature", "u": "Cel", "v": 20.5},
            {"n": "relative_humidity", "u": "%RH", "v": 51.0},
            {"n": "temperature", "u": "Cel", "t": 60, "v": 20.6}]
    # when it is pushed as application/senml+json
    response = push(device(token), pack, content_type="application/senml+json")
    # then the three values are stored at their resolved times
    assert response.json() == {"stored": 3, "duplicates": 0, "rejected": 0}
    assert readings_of(conservation["case"]) == [
        ("temperature", 0, 20.5), ("relative_humidity", 0, 51.0), ("temperature", 60, 20.6)]
    # when a gateway that can only send application/json names the format in the query
    later = [{"bn": "G1-CASE3/", "bt": E0 + 120, "n": "temperature", "u": "Cel", "v": 20.7}]
    response = push(device(token), later, query="?format=senml")
    # then it is read as SenML too
    assert response.json() == {"stored": 1, "duplicates": 0, "rejected": 0}
    assert readings_of(conservation["case"])[-1] == ("temperature", 120, 20.7)


def test_a_bad_payload_names_every_bad_place_and_stores_nothing(
        conservation: dict[str, Any], token: str) -> None:
    body = {"readings": [
        {"time": "2025-03-01T08:00:00", "temperature": 21.4},
        {"time": "2025-03-01T00:05:00Z", "temprature": 21.5},
        {"time": "2025-03-01T00:10:00Z", "relative_humidity": "wet"},
    ]}
    response = push(device(token), body)
    assert response.status_code == 422
    payload = response.json()
    assert payload["code"] == "payload_invalid"
    assert payload["fields"] == {
        "readings[0].time": "Time '2025-03-01T08:00:00' has no UTC offset; add Z or +08:00, "
                            "for example.",
        "readings[1].temprature": "Unknown field 'temprature'.",
        "readings[1]": "The reading carries no quantity.",
        "readings[2].relative_humidity": "Expected a number, got 'wet'."}
    assert Reading.objects.count() == 0
    assert IngestBatch.objects.count() == 0


def test_a_senml_pack_sent_as_plain_json_is_refused_with_the_json_rules(
        conservation: dict[str, Any], token: str) -> None:
    response = push(device(token), [{"n": "temperature", "u": "Cel", "v": 20.5}])
    assert response.status_code == 422
    assert response.json()["detail"] == 'The payload must be a JSON object with a "readings" array.'
    assert push(device(token), TAIHE_BATCH, query="?format=xml").json()["fields"] == {
        "format": "Use json or senml."}


def test_the_token_of_one_sensor_cannot_push_for_another(conservation: dict[str, Any],
                                                         token: str) -> None:
    # given the case sensor's token
    body = {"sensor": "VAULT-S1", "readings": [{"time": "2025-03-01T00:00:00Z",
                                                "temperature": 30.0}]}
    # when it sends readings naming the vault sensor
    response = push(device(token), body)
    # then the batch is refused and the vault sensor has no readings
    assert response.status_code == 422
    assert response.json()["fields"] == {
        "sensor": "This token may only send readings of G1-CASE3, not VAULT-S1."}
    assert Reading.objects.count() == 0
    # and the vault sensor's own token may send them
    vault_token = services.do_issue_token(conservation["people"]["conservator"],
                                          conservation["vault"].pk)
    assert push(device(vault_token), body).json() == {"stored": 1, "duplicates": 0,
                                                       "rejected": 0}


def test_push_refuses_wrong_missing_person_and_replaced_tokens(
        conservation: dict[str, Any], token: str, member: Any) -> None:
    person_token = tokens.issue(member, name="script", scopes=["read", "write"]).secret
    for header in (None, "Bearer ths_not-a-real-token", f"Bearer {person_token}",
                   f"Token {token}", token):
        client = Client() if header is None else Client(HTTP_AUTHORIZATION=header)
        response = push(client, TAIHE_BATCH)
        assert response.status_code == 401, header
        assert response.json()["code"] == "not_authenticated"
    # a new token replaces the old one
    services.do_issue_token(conservation["people"]["conservator"], conservation["case"].pk)
    assert push(device(token), TAIHE_BATCH).status_code == 401
    assert Reading.objects.count() == 0


def test_a_retired_sensor_can_no_longer_push(conservation: dict[str, Any], token: str) -> None:
    Sensor.objects.filter(pk=conservation["case"].pk).update(status=Sensor.Status.RETIRED)
    assert push(device(token), TAIHE_BATCH).status_code == 401


def test_push_ignores_a_session_beside_the_device_token(conservation: dict[str, Any],
                                                        token: str) -> None:
    # given a client that carries both a signed-in session cookie and the device token
    client = device(token)
    client.force_login(conservation["people"]["member"])
    # when it pushes without a CSRF token
    response = push(client, TAIHE_BATCH)
    # then the device token alone decides: stored, no CSRF refusal, no person recorded
    assert response.json() == {"stored": 4, "duplicates": 0, "rejected": 0}
    assert IngestBatch.objects.get().by_id is None


def test_a_push_that_breaks_a_rule_opens_an_alert_after_commit(
        conservation: dict[str, Any], token: str, client_for: Any,
        run_commit_hooks: Any) -> None:
    # given a rule on the case sensor: RH above 55 %, at once
    rule = services.do_save_alert_rule(
        conservation["people"]["conservator"], None, services.AlertRuleData(
            name="Case 3 damp", kind="band", sensor_id=conservation["case"].pk,
            parameters={"quantity": "relative_humidity", "high": 55}))
    at = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=10)
    body = {"readings": [{"time": at.isoformat(), "relative_humidity": 61.5}]}
    # when the device pushes a reading above it and the transaction commits
    with run_commit_hooks():
        assert push(device(token), body).status_code == 200
    # then the alert is open and the API lists it with the sensor in state "warning"
    alerts = client_for(conservation["people"]["security"]).get(f"{P}/alerts").json()
    assert [(item["rule_id"], item["sensor_code"], item["status"], item["value"])
            for item in alerts["items"]] == [(rule.pk, "G1-CASE3", "open", 61.5)]
    sensor = client_for(conservation["people"]["security"]).get(
        f"{P}/sensors/{conservation['case'].pk}").json()
    assert sensor["state"] == {"code": "warning", "open_alerts": 1}


def test_guessing_device_tokens_is_rate_limited(conservation: dict[str, Any],
                                                settings: Any) -> None:
    settings.TAIHE_API_RATE_LIMITS = {**settings.TAIHE_API_RATE_LIMITS, "token": (3, 60)}
    client = device("ths_guess")
    statuses = [push(client, TAIHE_BATCH).status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429]


# --- LoRaWAN ------------------------------------------------------------------------------

@pytest.fixture
def lorawan(conservation: dict[str, Any], settings: Any) -> dict[str, Sensor]:
    settings.TAIHE_LORAWAN_WEBHOOK_TOKEN = SECRET
    conservator = conservation["people"]["conservator"]
    made = {}
    for code, eui in (("LHT65-CASE-3", "A840417E11822BA0"), ("EM300-STORE-2", "24E124136B502217")):
        made[code] = services.do_create_sensor(conservator, services.SensorData(
            code=code, lorawan_device_eui=eui, location_id=conservation["gallery"].pk,
            quantities=["temperature", "relative_humidity", "battery"]))
    return made


def test_things_stack_uplink_is_stored_under_the_sensor_with_its_dev_eui(
        lorawan: dict[str, Sensor]) -> None:
    response = device(SECRET).post(f"{P}/lorawan/things-stack", data=json.dumps(TTS_UPLINK),
                                   content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json() == {"stored": 3, "duplicates": 0, "rejected": 0}
    sensor = Sensor.objects.get(code="LHT65-CASE-3")
    at = int(dt.datetime(2023, 12, 31, 23, 58, tzinfo=dt.UTC).timestamp())
    assert sorted(sensor.last_values.items()) == [
        ("battery", [at, 3.05]), ("relative_humidity", [at, 53.3]), ("temperature", [at, 24.54])]
    assert sensor.battery_volts == 3.05
    assert IngestBatch.objects.get().source == "lorawan"


def test_chirpstack_uplink_is_stored_with_battery_percent(lorawan: dict[str, Sensor]) -> None:
    response = device(SECRET).post(f"{P}/lorawan/chirpstack", data=json.dumps(CHIRPSTACK_UP),
                                   content_type="application/json")
    assert response.json() == {"stored": 3, "duplicates": 0, "rejected": 0}
    sensor = Sensor.objects.get(code="EM300-STORE-2")
    assert sensor.battery_percent == 100.0
    assert sorted(sensor.last_values) == ["battery_level", "relative_humidity", "temperature"]
    again = device(SECRET).post(f"{P}/lorawan/chirpstack", data=json.dumps(CHIRPSTACK_UP),
                                content_type="application/json")
    assert again.json() == {"stored": 0, "duplicates": 3, "rejected": 0}


def test_an_uplink_of_an_unknown_device_is_not_found(lorawan: dict[str, Sensor]) -> None:
    message = json.loads(json.dumps(CHIRPSTACK_UP))
    message["deviceInfo"]["devEui"] = "0011223344556677"
    response = device(SECRET).post(f"{P}/lorawan/chirpstack", data=json.dumps(message),
                                   content_type="application/json")
    assert response.status_code == 404
    assert response.json()["detail"] == "No sensor has the device 0011223344556677."
    assert Reading.objects.count() == 0


def test_an_uplink_without_decoded_payload_names_the_field(lorawan: dict[str, Sensor]) -> None:
    message = json.loads(json.dumps(TTS_UPLINK))
    del message["uplink_message"]["decoded_payload"]
    response = device(SECRET).post(f"{P}/lorawan/things-stack", data=json.dumps(message),
                                   content_type="application/json")
    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["uplink_message.decoded_payload"]


def test_webhooks_take_only_the_shared_secret_as_a_bearer_token(
        lorawan: dict[str, Sensor], admin_person: Any, client_for: Any) -> None:
    body = json.dumps(TTS_UPLINK)
    refused = [
        Client().post(f"{P}/lorawan/things-stack", data=body, content_type="application/json"),
        device(SECRET + "x").post(f"{P}/lorawan/things-stack", data=body,
                                  content_type="application/json"),
        Client(HTTP_X_DOWNLINK_APIKEY=SECRET).post(f"{P}/lorawan/things-stack", data=body,
                                                   content_type="application/json"),
        client_for(admin_person).post(f"{P}/lorawan/chirpstack", data=body,
                                      content_type="application/json"),
    ]
    assert [response.status_code for response in refused] == [401, 401, 401, 401]
    assert Reading.objects.count() == 0


def test_webhooks_are_unavailable_until_a_secret_is_configured(
        conservation: dict[str, Any], settings: Any) -> None:
    settings.TAIHE_LORAWAN_WEBHOOK_TOKEN = None
    for provider in ("things-stack", "chirpstack"):
        response = device("anything").post(f"{P}/lorawan/{provider}",
                                           data=json.dumps(TTS_UPLINK),
                                           content_type="application/json")
        assert response.status_code == 503
        body = response.json()
        body.pop("request_id", None)
        assert body == {
            "code": "not_configured",
            "detail": "LoRaWAN webhooks are switched off on this server: the administrator "
                      "sets TAIHE_LORAWAN_WEBHOOK_TOKEN to receive uplinks."}


# --- series and metrics -------------------------------------------------------------------

def test_series_is_the_documented_chart_json_with_the_spec_band(
        conservation: dict[str, Any], store_readings: Any, client_for: Any) -> None:
    # given readings of the case sensor every five minutes, one above the gallery's 24 °C,
    # then half an hour without readings
    store_readings(conservation["case"], [
        (T0, {"temperature": 20.0}), (T0 + dt.timedelta(minutes=5), {"temperature": 21.0}),
        (T0 + dt.timedelta(minutes=10), {"temperature": 25.0}),
        (T0 + dt.timedelta(minutes=15), {"temperature": 22.0}),
        (T0 + dt.timedelta(minutes=45), {"temperature": 21.0})])
    # when the curator asks for two hours in Beijing time (the "+" left unencoded)
    response = client_for(conservation["people"]["curator"]).get(
        f"{P}/sensors/{conservation['case'].pk}/series",
        {"quantity": "temperature", "start": "2025-03-01T08:00:00 08:00",
         "end": "2025-03-01T10:00:00+08:00", "points": 100})
    # then the raw readings come back with a null gap, the band and the excursion
    assert response.status_code == 200, response.content
    assert response.json() == {
        "sensor": "G1-CASE3", "quantity": "temperature", "unit": "°C", "resolution": "raw",
        "bucket_seconds": 300, "start": "2025-03-01T00:00:00Z", "end": "2025-03-01T02:00:00Z",
        "t": [E0, E0 + 300, E0 + 600, E0 + 900, E0 + 1200, E0 + 2700],
        "mean": [20.0, 21.0, 25.0, 22.0, None, 21.0],
        "min": [20.0, 21.0, 25.0, 22.0, None, 21.0],
        "max": [20.0, 21.0, 25.0, 22.0, None, 21.0],
        "band": {"low": 18.0, "high": 24.0},
        "excursions": [[E0 + 600, E0 + 900]],
    }


def test_series_defaults_to_the_last_seven_days(conservation: dict[str, Any],
                                                client_for: Any) -> None:
    body = client_for(conservation["people"]["curator"]).get(
        f"{P}/sensors/{conservation['case'].pk}/series?quantity=relative_humidity").json()
    start = dt.datetime.fromisoformat(body["start"])
    end = dt.datetime.fromisoformat(body["end"])
    assert end - start == dt.timedelta(days=7)
    assert (body["t"], body["band"]) == ([], {"low": 45.0, "high": 55.0})


def test_series_times_without_a_zone_are_the_museums(conservation: dict[str, Any],
                                                     client_for: Any) -> None:
    body = client_for(conservation["people"]["curator"]).get(
        f"{P}/sensors/{conservation['case'].pk}/series",
        {"quantity": "temperature", "start": "2025-03-01 08:00"}).json()
    assert (body["start"], body["end"]) == ("2025-03-01T00:00:00Z", "2025-03-08T00:00:00Z")


@pytest.mark.parametrize(("query", "fields"), [
    ("quantity=temperature&points=9", {"points": "Ask for 10 to 5000 points."}),
    ("quantity=temperature&points=5001", {"points": "Ask for 10 to 5000 points."}),
    ("quantity=humidity", {"quantity": "Unknown quantity."}),
    ("quantity=temperature&start=yesterday", {
        "start": "Give a date and time in ISO 8601, such as 2025-03-01T08:00:00+08:00."}),
    ("quantity=temperature&start=2025-03-02T00:00:00Z&end=2025-03-01T00:00:00Z",
     {"end": "The end must be after the start."}),
    ("quantity=temperature&end=2025-03-01T00:00:00%2B99:00",
     {"end": "Give a date and time in ISO 8601, such as 2025-03-01T08:00:00+08:00."}),
    ("points=100", {"quantity": "Field required"}),
    # the default seven days before or after would leave the calendar
    ("quantity=temperature&end=0001-01-02T00:00:00Z",
     {"end": "This date and time is out of range."}),
    ("quantity=temperature&start=9999-12-30T00:00:00Z",
     {"start": "This date and time is out of range."}),
])
def test_series_refuses_bad_input_with_field_messages(conservation: dict[str, Any],
                                                      client_for: Any, query: str,
                                                      fields: dict[str, str]) -> None:
    response = client_for(conservation["people"]["curator"]).get(
        f"{P}/sensors/{conservation['case'].pk}/series?{query}")
    assert response.status_code == 422
    assert response.json()["fields"] == fields


def test_metrics_of_a_steady_gallery_against_its_specification(
        conservation: dict[str, Any], store_readings: Any, client_for: Any) -> None:
    # given two days of hourly readings at 20 °C and 50 % RH
    store_readings(conservation["case"], [
        (T0 + dt.timedelta(hours=hour), {"temperature": 20.0, "relative_humidity": 50.0})
        for hour in range(49)])
    # when the metrics of those two days are asked for
    response = client_for(conservation["people"]["curator"]).get(
        f"{P}/sensors/{conservation['case'].pk}/metrics",
        {"start": "2025-03-01T00:00:00Z", "end": "2025-03-03T00:00:01Z"})
    # then they are measured against the gallery's specification
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["sensor"], body["specification"], body["start"], body["end"]) == (
        "G1-CASE3", "G1-MIXED", "2025-03-01T00:00:00Z", "2025-03-03T00:00:01Z")
    lines = {line["code"]: line for line in body["lines"]}
    assert [line["code"] for line in body["lines"]][:3] == [
        "temperature_mean", "temperature_min", "temperature_max"]
    assert (lines["temperature_mean"]["value"], lines["temperature_max"]["value"],
            lines["relative_humidity_mean"]["value"]) == (20.0, 20.0, 50.0)
    assert lines["temperature_in_band"]["value"] == 100.0
    assert lines["relative_humidity_in_band"]["value"] == 100.0
    assert lines["illuminance_max"]["value"] is None


# --- logger-file import -------------------------------------------------------------------

def _upload(name: str = "hoboware_bad_values.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (LOGGERS / name).read_bytes(), content_type="text/csv")


HOBO_REJECTED = [
    {"row": 3, "field": "Temp, °C (LGR S/N: 777)",
     "reason": "95 °C is outside the possible range -50 to 80 °C."},
    {"row": 3, "field": "RH, % (LGR S/N: 777)",
     "reason": "105 % is outside the possible range 0 to 100 %."},
    {"row": 3, "field": "Light, lux (LGR S/N: 777)",
     "reason": "-3 lx is impossible: the value cannot be below 0."},
    {"row": 4, "field": "Temp, °C (LGR S/N: 777)", "reason": "The value is not a number (NaN)."},
    {"row": 4, "field": "RH, % (LGR S/N: 777)",
     "reason": "-1 % is outside the possible range 0 to 100 %."},
    {"row": 8, "field": "Temp, °C (LGR S/N: 777)", "reason": "'abc' is not a number."},
]


def test_import_dry_run_stores_nothing_and_the_real_run_stores(
        conservation: dict[str, Any], client_for: Any, run_commit_hooks: Any) -> None:
    client = client_for(conservation["people"]["conservator"])
    # when the conservator checks the file first
    dry = client.post(f"{P}/import", {"file": _upload(), "sensor": "G1-CASE3",
                                      "dry_run": "true"})
    # then it says what it would store, and stores nothing
    assert dry.status_code == 200, dry.content
    checked = dry.json()
    assert (checked["dry_run"], checked["file_format"], checked["stored"],
            checked["duplicates"], checked["batch_id"], checked["sensors"]) == (
        True, "hoboware", 8, 0, None, ["G1-CASE3"])
    assert checked["preview"][0] == {"sensor": "G1-CASE3", "quantity": "temperature",
                                     "time": "2025-01-10T10:00:00Z", "value": 20.0}
    assert Reading.objects.count() == 0
    assert IngestBatch.objects.count() == 0
    # when it is imported for real
    with run_commit_hooks():
        real = client.post(f"{P}/import", {"file": _upload(), "sensor": "G1-CASE3"})
    # then the eight readings are stored and every rejected row is listed with its row number
    body = real.json()
    assert (body["dry_run"], body["stored"], body["duplicates"], body["preview"]) == (
        False, 8, 0, [])
    assert [entry["row"] for entry in body["rejected"]] == [3, 3, 3, 4, 4, 6, 7, 8]
    assert [entry for entry in body["rejected"] if entry["row"] not in (6, 7)] == HOBO_REJECTED
    assert (body["first"], body["last"]) == ("2025-01-10T10:00:00Z", "2025-01-10T10:20:00Z")
    assert len(readings_of(conservation["case"])) == 8
    batch = IngestBatch.objects.get(pk=body["batch_id"])
    assert (batch.source, batch.file_name, batch.stored, batch.rejected) == (
        "file", "hoboware_bad_values.csv", 8, 8)
    # and the history lists it, with its rejected rows in the detail
    history = client.get(f"{P}/batches").json()
    assert [(item["id"], item["stored"], item["rejected"]) for item in history["items"]] == [
        (batch.pk, 8, 8)]
    detail = client.get(f"{P}/batches/{batch.pk}").json()
    assert [entry["row"] for entry in detail["rejected_rows"]] == [3, 3, 3, 4, 4, 6, 7, 8]
    # and the same file again stores nothing new
    again = client.post(f"{P}/import", {"file": _upload(), "sensor": "G1-CASE3"}).json()
    assert (again["stored"], again["duplicates"]) == (0, 8)


def test_import_history_hides_batches_naming_a_sensor_the_importer_may_not_see(
        conservation: dict[str, Any], client_for: Any, store_readings: Any) -> None:
    from taihe.modules.directory.models import Role, RoleAssignment

    # given an HTTP push of the vault logger and a file of the gallery logger
    store_readings(conservation["vault"], [(T0, {"temperature": 17.0})])
    pushed = IngestBatch.objects.get()
    case_file = IngestBatch.objects.create(source="file", file_name="case3.csv",
                                           sensors=["G1-CASE3"], stored=1)
    # and a curator who may import readings but not know restricted stores
    role = Role.objects.create(code="importer", name_zh="导入", name_en="Importer",
                               operations=["conservation.monitoring.view",
                                           "conservation.reading.import"])
    curator = conservation["people"]["curator"]
    RoleAssignment.objects.create(person=curator, role=role)
    client = client_for(curator)
    # when the curator lists the import history and asks for the push
    history = client.get(f"{P}/batches").json()
    probe = client.get(f"{P}/batches/{pushed.pk}")
    # then the push, which names the vault logger, is not there
    assert (history["count"], [item["id"] for item in history["items"]]) == (1, [case_file.pk])
    assert "VAULT-S1" not in json.dumps(history)
    assert (probe.status_code, probe.json()["code"]) == (404, "not_found")
    # and the conservator, who knows the vault, sees both
    everything = client_for(conservation["people"]["conservator"]).get(f"{P}/batches").json()
    assert [item["id"] for item in everything["items"]] == [case_file.pk, pushed.pk]


def test_import_refuses_bad_options_by_field(conservation: dict[str, Any],
                                             client_for: Any) -> None:
    client = client_for(conservation["people"]["conservator"])
    response = client.post(f"{P}/import", {
        "file": _upload(), "format": "excel", "date_order": "DDMM",
        "column_mapping": "{not json"})
    assert response.status_code == 422
    assert response.json()["fields"] == {
        "format": "Unknown format; known formats: auto, generic, hanwell, hoboconnect, "
                  "hoboware, lascar, meaco, rotronic, tandd, tinytag.",
        "date_order": "The date order is DMY, MDY or YMD.",
        "column_mapping": "The column mapping must be a JSON object."}
    unreadable = client.post(f"{P}/import", {"file": _upload("unknown_not_a_logger.csv")})
    assert unreadable.status_code == 422
    assert list(unreadable.json()["fields"]) == ["file"]
    assert IngestBatch.objects.count() == 0


def test_import_can_create_the_sensor_it_names(conservation: dict[str, Any],
                                               client_for: Any) -> None:
    client = client_for(conservation["people"]["conservator"])
    response = client.post(f"{P}/import", {"file": _upload(), "sensor": "HOBO-777",
                                           "create_sensor": "true"})
    assert response.json()["stored"] == 8
    assert Sensor.objects.get(code="HOBO-777").location_id is None


# --- sensors ------------------------------------------------------------------------------

def test_sensor_list_shows_state_and_latest_values_and_hides_the_vault(
        conservation: dict[str, Any], store_readings: Any, client_for: Any,
        open_alert: Any) -> None:
    # given a recent reading of the case sensor and an open critical alert on the vault sensor
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    store_readings(conservation["case"], [(now, {"temperature": 20.5})])
    open_alert(conservation["vault"], severity="critical")
    # when the conservator and the curator list sensors
    full = client_for(conservation["people"]["conservator"]).get(f"{P}/sensors").json()
    curator = client_for(conservation["people"]["curator"]).get(f"{P}/sensors").json()
    # then the conservator sees both with their states; the curator only the gallery's
    assert full["count"] == 2
    assert [(item["code"], item["state"]) for item in full["items"]] == [
        ("G1-CASE3", {"code": "ok", "open_alerts": 0}),
        ("VAULT-S1", {"code": "alert", "open_alerts": 1})]
    case = full["items"][0]
    assert case["last_values"] == {"temperature": {
        "time": now.isoformat().replace("+00:00", "Z"), "value": 20.5}}
    assert case["location"] == {"id": conservation["gallery"].pk, "code": "G1",
                                "name": {"zh-Hans": "一号展厅", "en": "Gallery 1"}}
    assert (curator["count"], [item["code"] for item in curator["items"]]) == (1, ["G1-CASE3"])
    assert "VAULT" not in json.dumps(curator)


def test_sensor_list_filters(conservation: dict[str, Any], client_for: Any) -> None:
    client = client_for(conservation["people"]["conservator"])
    Sensor.objects.filter(pk=conservation["vault"].pk).update(status="inactive")

    def codes(query: str) -> list[str]:
        return [item["code"] for item in client.get(f"{P}/sensors?{query}").json()["items"]]

    assert codes(f"location={conservation['site'].pk}") == ["G1-CASE3", "VAULT-S1"]
    assert codes(f"location={conservation['store'].pk}") == ["VAULT-S1"]
    assert codes("status=active") == ["G1-CASE3"]
    assert codes("state=inactive") == ["VAULT-S1"]
    assert codes("state=no_data") == ["G1-CASE3"]
    assert codes("q=case 3") == ["G1-CASE3"]
    assert codes("q=vx-00") == ["VAULT-S1"]
    page = client.get(f"{P}/sensors?limit=1&offset=1").json()
    assert (page["count"], [item["code"] for item in page["items"]]) == (2, ["VAULT-S1"])
    curator = client_for(conservation["people"]["curator"])
    assert curator.get(f"{P}/sensors?location={conservation['store'].pk}").json() == {
        "items": [], "count": 0}


def test_create_update_move_and_placement_history(conservation: dict[str, Any],
                                                  client_for: Any) -> None:
    conservator = client_for(conservation["people"]["conservator"])
    # when a sensor is added in the vault, described, and moved to the gallery
    created = conservator.post(f"{P}/sensors", data={
        "code": "TT-9", "name": "Tinytag", "quantities": ["temperature"],
        "location_id": conservation["shelf"].pk}, content_type="application/json")
    assert created.status_code == 201, created.content
    sensor_id = created.json()["id"]
    updated = conservator.patch(f"{P}/sensors/{sensor_id}", data={
        "serial": "TT-0009", "logging_interval_seconds": 600}, content_type="application/json")
    moved = conservator.post(f"{P}/sensors/{sensor_id}/move", data={
        "location_id": conservation["gallery"].pk, "note": "For the spring show"},
        content_type="application/json")
    # then the description is kept and the move is recorded
    assert (updated.json()["serial"], updated.json()["logging_interval_seconds"],
            updated.json()["name"], updated.json()["quantities"]) == (
        "TT-0009", 600, "Tinytag", ["temperature"])
    assert moved.json()["location"]["code"] == "G1"
    history = conservator.get(f"{P}/sensors/{sensor_id}/placements").json()
    assert [(stay["location_code"], stay["removed_at"] is None, stay["note"])
            for stay in history] == [("VAULT-X9-S1", False, ""),
                                     ("G1", True, "For the spring show")]
    # and the curator, who may not know the vault, sees that stay without its place
    curator = client_for(conservation["people"]["curator"]).get(
        f"{P}/sensors/{sensor_id}/placements").json()
    assert [(stay["restricted"], stay["location_id"], stay["location_code"])
            for stay in curator] == [(True, None, None),
                                     (False, conservation["gallery"].pk, "G1")]
    assert "VAULT" not in json.dumps(curator)


def test_sensor_writes_refuse_places_and_values_by_field(conservation: dict[str, Any],
                                                         client_for: Any) -> None:
    conservator = client_for(conservation["people"]["conservator"])
    response = conservator.post(f"{P}/sensors", data={
        "code": "bad code", "quantities": ["humidity"], "location_id": 999_999},
        content_type="application/json")
    assert response.status_code == 422
    assert response.json()["fields"] == {"location_id": "There is no such location."}
    response = conservator.post(f"{P}/sensors", data={
        "code": "bad code", "quantities": ["humidity"]}, content_type="application/json")
    assert response.json()["fields"] == {
        "code": "Use 1–64 letters, digits, dots, dashes or underscores, starting with a "
                "letter or digit.",
        "quantities": "Unknown quantities: humidity."}
    moved = conservator.post(f"{P}/sensors/{conservation['case'].pk}/move", data={
        "location_id": conservation["gallery"].pk, "at": "2000-01-01T00:00:00Z"},
        content_type="application/json")
    assert moved.json()["fields"] == {
        "at": "The move must be after the sensor was placed where it is now."}
    assert SensorPlacement.objects.filter(sensor=conservation["case"]).count() == 1


def test_taking_a_sensor_down_with_a_null_location(conservation: dict[str, Any],
                                                   client_for: Any) -> None:
    conservator = client_for(conservation["people"]["conservator"])
    body = conservator.patch(f"{P}/sensors/{conservation['case'].pk}",
                             data={"location_id": None}, content_type="application/json").json()
    assert (body["location"], body["code"]) == (None, "G1-CASE3")
    stay = SensorPlacement.objects.get(sensor=conservation["case"])
    assert stay.removed_at is not None


def test_token_is_shown_once_and_then_only_its_hint(conservation: dict[str, Any],
                                                    client_for: Any) -> None:
    conservator = client_for(conservation["people"]["conservator"])
    issued = conservator.post(f"{P}/sensors/{conservation['case'].pk}/token")
    assert issued.status_code == 201
    body = issued.json()
    assert body["token"].startswith("ths_")
    assert (body["sensor_id"], body["hint"], body["detail"]) == (
        conservation["case"].pk, body["token"][-4:], "Copy the token now: it is not shown again.")
    shown = conservator.get(f"{P}/sensors/{conservation['case'].pk}").json()
    assert (shown["has_token"], shown["token_hint"]) == (True, body["token"][-4:])
    assert body["token"] not in json.dumps(shown)
    assert push(device(body["token"]), TAIHE_BATCH).status_code == 200


def test_calibration_is_recorded_and_listed(conservation: dict[str, Any], store_readings: Any,
                                            client_for: Any) -> None:
    store_readings(conservation["case"], [(T0, {"temperature": 20.0})])
    conservator = client_for(conservation["people"]["conservator"])
    created = conservator.post(f"{P}/sensors/{conservation['case'].pk}/calibrations", data={
        "quantity": "temperature", "effective_from": "2025-03-01T07:00:00+08:00",
        "offset": -0.4, "reference": "Vaisala HM40 #2231"}, content_type="application/json")
    assert created.status_code == 201, created.content
    assert (created.json()["effective_from"], created.json()["offset"]) == (
        "2025-02-28T23:00:00Z", -0.4)
    assert readings_of(conservation["case"]) == [("temperature", 0, 19.6)]
    listed = conservator.get(f"{P}/sensors/{conservation['case'].pk}/calibrations").json()
    assert [(item["quantity"], item["reference"]) for item in listed] == [
        ("temperature", "Vaisala HM40 #2231")]
    naive = conservator.post(f"{P}/sensors/{conservation['case'].pk}/calibrations", data={
        "quantity": "temperature", "effective_from": "2025-03-02T07:00:00", "offset": 0.1},
        content_type="application/json")
    assert naive.json()["fields"] == {"effective_from": "Give the time with its time zone."}


# --- specifications and places ------------------------------------------------------------

def test_specifications_crud_and_presets_are_read_only(conservation: dict[str, Any],
                                                       client_for: Any) -> None:
    conservator = client_for(conservation["people"]["conservator"])
    listed = conservator.get(f"{P}/specifications").json()
    presets = [item for item in listed if item["is_preset"]]
    assert len(presets) == Specification.objects.filter(is_preset=True).count() > 0
    assert [item["code"] for item in listed if not item["is_preset"]] == ["G1-MIXED"]
    created = conservator.post(f"{P}/specifications", data={
        "code": "SILVER", "name": {"en": "Silver case"}, "rh_max": 40.0},
        content_type="application/json")
    assert created.status_code == 201
    spec_id = created.json()["id"]
    patched = conservator.patch(f"{P}/specifications/{spec_id}", data={
        "rh_min": 30.0, "name": {"en": "Silver case", "zh-Hans": "银器柜"}},
        content_type="application/json").json()
    assert (patched["code"], patched["rh_min"], patched["rh_max"], patched["name"]) == (
        "SILVER", 30.0, 40.0, {"en": "Silver case", "zh-Hans": "银器柜"})
    cleared = conservator.patch(f"{P}/specifications/{spec_id}", data={"rh_min": None},
                                content_type="application/json").json()
    assert (cleared["rh_min"], cleared["rh_max"]) == (None, 40.0)
    bad = conservator.patch(f"{P}/specifications/{spec_id}", data={"rh_min": 60.0},
                            content_type="application/json")
    assert bad.json()["fields"] == {"rh_max": "The upper limit is below the lower one."}
    preset = conservator.patch(f"{P}/specifications/{presets[0]['id']}",
                               data={"rh_max": 70.0}, content_type="application/json")
    assert preset.status_code == 409
    in_use = conservator.delete(f"{P}/specifications/{conservation['specification'].pk}")
    assert (in_use.status_code, in_use.json()["detail"]) == (
        409, "Places still use this specification.")
    assert conservator.delete(f"{P}/specifications/{spec_id}").status_code == 204
    assert not Specification.objects.filter(pk=spec_id).exists()


def test_place_environment_is_set_and_the_series_band_follows(
        conservation: dict[str, Any], client_for: Any) -> None:
    conservator = client_for(conservation["people"]["conservator"])
    paper = Specification.objects.get(code="CN-PAPER-TEXTILE")
    response = conservator.put(
        f"{P}/places/{conservation['store'].pk}/environment",
        data={"specification_id": paper.pk,
              "responsible_ids": [conservation["people"]["registrar"].pk]},
        content_type="application/json")
    assert response.json() == {"location_id": conservation["store"].pk,
                               "specification_id": paper.pk,
                               "specification_code": "CN-PAPER-TEXTILE",
                               "responsible_ids": [conservation["people"]["registrar"].pk]}
    band = conservator.get(f"{P}/sensors/{conservation['vault'].pk}/series",
                           {"quantity": "relative_humidity"}).json()["band"]
    assert band == {"low": paper.rh_min, "high": paper.rh_max}
    hidden = client_for(conservation["people"]["member"]).put(
        f"{P}/places/999999/environment", data={"specification_id": None},
        content_type="application/json")
    assert hidden.status_code == 403
    assert PlaceEnvironment.objects.count() == 2


# --- alert rules and alerts ---------------------------------------------------------------

def test_alert_rules_crud(conservation: dict[str, Any], client_for: Any) -> None:
    conservator = client_for(conservation["people"]["conservator"])
    guard = conservation["people"]["security"]
    created = conservator.post(f"{P}/rules", data={
        "name": "Case 3 too damp", "kind": "band", "sensor_id": conservation["case"].pk,
        "parameters": {"quantity": "relative_humidity", "high": 60, "min_duration_minutes": 30},
        "notify_ids": [guard.pk], "escalate_to_ids": [conservation["people"]["conservator"].pk]},
        content_type="application/json")
    assert created.status_code == 201, created.content
    rule = created.json()
    assert (rule["kind"], rule["severity"], rule["notify_ids"], rule["is_active"]) == (
        "band", "warning", [guard.pk], True)
    patched = conservator.patch(f"{P}/rules/{rule['id']}", data={
        "severity": "critical", "notify_ids": []}, content_type="application/json").json()
    assert (patched["severity"], patched["notify_ids"], patched["name"],
            patched["sensor_id"]) == ("critical", [], "Case 3 too damp", conservation["case"].pk)
    widened = conservator.patch(f"{P}/rules/{rule['id']}", data={"sensor_id": None},
                                content_type="application/json").json()
    assert widened["sensor_id"] is None
    bad = conservator.post(f"{P}/rules", data={"name": "x", "kind": "rate",
                                               "parameters": {"quantity": "temperature"}},
                           content_type="application/json")
    assert bad.json()["fields"] == {"parameters.max_change": "Required for this kind of rule.",
                                    "parameters.window_minutes": "Required for this kind of rule."}
    assert [item["name"] for item in conservator.get(f"{P}/rules").json()] == ["Case 3 too damp"]
    assert conservator.delete(f"{P}/rules/{rule['id']}").status_code == 204
    assert AlertRule.objects.count() == 0


def test_a_rule_cannot_name_a_sensor_the_author_may_not_see(
        conservation: dict[str, Any], client_for: Any) -> None:
    from taihe.modules.directory.models import Role, RoleAssignment

    role = Role.objects.create(code="rule-writer", name_zh="规则", name_en="Rule writer",
                               operations=["conservation.monitoring.view",
                                           "conservation.alert_rule.manage"])
    curator = conservation["people"]["curator"]
    RoleAssignment.objects.create(person=curator, role=role)
    response = client_for(curator).post(f"{P}/rules", data={
        "name": "Vault", "kind": "silence", "sensor_id": conservation["vault"].pk,
        "parameters": {"max_missing_intervals": 3}}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["fields"] == {"sensor_id": "There is no such sensor."}
    assert AlertRule.objects.count() == 0


def test_alerts_list_filters_and_respond(conservation: dict[str, Any], client_for: Any,
                                         open_alert: Any, run_commit_hooks: Any) -> None:
    # given a warning on the case sensor and a critical alert on the vault sensor
    case_alert = open_alert(conservation["case"])
    vault_alert = open_alert(conservation["vault"], severity="critical",
                             summary="Vault RH 61 %")
    guard = client_for(conservation["people"]["security"])
    conservator = client_for(conservation["people"]["conservator"])

    def ids(client: Client, query: str = "") -> list[int]:
        return [item["id"] for item in client.get(f"{P}/alerts?{query}").json()["items"]]

    # then the lists filter by severity, sensor and place
    assert ids(conservator) == [vault_alert.pk, case_alert.pk]
    assert ids(conservator, "severity=critical") == [vault_alert.pk]
    assert ids(conservator, f"sensor={conservation['case'].pk}") == [case_alert.pk]
    assert ids(conservator, f"location={conservation['store'].pk}") == [vault_alert.pk]
    assert ids(client_for(conservation["people"]["curator"])) == [case_alert.pk]
    # when the guard acknowledges, comments and resolves the case alert
    with run_commit_hooks():
        acknowledged = guard.post(f"{P}/alerts/{case_alert.pk}/acknowledge",
                                  data={"comment": "On my way"},
                                  content_type="application/json").json()
        comment = guard.post(f"{P}/alerts/{case_alert.pk}/comments",
                             data={"text": "Door of case 3 was ajar"},
                             content_type="application/json")
        resolved = guard.post(f"{P}/alerts/{case_alert.pk}/resolve",
                              data={"comment": "Closed the door"},
                              content_type="application/json").json()
    # then the alert carries its whole history
    assert acknowledged["status"] == "acknowledged"
    assert comment.status_code == 201
    assert comment.json()["text"] == "Door of case 3 was ajar"
    assert resolved["status"] == "resolved"
    assert [(entry["kind"], entry["text"]) for entry in resolved["entries"]] == [
        ("opened", "RH above 55 % for 30 minutes"), ("acknowledged", "On my way"),
        ("commented", "Door of case 3 was ajar"), ("resolved", "Closed the door")]
    assert resolved["acknowledged_by_id"] == conservation["people"]["security"].pk
    assert ids(conservator, "status=open") == [vault_alert.pk]
    # and answering a resolved alert again is a conflict
    again = guard.post(f"{P}/alerts/{case_alert.pk}/acknowledge", data={},
                       content_type="application/json")
    assert (again.status_code, again.json()["detail"]) == (
        409, "Only an open alert can be acknowledged.")
    empty = guard.post(f"{P}/alerts/{vault_alert.pk}/resolve", data={"comment": " "},
                       content_type="application/json")
    assert empty.json()["fields"] == {"comment": "Say what was done or found."}
    assert Alert.objects.get(pk=vault_alert.pk).status == "open"
    assert AlertEntry.objects.filter(alert=vault_alert).count() == 1
