"""HR's month pages: the months with their close button, a month's summaries, the payroll
download and the column layouts.

Every page and action is tried by the four actors: anonymous people are sent to sign in,
a member without ``attendance.month.close`` gets "no access" with nothing of the month in
it and nothing changed, HR and the administrator get the page or the file.
"""

from __future__ import annotations

import io
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from lxml import html
from openpyxl import load_workbook

from taihe.kernel.testing.matrix import database_state
from taihe.modules.attendance import exporting
from taihe.modules.attendance.computing import recompute
from taihe.modules.attendance.models import ExportLayout, Membership, Month, MonthSummary
from tests.conftest import service_missing
from tests.factories import PersonFactory
from tests.modules.attendance.conftest import local
from tests.modules.attendance.test_exporting import (
    LI_WEI,
    SUMMARY_HEADER,
    WANG_FANG,
    ZHAO,
    Scenario,
    build_october,
    weekdays,
)

pytestmark = pytest.mark.django_db

PAYROLL = reverse("attendance:payroll")
OCTOBER_PAGE = reverse("attendance:month", args=["2026-10"])
LAYOUTS = reverse("attendance:layouts")


def export_url(month: str, fmt: str, query: str = "") -> str:
    return reverse("attendance:export", args=[month, fmt]) + (f"?{query}" if query else "")


@pytest.fixture
def october(museum: Any, hr_person: Any, office: Any, day_shift: Any, punch_at: Any,
            clock: Any) -> Scenario:
    return build_october(museum, hr_person, office, day_shift, punch_at, clock)


@pytest.fixture
def open_october(museum: Any, office: Any, punch_at: Any, clock: Any) -> Any:
    """Li Wei punched every October workday; October is judged but not closed."""
    li = PersonFactory(username="li.wei", name_zh="李伟", name_en="Li Wei",
                       department=museum["conservation"], roles=["staff"])
    Membership.objects.create(person=li, group=office)
    for day in weekdays(date(2026, 10, 1), date(2026, 10, 30)):
        punch_at(li, local(day, 8, 55) if day.day != 14 else local(day, 9, 40))
        punch_at(li, local(day, 17, 35))
    recompute(None, date(2026, 10, 1), date(2026, 11, 20))
    return li


def table(response: Any, table_id: str) -> list[list[str]]:
    document = html.fromstring(response.content.decode())
    return [[" ".join(cell.text_content().split()) for cell in row.xpath("./th|./td")]
            for row in document.xpath(f'//table[@id="{table_id}"]/tbody/tr')]


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context \
        else []


def assert_sent_to_sign_in(response: Any) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("directory:login"))


def assert_no_access(response: Any, *secrets: str) -> None:
    assert response.status_code == 403
    text = response.content.decode()
    for secret in secrets:
        assert secret not in text


# --- The months --------------------------------------------------------------------------------


def test_the_months_page_for_each_actor(october: Scenario, client_for: Any, member: Any,
                                        admin_person: Any) -> None:
    # Given September and October closed and a November day judged
    recompute(None, date(2026, 11, 2), date(2026, 11, 2))

    # When each actor opens the months page
    assert_sent_to_sign_in(client_for(None).get(PAYROLL))
    assert_no_access(client_for(member).get(PAYROLL), "2026-10", october.hr.display_name)
    assert_no_access(client_for(october.li).get(PAYROLL), "2026-10")
    for person in (october.hr, admin_person):
        response = client_for(person).get(PAYROLL)

        # Then HR and the administrator see the months newest first, who closed them, the
        # head count, and a note that the current month closes once it ends
        assert response.status_code == 200
        hr = october.hr.display_name
        assert [row[:4] for row in table(response, "months")] == [
            ["2026-11", "Open", "3", "—"], ["2026-10", "Closed", "3", hr],
            ["2026-09", "Closed", "3", hr]]
        assert table(response, "months")[0][5] == "Can be closed after the month ends."
        assert table(response, "months")[1][4] == "2026-11-20 20:00"


