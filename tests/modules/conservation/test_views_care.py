"""Monitoring care pages: specifications and place environments, alert rules, alerts with their
history and responses, and reports. People without the operations are refused, restricted
stores stay hidden, and nothing changes after a refused or invalid request."""

from __future__ import annotations

import datetime as dt
import io
import re
from html import unescape
from typing import Any

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from taihe.modules.catalog import services as catalog_services
from taihe.modules.conservation import alerts, report_data, services, store, views_care
from taihe.modules.conservation.models import (
    Alert,
    AlertEntry,
    AlertRule,
    PlaceEnvironment,
    Sensor,
    Specification,
)
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

MARCH = dt.datetime(2026, 3, 1, tzinfo=dt.UTC) - dt.timedelta(hours=8)  # 2026-03-01 00:00 +08
HOUR = 3600


@pytest.fixture
def team(museum: dict[str, Any], member: Any) -> dict[str, Any]:
    return {
        "keeper": PersonFactory(username="keeper", name_zh="林保", name_en="Lin Bao",
                                department=museum["lab"], roles=["conservator", "staff"]),
        "registrar": PersonFactory(username="registrar", department=museum["root"],
                                   roles=["registrar", "staff"]),
        "curator": PersonFactory(username="curator", name_zh="周策", name_en="Zhou Ce",
                                 department=museum["root"], roles=["curator", "staff"]),
        "guard": PersonFactory(username="guard", name_zh="王卫", name_en="Wang Wei",
                               department=museum["security"], roles=["security", "staff"]),
        "member": member,
    }


@pytest.fixture
def places(team: dict[str, Any]) -> dict[str, Any]:
    """TH › TH-QD (gallery) › TH-QD-C1 (case); TH › TH-VAULT (restricted store)."""
    registrar = team["registrar"]

    def place(code: str, en: str, kind: str, parent: Any = None,
              restricted: bool = False) -> Any:
        return catalog_services.do_save_location(registrar, catalog_services.LocationInput(
            code=code, name={"en": en, "zh-Hans": en + "·中"}, kind=kind,
            parent_id=parent.pk if parent else None, is_restricted=restricted))

    site = place("TH", "Main site", "site")
    gallery = place("TH-QD", "Bronze gallery", "gallery", site)
    case = place("TH-QD-C1", "Case 1", "case", gallery)
    vault = place("TH-VAULT", "Hidden vault", "store", site, restricted=True)
    return {"site": site, "gallery": gallery, "case": case, "vault": vault}


@pytest.fixture
def sensors(team: dict[str, Any], places: dict[str, Any]) -> dict[str, Sensor]:
    keeper = team["keeper"]

    def sensor(code: str, place: Any, **extra: Any) -> Sensor:
        return services.do_create_sensor(keeper, services.SensorData(
            code=code, location_id=place.pk, logging_interval_seconds=3600, **extra))

    return {"gallery": sensor("QD-01", places["gallery"], manufacturer="Onset",
                              model="MX1101", serial="2041"),
            "case": sensor("QD-C1", places["case"]),
            "vault": sensor("VAULT-01", places["vault"])}


@pytest.fixture
def paper(team: dict[str, Any]) -> Specification:
    return services.do_save_specification(team["keeper"], None, services.SpecificationData(
        code="PAPER", name={"en": "Works on paper", "zh-Hans": "纸质"}, t_min=18.0, t_max=22.0,
        rh_min=45.0, rh_max=55.0, max_rh_change_24h=5.0, lux_max=50.0, source="Loan 2026/7"))


def _write(sensor: Sensor, quantity: str, start: dt.datetime, values: list[float],
           step: int = HOUR) -> None:
    quantity_id = store.quantity_ids()[quantity]
    first = int(start.timestamp())
    store.write([(sensor.pk, quantity_id, first + index * step, value)
                 for index, value in enumerate(values)])


def _html(response: Any) -> str:
    return response.content.decode()


def _text(html: str) -> str:
    """The page's text with tags dropped and white space collapsed."""
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()
    return text.replace(" , ", ", ")


def _messages(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]



# --- Who may open what ------------------------------------------------------------------------

PAGES = ["/conservation/specifications/", "/conservation/specifications/new/",
         "/conservation/rules/", "/conservation/rules/new/", "/conservation/alerts/",
         "/conservation/reports/", "/conservation/reports/download/"]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_sign_in(client: Any, museum: Any, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('directory:login')}?next={url}"


@pytest.mark.parametrize("url", PAGES)
def test_staff_without_monitoring_operations_is_refused(client_for: Any, team: Any,
                                                       url: str) -> None:
    assert client_for(team["member"]).get(url).status_code == 403


def test_staff_without_operations_cannot_change_anything(
        client_for: Any, team: Any, places: Any, sensors: Any, paper: Any) -> None:
    # given a rule, an open alert and a preset
    rule = _rule(team)
    alert = _alert(rule, sensors["gallery"], places["gallery"])
    preset = Specification.objects.get(code="BIZOT-2014")
    client = client_for(team["member"])
    # when a member without monitoring operations posts to every form
    answers = [
        client.post(f"/conservation/specifications/{paper.pk}/edit/", {"code": "X"}),
        client.post(f"/conservation/specifications/{preset.pk}/edit/", {"code": "X"}),
        client.post(f"/conservation/places/{places['gallery'].pk}/environment/",
                    {"specification": preset.pk}),
        client.post("/conservation/rules/new/", {"name": "X", "kind": "silence"}),
        client.post(f"/conservation/rules/{rule.pk}/delete/"),
        client.post(f"/conservation/alerts/{alert.pk}/acknowledge/", {"comment": "x"}),
        client.post(f"/conservation/alerts/{alert.pk}/comment/", {"text": "x"}),
        client.post(f"/conservation/alerts/{alert.pk}/resolve/", {"comment": "x"}),
        client.get(f"/conservation/alerts/{alert.pk}/"),
        client.get(f"/conservation/places/{places['gallery'].pk}/environment/"),
    ]
    # then every request is refused and nothing changed
    assert [answer.status_code for answer in answers] == [403] * 10
    paper.refresh_from_db()
    alert.refresh_from_db()
    assert (paper.code, alert.status, alert.entries.count()) == ("PAPER", "open", 2)
    assert list(AlertRule.objects.values_list("name", "is_active")) == [("Gallery RH", True)]
    assert PlaceEnvironment.objects.count() == 0


