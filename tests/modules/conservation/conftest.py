"""Shared fixtures of the conservation tests: people in the conservation roles, a small location
tree with one restricted store, a custom specification for the gallery, two sensors, and
helpers to store readings and open alerts.

Everything is built through the catalog's and conservation's own services (so events and
placements are as in production), except alerts, which the engine opens in production and
:func:`open_alert` writes directly so that a test does not depend on rule evaluation.

The fixtures, smallest first (each builds on the ones before it):

- ``people``: ``conservator`` (every conservation operation; knows restricted stores),
  ``registrar`` (monitoring view and reports; knows restricted stores), ``curator``
  (monitoring view and reports; does *not* know restricted stores), ``security`` (view and
  respond to alerts), ``member`` (staff, no conservation operation), ``outsider`` (no role)
  and ``admin``.
- ``places``: Site › Gallery 1 (public), Site › Hidden vault (restricted) › Vault shelf.
- ``specification``: the custom specification ``G1-MIXED`` (18–24 °C, 45–55 % RH, ±5 % RH in
  24 h, 200 lx) assigned to Gallery 1, the conservator answering for it.
- ``sensors``: ``G1-CASE3`` in Gallery 1 and ``VAULT-S1`` on the vault shelf, both measuring
  temperature and RH every 5 minutes; ``VAULT-S1`` is what the curator must never see.
- ``conservation``: all of the above in one dict (``people`` nested, places and sensors flat).
- ``store_readings``: ``store_readings(sensor, [(time, {"temperature": 20.1, ...}), ...])``.
- ``open_alert``: ``open_alert(sensor, severity="critical")`` → an open alert and its rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pytest
from django.utils import timezone

from taihe.modules.catalog import services as catalog_services
from taihe.modules.conservation import services
from taihe.modules.conservation.models import (
    Alert,
    AlertEntry,
    AlertRule,
    IngestBatch,
    Sensor,
    Specification,
)
from tests.factories import PersonFactory


@pytest.fixture
def people(museum: dict[str, Any], member: Any, outsider: Any, admin_person: Any
           ) -> dict[str, Any]:
    """People in the conservation roles (see the module docstring), by role name."""
    return {
        "conservator": PersonFactory(username="conservator", department=museum["conservation"],
                                     roles=["conservator", "staff"]),
        "registrar": PersonFactory(username="registrar", department=museum["root"],
                                   roles=["registrar", "staff"]),
        "curator": PersonFactory(username="curator", department=museum["root"],
                                 roles=["curator", "staff"]),
        "security": PersonFactory(username="guard", department=museum["security"],
                                  roles=["security", "staff"]),
        "member": member, "outsider": outsider, "admin": admin_person,
    }


@pytest.fixture
def places(people: dict[str, Any]) -> dict[str, Any]:
    """Site › Gallery 1 (public); Site › Hidden vault (restricted, code VAULT-X9) › shelf."""
    registrar = people["registrar"]
    site = catalog_services.do_save_location(registrar, catalog_services.LocationInput(
        code="SITE", name={"zh-Hans": "本馆", "en": "Main site"}, kind="site"))
    gallery = catalog_services.do_save_location(registrar, catalog_services.LocationInput(
        code="G1", name={"zh-Hans": "一号展厅", "en": "Gallery 1"}, kind="gallery",
        parent_id=site.pk, is_public=True))
    store = catalog_services.do_save_location(registrar, catalog_services.LocationInput(
        code="VAULT-X9", name={"zh-Hans": "秘库", "en": "Hidden vault"}, kind="store",
        parent_id=site.pk, is_restricted=True))
    shelf = catalog_services.do_save_location(registrar, catalog_services.LocationInput(
        code="VAULT-X9-S1", name={"en": "Vault shelf"}, kind="shelf", parent_id=store.pk))
    return {"site": site, "gallery": gallery, "store": store, "shelf": shelf}


@pytest.fixture
def specification(people: dict[str, Any], places: dict[str, Any]) -> Specification:
    """``G1-MIXED`` for Gallery 1: 18–24 °C, 45–55 % RH (max 5 % RH change in 24 h), 200 lx."""
    conservator = people["conservator"]
    spec = services.do_save_specification(conservator, None, services.SpecificationData(
        code="G1-MIXED", name={"en": "Gallery 1 mixed collection", "zh-Hans": "一号展厅综合"},
        t_min=18.0, t_max=24.0, rh_min=45.0, rh_max=55.0, max_rh_change_24h=5.0,
        lux_max=200.0, source="Museum policy 2025"))
    services.do_assign_environment(conservator, places["gallery"].pk,
                                   specification_id=spec.pk, responsible_ids=[conservator.pk])
    return spec


@pytest.fixture
def sensors(people: dict[str, Any], places: dict[str, Any]) -> dict[str, Sensor]:
    """``case``: G1-CASE3 in Gallery 1; ``vault``: VAULT-S1 on the restricted vault shelf."""
    conservator = people["conservator"]
    case = services.do_create_sensor(conservator, services.SensorData(
        code="G1-CASE3", name="Case 3 logger", manufacturer="Onset", model="MX1101",
        serial="21000003", location_id=places["gallery"].pk))
    vault = services.do_create_sensor(conservator, services.SensorData(
        code="VAULT-S1", name="Vault shelf logger", serial="VX-0001",
        location_id=places["shelf"].pk))
    return {"case": case, "vault": vault}


@pytest.fixture
def conservation(people: dict[str, Any], places: dict[str, Any], specification: Specification,
                 sensors: dict[str, Sensor]) -> dict[str, Any]:
    """Everything above: ``people`` (dict), places, ``specification`` and sensors by name."""
    return {"people": people, **places, "specification": specification, **sensors}


Values = Mapping[str, float]


@pytest.fixture
def store_readings() -> Callable[[Sensor, Iterable[tuple[dt.datetime, Values]]],
                                 services.IngestOutcome]:
    """Store readings for a sensor through the ingest path (calibration, rollups, latest
    values), as an HTTP push would; alert evaluation is queued after commit as usual."""

    def store(sensor: Sensor, rows: Iterable[tuple[dt.datetime, Values]]
              ) -> services.IngestOutcome:
        incoming = [services.Incoming(sensor.code, quantity, time, value, index)
                    for index, (time, values) in enumerate(rows, start=1)
                    for quantity, value in values.items()]
        return services.ingest(incoming, source=IngestBatch.Source.HTTP)

    return store


@pytest.fixture
def open_alert(people: dict[str, Any]) -> Callable[..., Alert]:
    """``open_alert(sensor, severity="warning", summary=...)``: an open alert raised by a new
    band rule on that sensor, with its "opened" history entry."""

    def make(sensor: Sensor, *, severity: str = AlertRule.Severity.WARNING,
             summary: str = "RH above 55 % for 30 minutes",
             at: dt.datetime | None = None) -> Alert:
        moment = at or timezone.now() - dt.timedelta(minutes=10)
        rule = AlertRule.objects.create(
            name=f"RH band {sensor.code}", kind=AlertRule.Kind.BAND,
            parameters={"quantity": "relative_humidity", "low": 45, "high": 55},
            severity=severity, sensor=sensor)
        alert = Alert.objects.create(
            rule=rule, sensor=sensor, location_id=sensor.location_id, kind=rule.kind,
            severity=severity, summary=summary, condition_since=moment - dt.timedelta(minutes=30),
            opened_at=moment, value=58.5)
        AlertEntry.objects.create(alert=alert, kind=AlertEntry.Kind.OPENED, at=moment,
                                  text=summary)
        return alert

    return make
