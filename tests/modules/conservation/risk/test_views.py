"""Climate risk pages: the overview, the object panel with one-click tasks, the ABC register,
care tasks and the report download. Four-actor matrix for every page and POST; objects and
places in the restricted vault never reach the curator (who may not know it).

Assessments are written directly in the shape ``risk.assessment`` stores, and the sentences
come from the views' fallbacks (``describe`` patched out), so these tests do not depend on
the risk computation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from taihe.modules.catalog import services as catalog_services
from taihe.modules.conservation.models import (
    CareTask,
    ClimateAssessment,
    ObjectAssessment,
    Risk,
    RiskTreatment,
)
from taihe.modules.conservation.risk import register, views

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 1, 4, 0, tzinfo=dt.UTC)


def risk_item(agent: str, level: str, score: float) -> dict[str, Any]:
    return {
        "agent": agent,
        "level": level,
        "score": score,
        "material": "silk",
        "measure": "mould_index",
        "numbers": {"mould_index_max": 1.4},
        "rule": {"material": "silk", "field": "rh_max", "value": 60},
        "sources": ["cci_rh"],
        "confidence": "measured",
    }


def strategy(
    key: str, reduction: float, kind: str = "task", parameters: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "key": key,
        "agent": "damp_mould",
        "reduction": reduction,
        "score_after": 0.2,
        "parameters": parameters or {},
        "reasons": [{"code": "rh_high", "numbers": {"rh_p95": 68.0}}],
        "sources": ["cci_agents"],
        "action": {"kind": kind, "process": None},
    }


@pytest.fixture(autouse=True)
def _no_describe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "_describe", lambda: None)


@pytest.fixture
def world(people: dict[str, Any], places: dict[str, Any]) -> dict[str, Any]:
    """A bowl in Gallery 1 (score 0.6) and a secret scroll on the vault shelf (score 0.9),
    both assessed; the vault's strategy for the bowl names the shelf as a move target."""
    registrar = people["registrar"]
    bowl = catalog_services.do_create_object(
        registrar,
        catalog_services.ObjectInput(object_number="RISK-0001", title={"en": "Silk banner"}),
    )
    scroll = catalog_services.do_create_object(
        registrar,
        catalog_services.ObjectInput(object_number="RISK-SECRET", title={"en": "Secret scroll"}),
    )
    catalog_services.do_move_objects(
        registrar, [bowl.pk], places["gallery"].pk, reason="exhibition"
    )
    catalog_services.do_move_objects(registrar, [scroll.pk], places["shelf"].pk, reason="storage")
    ObjectAssessment.objects.create(
        object_id=bowl.pk,
        location_id=places["gallery"].pk,
        rules_version="2026.1",
        risks=[risk_item("damp_mould", "high", 0.6), risk_item("light", "low", 0.1)],
        strategies=[
            strategy("microclimate", 0.4),
            strategy("move", 0.3, "request", {"location_id": places["shelf"].pk}),
        ],
        score=0.6,
        top_agent="damp_mould",
        computed_at=NOW,
    )
    ObjectAssessment.objects.create(
        object_id=scroll.pk,
        location_id=places["shelf"].pk,
        rules_version="2026.1",
        risks=[risk_item("light", "high", 0.9)],
        strategies=[strategy("uv_filter", 0.5)],
        score=0.9,
        top_agent="light",
        computed_at=NOW,
    )
    for place, score in ((places["gallery"], 0.6), (places["shelf"], 0.9)):
        ClimateAssessment.objects.create(
            location_id=place.pk,
            period_start=NOW - dt.timedelta(days=365),
            period_end=NOW,
            summary={},
            score=score,
            computed_at=NOW,
        )
    return {"bowl": bowl, "scroll": scroll, **places, "people": people}


def actor(world: dict[str, Any], name: str) -> Any:
    return None if name == "anonymous" else world["people"][name]


