"""Every conservation endpoint, called by four actors: anonymous, a member without the
permission, a member with it, and an administrator. Denied callers get the error envelope
with nothing of the data in it, and the database is unchanged.

Two kinds of endpoints are not called by people: ``/push`` (a sensor's device token) and
``/lorawan/...`` (the shared webhook secret). For them the caller "with" the permission is the
device or the network server; every person, the administrator included, is refused, so that a
browser session can never push readings (and needs no CSRF token to be refused)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import resolve
from django.utils import timezone

from taihe.kernel.testing.matrix import Call, assert_allowed, assert_denied
from taihe.modules.conservation import services
from taihe.modules.conservation.models import (
    AlertRule,
    IngestBatch,
    Sensor,
)
from tests.modules.conservation.test_live_payloads import CHIRPSTACK_UP, TTS_UPLINK

pytestmark = pytest.mark.django_db

ACTORS = ("anonymous", "without", "with", "admin")
P = "/api/v1/conservation"
LOGGERS = Path(__file__).resolve().parents[2] / "fixtures" / "conservation" / "loggers"
WEBHOOK_SECRET = "lorawan-shared-secret-for-tests"
VAULT_SECRETS = ["VAULT-S1", "VAULT-X9", "Vault shelf logger", "VX-0001"]

READ = {"anonymous": 401, "without": 200, "with": 200, "admin": 200}
HIDDEN = {"anonymous": 401, "without": 404, "with": 200, "admin": 200}
FORBIDDEN_READ = {"anonymous": 401, "without": 403, "with": 200, "admin": 200}
WRITE = {"anonymous": 401, "without": 403, "with": 200, "admin": 200}
CREATE = {"anonymous": 401, "without": 403, "with": 201, "admin": 201}
DELETE = {"anonymous": 401, "without": 403, "with": 204, "admin": 204}
MACHINE = {"anonymous": 401, "without": 401, "with": 200, "admin": 401}


@dataclass
class Case:
    name: str
    method: str
    route: str
    """The OpenAPI path template this case covers (checked against the built call)."""
    build: Callable[[dict[str, Any]], Call]
    expected: dict[str, int]
    holder: str = "conservator"
    without: str = "member"
    filtered: Callable[[Any], bool] | None = None
    """For reads that answer 200 to the unpermitted member: what the empty answer is."""
    machine: str | None = None
    """``"device"`` or ``"webhook"``: the caller "with" the permission is not a person."""


def empty_page(body: Any) -> bool:
    return body["items"] == [] and body["count"] == 0


def empty_list(body: Any) -> bool:
    return body == []


_counter = {"n": 0}


def n() -> int:
    _counter["n"] += 1
    return _counter["n"]


def _sensor(c: dict[str, Any]) -> int:
    """A fresh sensor in Gallery 1 (for cases that change a sensor's state)."""
    return services.do_create_sensor(c["people"]["conservator"], services.SensorData(
        code=f"NEW-{n()}", location_id=c["gallery"].pk)).pk


def _spec(c: dict[str, Any]) -> int:
    return services.do_save_specification(
        c["people"]["conservator"], None,
        services.SpecificationData(code=f"SPEC-{n()}", name={"en": "Paper store"},
                                   rh_min=40.0, rh_max=50.0)).pk


def _rule(c: dict[str, Any], sensor: str = "case") -> int:
    return AlertRule.objects.create(
        name=f"Secret vault band {n()}", kind=AlertRule.Kind.BAND,
        parameters={"quantity": "relative_humidity", "high": 60}, sensor=c[sensor]).pk


def _alert(c: dict[str, Any], sensor: str = "case") -> int:
    return c["open_alert"](c[sensor], summary="Vault humidity high").pk


def _batch(c: dict[str, Any]) -> int:
    return IngestBatch.objects.create(source=IngestBatch.Source.FILE,
                                      file_name=f"vault-{n()}.csv", stored=3,
                                      rejected_rows=[[4, "Temp", "not a number"]]).pk


def _logger_file() -> SimpleUploadedFile:
    return SimpleUploadedFile("hoboware_bad_values.csv",
                              (LOGGERS / "hoboware_bad_values.csv").read_bytes(),
                              content_type="text/csv")


def _push_body() -> dict[str, Any]:
    at = timezone.now() - dt.timedelta(hours=6) + dt.timedelta(minutes=n())
    return {"readings": [{"time": at.isoformat(), "temperature": 21.5,
                          "relative_humidity": 50.0}]}


def _uplink(message: dict[str, Any], counter: str) -> dict[str, Any]:
    copy = json.loads(json.dumps(message))
    if "uplink_message" in copy:
        copy["uplink_message"][counter] = n()
    else:
        copy[counter] = n()
    return copy


V = "{sensor_id}"
CASES = [
    # --- sensors
    Case("sensors", "GET", f"{P}/sensors",
         lambda c: Call("GET", f"{P}/sensors", secrets=VAULT_SECRETS),
         READ, filtered=empty_page),
    Case("sensor", "GET", f"{P}/sensors/{V}",
         lambda c: Call("GET", f"{P}/sensors/{c['vault'].pk}", secrets=VAULT_SECRETS),
         HIDDEN, without="curator"),
    Case("sensor without monitoring", "GET", f"{P}/sensors/{V}",
         lambda c: Call("GET", f"{P}/sensors/{c['case'].pk}", secrets=["G1-CASE3"]),
         FORBIDDEN_READ),
    Case("create sensor", "POST", f"{P}/sensors",
         lambda c: Call("POST", f"{P}/sensors", {"code": f"ADD-{n()}",
                                                 "location_id": c["gallery"].pk}), CREATE),
    Case("update sensor", "PATCH", f"{P}/sensors/{V}",
         lambda c: Call("PATCH", f"{P}/sensors/{c['vault'].pk}", {"notes": f"checked {n()}"},
                        secrets=VAULT_SECRETS), HIDDEN, without="curator"),
    Case("update sensor without permission", "PATCH", f"{P}/sensors/{V}",
         lambda c: Call("PATCH", f"{P}/sensors/{c['case'].pk}", {"notes": f"seen {n()}"}),
         WRITE, without="security"),
    Case("move sensor", "POST", f"{P}/sensors/{V}/move",
         lambda c: Call("POST", f"{P}/sensors/{_sensor(c)}/move",
                        {"location_id": c["shelf"].pk, "note": "to the vault"},
                        secrets=["VAULT-X9"]), WRITE, without="registrar"),
    Case("placements", "GET", f"{P}/sensors/{V}/placements",
         lambda c: Call("GET", f"{P}/sensors/{c['vault'].pk}/placements",
                        secrets=VAULT_SECRETS), HIDDEN, without="curator"),
    Case("calibrations", "GET", f"{P}/sensors/{V}/calibrations",
         lambda c: Call("GET", f"{P}/sensors/{c['vault'].pk}/calibrations",
                        secrets=VAULT_SECRETS), HIDDEN, without="curator"),
    Case("record calibration", "POST", f"{P}/sensors/{V}/calibrations",
         lambda c: Call("POST", f"{P}/sensors/{_sensor(c)}/calibrations", {
             "quantity": "temperature", "effective_from": "2025-01-01T00:00:00+08:00",
             "offset": -0.3, "reference": "Certificate 2025-17"}),
         CREATE, without="curator"),
    Case("issue device token", "POST", f"{P}/sensors/{V}/token",
         lambda c: Call("POST", f"{P}/sensors/{_sensor(c)}/token", secrets=["ths_"]),
         CREATE, without="registrar"),
    # --- readings
    Case("series", "GET", f"{P}/sensors/{V}/series",
         lambda c: Call("GET", f"{P}/sensors/{c['vault'].pk}/series?quantity=temperature",
                        secrets=VAULT_SECRETS), HIDDEN, without="curator"),
    Case("metrics", "GET", f"{P}/sensors/{V}/metrics",
         lambda c: Call("GET", f"{P}/sensors/{c['vault'].pk}/metrics",
                        secrets=VAULT_SECRETS), HIDDEN, without="curator"),
    Case("import logger file", "POST", f"{P}/import",
         lambda c: Call("POST", f"{P}/import", body={"sensor": "G1-CASE3"},
                        files={"file": _logger_file()}),
         WRITE, without="registrar"),
    Case("import history", "GET", f"{P}/batches",
         lambda c: Call("GET", f"{P}/batches?x={_batch(c)}", secrets=["vault-"]),
         READ, without="curator", filtered=empty_page),
    Case("import batch", "GET", f"{P}/batches/{{batch_id}}",
         lambda c: Call("GET", f"{P}/batches/{_batch(c)}", secrets=["vault-", "not a number"]),
         HIDDEN, without="curator"),
    Case("device push", "POST", f"{P}/push",
         lambda c: Call("POST", f"{P}/push", _push_body()), MACHINE, machine="device"),
    Case("Things Stack uplink", "POST", f"{P}/lorawan/things-stack",
         lambda c: Call("POST", f"{P}/lorawan/things-stack", _uplink(TTS_UPLINK, "f_cnt")),
         MACHINE, machine="webhook"),
    Case("ChirpStack uplink", "POST", f"{P}/lorawan/chirpstack",
         lambda c: Call("POST", f"{P}/lorawan/chirpstack", _uplink(CHIRPSTACK_UP, "fCnt")),
         MACHINE, machine="webhook"),
    # --- specifications
    Case("specifications", "GET", f"{P}/specifications",
         lambda c: Call("GET", f"{P}/specifications", secrets=["G1-MIXED"]),
         READ, filtered=empty_list),
    Case("specification", "GET", f"{P}/specifications/{{specification_id}}",
         lambda c: Call("GET", f"{P}/specifications/{c['specification'].pk}",
                        secrets=["G1-MIXED", "Museum policy"]), FORBIDDEN_READ),
    Case("create specification", "POST", f"{P}/specifications",
         lambda c: Call("POST", f"{P}/specifications", {
             "code": f"CASE-{n()}", "name": {"en": "Silver case"}, "rh_max": 40.0}),
         CREATE, without="curator"),
    Case("update specification", "PATCH", f"{P}/specifications/{{specification_id}}",
         lambda c: Call("PATCH", f"{P}/specifications/{_spec(c)}", {"rh_max": 52.0}),
         WRITE, without="curator"),
    Case("delete specification", "DELETE", f"{P}/specifications/{{specification_id}}",
         lambda c: Call("DELETE", f"{P}/specifications/{_spec(c)}"), DELETE,
         without="curator"),
    Case("place environment", "PUT", f"{P}/places/{{location_id}}/environment",
         lambda c: Call("PUT", f"{P}/places/{c['store'].pk}/environment", {
             "specification_id": _spec(c), "responsible_ids": [c["people"]["registrar"].pk]},
             secrets=["VAULT-X9"]), WRITE, without="curator"),
    # --- alert rules
    Case("alert rules", "GET", f"{P}/rules",
         lambda c: Call("GET", f"{P}/rules?x={_rule(c, 'vault')}", secrets=["Secret vault"]),
         READ, filtered=empty_list),
    Case("alert rule", "GET", f"{P}/rules/{{rule_id}}",
         lambda c: Call("GET", f"{P}/rules/{_rule(c, 'vault')}",
                        secrets=["Secret vault", "VAULT-S1"]), HIDDEN, without="curator"),
    Case("create alert rule", "POST", f"{P}/rules",
         lambda c: Call("POST", f"{P}/rules", {
             "name": f"Case 3 too damp {n()}", "kind": "band", "sensor_id": c["case"].pk,
             "parameters": {"quantity": "relative_humidity", "high": 60,
                            "min_duration_minutes": 30},
             "notify_ids": [c["people"]["security"].pk]}), CREATE, without="curator"),
    Case("update alert rule", "PATCH", f"{P}/rules/{{rule_id}}",
         lambda c: Call("PATCH", f"{P}/rules/{_rule(c)}", {"severity": "critical"}),
         WRITE, without="curator"),
    Case("delete alert rule", "DELETE", f"{P}/rules/{{rule_id}}",
         lambda c: Call("DELETE", f"{P}/rules/{_rule(c)}"), DELETE, without="curator"),
    # --- alerts
    Case("alerts", "GET", f"{P}/alerts",
         lambda c: Call("GET", f"{P}/alerts?x={_alert(c, 'vault')}",
                        secrets=["Vault humidity", "VAULT-S1"]), READ, filtered=empty_page),
    Case("alert", "GET", f"{P}/alerts/{{alert_id}}",
         lambda c: Call("GET", f"{P}/alerts/{_alert(c, 'vault')}",
                        secrets=["Vault humidity", "VAULT-S1"]), HIDDEN, without="curator"),
    Case("acknowledge alert", "POST", f"{P}/alerts/{{alert_id}}/acknowledge",
         lambda c: Call("POST", f"{P}/alerts/{_alert(c)}/acknowledge",
                        {"comment": "On my way"}), WRITE, holder="security",
         without="curator"),
    Case("comment on alert", "POST", f"{P}/alerts/{{alert_id}}/comments",
         lambda c: Call("POST", f"{P}/alerts/{_alert(c)}/comments",
                        {"text": "Door was open"}), CREATE, holder="security",
         without="curator"),
    Case("resolve alert", "POST", f"{P}/alerts/{{alert_id}}/resolve",
         lambda c: Call("POST", f"{P}/alerts/{_alert(c)}/resolve",
                        {"comment": "Dehumidifier refilled"}), WRITE, holder="security",
         without="registrar"),
]


def covered_operations() -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every case, for the directory's meta-test."""
    return {(case.method, case.route) for case in CASES}


@pytest.fixture
def ctx(conservation: dict[str, Any], open_alert: Any, settings: Any) -> dict[str, Any]:
    settings.TAIHE_LORAWAN_WEBHOOK_TOKEN = WEBHOOK_SECRET
    conservator = conservation["people"]["conservator"]
    token = services.do_issue_token(conservator, conservation["case"].pk)
    for code, eui in (("lht65-case-3", "A840417E11822BA0"), ("em300-store-2", "24E124136B502217")):
        services.do_create_sensor(conservator, services.SensorData(
            code=code, lorawan_device_eui=eui, location_id=conservation["gallery"].pk,
            quantities=["temperature", "relative_humidity", "battery", "battery_level"]))
    return {**conservation, "token": token, "open_alert": open_alert}


def _machine_client(case: Case, c: dict[str, Any]) -> Client:
    secret = c["token"] if case.machine == "device" else WEBHOOK_SECRET
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_four_actors(case: Case, ctx: dict[str, Any], client_for: Any,
                     run_commit_hooks: Any) -> None:
    people = ctx["people"]
    callers = {"anonymous": None, "without": people[case.without],
               "with": people[case.holder], "admin": people["admin"]}
    for actor in ACTORS:
        call = case.build(ctx)
        if actor == "with" and case.machine is not None:
            client = _machine_client(case, ctx)
        else:
            client = client_for(callers[actor])
        status = case.expected[actor]
        if status >= 400:
            assert_denied(client, call, status)
        elif actor == "without" and case.filtered is not None:
            response = assert_allowed(client, call, status)
            assert case.filtered(response.json()), (case.name, response.json())
        else:
            with run_commit_hooks():
                assert_allowed(client, call, status)


def test_case_routes_match_their_calls(ctx: dict[str, Any]) -> None:
    """Each case's declared route is the one its call reaches, and every conservation
    operation of the OpenAPI document has a case."""
    spec = Client().get("/api/v1/openapi.json").json()
    for case in CASES:
        call = case.build(ctx)
        assert call.method == case.method, case.name
        sample = case.route
        for part in ("{sensor_id}", "{batch_id}", "{specification_id}", "{location_id}",
                     "{rule_id}", "{alert_id}"):
            sample = sample.replace(part, "1")
        assert resolve(urlsplit(call.path).path).route == resolve(sample).route, case.name
        assert call.method.lower() in spec["paths"][case.route], case.name
    declared = {(method.upper(), path) for path, item in spec["paths"].items()
                if path.startswith(P) for method in item}
    assert covered_operations() == declared


def test_denied_callers_change_nothing_in_the_readings(ctx: dict[str, Any],
                                                        client_for: Any) -> None:
    # given a push body and the people who may not push
    body = _push_body()
    before = Sensor.objects.get(pk=ctx["case"].pk).last_values
    # when each of them tries it with their session
    for person in ("member", "conservator", "admin"):
        response = client_for(ctx["people"][person]).post(
            f"{P}/push", data=json.dumps(body), content_type="application/json")
        # then they are refused and nothing was stored
        assert response.status_code == 401
    assert Sensor.objects.get(pk=ctx["case"].pk).last_values == before
    assert IngestBatch.objects.count() == 0