@pytest.mark.parametrize("closer", ["hr_person", "admin_person"])
def test_closing_an_ended_month(open_october: Any, client_for: Any, closer: str,
                                request: pytest.FixtureRequest) -> None:
    # Given October judged and ended, shown with its close button and confirmation
    person = request.getfixturevalue(closer)
    page = client_for(person).get(PAYROLL)
    document = html.fromstring(page.content.decode())
    form = document.xpath('//tr[@data-month="2026-10"]//form')[0]
    assert form.get("data-confirm") == (
        "Close 2026-10? Its summaries are frozen for payroll; later changes to its days go "
        "into the next open month as corrections.")

    # When HR or the administrator closes it
    response = client_for(person).post(PAYROLL, {"month": "2026-10"}, follow=True)

    # Then the month is frozen with Li Wei's summary, and its page says so
    month = Month.objects.get(first_day=date(2026, 10, 1))
    assert (month.closed_by_id, month.people) == (person.pk, 1)
    summary = MonthSummary.objects.get(month=month)
    assert (summary.person_id, summary.scheduled_days, summary.late_count) == (
        open_october.pk, 22, 1)
    assert response.redirect_chain == [(OCTOBER_PAGE, 302)]
    assert messages_of(response) == [
        "2026-10 is closed: the summaries of 1 people are frozen. Later changes to its days "
        "are paid in the next open month."]


def test_closing_is_refused_to_others_and_nothing_changes(open_october: Any, client_for: Any,
                                                          member: Any) -> None:
    # Given October judged but open
    before = database_state()

    # When anonymous, a member and Li Wei try to close it
    assert_sent_to_sign_in(client_for(None).post(PAYROLL, {"month": "2026-10"}))
    assert_no_access(client_for(member).post(PAYROLL, {"month": "2026-10"}))
    assert_no_access(client_for(open_october).post(PAYROLL, {"month": "2026-10"}))

    # Then nothing changed
    assert database_state() == before


@pytest.mark.parametrize(("month", "message"), [
    ("2026-11", "2026-11 has not ended yet."),
    ("2026-13", "Choose a month to close (year and month, such as 2026-10)."),
])
def test_a_month_that_cannot_close_says_why(open_october: Any, client_for: Any,
                                            hr_person: Any, month: str, message: str) -> None:
    # Given the current month (not ended) or no month at all
    before = database_state()

    # When HR tries to close it
    response = client_for(hr_person).post(PAYROLL, {"month": month}, follow=True)

    # Then the reason is shown on the months page and nothing changed
    assert response.redirect_chain == [(PAYROLL, 302)]
    assert messages_of(response) == [message]
    assert database_state() == before


def test_a_closed_month_cannot_close_again(october: Scenario, client_for: Any) -> None:
    before = database_state()
    response = client_for(october.hr).post(PAYROLL, {"month": "2026-10"}, follow=True)
    assert messages_of(response) == ["2026-10 is already closed."]
    assert database_state() == before


# --- A month -----------------------------------------------------------------------------------


