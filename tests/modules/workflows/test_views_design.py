"""The approval designer's pages: only HR and administrators may open them; creating,
saving a draft, checking and publishing go through the services; export and import make a
round trip, and a bad file or a bad draft is refused with every problem named and nothing
stored."""

from __future__ import annotations

import io
import json
from html import unescape
from typing import Any

import pytest
from django.urls import reverse

from taihe.modules.workflows import services
from taihe.modules.workflows.models import Process, ProcessVersion, Request
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

FORM = [
    {"name": "purpose", "type": "text", "label": {"zh-hans": "事由", "en": "Purpose"},
     "required": True},
    {"name": "amount", "type": "money", "label": {"zh-hans": "金额", "en": "Amount"},
     "required": True, "currency": "CNY"},
]


def _definition(approver_id: int) -> dict[str, Any]:
    return {"settings": {"dedup": "consecutive", "auto_approve_applicant": True,
                         "on_empty": "skip"},
            "nodes": [{"id": "approval_1", "type": "approval", "name": "Curator",
                       "mode": "sequential",
                       "approvers": [{"kind": "people", "ids": [approver_id]}]}]}


@pytest.fixture
def approver(museum: dict[str, Any]) -> Any:
    return PersonFactory(username="approver", department=museum["root"], roles=["staff"])


@pytest.fixture
def purchase(hr_person: Any) -> Process:
    """An approval with an empty draft, never published."""
    return services.do_create_process(hr_person, {"code": "supplies", "name_zh": "采购",
                                                  "name_en": "Purchase"})


def _designer_post(client: Any, process: Process, body: Any) -> Any:
    payload = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(reverse("workflows:designer", args=[process.pk]), data=payload,
                       content_type="application/json")


def _upload(client: Any, content: bytes, *, publish: bool = True) -> Any:
    upload = io.BytesIO(content)
    upload.name = "approval.json"
    data: dict[str, Any] = {"file": upload}
    if publish:
        data["publish"] = "on"
    return client.post(reverse("workflows:process_import"), data=data)


# --- who may open the designer ------------------------------------------------------------


def _pages(process: Process) -> list[str]:
    return [reverse("workflows:processes"), reverse("workflows:process_create"),
            reverse("workflows:process_import"),
            reverse("workflows:designer", args=[process.pk]),
            reverse("workflows:process_export", args=[process.pk])]


def test_hr_and_administrators_open_every_designer_page(
        client_for: Any, hr_person: Any, admin_person: Any, purchase: Process) -> None:
    # Given HR and an administrator
    for person in (hr_person, admin_person):
        client = client_for(person)
        # When they open each page, then each opens
        statuses = [client.get(url).status_code for url in _pages(purchase)]
        assert statuses == [200, 200, 200, 200, 200], person.username


def test_staff_and_outsiders_are_refused_and_see_nothing(
        client_for: Any, member: Any, outsider: Any, purchase: Process) -> None:
    for person in (member, outsider):
        client = client_for(person)
        for url in _pages(purchase):
            # When someone without the right opens a page
            response = client.get(url)
            # Then it is refused without naming the approval
            assert response.status_code == 403, (person.username, url)
            assert "supplies" not in response.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client_for: Any, purchase: Process) -> None:
    client = client_for(None)
    for url in _pages(purchase):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("directory:login"))


def test_refused_posts_change_nothing(client_for: Any, member: Any, approver: Any,
                                      purchase: Process) -> None:
    # Given a staff member without the right to design
    client = client_for(member)
    # When they try to save, publish, create and import
    saved = _designer_post(client, purchase, {"action": "save", "form": FORM,
                                              "definition": _definition(approver.pk)})
    published = _designer_post(client, purchase, {"action": "publish"})
    created = client.post(reverse("workflows:process_create"),
                          {"code": "sneaky", "name_zh": "偷偷"})
    exported = services.export_process(purchase) | {"code": "imported"}
    imported = _upload(client, json.dumps(exported).encode())
    # Then every attempt is refused and nothing changed
    assert [saved.status_code, published.status_code, created.status_code,
            imported.status_code] == [403, 403, 403, 403]
    purchase.refresh_from_db()
    assert purchase.draft_form == []
    assert not ProcessVersion.objects.filter(process__code="supplies").exists()
    assert not Process.objects.filter(code__in=["sneaky", "imported"]).exists()