MATRIX = [("anonymous", 302), ("member", 403), ("curator", 200), ("admin", 200)]
MANAGE_MATRIX = [("anonymous", 302), ("curator", 403), ("conservator", 302), ("admin", 302)]


@pytest.mark.parametrize(("who", "status"), MATRIX)
@pytest.mark.parametrize("name", ["risk_overview", "risk_register", "risk_tasks"])
def test_pages_matrix(
    world: dict[str, Any], client_for: Any, who: str, status: int, name: str
) -> None:
    response = client_for(actor(world, who)).get(reverse(f"conservation:{name}"))
    assert response.status_code == status


def test_overview_ranks_objects_and_hides_the_vault_from_the_curator(
    world: dict[str, Any], client_for: Any
) -> None:
    url = reverse("conservation:risk_overview")
    conservator = client_for(world["people"]["conservator"]).get(url).content.decode()
    curator = client_for(world["people"]["curator"]).get(url).content.decode()
    assert conservator.index("RISK-SECRET") < conservator.index("RISK-0001")
    assert "Vault shelf" in conservator
    assert "RISK-0001" in curator
    assert reverse("catalog:object", args=[world["bowl"].pk]) in curator
    assert "Damp and mould: High (score 0.60)" in curator
    assert "microclimate" in curator
    for secret in ("RISK-SECRET", "Secret scroll", "Vault shelf", "VAULT-X9"):
        assert secret not in curator


def test_overview_filters_by_agent_and_place(world: dict[str, Any], client_for: Any) -> None:
    client = client_for(world["people"]["conservator"])
    url = reverse("conservation:risk_overview")
    by_light = client.get(url, {"agent": "light"}).content.decode()
    assert by_light.index("RISK-SECRET") < by_light.index("RISK-0001")
    in_gallery = client.get(url, {"place": world["gallery"].pk}).content.decode()
    assert "RISK-0001" in in_gallery
    assert "RISK-SECRET" not in in_gallery


def test_panel_on_the_object_page(world: dict[str, Any], client_for: Any) -> None:
    url = reverse("catalog:object", args=[world["bowl"].pk])
    conservator = client_for(world["people"]["conservator"]).get(url).content.decode()
    assert 'data-panel="conservation.climate_risk"' in conservator
    assert "Michalski, S., Agent of Deterioration: Incorrect Relative Humidity, CCI" in conservator
    assert "rule base 2026.1" in conservator
    assert (
        reverse("conservation:risk_strategy_task", args=[world["bowl"].pk, "microclimate"])
        in conservator
    )
    # The move names the vault shelf: the curator does not get it, nor any button.
    curator = client_for(world["people"]["curator"]).get(url).content.decode()
    assert 'data-panel="conservation.climate_risk"' in curator
    assert 'data-strategy="microclimate"' in curator
    assert 'data-strategy="move"' not in curator
    assert "risk_strategy_task" not in curator and "/task/" not in curator
    member = client_for(world["people"]["member"]).get(url).content.decode()
    assert 'data-panel="conservation.climate_risk"' not in member


def test_panel_absent_for_an_object_assessed_in_a_hidden_place(
    world: dict[str, Any], client_for: Any
) -> None:
    url = reverse("catalog:object", args=[world["scroll"].pk])
    curator = client_for(world["people"]["curator"]).get(url)
    assert curator.status_code == 200
    assert 'data-panel="conservation.climate_risk"' not in curator.content.decode()