def test_a_closed_month_for_each_actor(october: Scenario, client_for: Any, member: Any,
                                       admin_person: Any) -> None:
    # When each actor opens October
    assert_sent_to_sign_in(client_for(None).get(OCTOBER_PAGE))
    assert_no_access(client_for(member).get(OCTOBER_PAGE), "li.wei", "Conservation")
    assert_no_access(client_for(october.wang).get(OCTOBER_PAGE), "li.wei")
    for person in (october.hr, admin_person):
        response = client_for(person).get(OCTOBER_PAGE)

        # Then HR sees the frozen sums by department and the summaries by person
        assert response.status_code == 200
        text = response.content.decode()
        assert "Provisional" not in text
        document = html.fromstring(text)
        assert [" ".join(th.text_content().split()) for th in
                document.xpath('//table[@id="people"]/thead//th')] == SUMMARY_HEADER
        assert table(response, "people") == [
            [str(value) for value in row] for row in (LI_WEI, WANG_FANG, ZHAO)]
        assert table(response, "departments") == [
            ["Conservation", "2", "42", "39.5", "2", "32", "0", "0", "1", "0", "0", "1", "0",
             "0", "4.25", "0", "0", "0", "0", "2", "4", "3", "4", "1"],
            ["Security", "1", "21", "21", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0",
             "0", "0", "0", "0", "0", "0", "0", "0", "0", "0"]]

        # And the download form offers XLSX and both CSV sheets
        buttons = document.xpath('//section[@aria-labelledby="download-title"]//button')
        assert [(button.get("formaction"), button.get("name"), button.get("value"))
                for button in buttons] == [
            (None, None, None), (export_url("2026-10", "csv"), "sheet", "summary"),
            (export_url("2026-10", "csv"), "sheet", "detail")]
        assert document.xpath('//section[@aria-labelledby="download-title"]//form')[0] \
            .get("action") == export_url("2026-10", "xlsx")


def test_an_open_month_shows_the_provisional_tally(open_october: Any, client_for: Any,
                                                   hr_person: Any) -> None:
    # When HR opens October before it is closed
    response = client_for(hr_person).get(OCTOBER_PAGE)

    # Then the live figures are marked provisional, with a close button and no download
    assert response.status_code == 200
    text = response.content.decode()
    assert "Provisional: not closed. These figures are the live tally" in text
    assert table(response, "people")[0][:8] == ["li.wei", "Li Wei", "Conservation", "Office",
                                                "22", "22", "1", "40"]
    document = html.fromstring(text)
    assert document.xpath('//div[@id="provisional"]//form/input[@name="month"]/@value') == [
        "2026-10"]
    assert document.xpath('//section[@aria-labelledby="download-title"]//form') == []
    assert "Close the month first; payroll is exported from its frozen summary." in text
    assert not Month.objects.exists()


def test_the_current_month_cannot_be_closed_yet(open_october: Any, client_for: Any,
                                                hr_person: Any) -> None:
    response = client_for(hr_person).get(reverse("attendance:month", args=["2026-11"]))
    assert response.status_code == 200
    assert "Can be closed after the month ends." in response.content.decode()
    assert html.fromstring(response.content.decode()).xpath(
        '//div[@id="provisional"]//form') == []


@pytest.mark.parametrize("month", ["2026-08", "2026-00", "october", "2026-1"])
def test_a_month_without_data_is_not_found(open_october: Any, client_for: Any,
                                           hr_person: Any, month: str) -> None:
    response = client_for(hr_person).get(f"{PAYROLL}{month}/")
    assert response.status_code == 404


def test_people_are_shown_a_hundred_a_page(hr_person: Any, client_for: Any,
                                           museum: Any) -> None:
    # Given a closed month of 101 people
    month = Month.objects.create(first_day=date(2026, 10, 1), people=101,
                                 closed_at=local(date(2026, 11, 2), 9), closed_by=hr_person)
    people = [PersonFactory(username=f"guard{number:03d}", department=museum["security"])
              for number in range(101)]
    MonthSummary.objects.bulk_create([MonthSummary(month=month, person=person, scheduled_days=22,
                                                   department_id=museum["security"].pk)
                                      for person in people])

    # When HR opens the month and its second page
    first = client_for(hr_person).get(OCTOBER_PAGE)
    second = client_for(hr_person).get(OCTOBER_PAGE + "?page=2")

    # Then 100 people are on the first page, the last one on the second; the sums count all
    assert [len(table(first, "people")), len(table(second, "people"))] == [100, 1]
    assert table(second, "people")[0][0] == "guard100"
    assert table(first, "departments")[0][:3] == ["Security", "101", "2222"]


