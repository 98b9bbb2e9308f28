"""Alert rules from the database: evaluation after ingest, notification, escalation,
acknowledgement and resolution, history that does not page anybody."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from taihe.kernel.errors import Conflict, ValidationFailed
from taihe.modules.catalog import services as catalog_services
from taihe.modules.conservation import alerts, services
from taihe.modules.conservation.models import Alert, AlertEntry, AlertRule, Sensor
from taihe.modules.notifications.models import Notification
from tests.factories import PersonFactory


@pytest.fixture
def team(museum: dict[str, Any]) -> dict[str, Any]:
    return {
        "keeper": PersonFactory(username="keeper", department=museum["lab"],
                                roles=["conservator", "registrar", "staff"]),
        "head": PersonFactory(username="head", department=museum["lab"],
                              roles=["conservator", "staff"]),
        "guard": PersonFactory(username="guard", department=museum["security"],
                               roles=["security", "staff"]),
    }


@pytest.fixture
def case_sensor(team: dict[str, Any]) -> Sensor:
    keeper = team["keeper"]
    gallery = catalog_services.do_save_location(keeper, catalog_services.LocationInput(
        code="G2", name={"en": "Gallery 2"}, kind="gallery"))
    spec = services.do_save_specification(keeper, None, services.SpecificationData(
        code="PAPER", name={"en": "Works on paper"}, t_min=18.0, t_max=22.0, rh_min=45.0,
        rh_max=55.0))
    services.do_assign_environment(keeper, gallery.pk, specification_id=spec.pk,
                                   responsible_ids=[keeper.pk])
    return services.do_create_sensor(keeper, services.SensorData(
        code="G2-CASE", location_id=gallery.pk, logging_interval_seconds=300))


def _rh(minutes_ago: list[int], values: list[float], now: dt.datetime
        ) -> list[services.Incoming]:
    return [services.Incoming("G2-CASE", "relative_humidity", now - dt.timedelta(minutes=m), v)
            for m, v in zip(minutes_ago, values, strict=True)]


def _band_rule(team: dict[str, Any]) -> AlertRule:
    return services.do_save_alert_rule(team["keeper"], None, services.AlertRuleData(
        name="Case RH", kind="band", parameters={"quantity": "relative_humidity",
                                                  "min_duration_minutes": 30,
                                                  "hysteresis": 2},
        use_specification=True, severity="critical", escalate_after_minutes=15,
        escalate_to_ids=[team["head"].pk]))


def test_a_breach_longer_than_its_duration_opens_one_alert_and_tells_the_responsible(
        team: dict[str, Any], case_sensor: Sensor, run_commit_hooks: Any) -> None:
    # given a band rule from the place's specification (45–55 % RH, 30 minutes)
    rule = _band_rule(team)
    now = timezone.now().replace(microsecond=0)
    # when RH is about 60 % for 40 minutes, then wobbles just inside and outside the limit
    with run_commit_hooks():
        services.ingest(_rh([40, 35, 30, 25, 20, 15, 10, 5, 0],
                            [60, 61, 62, 60, 61, 60, 60, 54.0, 56], now), source="http", now=now)
    # then one alert, opened 30 minutes after the breach began, and the keeper is told
    alert = Alert.objects.get()
    assert (alert.rule_id, alert.status, alert.severity) == (rule.pk, "open", "critical")
    assert alert.condition_since == now - dt.timedelta(minutes=40)
    assert alert.opened_at == now - dt.timedelta(minutes=10)
    assert "G2-CASE" in alert.summary
    assert list(Notification.objects.values_list("recipient_id", "category")) == [
        (team["keeper"].pk, "conservation.alerts")]
    assert [e.kind for e in alert.entries.all()] == ["opened", "notified"]


def test_nobody_acknowledging_escalates_until_somebody_does(
        team: dict[str, Any], case_sensor: Sensor, run_commit_hooks: Any) -> None:
    _band_rule(team)
    now = timezone.now().replace(microsecond=0)
    with run_commit_hooks():
        services.ingest(_rh([40, 0], [60, 60], now), source="http", now=now)
    alert = Alert.objects.get()
    # when 15 minutes pass without acknowledgement
    assert alerts.escalate_due(now=now + dt.timedelta(minutes=14)) == []
    assert alerts.escalate_due(now=now + dt.timedelta(minutes=16)) == [alert.pk]
    # then the head of the lab is told, and told again after another interval
    assert Notification.objects.filter(recipient=team["head"]).count() == 1
    assert alerts.escalate_due(now=now + dt.timedelta(minutes=32)) == [alert.pk]
    # when the guard acknowledges, escalation stops
    services.do_acknowledge_alert(team["guard"], alert.pk, comment="On my way")
    assert alerts.escalate_due(now=now + dt.timedelta(minutes=60)) == []
    alert.refresh_from_db()
    assert (alert.status, alert.escalation_level, alert.acknowledged_by_id) == (
        "acknowledged", 2, team["guard"].pk)
    with pytest.raises(Conflict):
        services.do_acknowledge_alert(team["keeper"], alert.pk)
    # and resolving needs a word on what was done
    with pytest.raises(ValidationFailed):
        services.do_resolve_alert(team["keeper"], alert.pk, comment=" ")
    services.do_comment_alert(team["keeper"], alert.pk, "Door seal replaced")
    services.do_resolve_alert(team["keeper"], alert.pk, comment="Seal replaced, RH back")
    kinds = list(AlertEntry.objects.filter(alert=alert).order_by("id")
                 .values_list("kind", flat=True))
    assert kinds == ["opened", "notified", "escalated", "escalated", "acknowledged",
                     "commented", "resolved"]


def test_an_old_excursion_in_an_imported_year_pages_nobody(
        team: dict[str, Any], case_sensor: Sensor, run_commit_hooks: Any) -> None:
    _band_rule(team)
    now = timezone.now().replace(microsecond=0)
    ten_days = 10 * 24 * 60
    with run_commit_hooks():
        services.ingest(_rh([ten_days, ten_days - 60, ten_days - 120, 0],
                            [50, 62, 50, 50], now), source="file", now=now)
    assert not Alert.objects.exists()
    assert not Notification.objects.exists()


def test_the_condition_clearing_is_recorded_but_the_alert_waits_for_a_person(
        team: dict[str, Any], case_sensor: Sensor, run_commit_hooks: Any) -> None:
    _band_rule(team)
    now = timezone.now().replace(microsecond=0)
    with run_commit_hooks():
        services.ingest(_rh([60, 20], [60, 60], now), source="http", now=now)
        # 54 % is inside the band but not inside the 2 % hysteresis margin: still open
        services.ingest(_rh([10], [54.0], now), source="http", now=now)
    assert Alert.objects.get().condition_cleared_at is None
    with run_commit_hooks():
        services.ingest(_rh([5], [50.0], now), source="http", now=now)
    alert = Alert.objects.get()
    assert alert.condition_cleared_at == now - dt.timedelta(minutes=5)
    assert alert.status == "open"


def test_a_silent_sensor_raises_an_alert_when_the_schedule_looks(
        team: dict[str, Any], case_sensor: Sensor, run_commit_hooks: Any) -> None:
    services.do_save_alert_rule(team["keeper"], None, services.AlertRuleData(
        name="Silent", kind="silence", parameters={"max_missing_intervals": 3},
        sensor_id=case_sensor.pk))
    now = timezone.now().replace(microsecond=0)
    with run_commit_hooks():
        services.ingest(_rh([0], [50.0], now), source="http", now=now)
    assert alerts.check_silence(now=now + dt.timedelta(minutes=14)) == []
    opened = alerts.check_silence(now=now + dt.timedelta(minutes=16))
    assert len(opened) == 1
    assert Alert.objects.get(pk=opened[0]).kind == "silence"


def test_rule_parameters_are_checked_before_anything_is_stored(team: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.do_save_alert_rule(team["keeper"], None, services.AlertRuleData(
            name="Bad", kind="rate", parameters={"quantity": "temperature",
                                                 "max_change": -1, "window_minutes": 60}))
    assert caught.value.fields == {"parameters.max_change": (
        "Give a finite number here; limits, windows and durations must be above zero and "
        "hysteresis zero or more.")}
    with pytest.raises(ValidationFailed) as caught:
        services.do_save_alert_rule(team["keeper"], None, services.AlertRuleData(
            name="Bad", kind="band", parameters={"quantity": "temperature"}))
    assert "parameters.low" in caught.value.fields
    assert not AlertRule.objects.exists()


def test_an_excursion_that_began_long_ago_but_ended_recently_still_alerts(
        team: dict[str, Any], case_sensor: Sensor, run_commit_hooks: Any) -> None:
    # given a file with RH out of band from three days ago until an hour ago
    _band_rule(team)
    now = timezone.now().replace(microsecond=0)
    with run_commit_hooks():
        services.ingest(_rh([3 * 24 * 60, 3 * 24 * 60 - 60, 60, 30], [60, 60, 60, 50], now),
                        source="file", now=now)
    # then it raised an alert, opened when its duration elapsed, already cleared
    alert = Alert.objects.get()
    assert alert.condition_since == now - dt.timedelta(days=3)
    assert alert.condition_cleared_at == now - dt.timedelta(minutes=30)


def test_changing_a_rule_does_not_replay_history(
        team: dict[str, Any], case_sensor: Sensor, run_commit_hooks: Any) -> None:
    # given an open alert
    rule = _band_rule(team)
    now = timezone.now().replace(microsecond=0)
    with run_commit_hooks():
        services.ingest(_rh([600, 590, 90, 60, 0], [60, 50, 60, 60, 60], now), source="http",
                        now=now)
    alert = Alert.objects.get()
    # when the rule is edited and a new reading arrives
    services.do_save_alert_rule(team["keeper"], rule.pk, services.AlertRuleData(
        name="Case RH (edited)", kind="band",
        parameters={"quantity": "relative_humidity", "min_duration_minutes": 30,
                    "hysteresis": 2}, use_specification=True, severity="critical"))
    with run_commit_hooks():
        services.ingest(_rh([-5], [61.0], now), source="http", now=now)
    # then the alert is neither duplicated nor cleared by the old readings
    alert.refresh_from_db()
    assert Alert.objects.count() == 1
    assert alert.condition_cleared_at is None
    # and it still clears when RH comes back
    with run_commit_hooks():
        services.ingest(_rh([-10], [50.0], now), source="http", now=now)
    alert.refresh_from_db()
    assert alert.condition_cleared_at == now + dt.timedelta(minutes=10)


def test_nobody_is_told_about_a_sensor_they_may_not_see(
        team: dict[str, Any], museum: dict[str, Any], run_commit_hooks: Any) -> None:
    # given a sensor in a restricted store and a rule that tells the keeper and a curator
    keeper = team["keeper"]
    curator = PersonFactory(username="curator", department=museum["root"],
                            roles=["curator", "staff"])
    vault = catalog_services.do_save_location(keeper, catalog_services.LocationInput(
        code="VAULT", name={"en": "Vault"}, kind="store", is_restricted=True))
    services.do_create_sensor(keeper, services.SensorData(code="VAULT-1", location_id=vault.pk))
    services.do_save_alert_rule(keeper, None, services.AlertRuleData(
        name="Vault RH", kind="band", parameters={"quantity": "relative_humidity", "high": 55},
        notify_ids=[keeper.pk, curator.pk]))
    now = timezone.now().replace(microsecond=0)
    # when the vault's RH is too high
    with run_commit_hooks():
        services.ingest([services.Incoming("VAULT-1", "relative_humidity", now, 70.0)],
                        source="http", now=now)
    # then only the keeper, who may know the store, is told
    assert Alert.objects.count() == 1
    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [keeper.pk]


def test_an_unacknowledged_alert_is_a_to_do_for_those_who_respond(
        team: dict[str, Any], case_sensor: Sensor, member: Any, run_commit_hooks: Any) -> None:
    from taihe.kernel.shell import apps_for, todos_for

    _band_rule(team)
    now = timezone.now().replace(microsecond=0)
    with run_commit_hooks():
        services.ingest(_rh([40, 0], [60, 60], now), source="http", now=now)
    alert = Alert.objects.get()
    todos = [todo for todo in todos_for(team["guard"]) if todo.source == "conservation"]
    assert [(todo.url, todo.due_at) for todo in todos] == [
        (f"/conservation/alerts/{alert.pk}/", alert.opened_at)]
    assert not [todo for todo in todos_for(member) if todo.source == "conservation"]
    assert "conservation" in {tile.code for tile in apps_for(team["keeper"])}
    assert "conservation" not in {tile.code for tile in apps_for(member)}
    services.do_acknowledge_alert(team["guard"], alert.pk)
    assert not [todo for todo in todos_for(team["guard"]) if todo.source == "conservation"]