# --- list and create ----------------------------------------------------------------------


def test_the_list_shows_version_draft_state_and_running_requests(
        client_for: Any, hr_person: Any, member: Any, approver: Any,
        purchase: Process) -> None:
    # Given a published approval with one running request, then a changed draft
    services.do_save_draft(hr_person, purchase.pk, form=FORM,
                           definition=_definition(approver.pk))
    services.do_publish_process(hr_person, purchase.pk, note="first")
    services.do_submit_request(member, "supplies", {"purpose": "Paper", "amount": "120"})
    services.do_save_draft(hr_person, purchase.pk, form=FORM[:1])
    # When HR opens the list
    html = client_for(hr_person).get(reverse("workflows:processes")).content.decode()
    # Then the row shows version 1, the changed draft, open, and one request in approval
    row = html[html.index('data-code="supplies"'):]
    row = row[:row.index("</tr>")]
    assert "Version 1" in row
    assert "Changed since publishing" in row
    assert "Open" in row
    assert '<td class="number">1</td>' in row
    assert reverse("workflows:designer", args=[purchase.pk]) in row
    assert reverse("workflows:process_export", args=[purchase.pk]) in row
    assert Request.objects.filter(process=purchase, status="running").count() == 1


def test_hr_creates_an_approval_and_lands_in_the_designer(
        client_for: Any, hr_person: Any) -> None:
    client = client_for(hr_person)
    # When HR fills in the new approval form
    response = client.post(reverse("workflows:process_create"), {
        "code": "travel", "name_zh": "出差", "name_en": "Business trip",
        "category": "finance", "description": "Trips outside the city"})
    # Then the approval exists with an empty draft and HR is in its designer
    process = Process.objects.get(code="travel")
    assert response.status_code == 302
    assert response["Location"] == reverse("workflows:designer", args=[process.pk])
    assert (process.name_zh, process.name_en, process.category, process.description) == (
        "出差", "Business trip", "finance", "Trips outside the city")
    assert process.draft_form == []
    assert process.current_version is None


def test_a_taken_code_is_refused_next_to_the_field(client_for: Any, hr_person: Any,
                                                   purchase: Process) -> None:
    response = client_for(hr_person).post(reverse("workflows:process_create"),
                                          {"code": "supplies", "name_zh": "再来"})
    assert response.status_code == 422
    assert "An approval with this code exists." in unescape(response.content.decode())
    assert Process.objects.filter(code="supplies").count() == 1
    assert not Process.objects.filter(name_zh="再来").exists()


# --- the designer -------------------------------------------------------------------------


def test_the_designer_hands_the_draft_and_the_lists_to_its_script(
        client_for: Any, hr_person: Any, approver: Any, purchase: Process) -> None:
    # Given a draft that names a person
    services.do_save_draft(hr_person, purchase.pk, form=FORM,
                           definition=_definition(approver.pk))
    # When HR opens the designer
    html = client_for(hr_person).get(reverse("workflows:designer", args=[purchase.pk])
                                     ).content.decode()
    # Then the page carries the draft, field types, roles, operators and the person's name
    start = html.index('<script id="designer-data" type="application/json">')
    data = json.loads(html[html.index(">", start) + 1:html.index("</script>", start)])
    assert data["draft"]["form"] == FORM
    assert data["draft"]["definition"] == _definition(approver.pk)
    assert data["draft"]["details"]["name_zh"] == "采购"
    assert {"code": "money", "label": "Money", "kind": "number",
            "options": ["currency", "max", "min"]} in data["field_types"]
    assert {"code": "hr", "name": "HR"} in data["roles"]
    assert data["operators"]["number"] == ["eq", "ne", "gt", "ge", "lt", "le", "empty",
                                           "not_empty"]
    assert data["operator_labels"]["gt"] == "is more than"
    assert data["people"] == {str(approver.pk): approver.display_name}
    assert data["urls"]["save"] == reverse("workflows:designer", args=[purchase.pk])
    assert 'src="/jsi18n/"' in html
    assert "workflows/designer.js" in html