@pytest.mark.parametrize(("who", "status"), MANAGE_MATRIX)
def test_strategy_task_matrix(
    world: dict[str, Any], client_for: Any, who: str, status: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from taihe.modules.conservation.risk import services as risk_services

    made: list[tuple[int, str]] = []

    def create(person: Any, object_id: int, key: str) -> CareTask:
        made.append((object_id, key))
        return CareTask.objects.create(title="Silica gel case", object_ids=[object_id])

    monkeypatch.setattr(risk_services, "do_create_task_from_strategy", create)
    url = reverse("conservation:risk_strategy_task", args=[world["bowl"].pk, "microclimate"])
    response = client_for(actor(world, who)).post(url)
    assert response.status_code == status
    assert made == (
        [(world["bowl"].pk, "microclimate")] if status == 302 and who != "anonymous" else []
    )
    if made:
        assert response["Location"] == reverse("catalog:object", args=[world["bowl"].pk])


def test_strategy_task_refuses_a_hidden_object_or_strategy(
    world: dict[str, Any], client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from taihe.modules.conservation.risk import services as risk_services

    monkeypatch.setattr(
        risk_services,
        "do_create_task_from_strategy",
        lambda *args: pytest.fail("must not be called"),
    )
    client = client_for(world["people"]["conservator"])
    unknown = reverse("conservation:risk_strategy_task", args=[world["bowl"].pk, "nothing"])
    assert client.post(unknown).status_code == 404


def make_risk(world: dict[str, Any], *, place: Any = None, title: str = "Mould in G1") -> Risk:
    return register.do_save_risk(
        world["people"]["conservator"],
        None,
        register.RiskData(
            agent=9,
            title=title,
            a_score=4,
            b_score=3.5,
            c_score=2,
            location_ids=[(place or world["gallery"]).pk],
            owner_id=world["people"]["conservator"].pk,
            review_on=dt.date(2026, 1, 1),
        ),
    )


@pytest.mark.parametrize(("who", "status"), MATRIX)
def test_risk_detail_matrix(world: dict[str, Any], client_for: Any, who: str, status: int) -> None:
    risk = make_risk(world)
    response = client_for(actor(world, who)).get(
        reverse("conservation:risk_detail", args=[risk.pk])
    )
    assert response.status_code == status
    if status == 200:
        assert "Mould in G1" in response.content.decode()


def test_register_hides_risks_in_the_vault_from_the_curator(
    world: dict[str, Any], client_for: Any
) -> None:
    make_risk(world)
    secret = make_risk(world, place=world["shelf"], title="Vault leak")
    curator = client_for(world["people"]["curator"])
    page = curator.get(reverse("conservation:risk_register")).content.decode()
    assert "Mould in G1" in page
    assert "Vault leak" not in page
    assert curator.get(reverse("conservation:risk_detail", args=[secret.pk])).status_code == 404
    listed = (
        client_for(world["people"]["conservator"])
        .get(reverse("conservation:risk_register"))
        .content.decode()
    )
    assert listed.index("Vault leak") > 0
    assert "High" in listed  # MR 9.5 is in the "high" band


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 302), ("curator", 403), ("conservator", 200), ("admin", 200)]
)
def test_risk_form_matrix(world: dict[str, Any], client_for: Any, who: str, status: int) -> None:
    response = client_for(actor(world, who)).get(reverse("conservation:risk_create"))
    assert response.status_code == status


def test_risk_form_saves_and_names_the_wrong_field(world: dict[str, Any], client_for: Any) -> None:
    client = client_for(world["people"]["conservator"])
    data = {
        "agent": "9",
        "title": "Damp store",
        "a_score": "4.5",
        "b_score": "3",
        "c_score": "2",
        "status": "open",
        "places": [str(world["gallery"].pk)],
        "objects": "RISK-0001",
    }
    bad = client.post(reverse("conservation:risk_create"), {**data, "a_score": "4.3"})
    assert bad.status_code == 422
    assert "Use whole or half steps" in bad.content.decode()
    unknown = client.post(reverse("conservation:risk_create"),
                          {**data, "objects": "RISK-0001, NO-SUCH-1"})
    assert unknown.status_code == 422
    assert "No object has the number “NO-SUCH-1”." in unknown.content.decode()
    assert not Risk.objects.exists()
    good = client.post(reverse("conservation:risk_create"), data)
    risk = Risk.objects.get()
    assert good["Location"] == reverse("conservation:risk_detail", args=[risk.pk])
    assert risk.magnitude == 9.5
    assert risk.object_ids == [world["bowl"].pk]