# --- The download ------------------------------------------------------------------------------


def test_the_download_for_each_actor(october: Scenario, client_for: Any, member: Any,
                                     admin_person: Any) -> None:
    # Given October closed
    url = export_url("2026-10", "xlsx")
    before = database_state()

    # When anonymous and members without the permission ask for it, they get nothing
    assert_sent_to_sign_in(client_for(None).get(url))
    for person, secret in ((member, "li.wei"), (october.li, "wang.fang")):
        response = client_for(person).get(url)
        assert_no_access(response, secret)
        assert not response.content.startswith(b"PK")
    assert database_state() == before

    # And HR and the administrator get the file as an attachment
    for person in (october.hr, admin_person):
        response = client_for(person).get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == exporting.XLSX_TYPE
        assert response["Content-Disposition"] == \
            'attachment; filename="taihe-attendance-2026-10.xlsx"'
        book = load_workbook(io.BytesIO(response.content))
        assert [list(row) for row in book["Summary"].iter_rows(values_only=True)] == [
            SUMMARY_HEADER, LI_WEI, WANG_FANG, ZHAO]


def test_the_csv_downloads_follow_the_chosen_layout(october: Scenario, client_for: Any) -> None:
    # Given a layout
    layout = exporting.do_save_layout(october.hr, None, name="Lateness",
                                      columns=["username", "late_minutes"], is_default=False)

    # When HR downloads the CSV summary with it and the CSV detail
    summary = client_for(october.hr).get(export_url("2026-10", "csv",
                                                    f"layout={layout.pk}&sheet=summary"))
    detail = client_for(october.hr).get(export_url("2026-10", "csv",
                                                   f"layout={layout.pk}&sheet=detail"))

    # Then the summary has the layout's columns and the detail its own
    assert summary["Content-Disposition"] == 'attachment; filename="taihe-attendance-2026-10.csv"'
    assert summary.content.decode("utf-8-sig") == (
        "User name,Minutes late\r\nli.wei,32\r\nwang.fang,0\r\nzhao,0\r\n")
    assert detail["Content-Disposition"] == \
        'attachment; filename="taihe-attendance-2026-10-detail.csv"'
    assert detail.content.decode("utf-8-sig").splitlines()[1] == (
        "2026-10-01,li.wei,Li Wei,Conservation,Statutory holiday,Rest,2026-10-01 09:00,"
        "2026-10-01 12:00,0,0,0,180,Statutory holiday,Paid,,")


def test_an_open_month_download_is_refused_with_a_message(open_october: Any, client_for: Any,
                                                          hr_person: Any) -> None:
    # When HR asks for the file of an open month
    response = client_for(hr_person).get(export_url("2026-10", "xlsx"), follow=True)

    # Then the month page tells to close the month first
    assert response.redirect_chain == [(OCTOBER_PAGE, 302)]
    assert messages_of(response) == [
        "2026-10 is not closed yet. Close the month first; payroll is exported from its frozen "
        "summary."]


@pytest.mark.parametrize("url", [
    export_url("2026-10", "pdf"), export_url("2026-10", "xlsx", "layout=999"),
    export_url("2026-10", "xlsx", "layout=first"), export_url("2026-13", "xlsx")])
def test_a_wrong_download_address_is_not_found(october: Scenario, client_for: Any,
                                               url: str) -> None:
    assert client_for(october.hr).get(url).status_code == 404


def test_an_unknown_sheet_is_named(october: Scenario, client_for: Any) -> None:
    response = client_for(october.hr).get(export_url("2026-10", "csv", "sheet=totals"),
                                          follow=True)
    assert messages_of(response) == [
        "There is no sheet “totals”; choose summary, detail or corrections."]


# --- Layouts -----------------------------------------------------------------------------------