# --- Specifications and places ---------------------------------------------------------------

def _rows(html: str, marker: str = "<tr") -> list[str]:
    return [_text(row) for row in re.findall(rf"{marker}.*?</tr>", html, flags=re.S)]


def test_specification_list_shows_custom_and_presets_and_the_places_using_them(
        client_for: Any, team: Any, places: Any, paper: Any) -> None:
    # given PAPER set on the gallery
    services.do_assign_environment(team["keeper"], places["gallery"].pk,
                                   specification_id=paper.pk, responsible_ids=[])
    # when the conservator opens the list
    response = client_for(team["keeper"]).get("/conservation/specifications/")
    html = _html(response)
    # then the custom one shows its limits, source and place, presets offer a copy
    assert response.status_code == 200
    assert _rows(html, '<tr id="spec-PAPER"')== [
        "PAPER Works on paper Source Loan 2026/7 18–22 °C 45–55 % ≤ 5 % ≤ 50 lx "
        "TH-QD Bronze gallery Edit Copy"]
    presets = _rows(html, '<tr id="spec-(?!PAPER)')
    assert len(presets) == Specification.objects.filter(is_preset=True).count() == 17
    bizot = next(row for row in presets if row.startswith("BIZOT-2014 "))
    assert bizot.startswith("BIZOT-2014 Bizot Green Protocol (interim guidelines) Source ")
    assert bizot.endswith(" 16–25 °C 40–60 % ≤ 10 % — None Copy this preset")
    preset = Specification.objects.get(code="BIZOT-2014")
    assert f'href="/conservation/specifications/new/?copy={preset.pk}"' in html
    assert f'href="/conservation/specifications/{preset.pk}/edit/"' not in html
    # and the places say what they keep to, their own or inherited
    places_table = html[html.index("<caption>Places</caption>"):]
    assert _rows(places_table)[1:] == [
        "TH Main site None Set the environment",
        "TH-QD Bronze gallery PAPER Set the environment",
        "TH-QD-C1 Case 1 PAPER, from TH-QD Bronze gallery Set the environment",
        "TH-VAULT Hidden vault None Set the environment"]
    assert [row["depth"] for row in response.context["tree"]] == [0, 1, 2, 1]


def test_a_curator_sees_specifications_without_editing_and_without_the_restricted_store(
        client_for: Any, team: Any, places: Any, paper: Any) -> None:
    response = client_for(team["curator"]).get("/conservation/specifications/")
    html = _html(response)
    assert response.status_code == 200
    assert "TH-VAULT" not in html and "Hidden vault" not in html
    assert "Set the environment" not in html and "Copy this preset" not in html
    assert "/conservation/specifications/new/" not in html
    assert _rows(html, '<tr id="spec-PAPER"') == [
        "PAPER Works on paper Source Loan 2026/7 18–22 °C 45–55 % ≤ 5 % ≤ 50 lx None"]


def test_a_preset_cannot_be_edited_and_asking_offers_a_copy(client_for: Any, team: Any
                                                            ) -> None:
    preset = Specification.objects.get(code="BIZOT-2014")
    before = (preset.t_min, preset.t_max, preset.name, preset.source, preset.updated_at)
    client = client_for(team["keeper"])
    # when the conservator opens or posts the preset's edit form
    opened = client.get(f"/conservation/specifications/{preset.pk}/edit/")
    posted = client.post(f"/conservation/specifications/{preset.pk}/edit/", {
        "code": "BIZOT-2014", "name_en": "Changed", "t_min": "10", "t_max": "30"})
    # then both are sent to a copy, and the preset is unchanged
    copy_url = f"/conservation/specifications/new/?copy={preset.pk}"
    assert (opened.status_code, opened.url) == (302, copy_url)
    assert (posted.status_code, posted.url) == (302, copy_url)
    preset.refresh_from_db()
    assert (preset.t_min, preset.t_max, preset.name, preset.source, preset.updated_at) == before
    page = client.get(copy_url)
    assert _messages(page) == [
        "BIZOT-2014 is a published preset and cannot be changed; save a copy instead.",
        "BIZOT-2014 is a published preset and cannot be changed; save a copy instead."]