@pytest.mark.parametrize(("who", "status"), MANAGE_MATRIX)
def test_treatment_and_suggest_matrix(
    world: dict[str, Any], client_for: Any, who: str, status: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from taihe.modules.conservation.risk import services as risk_services

    monkeypatch.setattr(
        risk_services,
        "suggest_abc",
        lambda location_ids, agent: {"a": 5.0, "b": 3.0, "numbers": {"rh_share_above_75": 0.04}},
    )
    risk = make_risk(world)
    client = client_for(actor(world, who))
    added = client.post(
        reverse("conservation:risk_treatment_add", args=[risk.pk]),
        {"description": "Dehumidifier in G1", "expected_reduction": "1.5", "status": "proposed"},
    )
    suggested = client.post(reverse("conservation:risk_suggest", args=[risk.pk]))
    assert (added.status_code, suggested.status_code) == (status, status)
    risk.refresh_from_db()
    allowed = who in ("conservator", "admin")
    assert RiskTreatment.objects.filter(risk=risk).count() == (1 if allowed else 0)
    assert (risk.evidence.get("suggested", {}).get("a") == 5.0) is allowed
    if allowed:
        assert risk.evidence["suggested"]["agent"] == "damp_mould"


@pytest.mark.parametrize(("who", "status"), MANAGE_MATRIX)
def test_task_status_matrix(world: dict[str, Any], client_for: Any, who: str, status: int) -> None:
    task = CareTask.objects.create(
        title="Check silica gel", object_ids=[world["bowl"].pk], location_id=world["gallery"].pk
    )
    response = client_for(actor(world, who)).post(
        reverse("conservation:risk_task_status", args=[task.pk]), {"status": "done"}
    )
    assert response.status_code == status
    task.refresh_from_db()
    assert (task.status == "done") is (who in ("conservator", "admin"))


def test_care_tasks_in_the_vault_stay_hidden(world: dict[str, Any], client_for: Any) -> None:
    CareTask.objects.create(title="Check silica gel", location_id=world["gallery"].pk)
    hidden = CareTask.objects.create(title="Fix vault dehumidifier", location_id=world["shelf"].pk)
    curator = client_for(world["people"]["curator"])
    page = curator.get(reverse("conservation:risk_tasks")).content.decode()
    assert "Check silica gel" in page
    assert "Fix vault dehumidifier" not in page
    conservator = client_for(world["people"]["conservator"])
    assert (
        conservator.post(
            reverse("conservation:risk_task_status", args=[hidden.pk]), {"status": "done"}
        ).status_code
        == 302
    )
    assert (
        curator.post(
            reverse("conservation:risk_task_status", args=[hidden.pk]), {"status": "done"}
        ).status_code
        == 403
    )


@pytest.mark.parametrize(("who", "status"), MATRIX)
def test_report_download_matrix(
    world: dict[str, Any], client_for: Any, who: str, status: int
) -> None:
    response = client_for(actor(world, who)).get(
        reverse("conservation:risk_report"), {"format": "xlsx"}
    )
    assert response.status_code == status
    if status == 200:
        assert response["Content-Disposition"].endswith('.xlsx"')


def test_review_due_is_a_to_do_for_the_owner(world: dict[str, Any]) -> None:
    from taihe.kernel.shell import todos_for

    risk = make_risk(world)
    titles = [todo.title for todo in todos_for(world["people"]["conservator"])]
    assert f"Review risk: {risk.title}" in titles
    assert not any(
        title.startswith("Review risk")
        for title in (todo.title for todo in todos_for(world["people"]["curator"]))
    )


def test_tile_for_risk_viewers_only(world: dict[str, Any]) -> None:
    from taihe.kernel.shell import apps_for

    assert "conservation.risk" in {tile.code for tile in apps_for(world["people"]["curator"])}
    assert "conservation.risk" not in {tile.code for tile in apps_for(world["people"]["member"])}