def save(client: Any, codes: dict[str, str], **fields: str) -> Any:
    """Post the layout form as a browser without JavaScript: ticked columns and order numbers."""
    data: dict[str, Any] = {"action": "save", "layout_id": "", "name": "Payroll",
                            "columns": list(codes), **fields}
    data.update({f"order:{code}": order for code, order in codes.items()})
    return client.post(LAYOUTS, data)


def test_the_layouts_page_for_each_actor(client_for: Any, member: Any, hr_person: Any,
                                         admin_person: Any) -> None:
    # Given a saved layout
    ExportLayout.objects.create(name="Payroll office", columns=["name", "late_minutes"],
                                is_default=True)

    # When each actor opens the layouts page
    assert_sent_to_sign_in(client_for(None).get(LAYOUTS))
    assert_no_access(client_for(member).get(LAYOUTS), "Payroll office")
    for person in (hr_person, admin_person):
        response = client_for(person).get(LAYOUTS)

        # Then HR sees the saved layouts and a new layout with every column ticked in order
        assert response.status_code == 200
        assert table(response, "layouts") == [["Payroll office", "2", "Default", "Delete"]]
        document = html.fromstring(response.content.decode())
        rows = document.xpath("//tbody[@data-layout-columns]/tr")
        assert [row.get("data-code") for row in rows] == exporting.default_columns()
        assert all(row.xpath(".//input[@type='checkbox']/@checked") for row in rows)
        assert [row.xpath(".//input[@data-order]/@value")[0] for row in rows[:3]] == [
            "1", "2", "3"]


def test_saving_a_layout_without_javascript_uses_the_order_numbers(hr_person: Any,
                                                                   client_for: Any) -> None:
    # When HR ticks three columns and numbers them 3, 1, 2
    response = save(client_for(hr_person), {"name": "3", "username": "1", "late_minutes": "2"},
                    is_default="1")

    # Then the layout keeps that order, is the default, and opens for editing
    layout = ExportLayout.objects.get()
    assert (layout.name, layout.columns, layout.is_default, layout.saved_by_id) == (
        "Payroll", ["username", "late_minutes", "name"], True, hr_person.pk)
    assert response["Location"] == f"{LAYOUTS}?edit={layout.pk}"
    page = client_for(hr_person).get(response["Location"])
    rows = html.fromstring(page.content.decode()).xpath("//tbody[@data-layout-columns]/tr")
    assert [row.get("data-code") for row in rows[:4]] == ["username", "late_minutes", "name",
                                                          "department"]
    assert [bool(row.xpath(".//input[@type='checkbox']/@checked")) for row in rows[:4]] == [
        True, True, True, False]


@pytest.mark.parametrize(("codes", "message"), [
    ({"username": "1", "bonus": "2"}, "Unknown columns: bonus."),
    ({}, "Choose at least one column."),
    ({"username": "1", "name": "first"}, "Order of “Name”: enter a whole number, not “first”."),
])
def test_a_wrong_layout_is_shown_again_with_the_reason(hr_person: Any, client_for: Any,
                                                       codes: dict[str, str],
                                                       message: str) -> None:
    before = database_state()
    response = save(client_for(hr_person), codes)
    assert response.status_code == 422
    document = html.fromstring(response.content.decode())
    assert document.xpath('//div[@id="id_columns_error"]')[0].text_content() == message
    assert document.xpath('//input[@name="name"]/@value') == ["Payroll"]
    assert database_state() == before


def test_layout_actions_are_refused_to_others(client_for: Any, member: Any) -> None:
    # Given a layout
    layout = ExportLayout.objects.create(name="Payroll office", columns=["name"])
    before = database_state()

    # When anonymous and a member try to save, make default and delete
    for data in ({"action": "save", "name": "Mine", "columns": ["name"]},
                 {"action": "default", "layout_id": str(layout.pk)},
                 {"action": "delete", "layout_id": str(layout.pk)}):
        assert_sent_to_sign_in(client_for(None).post(LAYOUTS, data))
        assert_no_access(client_for(member).post(LAYOUTS, data), "Payroll office")

    # Then nothing changed
    assert database_state() == before