def test_copying_a_preset_prefills_the_form_and_saves_a_custom_specification(
        client_for: Any, team: Any) -> None:
    preset = Specification.objects.get(code="BIZOT-2014")
    client = client_for(team["keeper"])
    # when the copy form opens
    form = client.get(f"/conservation/specifications/new/?copy={preset.pk}").context["form"]
    # then it holds the preset's numbers under a new code
    assert {name: form.initial[name] for name in ("code", "name_en", "t_min", "t_max",
                                                  "rh_min", "rh_max", "max_rh_change_24h")} == {
        "code": "BIZOT-2014-copy", "name_en": "Bizot Green Protocol (interim guidelines)",
        "t_min": 16.0, "t_max": 25.0, "rh_min": 40.0, "rh_max": 60.0,
        "max_rh_change_24h": 10.0}
    assert form.initial["source"].startswith("Based on BIZOT-2014. Bizot Green Protocol")
    # when it is saved with a tighter band
    response = client.post("/conservation/specifications/new/", {
        "code": "LOAN-7", "name_zh_Hans": "借展七号", "name_en": "Loan 7", "t_min": "18",
        "t_max": "22", "rh_min": "45", "rh_max": "55", "source": "Loan agreement 7"})
    # then a custom specification exists and the preset is untouched
    assert (response.status_code, response.url) == (302, "/conservation/specifications/")
    saved = Specification.objects.get(code="LOAN-7")
    assert (saved.is_preset, saved.name, saved.t_min, saved.t_max, saved.rh_min, saved.rh_max,
            saved.lux_max, saved.source) == (
        False, {"zh-Hans": "借展七号", "en": "Loan 7"}, 18.0, 22.0, 45.0, 55.0, None,
        "Loan agreement 7")
    preset.refresh_from_db()
    assert (preset.t_min, preset.t_max) == (16.0, 25.0)


def test_a_specification_with_bad_limits_shows_field_errors_and_stores_nothing(
        client_for: Any, team: Any) -> None:
    count = Specification.objects.count()
    response = client_for(team["keeper"]).post("/conservation/specifications/new/", {
        "code": "bad code!", "name_en": "", "t_min": "25", "t_max": "18", "rh_max": "140"})
    assert response.status_code == 422
    assert response.context["form"].errors == {
        "code": ["Use 1–64 letters, digits, dots, dashes or underscores."],
        "name_zh_Hans": ["Give the specification a name."],
        "rh_max": ["Give a value from 0.0 to 100.0."],
        "t_max": ["The upper limit is below the lower one."]}
    assert Specification.objects.count() == count


def test_a_custom_specification_is_edited_in_place(client_for: Any, team: Any,
                                                   paper: Specification) -> None:
    client = client_for(team["keeper"])
    assert client.get(f"/conservation/specifications/{paper.pk}/edit/").context[
        "form"].initial["rh_min"] == 45.0
    response = client.post(f"/conservation/specifications/{paper.pk}/edit/", {
        "code": "PAPER", "name_en": "Works on paper", "name_zh_Hans": "纸质", "t_min": "17",
        "t_max": "21", "rh_min": "40", "rh_max": "50", "source": "Loan 2026/8"})
    assert response.status_code == 302
    paper.refresh_from_db()
    assert (paper.t_min, paper.t_max, paper.rh_min, paper.rh_max, paper.max_rh_change_24h,
            paper.source) == (17.0, 21.0, 40.0, 50.0, None, "Loan 2026/8")


def test_place_environment_shows_what_a_place_inherits_and_sets_its_own(
        client_for: Any, team: Any, places: Any, sensors: Any, paper: Any) -> None:
    services.do_assign_environment(team["keeper"], places["gallery"].pk,
                                   specification_id=paper.pk,
                                   responsible_ids=[team["keeper"].pk])
    client = client_for(team["keeper"])
    url = f"/conservation/places/{places['case'].pk}/environment/"
    # when the case's page opens
    response = client.get(url)
    html = _html(response)
    # then it inherits the gallery's specification and responsible people
    assert response.status_code == 200
    facts = _text(html[html.index("<h2>Now in force</h2>"):html.index("</dl>")])
    assert facts == ("Now in force Specification PAPER, inherited from TH-QD Bronze gallery "
                     "Responsible around it 林保 · Lin Bao Sensors here QD-C1")
    assert response.context["form"].fields["specification"].choices[0] == (
        "", "Inherit: PAPER Works on paper, from TH-QD Bronze gallery")
    # when the case gets a preset of its own and the guard as responsible
    preset = Specification.objects.get(code="CN-METAL")
    saved = client.post(url, {"specification": str(preset.pk),
                              "responsible": [str(team["guard"].pk)]})
    # then the place environment holds them
    assert (saved.status_code, saved.url) == (302, url)
    env = PlaceEnvironment.objects.get(location_id=places["case"].pk)
    assert (env.specification_id, list(env.responsible.values_list("username", flat=True))) == (
        preset.pk, ["guard"])
    assert services.specification_for_location(places["case"].pk) == preset
    # and switching to another place goes to its page
    switched = client.get(url, {"location": places["site"].pk})
    assert switched.url == f"/conservation/places/{places['site'].pk}/environment/"


def test_place_environment_of_an_unknown_place_is_not_found(client_for: Any, team: Any,
                                                            places: Any) -> None:
    client = client_for(team["keeper"])
    assert client.get("/conservation/places/999999/environment/").status_code == 404
    assert client.get(f"/conservation/places/{places['gallery'].pk}/environment/",
                      {"location": "999999"}).status_code == 404
    assert client_for(team["curator"]).get(
        f"/conservation/places/{places['gallery'].pk}/environment/").status_code == 403


# --- Alert rules ------------------------------------------------------------------------------

def _rule(team: dict[str, Any], **changes: Any) -> AlertRule:
    values: dict[str, Any] = {
        "name": "Gallery RH", "kind": "band",
        "parameters": {"quantity": "relative_humidity", "min_duration_minutes": 30,
                       "hysteresis": 2},
        "use_specification": True, "severity": "critical",
        "notify_ids": [team["keeper"].pk, team["guard"].pk], "escalate_after_minutes": 15,
        "escalate_to_ids": [team["curator"].pk]}
    values.update(changes)
    return services.do_save_alert_rule(team["keeper"], None, services.AlertRuleData(**values))


