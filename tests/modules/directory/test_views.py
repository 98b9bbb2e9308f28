"""Directory pages: tree and search, person pages and photos, profile, tokens and the admin
pages. Every page: anonymous, member without the right, member with it, administrator."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse
from PIL import Image

from taihe.kernel.http.models import ApiToken
from taihe.kernel.http.tokens import issue
from taihe.modules.directory import orgchart
from taihe.modules.directory.models import Department, OrgChartExport, Person, Role, RoleAssignment
from tests.factories import PersonFactory, grant

pytestmark = pytest.mark.django_db


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (140, 47, 29)).save(out, format="PNG")
    return out.getvalue()


def login_redirect(url: str) -> str:
    return f"{reverse('directory:login')}?next={url}"


# --- Directory index---------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/directory/", "/profile/", "/profile/tokens/",
                                 "/directory/manage/people/", "/directory/manage/departments/",
                                 "/directory/manage/roles/", "/directory/manage/tokens/",
                                 "/directory/manage/orgchart/"])
def test_anonymous_is_sent_to_sign_in(client: Any, museum: Any, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == login_redirect(url)


def test_directory_is_closed_to_people_without_the_right(client_for: Any, outsider: Any,
                                                         member: Any) -> None:
    response = client_for(outsider).get("/directory/")
    assert response.status_code == 403
    assert "member" not in response.content.decode()


def test_member_sees_tree_with_counts_and_people(client_for: Any, member: Any,
                                                 museum: Any) -> None:
    PersonFactory(username="guard", name_zh="王五", name_en="Wang Wu",
                  department=museum["security"])
    response = client_for(member).get("/directory/")
    assert response.status_code == 200
    tree = response.context["tree"]
    assert [node.department.code for node in tree] == ["museum"]
    assert tree[0].count == 2
    assert {c.department.code: c.count for c in tree[0].children} == {
        "conservation": 1, "security": 1}
    assert [p.username for p in response.context["page_obj"]] == ["member", "guard"]
    assert "王五 · Wang Wu" in response.content.decode().replace("</span> · <span lang=\"en\">",
                                                                 " · ").replace(
        '<span lang="zh-hans">', "").replace("</span>", "")


@pytest.mark.parametrize(("query", "expected"), [
    ("王五", ["guard"]), ("wang", ["guard"]), ("E-1007", ["guard"]),
    ("guard@museum.example", ["guard"]), ("138 0000", ["guard"]), ("nobody", []),
])
def test_search_finds_people_by_any_name_or_number(client_for: Any, member: Any, museum: Any,
                                                   query: str, expected: list[str]) -> None:
    PersonFactory(username="guard", name_zh="王五", name_en="Wang Wu", employee_number="E-1007",
                  phone="138 0000 1234", department=museum["security"])
    response = client_for(member).get("/directory/", {"q": query})
    assert [p.username for p in response.context["page_obj"]] == expected


def test_department_filter_includes_sub_departments(client_for: Any, member: Any,
                                                    museum: Any) -> None:
    PersonFactory(username="guard", department=museum["security"])
    response = client_for(member).get("/directory/", {"department": museum["conservation"].pk})
    assert [p.username for p in response.context["page_obj"]] == ["member"]
    assert response.context["department"] == museum["conservation"]


def test_scoped_viewer_sees_only_their_subtree(client_for: Any, museum: Any) -> None:
    PersonFactory(username="guard", department=museum["security"])
    viewer = PersonFactory(username="viewer", department=museum["lab"])
    grant(viewer, "conservator", museum["conservation"])
    response = client_for(viewer).get("/directory/")
    assert [p.username for p in response.context["page_obj"]] == ["viewer"]
    assert "guard" not in response.content.decode()


def test_deactivated_people_are_not_listed(client_for: Any, member: Any, museum: Any) -> None:
    PersonFactory(username="gone", department=museum["lab"], is_active=False)
    response = client_for(member).get("/directory/")
    assert [p.username for p in response.context["page_obj"]] == ["member"]


# --- Person page and photo---------------------------------------------------------------------

def test_person_page_shows_path_contact_and_head_chain(client_for: Any, member: Any,
                                                       museum: Any) -> None:
    head = PersonFactory(username="labhead", name_zh="李四", name_en="Li Si",
                         department=museum["conservation"])
    museum["conservation"].head = head
    museum["conservation"].save()
    response = client_for(member).get(f"/people/{member.pk}/")
    assert response.status_code == 200
    assert [d.code for d in response.context["department_path"]] == [
        "museum", "conservation", "paper-lab"]
    assert response.context["heads"] == [head]
    assert response.context["may_edit"] is False
    body = response.content.decode()
    assert "member@museum.example" in body
    assert f'/people/{head.pk}/' in body


def test_person_page_hidden_from_people_without_the_right(client_for: Any, outsider: Any,
                                                          member: Any) -> None:
    assert client_for(outsider).get(f"/people/{member.pk}/").status_code == 404
    assert client_for(outsider).get(f"/people/{outsider.pk}/").status_code == 200


def test_administrator_may_edit_from_person_page(client_for: Any, admin_person: Any,
                                                 member: Any) -> None:
    response = client_for(admin_person).get(f"/people/{member.pk}/")
    assert response.context["may_edit"] is True
    assert f"/directory/manage/people/{member.pk}/" in response.content.decode()


def test_photo_is_served_only_to_people_who_may_see_the_person(
        client_for: Any, member: Any, outsider: Any, admin_person: Any) -> None:
    from django.core.files.base import ContentFile

    member.photo.save("member.png", ContentFile(png_bytes()), save=True)
    url = f"/people/{member.pk}/photo"
    assert client_for(None).get(url).status_code == 302
    assert client_for(outsider).get(url).status_code == 404
    response = client_for(admin_person).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == png_bytes()
    assert client_for(member).get(f"/people/{admin_person.pk}/photo").status_code == 404


# --- Profile-----------------------------------------------------------------------------------

def test_profile_changes_own_phone_email_and_language(client_for: Any, member: Any) -> None:
    client = client_for(member)
    response = client.post("/profile/", {"phone": "+86 10 6513 2255",
                                         "email": "member@dpm.example", "language": "zh-hans"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.phone, member.email, member.language) == (
        "+86 10 6513 2255", "member@dpm.example", "zh-hans")
    assert client.cookies["django_language"].value == "zh-hans"
    assert '<html lang="zh-hans">' in client.get("/profile/").content.decode()


def test_profile_shows_field_errors_and_changes_nothing(client_for: Any, member: Any) -> None:
    response = client_for(member).post("/profile/", {"phone": "1", "email": "not-an-email",
                                                     "language": "en"})
    assert response.status_code == 422
    assert response.context["form"].errors == {"email": ["Enter a valid email address."]}
    member.refresh_from_db()
    assert (member.phone, member.email) == ("", "member@museum.example")


def test_language_switcher_remembers_the_choice(client_for: Any, member: Any) -> None:
    response = client_for(member).post("/profile/language", {"language": "zh-hans",
                                                             "next": "/directory/"})
    assert response.status_code == 302
    assert response.url == "/directory/"
    member.refresh_from_db()
    assert member.language == "zh-hans"


def test_language_switcher_refuses_foreign_redirects(client_for: Any, member: Any) -> None:
    response = client_for(member).post("/profile/language", {
        "language": "en", "next": "https://evil.example/"})
    assert response.url == "/"


def test_profile_photo_upload(client_for: Any, member: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(member).post("/profile/photo", {
        "photo": SimpleUploadedFile("me.png", png_bytes(), content_type="image/png")})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.photo.name == f"people/{member.pk}.png"


# --- My API tokens-----------------------------------------------------------------------------

def test_issue_token_shows_the_secret_once(client_for: Any, member: Any) -> None:
    client = client_for(member)
    response = client.post("/profile/tokens/", {"name": "Sensor gateway", "scopes": ["read"],
                                                "days": "30"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    issued = response.context["issued"]
    token = ApiToken.objects.get(owner=member)
    assert (token.name, token.scopes) == ("Sensor gateway", ["read"])
    assert issued.secret in response.content.decode()
    again = client.get("/profile/tokens/").content.decode()
    assert issued.secret not in again
    assert f"{token.prefix}…" in again


def test_issue_token_requires_a_scope(client_for: Any, member: Any) -> None:
    response = client_for(member).post("/profile/tokens/", {"name": "x", "days": "30"})
    assert response.status_code == 422
    assert "scopes" in response.context["form"].errors
    assert ApiToken.objects.count() == 0


def test_revoke_own_token_but_not_someone_elses(client_for: Any, member: Any,
                                                admin_person: Any) -> None:
    mine = issue(member, name="mine", scopes=["read"]).token
    theirs = issue(admin_person, name="theirs", scopes=["read"]).token
    client = client_for(member)
    assert client.post(f"/profile/tokens/{theirs.pk}/revoke").status_code == 404
    assert client.post(f"/profile/tokens/{mine.pk}/revoke").status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None
    assert theirs.revoked_at is None


def test_my_tokens_page_lists_only_mine(client_for: Any, member: Any, admin_person: Any) -> None:
    issue(admin_person, name="admin-secret-name", scopes=["read"])
    body = client_for(member).get("/profile/tokens/").content.decode()
    assert "admin-secret-name" not in body


# --- Admin: people-----------------------------------------------------------------------------

def test_people_admin_is_closed_to_members(client_for: Any, member: Any) -> None:
    client = client_for(member)
    assert client.get("/directory/manage/people/").status_code == 403
    response = client.post("/directory/manage/people/new", {
        "username": "intruder", "name_zh": "入侵", "status": "staff"})
    assert response.status_code == 403
    assert not Person.objects.filter(username="intruder").exists()


def test_hr_lists_and_filters_people(client_for: Any, hr_person: Any, member: Any,
                                     museum: Any) -> None:
    PersonFactory(username="volunteer1", status="volunteer", department=museum["security"])
    PersonFactory(username="gone", department=museum["lab"], is_active=False)
    client = client_for(hr_person)
    response = client.get("/directory/manage/people/", {"status": "volunteer"})
    assert response.status_code == 200
    assert [p.username for p in response.context["page_obj"]] == ["volunteer1"]
    response = client.get("/directory/manage/people/", {"active": "inactive"})
    assert [p.username for p in response.context["page_obj"]] == ["gone"]


def test_hr_adds_a_person(client_for: Any, hr_person: Any, museum: Any) -> None:
    response = client_for(hr_person).post("/directory/manage/people/new", {
        "username": "zhangsan", "name_zh": "张三", "name_en": "Zhang San",
        "employee_number": "E-2001", "email": "zhangsan@museum.example", "phone": "",
        "status": "staff", "department_id": str(museum["lab"].pk), "position_id": "",
        "language": "", "password": ""})
    person = Person.objects.get(username="zhangsan")
    assert response.status_code == 302
    assert response.url == f"/directory/manage/people/{person.pk}/"
    assert (person.name_zh, person.department, person.employee_number) == (
        "张三", museum["lab"], "E-2001")


def test_adding_a_person_shows_service_errors_next_to_fields(client_for: Any, hr_person: Any,
                                                              member: Any) -> None:
    response = client_for(hr_person).post("/directory/manage/people/new", {
        "username": "member", "name_zh": "", "name_en": "", "status": "staff",
        "email": "bad"})
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert errors["username"] == ["This username is taken."]
    assert errors["email"] == ["Enter a valid email address."]
    assert Person.objects.filter(username="member").count() == 1


def test_scoped_hr_cannot_open_people_outside_their_departments(client_for: Any, museum: Any,
                                                                 member: Any) -> None:
    guard = PersonFactory(username="guard", department=museum["security"])
    scoped = PersonFactory(username="scopedhr", department=museum["conservation"])
    grant(scoped, "hr", museum["conservation"])
    client = client_for(scoped)
    assert client.get(f"/directory/manage/people/{member.pk}/").status_code == 200
    assert client.get(f"/directory/manage/people/{guard.pk}/").status_code == 404
    response = client.post(f"/directory/manage/people/{guard.pk}/deactivate")
    assert response.status_code == 404
    guard.refresh_from_db()
    assert guard.is_active is True


def test_hr_edits_and_deactivates_a_person(client_for: Any, hr_person: Any, member: Any,
                                           museum: Any) -> None:
    issue(member, name="t", scopes=["read"])
    client = client_for(hr_person)
    response = client.post(f"/directory/manage/people/{member.pk}/", {
        "username": "member", "name_zh": "成员", "name_en": "Member One", "status": "staff",
        "department_id": str(museum["security"].pk), "employee_number": "", "email": "",
        "phone": "", "position_id": "", "language": ""})
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.name_en, member.department) == ("Member One", museum["security"])
    response = client.post(f"/directory/manage/people/{member.pk}/deactivate")
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.is_active is False
    assert ApiToken.objects.get(owner=member).revoked_at is not None


def test_deactivating_yourself_is_refused_with_a_message(client_for: Any,
                                                         admin_person: Any) -> None:
    client = client_for(admin_person)
    response = client.post(f"/directory/manage/people/{admin_person.pk}/deactivate",
                           follow=True)
    assert "You cannot deactivate yourself." in response.content.decode()
    admin_person.refresh_from_db()
    assert admin_person.is_active is True


# --- Admin: departments------------------------------------------------------------------------

def test_departments_admin_is_closed_to_members_and_hr(client_for: Any, member: Any,
                                                       hr_person: Any, museum: Any) -> None:
    for person in (member, hr_person):
        client = client_for(person)
        assert client.get("/directory/manage/departments/").status_code == 403
        assert client.post("/directory/manage/departments/", {
            "code": "x", "name_zh": "X"}).status_code == 403
        assert client.post(f"/directory/manage/departments/{museum['lab'].pk}/close"
                           ).status_code == 403
    assert not Department.objects.filter(code="x").exists()
    museum["lab"].refresh_from_db()
    assert museum["lab"].closed_at is None


def test_administrator_creates_a_department_with_a_head(client_for: Any, admin_person: Any,
                                                        member: Any, museum: Any) -> None:
    response = client_for(admin_person).post("/directory/manage/departments/", {
        "code": "textiles", "name_zh": "纺织品实验室", "name_en": "Textiles lab",
        "parent_id": str(museum["conservation"].pk), "head": "member", "sort_order": "2"})
    assert response.status_code == 302
    created = Department.objects.get(code="textiles")
    assert (created.parent, created.head, created.path) == (
        museum["conservation"], member, f"{museum['conservation'].path}{created.pk}/")


def test_department_form_shows_errors(client_for: Any, admin_person: Any, museum: Any) -> None:
    response = client_for(admin_person).post("/directory/manage/departments/", {
        "code": "security", "name_zh": "重复", "head": "nobody"})
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert errors["head"] == ["No active person with this username or employee number."]
    assert Department.objects.filter(code="security").count() == 1


def test_rename_move_merge_and_close(client_for: Any, admin_person: Any, museum: Any) -> None:
    client = client_for(admin_person)
    lab = museum["lab"]
    assert client.post(f"/directory/manage/departments/{lab.pk}/", {
        "name_zh": "纸张实验室", "name_en": "Paper conservation lab", "head": "admin",
        "sort_order": "1"}).status_code == 302
    lab.refresh_from_db()
    assert (lab.name_en, lab.head) == ("Paper conservation lab", admin_person)
    assert client.post(f"/directory/manage/departments/{lab.pk}/move", {
        "parent_id": str(museum["security"].pk)}).status_code == 302
    lab.refresh_from_db()
    assert lab.parent == museum["security"]
    response = client.post(f"/directory/manage/departments/{lab.pk}/move", {
        "parent_id": str(lab.pk)})
    assert response.status_code == 422
    assert client.post(f"/directory/manage/departments/{lab.pk}/merge", {
        "into_id": str(museum["conservation"].pk)}).status_code == 302
    lab.refresh_from_db()
    assert lab.closed_at is not None
    response = client.post(f"/directory/manage/departments/{museum['conservation'].pk}/close",
                           follow=True)
    assert "Close or move its sub-departments first." not in response.content.decode()
    assert Department.objects.get(pk=museum["conservation"].pk).closed_at is not None


def test_closing_a_department_with_people_is_refused(client_for: Any, admin_person: Any,
                                                     member: Any, museum: Any) -> None:
    response = client_for(admin_person).post(
        f"/directory/manage/departments/{museum['lab'].pk}/close", follow=True)
    assert "Move its people elsewhere before closing this department." in (
        response.content.decode())
    museum["lab"].refresh_from_db()
    assert museum["lab"].closed_at is None


# --- Admin: roles------------------------------------------------------------------------------

def test_roles_admin_is_closed_to_members(client_for: Any, member: Any, museum: Any) -> None:
    client = client_for(member)
    role = Role.objects.get(code="hr")
    assert client.get("/directory/manage/roles/").status_code == 403
    assert client.post("/directory/manage/roles/assign", {
        "person": "member", "role": str(role.pk), "department_id": ""}).status_code == 403
    assert client.post(f"/directory/manage/roles/{role.pk}/", {
        "name_zh": "x", "name_en": "x", "operations": ["audit.entry.view"]}).status_code == 403
    assert not RoleAssignment.objects.filter(person=member, role=role).exists()
    role.refresh_from_db()
    assert "audit.entry.view" not in role.operations


def test_hr_may_assign_roles_but_not_change_them(client_for: Any, hr_person: Any, member: Any,
                                                 museum: Any) -> None:
    client = client_for(hr_person)
    curator = Role.objects.get(code="curator")
    response = client.post("/directory/manage/roles/assign", {
        "person": "member", "role": str(curator.pk), "department_id": str(museum["root"].pk),
        "include_subdepartments": "on"})
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(person=member, role=curator)
    assert assignment.department == museum["root"]
    assert client.get(f"/directory/manage/roles/{curator.pk}/").status_code == 200
    assert client.post(f"/directory/manage/roles/{curator.pk}/", {
        "name_zh": "x", "name_en": "x", "operations": []}).status_code == 403
    assert client.post(f"/directory/manage/roles/assignments/{assignment.pk}/revoke"
                       ).status_code == 302
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_hr_cannot_give_the_administrator_role(client_for: Any, hr_person: Any,
                                               member: Any, museum: Any) -> None:
    administrator = Role.objects.get(code="administrator")
    response = client_for(hr_person).post("/directory/manage/roles/assign", {
        "person": "member", "role": str(administrator.pk),
        "department_id": str(museum["root"].pk)})
    assert response.status_code == 422
    assert response.context["assign_form"].non_field_errors() == [
        "Only administrators may give the administrator role."]
    assert not RoleAssignment.objects.filter(person=member, role=administrator).exists()


def test_administrator_edits_a_roles_operations(client_for: Any, admin_person: Any) -> None:
    role = Role.objects.get(code="security")
    response = client_for(admin_person).post(f"/directory/manage/roles/{role.pk}/", {
        "name_zh": "安保人员", "name_en": "Security", "description": "Guards",
        "operations": ["directory.person.view", "audit.entry.view"], "patterns": ""})
    assert response.status_code == 302
    role.refresh_from_db()
    assert role.operations == ["audit.entry.view", "directory.person.view"]


def test_unknown_operation_patterns_are_reported(client_for: Any, admin_person: Any) -> None:
    role = Role.objects.get(code="security")
    response = client_for(admin_person).post(f"/directory/manage/roles/{role.pk}/", {
        "name_zh": "安保人员", "name_en": "Security", "patterns": "nothing.at.all"})
    assert response.status_code == 422
    assert response.context["form"].errors["patterns"] == [
        "Unknown operations: nothing.at.all."]


def test_administrator_creates_a_role(client_for: Any, admin_person: Any) -> None:
    response = client_for(admin_person).post("/directory/manage/roles/new", {
        "code": "photographer", "name_zh": "摄影师", "name_en": "Photographer",
        "operations": ["directory.person.view"], "patterns": ""})
    role = Role.objects.get(code="photographer")
    assert response.status_code == 302
    assert role.operations == ["directory.person.view"]


# --- Admin: tokens-----------------------------------------------------------------------------

def test_token_admin_is_for_token_managers_only(client_for: Any, hr_person: Any, member: Any,
                                                admin_person: Any) -> None:
    token = issue(member, name="gateway", scopes=["read", "write"]).token
    assert client_for(hr_person).get("/directory/manage/tokens/").status_code == 403
    assert client_for(hr_person).post(f"/profile/tokens/{token.pk}/revoke").status_code == 404
    response = client_for(admin_person).get("/directory/manage/tokens/")
    assert response.status_code == 200
    assert [t.name for t in response.context["page_obj"]] == ["gateway"]
    assert client_for(admin_person).post(f"/profile/tokens/{token.pk}/revoke", {
        "next": "/directory/manage/tokens/"}).url == "/directory/manage/tokens/"
    token.refresh_from_db()
    assert token.revoked_at is not None


# --- Admin: org chart--------------------------------------------------------------------------

def test_orgchart_is_closed_to_members(client_for: Any, member: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(member)
    assert client.get("/directory/manage/orgchart/").status_code == 403
    assert client.post("/directory/manage/orgchart/check", {
        "file": SimpleUploadedFile("o.csv", b"username\n")}).status_code == 403
    assert client.post("/directory/manage/orgchart/export", {"format": "csv"}).status_code == 403
    assert OrgChartExport.objects.count() == 0


def test_import_is_checked_first_and_errors_listed_by_row(
        client_for: Any, hr_person: Any, monkeypatch: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    calls: list[tuple[bytes, str, bool]] = []

    def fake(actor: Any, data: bytes, filename: str, *, dry_run: bool) -> orgchart.ImportReport:
        calls.append((data, filename, dry_run))
        return orgchart.ImportReport(dry_run=dry_run, rows=2, errors=[
            orgchart.RowError(3, "email", "Enter a valid email address.")])

    monkeypatch.setattr(orgchart, "do_import_org_chart", fake)
    response = client_for(hr_person).post("/directory/manage/orgchart/check", {
        "file": SimpleUploadedFile("people.csv", b"username,email\na,bad\n")})
    assert response.status_code == 422
    assert calls == [(b"username,email\na,bad\n", "people.csv", True)]
    body = response.content.decode()
    assert '<td>3</td><td class="mono">email</td><td>Enter a valid email address.</td>' in body
    assert "orgchart/apply" not in body


def test_clean_import_is_applied_in_a_second_step(client_for: Any, hr_person: Any,
                                                  monkeypatch: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    calls: list[tuple[bytes, bool]] = []

    def fake(actor: Any, data: bytes, filename: str, *, dry_run: bool) -> orgchart.ImportReport:
        calls.append((data, dry_run))
        return orgchart.ImportReport(dry_run=dry_run, rows=1, created=1)

    monkeypatch.setattr(orgchart, "do_import_org_chart", fake)
    client = client_for(hr_person)
    response = client.post("/directory/manage/orgchart/check", {
        "file": SimpleUploadedFile("people.csv", b"username\nnew\n")})
    assert response.status_code == 200
    assert "orgchart/apply" in response.content.decode()
    response = client.post("/directory/manage/orgchart/apply", follow=True)
    assert calls == [(b"username\nnew\n", True), (b"username\nnew\n", False)]
    assert "Imported 1 rows: 1 added, 0 updated, 0 unchanged." in response.content.decode()
    assert client.post("/directory/manage/orgchart/apply").status_code == 302
    assert len(calls) == 2


def test_export_is_downloadable_by_its_requester_only(
        client_for: Any, hr_person: Any, admin_person: Any, member: Any,
        run_commit_hooks: Any) -> None:
    with run_commit_hooks():
        response = client_for(hr_person).post("/directory/manage/orgchart/export",
                                              {"format": "csv"})
    assert response.status_code == 302
    export = OrgChartExport.objects.get()
    export.refresh_from_db()
    assert export.status == "done"
    url = f"/directory/exports/{export.pk}/download"
    assert client_for(admin_person).get(url).status_code == 404
    assert client_for(member).get(url).status_code == 404
    download = client_for(hr_person).get(url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="orgchart-')
    content = b"".join(download.streaming_content).decode("utf-8-sig")
    assert content.splitlines()[0] == ",".join(orgchart.COLUMNS)
    assert "member," in content


def test_import_page_with_the_real_importer(client_for: Any, hr_person: Any,
                                            museum: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    header = ",".join(orgchart.COLUMNS)
    good = "newbie,E-9001,新人,New Person,newbie@museum.example,,staff,paper-lab,,,staff"
    bad = "badmail,E-9002,坏,Bad,not-an-email,,staff,paper-lab,,,staff"
    client = client_for(hr_person)
    response = client.post("/directory/manage/orgchart/check", {
        "file": SimpleUploadedFile("people.csv", f"{header}\n{good}\n{bad}\n".encode())})
    assert response.status_code == 422
    assert [(e.row, e.field) for e in response.context["report"].errors] == [(3, "email")]
    assert not Person.objects.filter(username__in=["newbie", "badmail"]).exists()
    response = client.post("/directory/manage/orgchart/check", {
        "file": SimpleUploadedFile("people.csv", f"{header}\n{good}\n".encode())})
    assert response.status_code == 200
    assert not Person.objects.filter(username="newbie").exists()
    client.post("/directory/manage/orgchart/apply")
    assert Person.objects.get(username="newbie").department == museum["lab"]