@pytest.mark.parametrize("actor", ["hr_person", "admin_person"])
def test_making_a_layout_default_and_deleting_one(client_for: Any, actor: str,
                                                  request: pytest.FixtureRequest) -> None:
    # Given two layouts, the first the default
    person = request.getfixturevalue(actor)
    first = ExportLayout.objects.create(name="First", columns=["name"], is_default=True)
    second = ExportLayout.objects.create(name="Second", columns=["username"])
    client = client_for(person)

    # When the second is made the default, then the first deleted
    made = client.post(LAYOUTS, {"action": "default", "layout_id": str(second.pk)}, follow=True)
    deleted = client.post(LAYOUTS, {"action": "delete", "layout_id": str(first.pk)}, follow=True)

    # Then only the second is left, as the default
    assert messages_of(made) == ["“Second” is now the default layout."]
    assert messages_of(deleted) == ["The layout is deleted."]
    assert list(ExportLayout.objects.values_list("name", "is_default")) == [("Second", True)]


def test_editing_a_missing_layout_is_not_found(hr_person: Any, client_for: Any) -> None:
    assert client_for(hr_person).get(f"{LAYOUTS}?edit=999").status_code == 404
    assert client_for(hr_person).post(LAYOUTS, {"action": "delete", "layout_id": "999"}) \
        .status_code == 404


def test_the_move_buttons_reorder_the_columns_in_a_browser(hr_person: Any,
                                                          client_for: Any) -> None:
    # Given the layout form as the server renders it, with layouts.js, in Chromium
    if not Path("/usr/bin/chromium").exists() or shutil.which("chromium") is None:
        service_missing("Chromium", "install Debian's package: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    client = client_for(hr_person)
    page_html = client.get(LAYOUTS).content.decode()
    script = Path(exporting.__file__).parent.joinpath("static/attendance/layouts.js").read_text()
    page_html = re.sub(r'<script src="[^"]*layouts\.js" defer></script>',
                       lambda _match: f"<script>{script}</script>", page_html)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.set_content(page_html)

            # When HR moves the user name down twice, then the group (now below it) up once
            page.click('tr[data-code="username"] [data-move="down"]')
            page.click('tr[data-code="username"] [data-move="down"]')
            page.click('tr[data-code="group"] [data-move="up"]')
            order = page.eval_on_selector_all("tbody[data-layout-columns] tr",
                                              "rows => rows.map(row => row.dataset.code)")
            numbers = page.eval_on_selector_all("tbody[data-layout-columns] [data-order]",
                                                "inputs => inputs.map(input => input.value)")
            posted = page.evaluate("""() => {
                const form = document.querySelector('input[name=action][value=save]').form;
                return Array.from(new FormData(form).entries());
            }""")
        finally:
            browser.close()

    # Then the rows and their numbers follow, and the posted form saves that order
    assert problems == []
    assert order[:5] == ["name", "department", "group", "username", "scheduled_days"]
    assert numbers[:5] == ["1", "2", "3", "4", "5"]
    data: dict[str, Any] = {}
    for key, value in posted:
        data.setdefault(key, []).append(value)
    data["name"] = ["Moved"]
    response = client.post(LAYOUTS, {key: value if len(value) > 1 else value[0]
                                     for key, value in data.items()})
    assert response.status_code == 302
    assert ExportLayout.objects.get().columns[:5] == [
        "name", "department", "group", "username", "scheduled_days"]


def test_closing_a_month_beyond_the_known_years_is_refused_not_a_crash(
        client_for: Any, hr_person: Any) -> None:
    from taihe.modules.attendance.models import Month

    response = client_for(hr_person).post(reverse("attendance:payroll"), {"month": "9999-12"})
    assert response.status_code in (302, 400, 404, 422)
    assert not Month.objects.exists()