def test_rule_list_describes_each_rule_and_hides_rules_on_restricted_stores(
        client_for: Any, team: Any, places: Any, sensors: Any) -> None:
    # given a band rule on the gallery, a museum-wide silence rule and one on the vault sensor
    _rule(team, location_id=places["gallery"].pk)
    _rule(team, name="Silent loggers", kind="silence", parameters={"max_missing_intervals": 3},
          use_specification=False, severity="warning", notify_ids=[], escalate_to_ids=[],
          escalate_after_minutes=60)
    _rule(team, name="Vault battery", kind="battery",
          parameters={"threshold": 2.7, "unit": "V"}, use_specification=False,
          sensor_id=sensors["vault"].pk)
    # when the conservator and the curator open the list
    keeper = _html(client_for(team["keeper"]).get("/conservation/rules/"))
    curator = _html(client_for(team["curator"]).get("/conservation/rules/"))
    # then each rule says what it watches and who is told
    assert _rows(keeper)[1:] == [
        "Gallery RH Outside a band Relative humidity outside the place's specification (for at "
        "least 30 minutes, hysteresis 2) Sensors in TH-QD Bronze gallery Critical 林保 · Lin "
        "Bao, 王卫 · Wang Wei After 15 minutes: 周策 · Zhou Ce 0 Delete",
        "Silent loggers Sensor silent No reading for 3 logging intervals Every sensor Warning "
        "The responsible people of the sensor's place After 60 minutes: everyone who manages "
        "alert rules 0 Delete",
        "Vault battery Battery low Battery below 2.7 V Sensor VAULT-01 Critical 林保 · Lin Bao, "
        "王卫 · Wang Wei After 15 minutes: 周策 · Zhou Ce 0 Delete"]
    # and the curator, who may not know the vault, sees neither its rule nor a delete button
    assert [row.split(" ")[0] for row in _rows(curator)[1:]] == ["Gallery", "Silent"]
    assert "VAULT" not in curator and "Delete" not in curator


def test_alerts_raised_counts_only_the_alerts_the_person_may_see(
        client_for: Any, team: Any, places: Any, sensors: Any) -> None:
    # given a museum-wide silence rule that fired once in the gallery and twice in the vault
    rule = _rule(team, name="Silent loggers", kind="silence",
                 parameters={"max_missing_intervals": 3}, use_specification=False,
                 notify_ids=[], escalate_to_ids=[])
    _alert(rule, sensors["gallery"], places["gallery"], summary="QD-01 silent")
    _alert(rule, sensors["vault"], places["vault"], summary="VAULT-01 silent")
    _alert(rule, sensors["vault"], places["vault"], summary="VAULT-01 silent again",
           status="resolved")

    def raised(person: Any) -> str:
        html = _html(client_for(person).get("/conservation/rules/"))
        return re.findall(r'<a href="/conservation/alerts/">(\d+)</a>', html)[0]

    # when the conservator and the curator open the rule list
    # then the conservator counts all three, the curator only the gallery's
    assert raised(team["keeper"]) == "3"
    assert raised(team["curator"]) == "1"


def _rule_post(team: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": "Fast RH swings", "kind": "rate", "severity": "warning",
                            "scope": "location", "location": "", "sensor": "",
                            "notify": [str(team["keeper"].pk)],
                            "escalate_to": [str(team["curator"].pk)],
                            "escalate_after_minutes": "20", "is_active": "on",
                            "rate-quantity": "relative_humidity", "rate-max_change": "5",
                            "rate-window_minutes": "60"}
    data.update(changes)
    return data


def test_a_rate_rule_is_created_from_its_kind_form(client_for: Any, team: Any, places: Any
                                                   ) -> None:
    response = client_for(team["keeper"]).post("/conservation/rules/new/", _rule_post(
        team, location=str(places["gallery"].pk),
        # the band fields a browser without script also sends are ignored
        **{"band-quantity": "temperature", "band-low": "abc"}))
    assert (response.status_code, response.url) == (302, "/conservation/rules/")
    rule = AlertRule.objects.get()
    assert (rule.name, rule.kind, rule.parameters, rule.use_specification, rule.severity,
            rule.sensor_id, rule.location_id, rule.escalate_after_minutes, rule.is_active) == (
        "Fast RH swings", "rate",
        {"quantity": "relative_humidity", "max_change": 5.0, "window_minutes": 60.0}, False,
        "warning", None, places["gallery"].pk, 20, True)
    assert list(rule.notify.values_list("username", flat=True)) == ["keeper"]
    assert list(rule.escalate_to.values_list("username", flat=True)) == ["curator"]


def test_a_rule_with_bad_parameters_shows_field_errors_and_stores_nothing(
        client_for: Any, team: Any, places: Any) -> None:
    client = client_for(team["keeper"])
    # when a band rule has neither limit nor the specification
    band = client.post("/conservation/rules/new/", _rule_post(
        team, kind="band", scope="all", **{"band-quantity": "relative_humidity",
                                           "band-min_duration_minutes": "10"}))
    # and a rate rule lacks its change and has a negative window, scoped to no place
    rate = client.post("/conservation/rules/new/", _rule_post(
        team, **{"rate-max_change": "", "rate-window_minutes": "-5"}))
    # and a metric rule asks for the specification
    metric = client.post("/conservation/rules/new/", _rule_post(
        team, kind="metric", scope="all", **{"metric-metric": "mould_index",
                                             "metric-threshold": "x"}))
    # then each form shows its errors where they belong and nothing is stored
    assert (band.status_code, rate.status_code, metric.status_code) == (422, 422, 422)
    forms = {form.kind: form for form in band.context["parameter_forms"]}
    assert forms["band"].errors == {"low": ["Give a lower limit, an upper limit or both."]}
    assert band.context["form"].errors == {}
    rate_forms = {form.kind: form for form in rate.context["parameter_forms"]}
    assert rate_forms["rate"].errors == {
        "max_change": ["This field is required."],
        "window_minutes": ["Ensure this value is greater than or equal to 1."]}
    assert rate.context["form"].errors == {"location": ["Choose the place."]}
    metric_forms = {form.kind: form for form in metric.context["parameter_forms"]}
    assert metric_forms["metric"].errors == {"threshold": ["Enter a number."]}
    assert "Give a lower limit, an upper limit or both." in _html(band)
    assert AlertRule.objects.count() == 0


