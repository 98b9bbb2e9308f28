"""The built-in approvals: each one is publishable, ``migrate`` installs them all as version 1
once, and a realistic submission through each reaches the approvers its rules name."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from taihe.modules.catalog import services as catalog
from taihe.modules.workflows import builtin, seed, services
from taihe.modules.workflows.models import CarbonCopy, Process, ProcessVersion, Request, Task
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

CODES = ["cancellation", "leave", "overtime", "punch_correction", "business_trip",
         "expense_claim", "purchase", "object_movement", "loan_out", "photography", "seal",
         "repair"]

# A Monday to the Friday of the following week: eight working days.
MONDAY = dt.date(2026, 3, 2)


def _day(offset: int) -> str:
    return (MONDAY + dt.timedelta(days=offset)).isoformat()


@pytest.fixture
def org(museum: dict[str, Any], admin_person: Any, hr_person: Any) -> dict[str, Any]:
    """Museum (head: director) > Conservation (head: conservation_head) > Paper lab (head:
    lab_head, with the applicant and a colleague); a registrar, a curator and HR at the
    museum level; a guard in Security (no head)."""
    found = {
        "applicant": PersonFactory(username="applicant", department=museum["lab"],
                                   roles=["staff"]),
        "colleague": PersonFactory(username="colleague", department=museum["lab"],
                                   roles=["staff"]),
        "lab_head": PersonFactory(username="labhead", department=museum["lab"],
                                  roles=["conservator", "staff"]),
        "conservation_head": PersonFactory(username="conshead",
                                           department=museum["conservation"],
                                           roles=["conservator", "staff"]),
        "director": PersonFactory(username="director", department=museum["root"],
                                  roles=["staff"]),
        "registrar": PersonFactory(username="registrar", department=museum["root"],
                                   roles=["registrar", "staff"]),
        "curator": PersonFactory(username="curator", department=museum["root"],
                                 roles=["curator", "staff"]),
        "guard": PersonFactory(username="guard", department=museum["security"],
                               roles=["security", "staff"]),
        "hr": hr_person,
        "admin": admin_person,
    }
    for department, head in (("lab", "lab_head"), ("conservation", "conservation_head"),
                             ("root", "director")):
        museum[department].head = found[head]
        museum[department].save(update_fields=["head"])
    return found


@pytest.fixture
def collection(org: dict[str, Any]) -> dict[str, int]:
    """A store and a gallery, and two objects, recorded by the registrar."""
    registrar = org["registrar"]
    store = catalog.do_save_location(registrar, catalog.LocationInput(
        code="S1", name={"zh-Hans": "一号库房", "en": "Store 1"}, kind="store"))
    gallery = catalog.do_save_location(registrar, catalog.LocationInput(
        code="G1", name={"zh-Hans": "一号展厅", "en": "Gallery 1"}, kind="gallery"))
    scroll = catalog.do_create_object(registrar, catalog.ObjectInput(
        object_number="TH0001", title={"zh-Hans": "山水图卷", "en": "Landscape scroll"}))
    bowl = catalog.do_create_object(registrar, catalog.ObjectInput(
        object_number="TH0002", title={"zh-Hans": "青花碗", "en": "Blue and white bowl"}))
    return {"store": store.pk, "gallery": gallery.pk, "scroll": scroll.pk, "bowl": bowl.pk}


def _upload(person: Any, name: str = "receipt.pdf") -> int:
    upload = SimpleUploadedFile(name, b"%PDF-1.4 demo", content_type="application/pdf")
    return services.do_upload_attachment(person, upload).pk


def _pending(request: Request) -> list[tuple[str, str, str]]:
    return list(Task.objects.filter(request=request, status=Task.Status.PENDING)
                .order_by("key").values_list("node_id", "kind", "assignee__username"))


@pytest.mark.parametrize("template", builtin.TEMPLATES, ids=lambda t: t["code"])
def test_every_template_passes_the_publishing_checks(template: dict[str, Any]) -> None:
    # given a migrated database (its roles), when the template is checked, then it is clean
    assert services.check_process(template["form"], template["definition"]) == []


def test_templates_have_both_names_and_unique_codes() -> None:
    codes = [template["code"] for template in builtin.TEMPLATES]
    assert codes == CODES
    for template in builtin.TEMPLATES:
        assert template["name_zh"] and template["name_en"] and template["description"]
        for field in template["form"]:
            assert set(field["label"]) == {"zh-hans", "en"}, field["name"]


def test_migrate_installed_every_template_as_published_version_one() -> None:
    # given the migrated test database, then every template is there, published once
    processes = {p.code: p for p in Process.objects.filter(is_builtin=True)
                 .select_related("current_version", "cancellation_process")}
    assert sorted(processes) == sorted(CODES)
    for template in builtin.TEMPLATES:
        process = processes[template["code"]]
        assert process.current_version is not None
        assert process.current_version.number == 1
        assert process.versions.count() == 1
        assert process.current_version.form == template["form"]
        assert process.current_version.definition == template["definition"]
        assert process.draft_form == template["form"]
        assert process.name_en == template["name_en"]
        assert process.subject_code == template.get("subject_code", "")
        expected = None if template["code"] == "cancellation" else "cancellation"
        assert (process.cancellation_process.code if process.cancellation_process
                else None) == expected
    assert processes["leave"].subject_code == "attendance.leave"
    assert processes["object_movement"].subject_code == "catalog.movement"
    assert processes["loan_out"].subject_code == "catalog.loan"
    assert processes["repair"].subject_code == "facilities.maintenance"


def test_installing_again_changes_nothing_and_keeps_edits(org: dict[str, Any]) -> None:
    # given HR renamed the leave approval
    Process.objects.filter(code="leave").update(name_en="Time off")
    before = list(Process.objects.order_by("pk").values())
    versions = list(ProcessVersion.objects.order_by("pk").values())
    # when the seed runs again
    created = seed.install_builtin()
    # then nothing was created or changed
    assert created == []
    assert list(Process.objects.order_by("pk").values()) == before
    assert list(ProcessVersion.objects.order_by("pk").values()) == versions
    assert Process.objects.get(code="leave").name_en == "Time off"


def test_a_removed_template_is_installed_again_alone() -> None:
    # given the repair approval was removed (never used)
    Process.objects.filter(code="repair").update(current_version=None)
    Process.objects.get(code="repair").delete()
    # when the seed runs
    created = seed.install_builtin()
    # then only it comes back, as version 1 with the cancellation approval
    assert created == ["repair"]
    repair = Process.objects.get(code="repair")
    assert repair.current_version.number == 1
    assert repair.cancellation_process.code == "cancellation"


def test_short_leave_goes_to_the_manager_and_is_copied_to_hr(org: dict[str, Any]) -> None:
    # given two working days of personal leave (no balance to check)
    data = {"leave_type": "personal", "period": {"start": _day(0), "end": _day(1)},
            "reason": "Family visit", "cover": org["colleague"].pk}
    # when the applicant submits
    request = services.do_submit_request(org["applicant"], "leave", data)
    # then the days are worked out and the lab head approves
    assert request.form_data["days"] == 2.0
    assert request.subject_code == "attendance.leave"
    assert _pending(request) == [("manager", "approval", "labhead")]
    request = services.do_approve(org["lab_head"], request.number)
    # and nothing more is needed: approved, HR copied
    request.refresh_from_db()
    assert request.status == Request.Status.APPROVED
    assert list(CarbonCopy.objects.filter(request=request)
                .values_list("person__username", flat=True)) == ["hr"]


def test_leave_over_three_days_also_goes_a_level_up(org: dict[str, Any]) -> None:
    # given sick leave over eight working days with a certificate
    data = {"leave_type": "sick", "period": {"start": _day(0), "end": _day(11)},
            "reason": "Operation", "certificate": [_upload(org["applicant"], "note.pdf")]}
    request = services.do_submit_request(org["applicant"], "leave", data)
    assert request.form_data["days"] == 10.0
    assert request.form_data["certificate"]
    # when the lab head approves, then the conservation head is next
    services.do_approve(org["lab_head"], request.number)
    assert _pending(request) == [("next_level", "approval", "conshead")]
    services.do_approve(org["conservation_head"], request.number)
    request.refresh_from_db()
    assert request.status == Request.Status.APPROVED


def test_the_certificate_is_dropped_unless_leave_is_sick(org: dict[str, Any]) -> None:
    data = {"leave_type": "personal", "period": {"start": _day(0), "end": _day(0)},
            "reason": "Errand", "certificate": [_upload(org["applicant"])]}
    request = services.do_submit_request(org["applicant"], "leave", data)
    assert "certificate" not in request.form_data


def test_overtime_and_missed_punch_go_to_the_manager(org: dict[str, Any]) -> None:
    overtime = services.do_submit_request(org["applicant"], "overtime", {
        "date": _day(5), "start_time": "09:00", "end_time": "17:30", "hours": "7.5",
        "reason": "Installing the spring exhibition", "compensation": "comp_time"})
    punch = services.do_submit_request(org["applicant"], "punch_correction", {
        "date": _day(1), "punch": "in", "time": "08:25", "cause": "device",
        "explanation": "The clock at the staff entrance was off."})
    assert overtime.form_data["hours"] == 7.5
    assert _pending(overtime) == [("manager", "approval", "labhead")]
    assert _pending(punch) == [("manager", "approval", "labhead")]
    assert punch.subject_code == "attendance.punch_correction"


@pytest.mark.parametrize(("cost", "second"), [("3800", None), ("12000", "conshead")])
def test_a_costly_trip_also_goes_a_level_up(org: dict[str, Any], cost: str,
                                            second: str | None) -> None:
    data = {"destination": "Xi'an", "purpose": "Courier for the bronze loan",
            "period": {"start": _day(1), "end": _day(3)}, "transport": "train",
            "estimated_cost": cost, "companions": [org["colleague"].pk]}
    request = services.do_submit_request(org["applicant"], "business_trip", data)
    assert request.form_data["days"] == 3.0
    assert _pending(request) == [("manager", "approval", "labhead")]
    services.do_approve(org["lab_head"], request.number)
    request.refresh_from_db()
    if second is None:
        assert request.status == Request.Status.APPROVED
    else:
        assert _pending(request) == [("director", "approval", second)]


def test_an_expense_claim_adds_up_and_goes_to_finance_after_the_manager(
        org: dict[str, Any]) -> None:
    data = {"items": [
        {"date": _day(0), "category": "transport", "description": "Train to Xi'an",
         "amount": "553.50"},
        {"date": _day(1), "category": "lodging", "description": "Hotel, two nights",
         "amount": "680"}],
        "receipts": [_upload(org["applicant"])]}
    request = services.do_submit_request(org["applicant"], "expense_claim", data)
    assert request.form_data["total"] == 1233.5
    assert [row["amount"] for row in request.form_data["items"]] == ["553.50", "680.00"]
    assert _pending(request) == [("manager", "approval", "labhead")]
    services.do_approve(org["lab_head"], request.number)
    # under 50,000: finance (the administrators until a finance office is named) is next
    assert _pending(request) == [("finance", "approval", "admin")]


def test_an_expense_claim_without_receipts_is_refused(org: dict[str, Any]) -> None:
    from taihe.kernel.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        services.do_submit_request(org["applicant"], "expense_claim", {"items": [
            {"date": _day(0), "category": "meals", "description": "Lunch", "amount": "40"}]})
    assert set(refused.value.fields) == {"receipts"}


def test_a_large_purchase_needs_the_director_then_procurement(org: dict[str, Any]) -> None:
    data = {"items": [
        {"name": "Dehumidifier", "specification": "50 L/day", "quantity": "4",
         "unit_price": "12800"},
        {"name": "Data logger", "quantity": "10", "unit_price": "950.5"}],
        "supplier": "Museum Climate Co.", "needed_by": _day(20),
        "reason": "Store 3 runs above 65 % RH in summer."}
    request = services.do_submit_request(org["applicant"], "purchase", data)
    assert [row["amount"] for row in request.form_data["items"]] == [51200.0, 9505.0]
    assert request.form_data["total"] == 60705.0
    services.do_approve(org["lab_head"], request.number)
    assert _pending(request) == [("director", "approval", "conshead")]
    services.do_approve(org["conservation_head"], request.number)
    assert _pending(request) == [("procurement", "handler", "admin")]
    services.do_approve(org["admin"], request.number, comment="Ordered")
    request.refresh_from_db()
    assert request.status == Request.Status.APPROVED


def test_an_object_movement_goes_to_conservation_then_registrar_copying_security(
        org: dict[str, Any], collection: dict[str, int]) -> None:
    data = {"movement_type": "out", "objects": [collection["scroll"], collection["bowl"]],
            "from_location": collection["store"], "to_location": collection["gallery"],
            "date": _day(2), "purpose": "exhibition", "reason": "Spring exhibition",
            "handlers": [org["applicant"].pk, org["colleague"].pk]}
    request = services.do_submit_request(org["registrar"], "object_movement", data)
    assert request.subject_code == "catalog.movement"
    # or-sign: any conservator
    assert sorted(_pending(request)) == [("conservation", "approval", "conshead"),
                                         ("conservation", "approval", "labhead")]
    services.do_approve(org["conservation_head"], request.number)
    # the registrar applied, so their own step is approved for them
    request.refresh_from_db()
    assert request.status == Request.Status.APPROVED
    assert list(CarbonCopy.objects.filter(request=request)
                .values_list("person__username", flat=True)) == ["guard"]


def test_a_loan_goes_curator_then_conservation_and_registrar_then_director(
        org: dict[str, Any], collection: dict[str, int]) -> None:
    data = {"borrower": "Shaanxi History Museum", "exhibition": "Silk Road treasures",
            "venue": "Xi'an", "period": {"start": _day(30), "end": _day(120)},
            "objects": [collection["bowl"]], "insurance_value": "2500000",
            "courier": org["lab_head"].pk}
    request = services.do_submit_request(org["applicant"], "loan_out", data)
    assert _pending(request) == [("curator", "approval", "curator")]
    services.do_approve(org["curator"], request.number)
    assert sorted(_pending(request)) == [("conservation", "approval", "conshead"),
                                         ("conservation", "approval", "labhead"),
                                         ("registrar", "approval", "registrar")]
    services.do_approve(org["registrar"], request.number)
    services.do_approve(org["lab_head"], request.number)
    # the director is the applicant's manager two levels up
    assert _pending(request) == [("director", "approval", "conshead")]


def test_photography_goes_to_the_manager_then_security(org: dict[str, Any],
                                                       collection: dict[str, int]) -> None:
    data = {"organisation": "CCTV-9", "contact": "Ms Zhou 139 0000 0000",
            "purpose": "documentary", "locations": [collection["gallery"]],
            "objects": [collection["scroll"]], "period": {"start": _day(7), "end": _day(7)},
            "crew": "4", "equipment": "Two cameras, LED panels", "flash": "no"}
    request = services.do_submit_request(org["applicant"], "photography", data)
    assert _pending(request) == [("manager", "approval", "labhead")]
    services.do_approve(org["lab_head"], request.number)
    assert _pending(request) == [("security", "approval", "guard")]
    services.do_approve(org["guard"], request.number)
    request.refresh_from_db()
    assert request.status == Request.Status.APPROVED
    assert sorted(CarbonCopy.objects.filter(request=request)
                  .values_list("person__username", flat=True)) == ["conshead", "labhead"]


@pytest.mark.parametrize(("seal", "steps"), [
    ("official", ["labhead", "hr"]), ("contract", ["labhead", "conshead", "hr"])])
def test_a_seal_is_approved_then_stamped_by_the_keeper(org: dict[str, Any], seal: str,
                                                      steps: list[str]) -> None:
    data = {"document_title": "Loan agreement with Shaanxi History Museum",
            "seal_type": seal, "copies": "3", "purpose": "Outgoing loan",
            "document": [_upload(org["applicant"], "agreement.pdf")]}
    request = services.do_submit_request(org["applicant"], "seal", data)
    seen = []
    for _step in steps:
        [(_node, _kind, username)] = _pending(request)
        seen.append(username)
        services.do_approve(org[{"labhead": "lab_head", "conshead": "conservation_head",
                                 "hr": "hr"}[username]], request.number)
    assert seen == steps
    request.refresh_from_db()
    assert request.status == Request.Status.APPROVED
    assert Task.objects.get(request=request, node_id="seal_keeper").kind == "handler"


def test_a_repair_goes_straight_to_facilities(org: dict[str, Any],
                                              collection: dict[str, int]) -> None:
    data = {"location": collection["store"], "place_detail": "North wall, bay 4",
            "equipment": "Dehumidifier DH-3", "problem": "Water tank leaks onto the floor.",
            "urgency": "emergency"}
    request = services.do_submit_request(org["guard"], "repair", data)
    assert request.subject_code == "facilities.maintenance"
    assert _pending(request) == [("facilities", "handler", "admin")]


def test_an_approved_request_is_cancelled_through_the_cancellation_approval(
        org: dict[str, Any]) -> None:
    overtime = services.do_submit_request(org["applicant"], "overtime", {
        "date": _day(5), "start_time": "18:00", "end_time": "20:00", "hours": "2",
        "reason": "Evening opening", "compensation": "pay"})
    services.do_approve(org["lab_head"], overtime.number)
    cancellation = services.do_request_cancellation(org["applicant"], overtime.number,
                                                    reason="The opening was called off")
    assert cancellation.process.code == "cancellation"
    assert _pending(cancellation) == [("manager", "approval", "labhead")]
    services.do_approve(org["lab_head"], cancellation.number)
    overtime.refresh_from_db()
    assert overtime.status == Request.Status.CANCELLED