def test_saving_keeps_the_draft_and_details(client_for: Any, hr_person: Any, approver: Any,
                                            museum: dict[str, Any], purchase: Process) -> None:
    # When HR saves a form, a process and details
    response = _designer_post(client_for(hr_person), purchase, {
        "action": "save", "form": FORM, "definition": _definition(approver.pk),
        "details": {"name_en": "Purchases", "starter_departments": [museum["lab"].pk],
                    "is_active": False, "code": "ignored"}})
    # Then the draft and details are stored and nothing is published
    assert response.status_code == 200
    assert response.json() == {"saved": True, "changed": True,
                               "message": "The draft is saved."}
    purchase.refresh_from_db()
    assert purchase.draft_form == FORM
    assert purchase.draft_definition == _definition(approver.pk)
    assert (purchase.name_en, purchase.starter_departments, purchase.is_active,
            purchase.code) == ("Purchases", [museum["lab"].pk], False, "supplies")
    assert purchase.current_version is None


@pytest.mark.parametrize(("body", "status", "detail"), [
    (b"{not json", 400, "The request is not valid JSON"),
    (b"[1, 2]", 400, "Send a JSON object with an action."),
    ({"action": "dance"}, 400, "Unknown action dance: use save, check or publish."),
    ({"action": "save", "form": {"name": "x"}}, 422, "Some values are not valid."),
    ({"action": "save", "definition": {"nodes": "none"}}, 422, "Some values are not valid."),
    ({"action": "save", "details": {"name_zh": " "}}, 422, "Some values are not valid."),
])
def test_a_bad_save_is_refused_with_a_message_and_changes_nothing(
        client_for: Any, hr_person: Any, purchase: Process, body: Any, status: int,
        detail: str) -> None:
    # Given a saved draft
    services.do_save_draft(hr_person, purchase.pk, form=FORM[:1])
    # When a broken save arrives
    response = _designer_post(client_for(hr_person), purchase, body)
    # Then it is refused saying why, and the draft is as it was
    assert response.status_code == status
    assert response.json()["detail"].startswith(detail)
    purchase.refresh_from_db()
    assert purchase.draft_form == FORM[:1]
    assert purchase.draft_definition == {"nodes": [], "settings": {}}
    assert purchase.name_zh == "采购"


def test_a_bad_save_names_the_part_that_is_wrong(client_for: Any, hr_person: Any,
                                                 purchase: Process) -> None:
    response = _designer_post(client_for(hr_person), purchase,
                              {"action": "save", "form": {"name": "x"}})
    assert response.json()["problems"] == ["Form: The form is a list of fields."]


def test_check_lists_each_problem_of_the_posted_design(client_for: Any, hr_person: Any,
                                                       purchase: Process) -> None:
    # Given a form with an unnamed field and a process without any approval step
    form = [{"name": "Amount", "type": "money", "label": {"en": "Amount"}}]
    # When HR checks it
    response = _designer_post(client_for(hr_person), purchase, {
        "action": "check", "form": form, "definition": {"nodes": [], "settings": {}}})
    # Then each problem is listed naming its field or the process, and nothing is saved
    assert response.status_code == 200
    assert response.json() == {"problems": [
        "Amount: a field name is 1-40 lower-case letters, digits or _, starting with a letter.",
        "A process needs at least one approval or handler step."],
        "message": "Fix these before publishing:"}
    purchase.refresh_from_db()
    assert purchase.draft_form == []


def test_check_of_a_sound_design_finds_nothing(client_for: Any, hr_person: Any,
                                               approver: Any, purchase: Process) -> None:
    response = _designer_post(client_for(hr_person), purchase, {
        "action": "check", "form": FORM, "definition": _definition(approver.pk)})
    assert response.json() == {"problems": [],
                               "message": "No problems: the approval can be published."}


def test_publishing_an_unfinished_draft_lists_its_problems(
        client_for: Any, hr_person: Any, purchase: Process) -> None:
    # Given a draft whose approval step names nobody
    services.do_save_draft(hr_person, purchase.pk, form=FORM, definition={
        "settings": {}, "nodes": [{"id": "a1", "type": "approval", "name": "Finance",
                                   "approvers": []}]})
    # When HR publishes
    response = _designer_post(client_for(hr_person), purchase,
                              {"action": "publish", "note": "try"})
    # Then the problems are listed and no version exists
    assert response.status_code == 422
    assert response.json()["detail"] == "The approval cannot be published yet."
    assert response.json()["problems"] == ["Finance: say who acts at this step."]
    assert not ProcessVersion.objects.filter(process=purchase).exists()