def test_the_edit_form_shows_the_rule_and_saves_changes(client_for: Any, team: Any,
                                                         places: Any) -> None:
    rule = _rule(team, location_id=places["gallery"].pk)
    client = client_for(team["keeper"])
    page = client.get(f"/conservation/rules/{rule.pk}/edit/")
    forms = {form.kind: form for form in page.context["parameter_forms"]}
    assert forms["band"].initial == {"quantity": "relative_humidity",
                                     "min_duration_minutes": 30, "hysteresis": 2,
                                     "use_specification": True}
    assert (page.context["form"].initial["scope"], page.context["form"].initial["location"]) == (
        "location", places["gallery"].pk)
    response = client.post(f"/conservation/rules/{rule.pk}/edit/", _rule_post(
        team, name="Gallery RH", kind="band", scope="all", severity="critical", notify=[],
        escalate_to=[], **{"band-quantity": "relative_humidity", "band-low": "40",
                           "band-high": "60", "band-hysteresis": "1"}))
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.parameters, rule.use_specification, rule.location_id,
            list(rule.notify.all())) == (
        {"quantity": "relative_humidity", "low": 40.0, "high": 60.0, "hysteresis": 1.0}, False,
        None, [])


def test_deleting_a_rule_with_alerts_deactivates_it_and_says_so(
        client_for: Any, team: Any, places: Any, sensors: Any) -> None:
    used = _rule(team)
    _alert(used, sensors["gallery"], places["gallery"])
    unused = _rule(team, name="Spare")
    client = client_for(team["keeper"])
    deactivated = client.post(f"/conservation/rules/{used.pk}/delete/", follow=True)
    deleted = client.post(f"/conservation/rules/{unused.pk}/delete/", follow=True)
    assert _messages(deactivated) == [
        "“Gallery RH” has raised alerts, so it is deactivated instead of deleted: its alerts "
        "keep their history."]
    assert _messages(deleted) == ["Alert rule “Spare” is deleted."]
    assert list(AlertRule.objects.values_list("name", "is_active")) == [("Gallery RH", False)]
    assert client.get(f"/conservation/rules/{used.pk}/delete/").status_code == 405


# --- Alerts -----------------------------------------------------------------------------------

SINCE = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


def _alert(rule: AlertRule, sensor: Sensor, place: Any, *, status: str = "open",
           severity: str = "critical", since: dt.datetime = SINCE,
           cleared: dt.datetime | None = None, summary: str = "QD-01: RH out of range"
           ) -> Alert:
    alert = Alert.objects.create(
        rule=rule, sensor=sensor, location_id=place.pk, kind=rule.kind, severity=severity,
        summary=summary, condition_since=since, opened_at=since + dt.timedelta(minutes=30),
        value=61.0, condition_cleared_at=cleared, status=status)
    AlertEntry.objects.create(alert=alert, kind="opened", at=alert.opened_at, text="61.00 %")
    AlertEntry.objects.create(alert=alert, kind="notified", at=alert.opened_at,
                              recipients=sorted(p.pk for p in rule.notify.all()))
    return alert


def test_alert_list_puts_open_alerts_first_and_filters(client_for: Any, team: Any,
                                                       places: Any, sensors: Any) -> None:
    rule = _rule(team)
    day = dt.timedelta(days=1)
    resolved = _alert(rule, sensors["gallery"], places["gallery"], status="resolved",
                      since=SINCE + 3 * day, cleared=SINCE + 3 * day + HOUR * dt.timedelta(
                          seconds=1), summary="newest but resolved")
    acknowledged = _alert(rule, sensors["case"], places["case"], status="acknowledged",
                          since=SINCE + 2 * day, summary="acknowledged", severity="warning")
    opened = _alert(rule, sensors["gallery"], places["gallery"], since=SINCE,
                    summary="oldest but open")
    hidden = _alert(rule, sensors["vault"], places["vault"], summary="in the vault")
    client = client_for(team["curator"])
    # when the curator opens the list
    html = _html(client.get("/conservation/alerts/"))
    # then open alerts come first, and the vault's alert is not there
    assert _rows(html)[1:] == [
        "oldest but open Open Critical TH-QD Bronze gallery 2026-03-10 10:00 2026-03-10 10:30 "
        "Still going on",
        "acknowledged Acknowledged Warning TH-QD-C1 Case 1 2026-03-12 10:00 2026-03-12 10:30 "
        "Still going on",
        "newest but resolved Resolved Critical TH-QD Bronze gallery 2026-03-13 10:00 "
        "2026-03-13 10:30 2026-03-13 11:00"]
    assert f"/conservation/alerts/{hidden.pk}/" not in html

    def shown(**query: Any) -> list[int]:
        return [row["alert"].pk
                for row in client.get("/conservation/alerts/", query).context["rows"]]

    # and the filters narrow it
    assert shown(status="unresolved") == [opened.pk, acknowledged.pk]
    assert shown(status="resolved") == [resolved.pk]
    assert shown(severity="warning") == [acknowledged.pk]
    assert shown(place=places["case"].pk) == [acknowledged.pk]
    assert shown(place=places["gallery"].pk) == [opened.pk, acknowledged.pk, resolved.pk]
    assert shown(place=places["vault"].pk) == [opened.pk, acknowledged.pk, resolved.pk]
    assert client_for(team["keeper"]).get("/conservation/alerts/", {
        "place": places["vault"].pk}).context["rows"][0]["alert"] == hidden


