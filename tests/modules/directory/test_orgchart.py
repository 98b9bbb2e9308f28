"""Org chart import: parsing, the dry run, per-row errors, rights, and the export round trip."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Max
from django.utils import translation
from openpyxl import Workbook

from taihe.kernel.errors import PermissionDenied, ValidationFailed
from taihe.kernel.events.models import OutboxEvent
from taihe.kernel.testing.events import captured_events
from taihe.modules.directory import demo, orgchart, services
from taihe.modules.directory.models import Person, Position, RoleAssignment
from taihe.modules.directory.orgchart import RowError, do_import_org_chart
from tests.factories import PersonFactory, grant

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
HEADER = ["username", "employee_number", "name_zh", "name_en", "email", "phone", "status",
          "department_code", "position_code", "roles"]


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


@pytest.fixture
def conservator_position(db: Any) -> Position:
    return Position.objects.create(code="conservator", title_zh="修复师", title_en="Conservator")


def csv_file(rows: list[list[str]], *, header: list[str] = HEADER, bom: bool = False,
             encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode(encoding)


def xlsx_file(rows: list[list[Any]], *, header: list[str] = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def state() -> dict[str, tuple[int, int | None]]:
    return {model.__name__: (model.objects.count(), model.objects.aggregate(top=Max("id"))["top"])
            for model in (Person, RoleAssignment, OutboxEvent)}


def person_row(username: str, **values: str) -> list[str]:
    row = dict.fromkeys(HEADER, "")
    row.update(username=username, name_zh="新人", name_en="New Person",
               email=f"{username}@museum.example", status="staff")
    row.update(values)
    return [row[column] for column in HEADER]


# --- Dry run and apply ------------------------------------------------------------------------

def test_a_dry_run_reports_what_would_happen_and_writes_nothing(
        admin_person: Person, member: Person, museum: dict[str, Any],
        conservator_position: Position) -> None:
    # given
    member_row = [member.username, "", member.name_zh, member.name_en, member.email,
                  "+86 10 1234 5678", member.status, "", "", "staff"]
    data = csv_file([
        person_row("li.hua", department_code="paper-lab", position_code="conservator",
                   roles="conservator"),
        person_row("wang.fang", department_code="security"),
        member_row,
        [admin_person.username, "", admin_person.name_zh, admin_person.name_en,
         admin_person.email, "", "staff", museum["root"].code, "", "administrator;staff"],
    ])
    before = state()

    # when
    report = do_import_org_chart(admin_person, data, "people.csv", dry_run=True)

    # then
    assert report.as_dict() == {"dry_run": True, "rows": 4, "created": 2, "updated": 1,
                                "unchanged": 1, "errors": []}
    assert state() == before
    member.refresh_from_db()
    assert member.phone == ""


def test_an_import_creates_and_updates_people_through_the_services(
        admin_person: Person, member: Person, museum: dict[str, Any],
        conservator_position: Position) -> None:
    # given
    data = csv_file([
        person_row("li.hua", employee_number="E0100", department_code="paper-lab",
                   position_code="conservator", roles="conservator；curator", phone="139"),
        [member.username, "E0200", "成员", "Member", "member@museum.example", "", "contractor",
         "security", "conservator", "registrar"],
    ])

    # when
    with captured_events() as found:
        report = do_import_org_chart(admin_person, data, "people.csv", dry_run=False)

    # then
    assert report.as_dict() == {"dry_run": False, "rows": 2, "created": 1, "updated": 1,
                                "unchanged": 0, "errors": []}
    created = Person.objects.get(username="li.hua")
    assert (created.name_zh, created.name_en, created.employee_number, created.email,
            created.phone, created.status, created.department, created.position) == (
        "新人", "New Person", "E0100", "li.hua@museum.example", "139", "staff",
        museum["lab"], conservator_position)
    assert not created.has_usable_password()
    assert set(RoleAssignment.objects.filter(person=created).values_list(
        "role__code", "department")) == {("conservator", None), ("curator", None),
                                         ("staff", None)}
    member.refresh_from_db()
    assert (member.employee_number, member.name_zh, member.status, member.department,
            member.position) == ("E0200", "成员", "contractor", museum["security"],
                                 conservator_position)
    # Roles are added, never taken away.
    assert set(RoleAssignment.objects.filter(person=member).values_list(
        "role__code", flat=True)) == {"staff", "registrar"}
    names = [event.name for event in found]
    assert names == [
        "directory.person.created.v1",
        "directory.role.assigned.v1", "directory.role.assigned.v1",
        "directory.person.updated.v1",
        "directory.role.assigned.v1",
        "directory.orgchart.imported.v1",
    ]
    imported = found[-1].payload
    assert (imported["created"], imported["updated"], imported["actor_id"]) == (
        1, 1, admin_person.pk)


def test_only_the_columns_in_the_file_change_and_blank_codes_keep_the_current_ones(
        admin_person: Person, member: Person, museum: dict[str, Any]) -> None:
    # given
    name_en = member.name_en
    data = csv_file([[member.username, "+86 139 0000 0001", "", ""]],
                    header=["Username", "Phone", "Department Code", "Status"])

    # when
    report = do_import_org_chart(admin_person, data, "people.csv", dry_run=False)

    # then
    assert (report.updated, report.errors) == (1, [])
    member.refresh_from_db()
    assert (member.phone, member.department, member.status, member.name_en) == (
        "+86 139 0000 0001", museum["lab"], "staff", name_en)


def test_a_username_matches_whatever_its_case(admin_person: Person, member: Person) -> None:
    data = csv_file([["MEMBER", "E77"]], header=["username", "employee_number"])

    report = do_import_org_chart(admin_person, data, "people.csv", dry_run=False)

    assert (report.created, report.updated) == (0, 1)
    member.refresh_from_db()
    assert member.employee_number == "E77"


# --- Errors -----------------------------------------------------------------------------------

def test_any_error_means_nothing_is_written_and_every_error_is_listed(
        admin_person: Person, member: Person, conservator_position: Position) -> None:
    # given
    member.employee_number = "E001"
    member.save()
    data = csv_file([
        person_row("new.one", employee_number="E100"),  # row 2: fine on its own
        person_row("bad.dept", department_code="nowhere"),
        person_row("bad.position", position_code="astronaut"),
        person_row("bad.roles", roles="curator;wizard;alchemist"),
        person_row("bad.email", email="not-an-email"),
        person_row("bad.status", status="retired"),
        person_row("New.One"),
        person_row("dup.number", employee_number="E100"),
        person_row("taken.number", employee_number="E001"),
        person_row("no.name", name_zh="", name_en=""),
        person_row("", email=""),
        person_row("bad name!", email=""),
    ])
    before = state()

    # when
    report = do_import_org_chart(admin_person, data, "people.csv", dry_run=False)

    # then
    assert report.errors == [
        RowError(3, "department_code", 'No department has the code "nowhere".'),
        RowError(4, "position_code", 'No position has the code "astronaut".'),
        RowError(5, "roles", "Unknown role codes: alchemist, wizard."),
        RowError(6, "email", "Enter a valid email address."),
        RowError(7, "status", "Status must be one of: staff, contractor, volunteer, external."),
        RowError(8, "username", "This username already appears in row 2."),
        RowError(9, "employee_number", "This employee number already appears in row 2."),
        RowError(10, "employee_number", "Another person has this employee number."),
        RowError(11, "name_zh", "Give a name in Chinese or English."),
        RowError(12, "username", "A username is required."),
        RowError(13, "username", "Use up to 80 letters, digits, dots, dashes or underscores."),
    ]
    assert (report.rows, report.created, report.updated, report.unchanged) == (12, 0, 0, 0)
    assert state() == before


def test_header_problems_are_reported_on_row_one(admin_person: Person) -> None:
    data = csv_file([["x", "y"]], header=["user", "emial"])

    report = do_import_org_chart(admin_person, data, "people.csv", dry_run=True)

    assert report.errors == [
        RowError(1, "user", 'Unknown column "user".'),
        RowError(1, "emial", 'Unknown column "emial".'),
        RowError(1, "username", "The file needs a username column."),
    ]


def test_a_rule_only_a_service_knows_rolls_back_the_rows_before_it(
        admin_person: Person, monkeypatch: pytest.MonkeyPatch) -> None:
    # given: the services refuse the second row's role (say, a rule added after the checks)
    real_assign = services.do_assign_role

    def assign(actor: Any, person: Person, role: Any, **kwargs: Any) -> Any:
        if person.username == "second":
            raise ValidationFailed(fields={"department_id": "No such department."})
        return real_assign(actor, person, role, **kwargs)

    monkeypatch.setattr(services, "do_assign_role", assign)
    data = csv_file([person_row("first", roles="curator"), person_row("second", roles="curator")])
    before = state()

    # when
    report = do_import_org_chart(admin_person, data, "people.csv", dry_run=False)

    # then
    assert report.errors == [RowError(3, "department_code", "No such department.")]
    assert (report.created, report.updated) == (0, 0)
    assert state() == before


@pytest.mark.parametrize(("filename", "data", "message"), [
    ("people.txt", b"username\nx\n", "Upload a .csv or .xlsx file."),
    ("people", b"username\nx\n", "Upload a .csv or .xlsx file."),
    ("people.xls", b"\xd0\xcf\x11\xe0", "The old Excel .xls format is not supported: save the "
                                        "file as .xlsx or CSV."),
    ("people.xlsx", b"username\nx\n", "This file could not be read as an Excel (.xlsx) "
                                      "workbook."),
    ("people.xlsx", b"PK\x03\x04broken", "This file could not be read as an Excel (.xlsx) "
                                         "workbook."),
    ("people.csv", b"PK\x03\x04", "This file is an Excel workbook, not CSV text: upload it "
                                  "with the .xlsx extension."),
    ("people.csv", b"\n,,\n", "The file is empty."),
    ("people.csv", b"\x81\x30\xff\xfe\x80", "The file is not UTF-8 or GB18030 text. Save it "
                                            "as CSV UTF-8."),
])
def test_files_that_are_not_a_readable_csv_or_xlsx_are_refused(
        admin_person: Person, filename: str, data: bytes, message: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        do_import_org_chart(admin_person, data, filename, dry_run=True)
    assert raised.value.fields == {"file": message}


def test_size_and_row_limits(admin_person: Person, monkeypatch: pytest.MonkeyPatch) -> None:
    too_big = b"username\n" + b"x" * (5 * 1024 * 1024)
    with pytest.raises(ValidationFailed) as raised:
        do_import_org_chart(admin_person, too_big, "people.csv", dry_run=True)
    assert raised.value.fields == {"file": "The file is larger than 5 MB."}

    monkeypatch.setattr(orgchart, "MAX_ROWS", 3)
    rows = csv_file([person_row(f"p{n}") for n in range(4)])
    with pytest.raises(ValidationFailed) as raised:
        do_import_org_chart(admin_person, rows, "people.csv", dry_run=True)
    assert raised.value.fields == {"file": "The file has more than 3 rows."}
    assert do_import_org_chart(admin_person, csv_file([person_row(f"p{n}") for n in range(3)]),
                               "people.csv", dry_run=True).created == 3


# --- Formats ----------------------------------------------------------------------------------

def test_xlsx_is_read_with_numbers_as_text(admin_person: Person, museum: dict[str, Any]) -> None:
    # given: digits typed into Excel arrive as numbers
    data = xlsx_file([
        ["zhao.lei", 1001, "赵磊", "Zhao Lei", None, 13900100001, "staff", "security", None,
         None],
        [None] * 10,
        ["qian.li", 1002.0, "钱丽", "", "qian.li@museum.example", "", "volunteer", "", "", ""],
    ])

    # when
    report = do_import_org_chart(admin_person, data, "People.XLSX", dry_run=False)

    # then
    assert report.as_dict() == {"dry_run": False, "rows": 2, "created": 2, "updated": 0,
                                "unchanged": 0, "errors": []}
    zhao = Person.objects.get(username="zhao.lei")
    assert (zhao.employee_number, zhao.phone, zhao.department) == (
        "1001", "13900100001", museum["security"])
    assert Person.objects.get(username="qian.li").employee_number == "1002"


def test_xlsx_errors_name_the_spreadsheet_row(admin_person: Person) -> None:
    data = xlsx_file([person_row("ok"), [None] * 10, person_row("bad", email="@")])

    report = do_import_org_chart(admin_person, data, "people.xlsx", dry_run=True)

    assert report.errors == [RowError(4, "email", "Enter a valid email address.")]


def test_csv_with_a_byte_order_mark(admin_person: Person) -> None:
    data = csv_file([person_row("bom.person", name_zh="白雪")], bom=True)

    report = do_import_org_chart(admin_person, data, "people.csv", dry_run=False)

    assert (report.created, report.errors) == (1, [])
    assert Person.objects.get(username="bom.person").name_zh == "白雪"


def test_gb18030_csv_from_chinese_excel_with_chinese_headers(
        admin_person: Person, museum: dict[str, Any]) -> None:
    # given: a file as Excel in a Chinese locale saves it (GBK bytes, Chinese headers)
    data = (DATA / "orgchart-gb18030.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")

    # when
    report = do_import_org_chart(admin_person, data, "花名册.csv", dry_run=False)

    # then
    assert (report.created, report.errors) == (2, [])
    person = Person.objects.get(username="sun.li")
    assert (person.name_zh, person.name_en, person.employee_number, person.status,
            person.department) == ("孙丽", "Sun Li", "GB001", "volunteer", museum["security"])
    assert set(RoleAssignment.objects.filter(person__username="zhou.ming").values_list(
        "role__code", flat=True)) == {"staff", "security"}


# --- Round trip -------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exporting_and_importing_the_demo_museum_changes_nothing(fmt: str) -> None:
    # given
    demo.load(lambda line: None)
    admin = Person.objects.get(username="admin")
    exported = orgchart.render_org_chart(admin, fmt)
    before = state()

    # when
    dry = do_import_org_chart(admin, exported, f"orgchart.{fmt}", dry_run=True)
    with captured_events() as found:
        report = do_import_org_chart(admin, exported, f"orgchart.{fmt}", dry_run=False)

    # then
    assert dry.as_dict() == {"dry_run": True, "rows": 197, "created": 0, "updated": 0,
                             "unchanged": 197, "errors": []}
    assert report.as_dict() == {"dry_run": False, "rows": 197, "created": 0, "updated": 0,
                                "unchanged": 197, "errors": []}
    assert [event.name for event in found] == ["directory.orgchart.imported.v1"]
    after = state()
    assert after["Person"] == before["Person"]
    assert after["RoleAssignment"] == before["RoleAssignment"]


def test_the_export_names_the_department_path(admin_person: Person, member: Person) -> None:
    rows = {row[0]: row for row in orgchart.org_chart_rows(admin_person)}

    assert rows["member"][orgchart.COLUMNS.index("department_path")] == \
        "博物馆 / 文保部 / 纸质文物实验室"
    assert rows["member"][orgchart.COLUMNS.index("department_code")] == "paper-lab"


def test_a_formula_like_name_stays_text_in_xlsx(admin_person: Person) -> None:
    PersonFactory(username="eq", name_en="=1+1", department=admin_person.department)
    exported = orgchart.render_org_chart(admin_person, "xlsx")

    report = do_import_org_chart(admin_person, exported, "orgchart.xlsx", dry_run=True)

    assert (report.unchanged, report.updated, report.errors) == (2, 0, [])


# --- Rights -----------------------------------------------------------------------------------

def test_a_member_without_the_operation_is_refused_and_nothing_is_written(
        member: Person) -> None:
    data = csv_file([person_row("sneaky")])
    before = state()

    with pytest.raises(PermissionDenied):
        do_import_org_chart(member, data, "people.csv", dry_run=False)
    with pytest.raises(PermissionDenied):
        do_import_org_chart(member, data, "people.csv", dry_run=True)
    assert state() == before


def test_hr_imports_but_may_not_hand_out_the_administrator_role(
        hr_person: Person, member: Person) -> None:
    # given
    hire = person_row("new.hire", department_code="security", roles="security")
    data = csv_file([hire, [member.username, "", member.name_zh, member.name_en, member.email,
                            "", "staff", "", "", "administrator"]])
    before = state()

    # when
    report = do_import_org_chart(hr_person, data, "people.csv", dry_run=False)

    # then
    assert report.errors == [
        RowError(3, "roles", "Only administrators may give the administrator role.")]
    assert state() == before

    # when the row asks for nothing HR may not give
    report = do_import_org_chart(hr_person, csv_file([hire]), "people.csv", dry_run=False)
    assert (report.created, report.errors) == (1, [])


def test_department_scoped_managers_may_only_import_their_people(
        member: Person, museum: dict[str, Any]) -> None:
    # given: the person may import, but manages people only in the security subtree
    manager = PersonFactory(username="lead", department=museum["security"], roles=["staff"])
    grant(manager, "hr", museum["security"])
    data = csv_file([person_row("guard", department_code="security"),
                     person_row("restorer", department_code="paper-lab"),
                     person_row("nowhere")])

    # when
    report = do_import_org_chart(manager, data, "people.csv", dry_run=True)

    # then
    assert report.errors == [
        RowError(3, "department_code", "You may not add or change people in this department."),
        RowError(4, "department_code", "You may not add or change people in this department."),
    ]


# --- HTTP -------------------------------------------------------------------------------------

def test_the_import_endpoint_for_the_four_actors(client_for: Any, admin_person: Person,
                                                 member: Person, outsider: Person) -> None:
    def post(person: Any, dry_run: str) -> Any:
        upload = io.BytesIO(csv_file([person_row("via.api")]))
        upload.name = "people.csv"
        return client_for(person).post("/api/v1/directory/imports",
                                       {"file": upload, "dry_run": dry_run})

    before = state()
    assert post(None, "false").status_code == 401
    assert post(outsider, "false").status_code == 403
    assert post(member, "false").status_code == 403
    assert state() == before

    response = post(admin_person, "true")
    assert response.status_code == 200, response.content
    assert response.json() == {"dry_run": True, "rows": 1, "created": 1, "updated": 0,
                               "unchanged": 0, "errors": []}
    assert state() == before
    response = post(admin_person, "false")
    assert response.json()["created"] == 1
    assert Person.objects.filter(username="via.api").exists()
