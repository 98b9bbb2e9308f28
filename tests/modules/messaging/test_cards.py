"""Cards for links to records: each reader sees only what the owning module lets them see,
in their own language; a record they may not see is a hidden card, never its content."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone, translation

from taihe.modules.catalog import services as catalog_services
from taihe.modules.conservation import services as conservation_services
from taihe.modules.conservation.models import Alert, AlertRule
from taihe.modules.messaging import cards, services
from taihe.modules.workflows import api as workflows_api
from tests.factories import PersonFactory

SITE = "http://taihe.museum.example"


@pytest.fixture
def registrar(museum: dict[str, Any]) -> Any:
    """Knows restricted stores and may see environmental monitoring."""
    return PersonFactory(username="registrar", department=museum["root"],
                         roles=["registrar", "staff"])


@pytest.fixture
def curator(museum: dict[str, Any]) -> Any:
    """May see monitoring, but not restricted stores."""
    return PersonFactory(username="curator", department=museum["root"],
                         roles=["curator", "staff"])


@pytest.fixture
def places(registrar: Any) -> dict[str, Any]:
    """Gallery 1 (public) and the restricted store VAULT-X9."""
    gallery = catalog_services.do_save_location(registrar, catalog_services.LocationInput(
        code="G1", name={"zh-Hans": "一号展厅", "en": "Gallery 1"}, kind="gallery",
        is_public=True))
    store = catalog_services.do_save_location(registrar, catalog_services.LocationInput(
        code="VAULT-X9", name={"zh-Hans": "秘库", "en": "Hidden vault"}, kind="store",
        is_restricted=True))
    return {"gallery": gallery, "store": store}


@pytest.fixture
def objects(registrar: Any, places: dict[str, Any]) -> dict[str, Any]:
    """故00001 in Gallery 1, 故00002 in the restricted store."""
    bowl = catalog_services.do_create_object(registrar, catalog_services.ObjectInput(
        object_number="故00001", title={"zh-Hans": "青花缠枝莲纹碗", "en": "Blue and white bowl"}))
    scroll = catalog_services.do_create_object(registrar, catalog_services.ObjectInput(
        object_number="故00002", title={"zh-Hans": "秘藏山水卷", "en": "Hidden landscape scroll"}))
    earlier = timezone.now() - dt.timedelta(days=1)
    catalog_services.do_move_objects(registrar, [bowl.pk], places["gallery"].pk,
                                     reason="exhibition", moved_at=earlier)
    catalog_services.do_move_objects(registrar, [scroll.pk], places["store"].pk,
                                     reason="storage", moved_at=earlier)
    return {"bowl": bowl, "scroll": scroll}


def _alert(sensor: Any) -> Alert:
    moment = timezone.now() - dt.timedelta(minutes=10)
    rule = AlertRule.objects.create(
        name=f"RH band {sensor.code}", kind=AlertRule.Kind.BAND,
        parameters={"quantity": "relative_humidity", "low": 45, "high": 55},
        severity=AlertRule.Severity.CRITICAL, sensor=sensor)
    return Alert.objects.create(
        rule=rule, sensor=sensor, location_id=sensor.location_id, kind=rule.kind,
        severity=rule.severity, summary="stored summary", opened_at=moment,
        condition_since=moment - dt.timedelta(minutes=30), value=58.5)


@pytest.fixture
def alerts(admin_person: Any, places: dict[str, Any]) -> dict[str, Alert]:
    """A critical RH alert in Gallery 1 and one in the restricted store."""
    gallery = conservation_services.do_create_sensor(admin_person, conservation_services.SensorData(
        code="G1-CASE3", location_id=places["gallery"].pk))
    vault = conservation_services.do_create_sensor(admin_person, conservation_services.SensorData(
        code="VAULT-S1", location_id=places["store"].pk))
    return {"gallery": _alert(gallery), "vault": _alert(vault)}


def _card(actor: Any, url: str) -> dict[str, Any]:
    link = cards.link_of(url)
    assert link is not None, url
    with translation.override("en"):
        found = cards.cards_for(actor, [link])
    assert len(found) == 1
    return found[0]


# ---------------------------------------------------------------- catalog objects

def test_an_object_card_shows_title_number_and_a_place_the_reader_may_know(
        objects: dict[str, Any], registrar: Any, li: Any, outsider: Any) -> None:
    bowl, scroll = objects["bowl"], objects["scroll"]
    assert _card(li, f"{SITE}/catalog/objects/{bowl.pk}/") == {
        "kind": "catalog.object", "ref": str(bowl.pk), "hidden": False,
        "title": "Blue and white bowl", "subtitle": "故00001 · G1 Gallery 1",
        "url": f"/catalog/objects/{bowl.pk}/", "status": "", "object_number": "故00001",
        "place": "G1 Gallery 1"}
    # a staff member sees the object in the restricted store, but not where it is
    seen = _card(li, f"/catalog/objects/{scroll.pk}/")
    assert (seen["hidden"], seen["subtitle"], seen["place"]) == (False, "故00002", "")
    assert "VAULT" not in str(seen) and "Hidden vault" not in str(seen)
    # the registrar knows the store
    assert _card(registrar, f"/catalog/objects/{scroll.pk}/")["place"] == "VAULT-X9 Hidden vault"
    # someone without the catalog sees a hidden card and nothing of the object
    assert _card(outsider, f"/catalog/objects/{bowl.pk}/") == {
        "kind": "catalog.object", "ref": str(bowl.pk), "hidden": True}


def test_an_object_card_is_in_the_readers_language(objects: dict[str, Any], li: Any) -> None:
    link = cards.link_of(f"/catalog/objects/{objects['bowl'].pk}/")
    with translation.override("zh-hans"):
        found = cards.cards_for(li, [link])  # type: ignore[list-item]
    assert (found[0]["title"], found[0]["place"]) == ("青花缠枝莲纹碗", "G1 一号展厅")


def test_a_missing_object_is_hidden(li: Any, museum: Any) -> None:
    assert _card(li, "/catalog/objects/999999/")["hidden"] is True


def test_a_message_linking_an_object_carries_the_link(group: Any, li: Any,
                                                      objects: dict[str, Any]) -> None:
    bowl = objects["bowl"]
    message = services.do_send_message(
        li, group.pk, f"Condition check: {SITE}/catalog/objects/{bowl.pk}/ and "
                      f"[the case](/catalog/objects/{bowl.pk}/edit) https://example.org/")
    assert message.links == [{"kind": "catalog.object", "ref": str(bowl.pk)}]


# ---------------------------------------------------------------- approval requests

def test_a_request_nobody_can_read_gives_a_hidden_card(li: Any, museum: Any) -> None:
    assert _card(li, "/approvals/r/AP-2026-000123/") == {
        "kind": "workflows.request", "ref": "AP-2026-000123", "hidden": True}


def test_a_request_card_shows_what_the_workflows_lookup_lets_the_reader_read(
        monkeypatch: pytest.MonkeyPatch, li: Any, zhang: Any) -> None:
    info = workflows_api.RequestInfo(
        id=7, number="AP-2026-000123", process_code="leave", status="pending",
        applicant_id=li.pk, subject_code="", subject_ref="", form_data={"days": 2},
        url="/approvals/r/AP-2026-000123/")

    def readable_request(actor: Any, number: str) -> Any:
        return info if actor.pk == li.pk and number == info.number else None

    monkeypatch.setattr(workflows_api, "readable_request", readable_request)
    assert _card(li, "/approvals/r/AP-2026-000123/") == {
        "kind": "workflows.request", "ref": "AP-2026-000123", "hidden": False,
        "title": "AP-2026-000123", "subtitle": "leave", "url": "/approvals/r/AP-2026-000123/",
        "status": "pending", "number": "AP-2026-000123"}
    assert _card(zhang, "/approvals/r/AP-2026-000123/")["hidden"] is True


# ---------------------------------------------------------------- environmental alerts

def test_an_alert_card_is_for_readers_of_monitoring_who_may_know_the_place(
        alerts: dict[str, Alert], registrar: Any, curator: Any, li: Any) -> None:
    gallery, vault = alerts["gallery"], alerts["vault"]
    card = _card(curator, f"/conservation/alerts/{gallery.pk}/")
    assert card == {
        "kind": "conservation.alert", "ref": str(gallery.pk), "hidden": False,
        "title": "G1-CASE3: Relative humidity out of range (58.50 %)",
        "subtitle": "G1 Gallery 1 · Critical", "url": f"/conservation/alerts/{gallery.pk}/",
        "status": "Open", "severity": "critical", "place": "G1 Gallery 1",
        "opened_at": gallery.opened_at.isoformat(), "alert_status": "open"}
    # the curator may not know the restricted store: its alert stays hidden
    assert _card(curator, f"/conservation/alerts/{vault.pk}/") == {
        "kind": "conservation.alert", "ref": str(vault.pk), "hidden": True}
    assert _card(registrar, f"/conservation/alerts/{vault.pk}/")["place"] == \
        "VAULT-X9 Hidden vault"
    # a staff member without monitoring sees neither
    assert _card(li, f"/conservation/alerts/{gallery.pk}/")["hidden"] is True


def test_a_feed_message_shows_each_reader_their_own_card(
        group: Any, admin_person: Any, li: Any, curator: Any,
        alerts: dict[str, Alert]) -> None:
    from taihe.modules.messaging import bots

    services.do_add_members(li, group.pk, [admin_person.pk, curator.pk])
    bots.do_create_bot(admin_person, group.pk, name="Alerts", feeds=["conservation.alerts"])
    vault = alerts["vault"]
    [message] = bots.post_to_feed("conservation.alerts", f"New environmental alert #{vault.pk}",
                                  [f"/conservation/alerts/{vault.pk}/"])
    assert "VAULT" not in message.body
    with translation.override("en"):
        for reader, hidden in ((admin_person, False), (curator, True), (li, True)):
            [card] = cards.cards_for(reader, message.links)
            assert card["hidden"] is hidden, reader.username