def test_alert_page_shows_the_facts_the_whole_history_and_a_chart_around_it(
        client_for: Any, team: Any, places: Any, sensors: Any) -> None:
    rule = _rule(team)
    cleared = SINCE + dt.timedelta(hours=2)
    alert = _alert(rule, sensors["gallery"], places["gallery"], cleared=cleared,
                   status="resolved")
    later = alert.opened_at + dt.timedelta(minutes=15)
    AlertEntry.objects.create(alert=alert, kind="escalated", at=later,
                              recipients=[team["curator"].pk], text="1")
    AlertEntry.objects.create(alert=alert, kind="acknowledged", at=later + dt.timedelta(
        minutes=5), actor=team["guard"], text="On my way")
    AlertEntry.objects.create(alert=alert, kind="commented", at=later + dt.timedelta(
        minutes=20), actor=team["guard"], text="Door to the store\nwas open")
    AlertEntry.objects.create(alert=alert, kind="cleared", at=cleared, text="54.00 %")
    AlertEntry.objects.create(alert=alert, kind="resolved", at=cleared + dt.timedelta(
        minutes=10), actor=team["keeper"], text="Door closed, seal replaced")
    Alert.objects.filter(pk=alert.pk).update(
        acknowledged_at=later + dt.timedelta(minutes=5), acknowledged_by=team["guard"],
        resolved_at=cleared + dt.timedelta(minutes=10), resolved_by=team["keeper"],
        escalation_level=1)
    # when the guard opens it
    response = client_for(team["guard"]).get(f"/conservation/alerts/{alert.pk}/")
    html = _html(response)
    # then the facts and every history entry show, in the museum's time
    assert response.status_code == 200
    facts = _text(html[html.index('<dl class="facts">'):html.index("</dl>")])
    assert facts == (
        "Sensor QD-01 Place TH-QD Bronze gallery Rule Gallery RH (Outside a band) "
        "Condition began 2026-03-10 10:00 Opened 2026-03-10 10:30 Condition cleared "
        "2026-03-10 12:00 Acknowledged 2026-03-10 10:50 · 王卫 · Wang Wei Resolved "
        "2026-03-10 12:10 · 林保 · Lin Bao Escalations 1")
    assert _rows(html, "<tr data-entry") == [
        "2026-03-10 10:30 Opened Taihe 61.00 %",
        "2026-03-10 10:30 Notified Told: 林保 · Lin Bao, 王卫 · Wang Wei",
        "2026-03-10 10:45 Escalated Told: 周策 · Zhou Ce Escalation 1",
        "2026-03-10 10:50 Acknowledged 王卫 · Wang Wei On my way",
        "2026-03-10 11:05 Comment 王卫 · Wang Wei Door to the store was open",
        "2026-03-10 12:00 Condition cleared Taihe 54.00 %",
        "2026-03-10 12:10 Resolved 林保 · Lin Bao Door closed, seal replaced"]
    # and the chart asks the sensor's series from a day before to a day after
    chart = re.search(r"<div[^>]*data-taihe-chart[^>]*>", html)
    assert chart is not None
    attributes = dict(re.findall(r'(data-[a-z-]+)="([^"]*)"', chart.group(0)))
    assert {name: attributes[name] for name in (
        "data-series-url", "data-quantities", "data-start", "data-end", "data-time-zone",
        "data-label")} == {
        "data-series-url": f"/conservation/sensors/{sensors['gallery'].pk}/series/",
        "data-quantities": "relative_humidity", "data-start": "2026-03-09T02:00:00Z",
        "data-end": "2026-03-11T04:00:00Z", "data-time-zone": "Asia/Shanghai",
        "data-label": "Readings of QD-01 around the alert"}
    assert reverse("conservation:sensor_series", kwargs={"sensor_id": sensors["gallery"].pk}
                   ) == attributes["data-series-url"]
    # and a resolved alert offers a comment only
    assert "/acknowledge/" not in html and "/resolve/" not in html
    assert f'action="/conservation/alerts/{alert.pk}/comment/"' in html


def test_alert_page_of_a_restricted_store_is_not_found_for_the_curator(
        client_for: Any, team: Any, places: Any, sensors: Any) -> None:
    alert = _alert(_rule(team), sensors["vault"], places["vault"])
    assert client_for(team["curator"]).get(
        f"/conservation/alerts/{alert.pk}/").status_code == 404
    assert client_for(team["keeper"]).get(
        f"/conservation/alerts/{alert.pk}/").status_code == 200


def test_chart_quantities_follow_the_rule_within_what_the_sensor_records() -> None:
    def alert(kind: str, parameters: dict[str, Any], quantities: list[str]) -> Alert:
        return Alert(kind=kind, rule=AlertRule(kind=kind, parameters=parameters),
                     sensor=Sensor(quantities=quantities))

    climate = ["temperature", "relative_humidity"]
    assert [views_care.chart_quantities(alert(kind, parameters, quantities))
            for kind, parameters, quantities in (
        ("rate", {"quantity": "temperature"}, climate),
        ("battery", {"unit": "%EL"}, [*climate, "battery_level"]),
        ("battery", {"threshold": 2.7}, climate),
        ("metric", {"metric": "dew_point_margin"}, climate),
        ("metric", {"metric": "mould_index"}, climate),
        ("band", {"quantity": "illuminance"}, ["illuminance", "uv"]),
        ("silence", {}, climate))] == [
        ["temperature"], ["battery_level"], climate, ["temperature", "dew_point"], climate,
        ["illuminance"], climate]