def test_publishing_a_sound_draft_makes_the_next_version(
        client_for: Any, hr_person: Any, approver: Any, purchase: Process) -> None:
    services.do_save_draft(hr_person, purchase.pk, form=FORM,
                           definition=_definition(approver.pk))
    client = client_for(hr_person)
    # When HR publishes twice
    first = _designer_post(client, purchase, {"action": "publish", "note": "First form"})
    second = _designer_post(client, purchase, {"action": "publish", "note": "Again"})
    # Then versions 1 and 2 exist with their notes, and 2 is current
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["version"] == 2
    versions = list(ProcessVersion.objects.filter(process=purchase).order_by("number")
                    .values_list("number", "note", "form"))
    assert versions == [(1, "First form", FORM), (2, "Again", FORM)]
    purchase.refresh_from_db()
    assert purchase.current_version is not None
    assert purchase.current_version.number == 2
    page = client.get(reverse("workflows:designer", args=[purchase.pk])).content.decode()
    assert "Version 2 published" in page


# --- export and import --------------------------------------------------------------------


def test_export_and_import_make_a_round_trip(client_for: Any, hr_person: Any, approver: Any,
                                             purchase: Process) -> None:
    # Given a designed approval
    services.do_save_draft(hr_person, purchase.pk, form=FORM,
                           definition=_definition(approver.pk),
                           details={"category": "finance"})
    client = client_for(hr_person)
    # When HR exports it, changes its code and imports the file
    exported = client.get(reverse("workflows:process_export", args=[purchase.pk]))
    assert exported["Content-Disposition"] == 'attachment; filename="supplies.json"'
    document = json.loads(exported.content)
    assert document["format"] == services.EXPORT_FORMAT
    document["code"] = "supplies-copy"
    response = _upload(client, json.dumps(document, ensure_ascii=False).encode())
    # Then a new approval with the same form and process is published as version 1
    copy = Process.objects.get(code="supplies-copy")
    assert response.status_code == 302
    assert response["Location"] == reverse("workflows:designer", args=[copy.pk])
    assert (copy.name_zh, copy.category, copy.draft_form, copy.draft_definition) == (
        "采购", "finance", FORM, _definition(approver.pk))
    assert copy.current_version is not None
    assert (copy.current_version.number, copy.current_version.form) == (1, FORM)


def test_an_invalid_file_lists_every_problem_and_stores_nothing(
        client_for: Any, hr_person: Any, purchase: Process) -> None:
    # Given an exported approval whose field has no name and whose step names nobody
    document = services.export_process(purchase) | {
        "code": "broken", "form": [{"name": "", "type": "text", "label": {"en": "Why"}}],
        "definition": {"settings": {}, "nodes": [{"id": "a", "type": "approval",
                                                  "name": "Boss", "approvers": []}]}}
    before = Process.objects.count()
    # When HR imports it
    response = _upload(client_for(hr_person), json.dumps(document).encode())
    # Then every problem is listed and nothing is stored
    html = unescape(response.content.decode())
    assert response.status_code == 422
    assert "The approval in the file has problems." in html
    assert "<li>field 1: a field name is 1-40 lower-case letters, digits or _, starting " \
           "with a letter.</li>" in html
    assert "<li>Boss: say who acts at this step.</li>" in html
    assert Process.objects.count() == before
    assert not Process.objects.filter(code="broken").exists()


@pytest.mark.parametrize(("content", "message"), [
    (b"{oops", "The file is not JSON"),
    (b'{"format": "other"}', "This is not an exported Taihe approval"),
    ("\u91c7\u8d2d".encode("gbk"), "The file is not UTF-8 text."),
])
def test_a_file_that_is_no_export_is_refused(client_for: Any, hr_person: Any,
                                             content: bytes, message: str) -> None:
    before = Process.objects.count()
    response = _upload(client_for(hr_person), content)
    assert response.status_code == 422
    assert message in unescape(response.content.decode())
    assert Process.objects.count() == before
