"""The payroll export of a closed month: the summary in a saved column layout, the Detail and
Corrections sheets, CSV for Excel, formula injection, and who may export what.

The month is October 2026, judged from punches and closed through the services: Li Wei is
late twice, takes a day of annual leave, is absent on two days, works overtime on a workday,
a Saturday and National Day, and has an absence of 30 September (a closed month) corrected
by a make-up punch, which October pays. Wang Fang's Saturday becomes time off in lieu and
she takes half a day of it. Zhao's name is a formula.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from openpyxl.utils.datetime import to_excel
from openpyxl.utils.escape import unescape

from taihe.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from taihe.kernel.testing.matrix import database_state
from taihe.modules.attendance import exporting, services
from taihe.modules.attendance.computing import recompute
from taihe.modules.attendance.models import (
    Absence,
    CalendarDay,
    ExportLayout,
    Group,
    LeaveType,
    Membership,
)
from tests.factories import PersonFactory
from tests.modules.attendance.conftest import local

pytestmark = pytest.mark.django_db

OCTOBER = date(2026, 10, 1)
CONTENT_TYPE_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Scenario:
    li: Any
    wang: Any
    zhao: Any
    hr: Any


def weekdays(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        if day.weekday() < 5:
            yield day
        day += timedelta(days=1)


def build_october(museum: dict[str, Any], hr: Any, office: Group, day_shift: Any,
                  punch_at: Callable[..., Any], clock: Callable[[datetime], None]) -> Scenario:
    """Close September, correct one of its days, then judge and close October."""
    office.overtime_basis = Group.OvertimeBasis.PUNCHES
    office.rest_day_overtime = Group.Settlement.PAY
    office.save()
    galleries = Group.objects.create(name="Galleries", calendar=office.calendar, shift=day_shift,
                                     overtime_basis=Group.OvertimeBasis.PUNCHES)
    li = PersonFactory(username="li.wei", name_zh="李伟", name_en="Li Wei",
                       department=museum["conservation"], roles=["staff"])
    wang = PersonFactory(username="wang.fang", name_zh="王芳", name_en="Wang Fang",
                         department=museum["conservation"], roles=["staff"])
    zhao = PersonFactory(username="zhao", name_zh="=1+2", name_en="=1+2",
                         department=museum["security"], roles=["staff"])
    for person, group in ((li, office), (wang, galleries), (zhao, office)):
        Membership.objects.create(person=person, group=group)
    CalendarDay.objects.create(date=OCTOBER, kind=CalendarDay.Kind.HOLIDAY, name="National Day")

    clock(local(date(2026, 10, 5), 12))
    services.do_close_month(hr, date(2026, 9, 1))  # nobody punched: every workday absent
    punch_at(li, local(date(2026, 9, 30), 8, 55))
    punch_at(li, local(date(2026, 9, 30), 17, 35))
    recompute([li.pk], date(2026, 9, 30), date(2026, 9, 30), cause="Make-up punch AP-7")

    clock(local(date(2026, 11, 20), 20))
    own_days = {date(2026, 10, day) for day in (12, 13, 14, 16, 19, 20)}
    for day in weekdays(date(2026, 10, 2), date(2026, 10, 31)):
        for person in (li, wang, zhao):
            if (person is li and day in own_days) or (person is wang and day.day == 20):
                continue
            punch_at(person, local(day, 8, 55))
            punch_at(person, local(day, 17, 35))
    for person, day, start, end in (
            (li, 1, (9, 0), (12, 0)),     # National Day: 3 hours at 300 %
            (li, 10, (10, 0), (14, 0)),   # Saturday: 4 hours at 200 %, paid
            (li, 12, (8, 58), (19, 30)),  # 2 hours after the shift at 150 %
            (li, 13, (9, 12), (17, 35)),  # 12 minutes late
            (li, 14, (9, 20), (17, 31)),  # 20 minutes late
            (wang, 10, (10, 0), (14, 0)),  # Saturday: 4 hours of time off in lieu
            (wang, 20, (13, 10), (17, 35))):  # the morning off in lieu
        punch_at(person, local(date(2026, 10, day), *start))
        punch_at(person, local(date(2026, 10, day), *end))
    Absence.objects.create(person=li, kind=Absence.Kind.LEAVE,
                           leave_type=LeaveType.objects.get(code="annual"),
                           start=date(2026, 10, 16), end=date(2026, 10, 16), amount=1,
                           status=Absence.Status.APPROVED, request_id=901,
                           request_number="AP-901")
    Absence.objects.create(person=wang, kind=Absence.Kind.LEAVE,
                           leave_type=LeaveType.objects.get(code="comp_time"),
                           start=date(2026, 10, 20), end=date(2026, 10, 20), end_half="am",
                           amount=Decimal("4.25"), status=Absence.Status.APPROVED,
                           request_id=902, request_number="AP-902")
    services.do_close_month(hr, OCTOBER)
    return Scenario(li, wang, zhao, hr)


@pytest.fixture
def october(museum: Any, hr_person: Any, office: Group, day_shift: Any, punch_at: Any,
            clock: Any) -> Scenario:
    return build_october(museum, hr_person, office, day_shift, punch_at, clock)


def workbook(content: bytes) -> Any:
    return load_workbook(io.BytesIO(content))


def values(sheet: Any) -> list[list[Any]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content[3:].decode("utf-8"), newline="")))


SUMMARY_HEADER = [
    "User name", "Name", "Department", "Attendance group", "Scheduled days", "Days worked",
    "Times late", "Minutes late", "Times left early", "Minutes left early", "Days absent",
    "Missing punches", "Business trip days", "Annual leave (days)", "Sick leave (days)",
    "Personal leave (days)", "Time off in lieu (hours)", "Marriage leave (days)",
    "Maternity leave (days)", "Paternity leave (days)", "Bereavement leave (days)",
    "Workday overtime at 150 % (hours)", "Rest-day overtime at 200 % (hours)",
    "Holiday overtime at 300 % (hours)", "Overtime taken as time off (hours)",
    "Corrections of closed months"]
LI_WEI = ["li.wei", "Li Wei", "Conservation", "Office", 21, 19, 2, 32, 0, 0, 1, 0, 0, 1, 0,
          0, 0, 0, 0, 0, 0, 2, 4, 3, 0, 1]
WANG_FANG = ["wang.fang", "Wang Fang", "Conservation", "Galleries", 21, 20.5, 0, 0, 0, 0, 0,
             0, 0, 0, 0, 0, 4.25, 0, 0, 0, 0, 0, 0, 0, 4, 0]
ZHAO = ["zhao", "=1+2", "Security", "Office", 21, 21, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0]


# --- The XLSX file ---------------------------------------------------------------------------


def test_the_summary_sheet_has_one_row_a_person_with_numbers_as_numbers(
        october: Scenario) -> None:
    # Given October closed; when HR exports it with every column (no layout saved)
    content, name, content_type = exporting.export_month(october.hr, OCTOBER, "xlsx")

    # Then one row a person, by department (conservation before security), numbers as
    # numbers, the corrected September absence paid back (absent 2 − 1, worked +1)
    assert (name, content_type) == ("taihe-attendance-2026-10.xlsx", CONTENT_TYPE_XLSX)
    book = workbook(content)
    assert book.sheetnames == ["Summary", "Detail", "Corrections"]
    sheet = book["Summary"]
    assert values(sheet) == [SUMMARY_HEADER, LI_WEI, WANG_FANG, ZHAO]
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b is True
    # Columns 14 and 18 characters wide as Excel shows them: the file stores the width with
    # Excel's 5-pixel cell padding on Calibri 11's 7-pixel digits, in 1/256ths
    # (ECMA-376 part 1, 18.3.1.13: trunc((14 × 7 + 5) / 7 × 256) / 256 = 14.7109375)
    assert (sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width) == (
        14.7109375, 18.7109375)
    assert sheet["F3"].data_type == "n" and sheet["B4"].data_type == "s"


def test_the_detail_sheet_has_one_row_a_person_and_day(october: Scenario) -> None:
    # When HR exports October
    content, _name, _type = exporting.export_month(october.hr, OCTOBER, "xlsx")

    # Then the Detail sheet lists each person's 21 working days of October (the 1st is a
    # holiday) and the holiday and rest days they worked (Li on the 1st and the 10th, Wang
    # on the 10th): quiet rest days carry nothing for payroll. Times in local time.
    rows = values(workbook(content)["Detail"])
    assert rows[0] == ["Date", "User name", "Name", "Department", "Status", "Shift",
                       "Clocked in", "Clocked out", "Minutes late", "Minutes left early",
                       "Minutes worked", "Overtime minutes", "Overtime class",
                       "Overtime settled as", "Leave type", "Leave (days)"]
    assert len(rows) == 1 + 3 * 21 + 3
    li = {row[0].date(): row for row in rows[1:] if row[1] == "li.wei"}
    assert li[date(2026, 10, 1)] == [
        datetime(2026, 10, 1), "li.wei", "Li Wei", "Conservation", "Statutory holiday", "Rest",
        datetime(2026, 10, 1, 9, 0), datetime(2026, 10, 1, 12, 0), 0, 0, 0, 180,
        "Statutory holiday", "Paid", None, None]
    assert li[date(2026, 10, 10)][4:14] == [
        "Rest day", "Rest", datetime(2026, 10, 10, 10, 0), datetime(2026, 10, 10, 14, 0), 0, 0,
        0, 240, "Rest day", "Paid"]
    assert li[date(2026, 10, 12)][4:14] == [
        "On time", "Day", datetime(2026, 10, 12, 8, 58), datetime(2026, 10, 12, 19, 30), 0, 0,
        510, 120, "Workday", "Paid"]
    assert li[date(2026, 10, 13)][4:12] == [
        "Late", "Day", datetime(2026, 10, 13, 9, 12), datetime(2026, 10, 13, 17, 35), 12, 0,
        498, 0]
    assert li[date(2026, 10, 16)][4:] == ["On leave", "Day", None, None, 0, 0, 0, 0, None,
                                          None, "Annual leave", 1]
    assert li[date(2026, 10, 19)][4:9] == ["Absent", "Day", None, None, 0]
    wang = {row[0].date(): row for row in rows[1:] if row[1] == "wang.fang"}
    assert wang[date(2026, 10, 10)][11:14] == [240, "Rest day", "Time off in lieu"]
    assert wang[date(2026, 10, 20)][4:] == [
        "Part-day leave", "Day", datetime(2026, 10, 20, 13, 10),
        datetime(2026, 10, 20, 17, 35), 0, 0, 255, 0, None, None, "Time off in lieu", 0.5]
    detail = workbook(content)["Detail"]
    assert detail["A2"].number_format == "yyyy-mm-dd"
    assert detail["G2"].number_format == "yyyy-mm-dd hh:mm"


def test_the_corrections_sheet_traces_the_day_paid_in_this_month(october: Scenario) -> None:
    # When HR exports October
    content, _name, _type = exporting.export_month(october.hr, OCTOBER, "xlsx")

    # Then the September correction is listed with its day, before, after and cause
    assert values(workbook(content)["Corrections"]) == [
        ["Day corrected", "Month it belonged to", "User name", "Name", "Before", "After",
         "Cause"],
        [datetime(2026, 9, 30), "2026-09", "li.wei", "Li Wei", "Absent", "On time",
         "Make-up punch AP-7"]]


# --- CSV ---------------------------------------------------------------------------------------


def test_the_csv_summary_is_utf8_with_a_bom_and_escapes_formulas(october: Scenario) -> None:
    # When HR exports October as CSV
    content, name, content_type = exporting.export_month(october.hr, OCTOBER, "csv")

    # Then Excel reads it as UTF-8 and Zhao's name stays text
    assert (name, content_type) == ("taihe-attendance-2026-10.csv", "text/csv; charset=utf-8")
    assert csv_rows(content) == [
        SUMMARY_HEADER,
        [str(value) for value in LI_WEI],
        [str(value) for value in WANG_FANG],
        ["zhao", "'=1+2", *[str(value) for value in ZHAO[2:]]]]
    assert content.endswith(b"\r\n")


def test_the_csv_detail_and_corrections(october: Scenario) -> None:
    # When HR exports the detail and the corrections as CSV
    detail, detail_name, _type = exporting.export_month(october.hr, OCTOBER, "csv",
                                                        sheet="detail")
    corrections, corrections_name, _type = exporting.export_month(october.hr, OCTOBER, "csv",
                                                                  sheet="corrections")

    # Then the detail has a row a person and day, times in local time
    assert (detail_name, corrections_name) == ("taihe-attendance-2026-10-detail.csv",
                                               "taihe-attendance-2026-10-corrections.csv")
    rows = csv_rows(detail)
    assert len(rows) == 1 + 3 * 21 + 3
    by_day = {(row[0], row[1]): row for row in rows[1:]}
    assert by_day[("2026-10-13", "li.wei")] == [
        "2026-10-13", "li.wei", "Li Wei", "Conservation", "Late", "Day", "2026-10-13 09:12",
        "2026-10-13 17:35", "12", "0", "498", "0", "", "", "", ""]
    assert by_day[("2026-10-16", "li.wei")] == [
        "2026-10-16", "li.wei", "Li Wei", "Conservation", "On leave", "Day", "", "", "0", "0",
        "0", "0", "", "", "Annual leave", "1"]
    assert rows[-1][:5] == ["2026-10-30", "zhao", "'=1+2", "Security", "On time"]
    assert ("2026-10-31", "zhao") not in by_day  # a quiet Saturday
    assert csv_rows(corrections) == [
        ["Day corrected", "Month it belonged to", "User name", "Name", "Before", "After",
         "Cause"],
        ["2026-09-30", "2026-09", "li.wei", "Li Wei", "Absent", "On time",
         "Make-up punch AP-7"]]


@pytest.mark.parametrize(("value", "text"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+86 10", "'+86 10"),
    ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tcmd", "'\tcmd"), ("Li = Wei", "Li = Wei"),
    (-2, "-2"), (Decimal("-0.5"), "-0.5"), (None, ""), (date(2026, 10, 1), "2026-10-01")])
def test_csv_cells_that_a_spreadsheet_would_run_are_prefixed(value: Any, text: str) -> None:
    # Given a cell value; when it is written to CSV; then only text is escaped
    assert exporting.csv_text(value) == text


def test_the_xlsx_writer_keeps_text_as_text() -> None:
    # Given text with markup, control characters, spaces and a formula, and numbers
    table = exporting.Table("Odd: [sheet]/name?", ["Text", "Number"], [10, 10], [
        ["a & <b>", Decimal("1.25")], ["  padded ", 7], ["bell\x07", None],
        ["=1+2", -3.5]])

    # When it is written
    book = workbook(exporting.write_xlsx([table]))

    # Then the sheet name is made valid and every value reads back as it was, the formula as
    # a string. XML cannot hold the control character, so it is stored as Excel stores it,
    # _x0007_ (ECMA-376 part 1, 22.9.2.19 ST_Xstring), which Excel reads back as the
    # character; openpyxl only decodes that in shared strings, so it is decoded here.
    assert book.sheetnames == ["Odd   sheet  name"]
    sheet = book.worksheets[0]
    assert values(sheet) == [["Text", "Number"], ["a & <b>", 1.25], ["  padded ", 7],
                             ["bell_x0007_", None], ["=1+2", -3.5]]
    assert unescape(sheet["A4"].value) == "bell\x07"
    assert sheet["A5"].data_type == "s"


@pytest.mark.parametrize("moment", [
    datetime(2026, 10, 1, 9, 0), datetime(2026, 10, 13, 17, 35, 42, 250_000),
    datetime(1900, 3, 1), datetime(2026, 12, 31, 23, 59, 59)])
def test_clock_times_become_the_serial_numbers_excel_uses(moment: datetime) -> None:
    # Given a wall-clock time, also in the museum's zone; when it is turned into a serial
    # number; then it is the one openpyxl's own conversion gives, the zone left aside
    shanghai = moment.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    assert exporting.excel_serial(moment) == exporting.excel_serial(shanghai) == \
        pytest.approx(to_excel(moment), abs=1e-9)


def test_the_xlsx_writer_leaves_no_temporary_files(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    # Given the rows stream through temporary files in tmp_path, and a table whose rows
    # fail half-way (a database error while reading them)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def failing_rows() -> Iterator[list[Any]]:
        yield ["li.wei", 1]
        raise RuntimeError("database went away")

    tables = [exporting.Table("Fine", ["Name", "Days"], [10, 10], [["li.wei", 1]]),
              exporting.Table("Broken", ["Name", "Days"], [10, 10], failing_rows())]

    # When a good workbook and the broken one are written
    content = exporting.write_xlsx(tables[:1])
    with pytest.raises(RuntimeError, match="database went away"):
        exporting.write_xlsx(tables)

    # Then the good one is complete, and neither left a file behind
    assert values(workbook(content)["Fine"]) == [["Name", "Days"], ["li.wei", 1]]
    assert list(tmp_path.iterdir()) == []


# --- Layouts -----------------------------------------------------------------------------------


def test_a_layout_sets_the_columns_and_their_order(october: Scenario) -> None:
    # Given a layout with three columns in payroll's order
    layout = exporting.do_save_layout(
        october.hr, None, name="Payroll office",
        columns=["overtime:holiday", "username", "leave:comp_time"], is_default=False)

    # When HR exports with it, as XLSX and as CSV
    content, _name, _type = exporting.export_month(october.hr, OCTOBER, "xlsx",
                                                   layout_id=layout.pk)
    text, _name, _type = exporting.export_month(october.hr, OCTOBER, "csv",
                                                layout_id=layout.pk)

    # Then both have exactly those columns in that order; the detail sheet is unchanged
    expected = [["Holiday overtime at 300 % (hours)", "User name", "Time off in lieu (hours)"],
                [3, "li.wei", 0], [0, "wang.fang", 4.25], [0, "zhao", 0]]
    book = workbook(content)
    assert values(book["Summary"]) == expected
    assert book["Detail"].max_column == 16
    assert csv_rows(text) == [[str(value) for value in row] for row in expected]


def test_the_default_layout_is_used_when_none_is_named(october: Scenario) -> None:
    # Given two layouts, the second made the default
    first = exporting.do_save_layout(october.hr, None, name="Everything",
                                     columns=exporting.default_columns(), is_default=True)
    second = exporting.do_save_layout(october.hr, None, name="Late",
                                      columns=["name", "late_count", "late_minutes"],
                                      is_default=True)

    # When HR exports without naming one
    content, _name, _type = exporting.export_month(october.hr, OCTOBER, "csv")

    # Then only the second is the default and its columns are exported
    first.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)
    assert csv_rows(content) == [["Name", "Times late", "Minutes late"], ["Li Wei", "2", "32"],
                                 ["Wang Fang", "0", "0"], ["'=1+2", "0", "0"]]


def test_a_layout_can_be_changed_and_made_default(hr_person: Any) -> None:
    # Given a saved layout and another default one
    layout = exporting.do_save_layout(hr_person, None, name="Short", columns=["username"],
                                      is_default=False)
    other = exporting.do_save_layout(hr_person, None, name="Other", columns=["name"],
                                     is_default=True)

    # When it is renamed with other columns, then made the default
    exporting.do_save_layout(hr_person, layout.pk, name="Short list",
                             columns=["name", "username"], is_default=False)
    exporting.do_set_default_layout(hr_person, layout.pk)

    # Then it keeps its id with the new values, and is the only default
    layout.refresh_from_db()
    other.refresh_from_db()
    assert (layout.name, layout.columns, layout.is_default, layout.saved_by_id) == (
        "Short list", ["name", "username"], True, hr_person.pk)
    assert other.is_default is False


@pytest.mark.parametrize(("name", "columns", "fields"), [
    ("Payroll", ["username", "bonus", "leave:holiday"],
     {"columns": "Unknown columns: bonus, leave:holiday."}),
    ("Payroll", [], {"columns": "Choose at least one column."}),
    ("Payroll", ["name", "name"], {"columns": "Each column may appear once; repeated: name."}),
    ("  ", ["name"], {"name": "Enter a name for the layout."}),
    ("Existing", ["name"], {"name": "A layout named “Existing” exists already."}),
    ("x" * 101, ["name"], {"name": "The name is 101 characters long; 100 at most."}),
])
def test_a_wrong_layout_is_refused_and_nothing_is_stored(hr_person: Any, name: str,
                                                         columns: list[str],
                                                         fields: dict[str, str]) -> None:
    # Given a saved layout
    ExportLayout.objects.create(name="Existing", columns=["name"], is_default=True)
    before = database_state()

    # When a wrong one is saved as the default
    with pytest.raises(ValidationFailed) as refused:
        exporting.do_save_layout(hr_person, None, name=name, columns=columns, is_default=True)

    # Then the message names the problem and nothing changed
    assert refused.value.fields == fields
    assert database_state() == before
    assert ExportLayout.objects.get(name="Existing").is_default is True


def test_layouts_need_the_payroll_permission(member: Any, hr_person: Any) -> None:
    # Given a layout
    layout = ExportLayout.objects.create(name="Existing", columns=["name"])
    before = database_state()

    # When a member without the permission tries to change it or make one
    for attempt in (
            lambda: exporting.do_save_layout(member, None, name="Mine", columns=["name"],
                                             is_default=True),
            lambda: exporting.do_save_layout(member, layout.pk, name="Mine", columns=["name"],
                                             is_default=True),
            lambda: exporting.do_set_default_layout(member, layout.pk),
            lambda: exporting.do_delete_layout(member, layout.pk)):
        with pytest.raises(PermissionDenied):
            attempt()

    # Then nothing changed; an unknown layout is "not found" for HR
    assert database_state() == before
    with pytest.raises(NotFound):
        exporting.do_save_layout(hr_person, layout.pk + 1, name="Mine", columns=["name"],
                                 is_default=False)
    with pytest.raises(NotFound):
        exporting.do_delete_layout(hr_person, layout.pk + 1)


def test_available_columns_follow_the_leave_types() -> None:
    # When the columns are listed (the seeded leave types in their order)
    codes = [code for code, _header in exporting.available_columns()]

    # Then person columns come first, then counts, a column a leave type, overtime by class
    assert codes == exporting.default_columns() == [
        "username", "name", "department", "group", "scheduled_days", "worked_days",
        "late_count", "late_minutes", "early_count", "early_minutes", "absent_days",
        "missing_punches", "trip_days", "leave:annual", "leave:sick", "leave:personal",
        "leave:comp_time", "leave:marriage", "leave:maternity", "leave:paternity",
        "leave:bereavement", "overtime:workday", "overtime:rest_day", "overtime:holiday",
        "comp_time_hours", "corrections_count"]
    assert [header for _code, header in exporting.available_columns()] == SUMMARY_HEADER


def test_headers_follow_the_readers_language(october: Scenario) -> None:
    # Given the reader reads Chinese; when the columns are listed
    from django.utils import translation

    with translation.override("zh-hans"):
        headers = dict(exporting.available_columns())

    # Then a leave type is named in Chinese
    assert headers["leave:annual"].startswith("年假")


# --- Refusals ----------------------------------------------------------------------------------


def test_an_open_month_is_not_exported(october: Scenario, punch_at: Any) -> None:
    # Given November has judged days but is not closed
    punch_at(october.li, local(date(2026, 11, 2), 8, 55))
    recompute(None, date(2026, 11, 1), date(2026, 11, 20))

    # When HR exports it; then it is refused with what to do
    with pytest.raises(Conflict) as refused:
        exporting.export_month(october.hr, date(2026, 11, 1), "xlsx")
    assert refused.value.code == "month_open"
    assert str(refused.value.detail) == ("2026-11 is not closed yet. Close the month first; "
                                         "payroll is exported from its frozen summary.")


def test_export_needs_the_payroll_permission(october: Scenario, member: Any,
                                             admin_person: Any) -> None:
    # When a member without the permission exports; then it is refused
    with pytest.raises(PermissionDenied):
        exporting.export_month(member, OCTOBER, "xlsx")
    with pytest.raises(PermissionDenied):
        exporting.export_month(october.li, OCTOBER, "csv")

    # And an administrator gets the same file as HR
    assert exporting.export_month(admin_person, OCTOBER, "csv") == \
        exporting.export_month(october.hr, OCTOBER, "csv")


@pytest.mark.parametrize(("fmt", "sheet", "fields"), [
    ("pdf", "summary", {"format": "Export as xlsx or csv, not “pdf”."}),
    ("csv", "totals", {"sheet": "There is no sheet “totals”; choose summary, detail or "
                                "corrections."}),
])
def test_an_unknown_format_or_sheet_is_named(october: Scenario, fmt: str, sheet: str,
                                             fields: dict[str, str]) -> None:
    with pytest.raises(ValidationFailed) as refused:
        exporting.export_month(october.hr, OCTOBER, fmt, sheet=sheet)
    assert refused.value.fields == fields


def test_an_unknown_layout_is_not_found(october: Scenario) -> None:
    with pytest.raises(NotFound):
        exporting.export_month(october.hr, OCTOBER, "xlsx", layout_id=999)


# --- What the month pages read ----------------------------------------------------------------


def test_month_lines_and_the_report_of_a_closed_month(october: Scenario) -> None:
    # When HR lists the months
    lines = exporting.month_lines(october.hr)

    # Then October and September are closed by HR with three people each
    hr = october.hr.display_name
    assert [(line.label, line.is_closed, line.people, line.closed_by, line.has_ended)
            for line in lines] == [("2026-10", True, 3, hr, True), ("2026-09", True, 3, hr, True)]

    # And October's report sums each department
    report = exporting.month_report(october.hr, OCTOBER)
    assert report is not None and report.provisional is False
    assert [column.code for column in report.summable][:4] == [
        "scheduled_days", "worked_days", "late_count", "late_minutes"]
    assert [(total.name, total.people, total.sums[:4]) for total in report.departments] == [
        ("Conservation", 2, [42, Decimal("39.5"), 2, 32]), ("Security", 1, [21, 21, 0, 0])]
    assert [person.username for _summary, person in report.rows] == ["li.wei", "wang.fang",
                                                                     "zhao"]


def test_a_corrected_day_is_described_in_words() -> None:
    # Given a day first missing, then judged late with half a day of annual leave and
    # overtime; when it is described for the corrections sheet
    after = {"status": "partial_leave", "late_minutes": 12, "early_minutes": 5,
             "missing_punches": 1, "leave_days": "0.50", "leave_type": "annual",
             "overtime_minutes": 45, "overtime_class": "rest_day", "trip_minutes": 0}

    # Then each figure is named, the leave type by its name
    assert exporting.describe_day(None, {"annual": "Annual leave"}) == "Not judged"
    assert exporting.describe_day(after, {"annual": "Annual leave"}) == (
        "Part-day leave; 12 min late; 5 min early; 1 missing punches; Annual leave 0.5 "
        "day(s); 45 min overtime (Rest day)")