def test_acknowledge_comment_and_resolve_an_alert_opened_by_the_engine(
        client_for: Any, team: Any, places: Any, sensors: Any, paper: Any,
        run_commit_hooks: Any) -> None:
    # given the gallery keeps PAPER and its RH has been at 60 % for two hours
    services.do_assign_environment(team["keeper"], places["gallery"].pk,
                                   specification_id=paper.pk, responsible_ids=[])
    _rule(team, location_id=places["gallery"].pk)
    now = timezone.now().replace(microsecond=0)
    _write(sensors["gallery"], "relative_humidity", now - dt.timedelta(hours=2),
           [60.0] * 9, step=900)
    with run_commit_hooks():
        [alert_id] = alerts.evaluate_sensor(sensors["gallery"].pk, now=now)
    client = client_for(team["guard"])
    url = f"/conservation/alerts/{alert_id}/"
    page = _html(client.get(url))
    assert [action for action in ("acknowledge", "comment", "resolve")
            if f'action="{url}{action}/"' in page] == ["acknowledge", "comment", "resolve"]
    assert '<textarea name="comment" cols="40" rows="3" maxlength="5000" required ' \
           'id="resolve_comment">' in page
    # when the guard acknowledges, comments, tries to resolve without a word, then resolves
    acknowledged = client.post(url + "acknowledge/", {"comment": "Checking"}, follow=True)
    commented = client.post(url + "comment/", {"text": "Humidifier stuck on"}, follow=True)
    refused = client.post(url + "resolve/", {"comment": "  "}, follow=True)
    after_refusal = Alert.objects.get(pk=alert_id).status
    resolved = client.post(url + "resolve/", {"comment": "Humidifier repaired"}, follow=True)
    # then each step is told, the alert changes and its history grows
    assert [_messages(page) for page in (acknowledged, commented, refused, resolved)] == [
        ["The alert is acknowledged."], ["Your comment is added."],
        ["Say what was done or found."], ["The alert is resolved."]]
    assert after_refusal == "acknowledged"
    alert = Alert.objects.get(pk=alert_id)
    assert (alert.status, alert.acknowledged_by_id, alert.resolved_by_id) == (
        "resolved", team["guard"].pk, team["guard"].pk)
    assert [(entry.kind, entry.actor_id, entry.text) for entry in alert.entries.all()] == [
        ("opened", None, "60.00 %"), ("notified", None, ""),
        ("acknowledged", team["guard"].pk, "Checking"),
        ("commented", team["guard"].pk, "Humidifier stuck on"),
        ("resolved", team["guard"].pk, "Humidifier repaired")]
    # and acknowledging it again is refused with a reason, changing nothing
    again = client.post(url + "acknowledge/", follow=True)
    assert _messages(again) == ["Only an open alert can be acknowledged."]
    assert alert.entries.count() == 5


def test_people_who_may_not_respond_cannot_acknowledge(client_for: Any, team: Any,
                                                       places: Any, sensors: Any) -> None:
    alert = _alert(_rule(team), sensors["gallery"], places["gallery"])
    client = client_for(team["curator"])
    page = _html(client.get(f"/conservation/alerts/{alert.pk}/"))
    answers = [client.post(f"/conservation/alerts/{alert.pk}/{action}/", {
        "comment": "x", "text": "x"}).status_code for action in (
        "acknowledge", "comment", "resolve")]
    assert answers == [403, 403, 403]
    assert "Respond" not in page and "/acknowledge/" not in page
    alert.refresh_from_db()
    assert (alert.status, alert.entries.count()) == ("open", 2)


# --- Reports ----------------------------------------------------------------------------------

@pytest.fixture
def readings(team: dict[str, Any], places: dict[str, Any], sensors: dict[str, Sensor],
             paper: Specification) -> dict[str, Any]:
    """Two days of March 2026 in the gallery under PAPER: QD-01 (the gallery's own) misses
    temperature at hours 10–12 and stops after hour 39; QD-C1 in the case hangs there until
    hour 30, then moves to the vault; RH in the gallery is 60 % (above 55) at hours 20–23."""
    keeper = team["keeper"]
    services.do_assign_environment(keeper, places["gallery"].pk, specification_id=paper.pk,
                                   responsible_ids=[])
    services.do_record_calibration(keeper, sensors["gallery"].pk, quantity="temperature",
                                   effective_from=MARCH - dt.timedelta(days=5), offset=0.3,
                                   reference="CERT-9")
    gallery, case = sensors["gallery"], sensors["case"]
    quantity = store.quantity_ids()["temperature"]
    first = int(MARCH.timestamp())
    store.write([(gallery.pk, quantity, first + hour * HOUR, 20.0) for hour in range(40)
                 if hour not in (10, 11, 12)])
    _write(case, "temperature", MARCH, [24.0] * 48)
    _write(gallery, "relative_humidity", MARCH,
           [60.0 if 20 <= hour <= 23 else 50.0 for hour in range(48)])
    _write(sensors["vault"], "temperature", MARCH, [10.0] * 48)
    moved = MARCH + dt.timedelta(hours=30)
    from taihe.modules.conservation.models import SensorPlacement

    SensorPlacement.objects.filter(sensor=case).update(placed_at=MARCH - dt.timedelta(days=30),
                                                       removed_at=moved)
    SensorPlacement.objects.create(sensor=case, location_id=places["vault"].pk,
                                   placed_at=moved)
    Sensor.objects.filter(pk=case.pk).update(location_id=places["vault"].pk)
    return {"gallery": gallery, "case": case}


