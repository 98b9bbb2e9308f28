"""conservation.api: what other modules may learn of alerts, for one reader at a time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import translation

from taihe.modules.conservation import api
from taihe.modules.conservation.models import Alert, AlertRule


def test_an_alert_card_for_a_reader_of_monitoring(conservation: dict[str, Any],
                                                  open_alert: Callable[..., Alert]) -> None:
    # given a critical alert on the Gallery 1 case
    alert = open_alert(conservation["case"], severity=AlertRule.Severity.CRITICAL)
    curator = conservation["people"]["curator"]
    # when the curator's card is asked for in English
    with translation.override("en"):
        card = api.alert_card(curator, alert.pk)
    # then it is worded for them, with the place
    assert card == {
        "id": alert.pk, "title": "G1-CASE3: Relative humidity out of range (58.50 %)",
        "place": "G1 Gallery 1", "severity": "critical", "severity_label": "Critical",
        "status": "open", "status_label": "Open", "opened_at": alert.opened_at.isoformat(),
        "url": f"/conservation/alerts/{alert.pk}/"}


def test_the_card_follows_the_readers_language(conservation: dict[str, Any],
                                               open_alert: Callable[..., Alert]) -> None:
    alert = open_alert(conservation["case"])
    with translation.override("zh-hans"):
        card = api.alert_card(conservation["people"]["conservator"], alert.pk)
    assert card is not None and card["place"] == "G1 一号展厅"


def test_no_card_for_those_who_may_not_see_the_alert(conservation: dict[str, Any],
                                                     open_alert: Callable[..., Alert]) -> None:
    people = conservation["people"]
    vault = open_alert(conservation["vault"])
    gallery = open_alert(conservation["case"])
    # the curator may not know the restricted store; a plain member sees no monitoring
    assert api.alert_card(people["curator"], vault.pk) is None
    assert api.alert_card(people["member"], gallery.pk) is None
    assert api.alert_card(people["outsider"], gallery.pk) is None
    assert api.alert_card(people["conservator"], 999_999) is None
    assert api.alert_card(people["conservator"], "x") is None  # type: ignore[arg-type]
    with translation.override("en"):
        card = api.alert_card(people["registrar"], vault.pk)
    assert card is not None and card["place"] == "VAULT-X9-S1 Vault shelf"


def test_a_rule_edited_out_of_shape_keeps_the_stored_summary(
        conservation: dict[str, Any], open_alert: Callable[..., Alert]) -> None:
    alert = open_alert(conservation["case"], summary="RH above 55 % for 30 minutes")
    AlertRule.objects.filter(pk=alert.rule_id).update(kind="retired-kind")
    card = api.alert_card(conservation["people"]["conservator"], alert.pk)
    assert card is not None and card["title"] == "RH above 55 % for 30 minutes"


def test_who_may_see_alerts_and_the_names_of_severities(conservation: dict[str, Any]) -> None:
    people = conservation["people"]
    assert [name for name in ("conservator", "registrar", "curator", "security", "member",
                              "outsider", "admin") if api.may_see_alerts(people[name])] == [
        "conservator", "registrar", "curator", "security", "admin"]
    with translation.override("en"):
        assert [api.severity_label(code) for code in ("warning", "critical", "odd")] == [
            "Warning", "Critical", "odd"]
    assert api.alert_url(12) == "/conservation/alerts/12/"
