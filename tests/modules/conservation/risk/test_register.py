"""The ABC register services: validation names the field, MR = A + B + C, priority bands,
treatments, suggestions from monitoring stored as evidence, the RiskSaved event."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from taihe.kernel.errors import PermissionDenied, ValidationFailed
from taihe.modules.conservation.models import Risk
from taihe.modules.conservation.risk import register

pytestmark = pytest.mark.django_db


def data(**changes: Any) -> register.RiskData:
    values: dict[str, Any] = {
        "agent": 9,
        "title": "Damp in the store",
        "a_score": 4.0,
        "b_score": 3.5,
        "c_score": 2.0,
    }
    values.update(changes)
    return register.RiskData(**values)


def test_magnitude_is_the_sum_of_the_scores(people: dict[str, Any], places: dict[str, Any]) -> None:
    risk = register.do_save_risk(
        people["conservator"],
        None,
        data(
            a_low=3.5,
            a_high=4.5,
            location_ids=[places["gallery"].pk],
            review_on=dt.date(2026, 6, 1),
        ),
    )
    assert risk.magnitude == 9.5
    assert register.priority_band(risk.magnitude)[0] == "high"
    assert risk.location_ids == [places["gallery"].pk]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("a_score", 0.5, "outside the scale"),
        ("b_score", 5.5, "outside the scale"),
        ("c_score", 2.3, "half steps"),
        ("a_low", 4.5, "low estimate is above"),
        ("a_high", 3.0, "high estimate is below"),
        ("agent", 11, "ten agents"),
        ("title", " ", "Name the risk"),
    ],
)
def test_invalid_values_name_their_field(
    people: dict[str, Any], name: str, value: Any, message: str
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        register.do_save_risk(people["conservator"], None, data(**{name: value}))
    assert list(raised.value.fields) == [name]
    assert message in raised.value.fields[name]
    assert not Risk.objects.exists()


def test_a_place_the_actor_may_not_know_is_unknown(
    people: dict[str, Any], places: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # No built-in role manages risks without knowing restricted stores: lift the permission
    # check to see the place check on its own.
    monkeypatch.setattr(register, "_require", lambda actor, operation: None)
    with pytest.raises(ValidationFailed) as raised:
        register.do_save_risk(people["curator"], None, data(location_ids=[places["shelf"].pk]))
    assert list(raised.value.fields) == ["location_ids"]


def test_only_risk_managers_save(people: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        register.do_save_risk(people["curator"], None, data())


def test_priority_bands_cover_every_half_step() -> None:
    assert [
        register.priority_band(mr)[0] for mr in (3, 5, 5.5, 9, 9.5, 11, 11.5, 13, 13.5, 15)
    ] == [
        "low",
        "low",
        "medium",
        "medium",
        "high",
        "high",
        "very_high",
        "very_high",
        "extreme",
        "extreme",
    ]


def test_bands_can_be_set_by_the_museum(settings: Any) -> None:
    settings.CONSERVATION_ABC_PRIORITY_BANDS = ((10.0, "act", "Act"), (3.0, "watch", "Watch"))
    assert register.priority_band(10.5) == ("act", "Act")
    assert register.priority_band(9.5) == ("watch", "Watch")


def test_treatment_reduction_is_bounded_by_the_magnitude(people: dict[str, Any]) -> None:
    risk = register.do_save_risk(people["conservator"], None, data())
    with pytest.raises(ValidationFailed) as raised:
        register.do_save_treatment(
            people["conservator"],
            risk.pk,
            None,
            register.TreatmentData(description="Dehumidifier", expected_reduction=7.0),
        )
    assert list(raised.value.fields) == ["expected_reduction"]
    saved = register.do_save_treatment(
        people["conservator"],
        risk.pk,
        None,
        register.TreatmentData(description="Dehumidifier", expected_reduction=1.5),
    )
    assert saved.expected_reduction == 1.5


def test_suggestion_is_stored_as_evidence(
    people: dict[str, Any], places: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from taihe.modules.conservation.risk import services as risk_services

    asked: list[tuple[list[int], str]] = []

    def suggest(location_ids: list[int], agent: str) -> dict[str, Any]:
        asked.append((location_ids, agent))
        return {"a": 5.0, "b": 4.0, "numbers": {"rh_share_above_75": 0.04}}

    monkeypatch.setattr(risk_services, "suggest_abc", suggest)
    risk = register.do_save_risk(
        people["conservator"], None, data(location_ids=[places["gallery"].pk])
    )
    register.do_suggest_abc(people["conservator"], risk.pk)
    risk.refresh_from_db()
    assert asked == [([places["gallery"].pk], "damp_mould")]
    assert {key: risk.evidence["suggested"][key] for key in ("a", "b", "numbers", "agent")} == {
        "a": 5.0,
        "b": 4.0,
        "numbers": {"rh_share_above_75": 0.04},
        "agent": "damp_mould",
    }
    assert (risk.a_score, risk.b_score) == (4.0, 3.5)


def test_suggestion_needs_places(people: dict[str, Any]) -> None:
    risk = register.do_save_risk(people["conservator"], None, data())
    with pytest.raises(ValidationFailed) as raised:
        register.do_suggest_abc(people["conservator"], risk.pk)
    assert list(raised.value.fields) == ["location_ids"]


def test_saving_publishes_risk_saved(
    people: dict[str, Any], run_commit_hooks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    published: list[Any] = []
    monkeypatch.setattr(register, "publish", published.append)
    risk = register.do_save_risk(people["conservator"], None, data())
    assert [(event.risk_id, event.magnitude) for event in published] == [(risk.pk, 9.5)]