def test_build_report_follows_the_main_sensor_and_fills_its_gaps_while_others_hung_there(
        team: dict[str, Any], places: dict[str, Any], readings: dict[str, Any]) -> None:
    end = MARCH + dt.timedelta(days=31)
    report = report_data.build_report(team["keeper"], places["gallery"].pk, MARCH, end,
                                      "March 2026", "en")
    temperature = report.series["temperature"]
    hours = [(int(time) - int(MARCH.timestamp())) // HOUR
             for time in np.asarray(temperature.times).tolist()]
    # the gallery's own sensor first; the case sensor fills hours 10–12 but not 40–47
    assert hours == list(range(40))
    assert np.asarray(temperature.values).tolist() == [24.0 if hour in (10, 11, 12) else 20.0
                                        for hour in range(40)]
    assert [(int(day), float(low), float(mean), float(high)) for day, low, mean, high in zip(
        *report.daily["temperature"], strict=True)] == [
        (int(MARCH.timestamp()), 20.0, 20.0, 20.0),
        (int(MARCH.timestamp()) + 86_400, 20.0, 20.0, 20.0)]
    assert (report.metrics.line("temperature_min").value,
            report.metrics.line("temperature_max").value) == (20.0, 24.0)
    # the case's warmer hours are outside PAPER (18–22 °C) too
    assert [(e.quantity, e.start, e.end, e.extreme) for e in report.excursions] == [
        ("temperature", MARCH + dt.timedelta(hours=10), MARCH + dt.timedelta(hours=13), 24.0),
        ("relative_humidity", MARCH + dt.timedelta(hours=20), MARCH + dt.timedelta(hours=24),
         60.0)]
    assert [(s.code, s.model, s.serial, s.calibration) for s in report.sensors] == [
        ("QD-01", "Onset MX1101", "2041", "Temperature +0.30 °C from 2026-02-24 (CERT-9)"),
        ("QD-C1", "", "", "No calibration recorded")]
    assert (report.location_code, report.location_name, report.period_label,
            report.generated_by, report.time_zone, getattr(report.specification, "code", None),
            report.language) == ("TH-QD", "Bronze gallery", "March 2026", "Lin Bao",
                                 "Asia/Shanghai", "PAPER", "en")


def _download(client: Any, location: Any, **query: Any) -> Any:
    return client.get("/conservation/reports/download/", {
        "location": location.pk, "period": "month", "month": "2026-03", "format": "pdf",
        **query})


def test_a_monthly_report_downloads_as_pdf_and_xlsx(client_for: Any, team: Any,
                                                     places: Any, readings: Any) -> None:
    client = client_for(team["curator"])
    pdf = _download(client, places["gallery"])
    xlsx = _download(client, places["gallery"], format="xlsx")
    assert (pdf.status_code, pdf["Content-Type"], pdf["Content-Disposition"]) == (
        200, "application/pdf", 'attachment; filename="environment-TH-QD-2026-03.pdf"')
    assert b"".join(pdf.streaming_content).startswith(b"%PDF-")
    assert (xlsx.status_code, xlsx["Content-Disposition"]) == (
        200, 'attachment; filename="environment-TH-QD-2026-03.xlsx"')
    workbook = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    assert workbook.sheetnames == ["Summary", "Daily", "Excursions", "Sensors"]
    assert [row[0] for row in workbook["Sensors"].iter_rows(min_row=2, values_only=True)] == [
        "QD-01"]


def test_an_annual_report_in_chinese_is_named_after_the_year(client_for: Any, team: Any,
                                                              places: Any, readings: Any
                                                              ) -> None:
    client = client_for(team["keeper"])
    client.cookies["django_language"] = "zh-hans"
    response = _download(client, places["gallery"], period="year", year="2026",
                         format="xlsx", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response["Content-Disposition"] == (
        'attachment; filename="environment-TH-QD-2026.xlsx"')
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    with translation.override("zh-hans"):
        summary = gettext("Summary")
    assert summary != "Summary"
    assert workbook.sheetnames[0] == summary


def test_a_restricted_place_is_not_found_for_someone_who_may_not_know_it(
        client_for: Any, team: Any, places: Any, readings: Any) -> None:
    assert _download(client_for(team["curator"]), places["vault"]).status_code == 404
    assert _download(client_for(team["keeper"]), places["vault"]).status_code == 200
    with pytest.raises(report_data.NotFound):
        report_data.build_report(team["curator"], places["vault"].pk, MARCH,
                                 MARCH + dt.timedelta(days=31), "March 2026", "en")


def test_a_report_form_with_a_bad_period_says_what_is_wrong(client_for: Any, team: Any,
                                                            places: Any) -> None:
    client = client_for(team["keeper"])
    bad_month = _download(client, places["gallery"], month="2026-13")
    no_year = _download(client, places["gallery"], period="year", year="")
    future = _download(client, places["gallery"], period="year", year="2099")
    assert [page.status_code for page in (bad_month, no_year, future)] == [422, 422, 422]
    assert bad_month.context["form"].errors == {
        "month": ["Give the month as year and month, e.g. 2026-03."]}
    assert no_year.context["form"].errors == {"year": ["Give the year."]}
    assert future.context["form"].errors == {"year": ["This period has not begun yet."]}


def test_report_file_names_keep_only_safe_characters() -> None:
    assert views_care.report_file_name("TH-QD", "2026-03", "pdf") == (
        "environment-TH-QD-2026-03.pdf")
    assert views_care.report_file_name("展厅/1 A", "2026", "xlsx") == (
        "environment-1-A-2026.xlsx")
    assert views_care.report_file_name("展厅", "2026", "xlsx") == "environment-place-2026.xlsx"
