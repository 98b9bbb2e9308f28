"""Attendance end to end in headless Chromium (Debian's package, never a downloaded build):
staff clocks in from a phone inside the museum's geofence, asks for a day of leave, the line
manager approves it, staff sees it on their month, and HR closes the month the demo left
open and downloads the payroll sheet. Any console error or uncaught page error fails."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import DEMO_PASSWORD, TAIHE, Browsers

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MERIDIAN_GATE = {"latitude": 39.91270, "longitude": 116.39720, "accuracy": 20}
"""A fix a few metres inside the demo's Palace Museum site."""

PHONE = {"width": 390, "height": 844}

# The demo's staff login is an accountant; their line manager, the head of finance, has no
# login of their own in the demo, so the test gives them the demo password beside the server.
FINANCE_HEAD = """
from taihe.modules.directory.models import Department
head = Department.objects.get(code="finance").head
head.set_password("{password}")
head.save(update_fields=["password"])
print(head.username)
"""


@pytest.fixture
def browsers(browser: Any, server: str) -> Iterator[Browsers]:
    crowd = Browsers(browser, server)
    yield crowd
    crowd.close()
    assert crowd.problems == [], crowd.problems


def _a_wednesday_ahead() -> dt.date:
    day = dt.date.today() + dt.timedelta(days=14)
    return day + dt.timedelta(days=(2 - day.weekday()) % 7)


def test_punch_leave_approval_summary_and_payroll_export(server: str, demo_env: dict[str, str],
                                                         browsers: Browsers) -> None:
    # Given staff on a phone at the Meridian Gate, location allowed
    staff = browsers.page_for(
        "staff", viewport=PHONE, geolocation={"latitude": MERIDIAN_GATE["latitude"],
                                              "longitude": MERIDIAN_GATE["longitude"],
                                              "accuracy": MERIDIAN_GATE["accuracy"]},
        permissions=["geolocation"])
    staff.goto(f"{server}/attendance/")
    button = staff.locator("[data-punch-button]")
    button.wait_for(state="visible")
    staff.wait_for_function(
        "document.querySelector('[data-punch-button]').disabled === false")
    punches_before = staff.locator("[data-today-punches] li").count()
    # When they punch
    button.click()
    # Then the punch is verified by location and appears on today's card
    result = staff.locator("[data-punch-result]")
    result.wait_for(state="visible")
    staff.wait_for_function(
        "document.querySelector('[data-punch-result]').textContent.includes('Location')")
    assert "Meridian" in result.inner_text() or "Palace Museum" in result.inner_text()
    staff.wait_for_function(
        f"document.querySelectorAll('[data-today-punches] li').length === {punches_before + 1}")

    # When staff asks for a day of personal leave from the attendance page
    leave_day = _a_wednesday_ahead()
    staff.locator("[data-request=leave]").click()
    staff.wait_for_url(f"{server}/approvals/new/leave/")
    staff.select_option("select[name='f.leave_type']", "personal")
    staff.fill("input[name='f.period.start']", leave_day.isoformat())
    staff.fill("input[name='f.period.end']", leave_day.isoformat())
    staff.fill("textarea[name='f.reason']", "Moving house")
    staff.locator("main button[type=submit]").click()
    staff.wait_for_url(f"{server}/approvals/r/**")
    request_url = staff.url
    assert staff.locator("[data-request-status]").get_attribute(
        "data-request-status") == "running"

    # And the line manager approves it in their own browser
    head = subprocess.run([*TAIHE, "shell", "-c", FINANCE_HEAD.format(password=DEMO_PASSWORD)],
                          env=demo_env, check=True, timeout=120, capture_output=True,
                          text=True).stdout.strip().splitlines()[-1]
    manager = browsers.page_for(head)
    manager.goto(request_url)
    manager.locator("button[name=action][value=approve]").click()
    manager.wait_for_url(request_url)
    assert manager.locator("[data-request-status]").get_attribute(
        "data-request-status") == "approved"

    # Then staff sees the leave approved among their requests (attendance hears of the
    # approval from the background worker, so the page may need a moment), and their month
    number = request_url.rstrip("/").rsplit("/", 1)[-1]
    row = staff.locator("main tr", has_text=number)
    for _attempt in range(30):
        staff.goto(f"{server}/attendance/?month={leave_day:%Y-%m}")
        if row.count() and "Approved" in row.first.inner_text():
            break
        staff.wait_for_timeout(500)
    assert "Personal leave" in row.first.inner_text()
    assert "Approved" in row.first.inner_text()
    assert staff.locator("table", has_text="Balance").count() >= 1

    # When HR closes the month the demo left open and downloads the payroll sheet
    hr = browsers.page_for("hr")
    hr.on("dialog", lambda dialog: dialog.accept())
    hr.goto(f"{server}/attendance/payroll/")
    close = hr.locator("form[data-confirm] button[type=submit]").first
    label = close.inner_text()
    close.click()
    hr.wait_for_load_state("networkidle")
    month_text = label.replace("Close", "").strip()
    assert hr.locator("main", has_text=month_text).count() == 1
    hr.goto(f"{server}/attendance/payroll/{month_text}/")
    assert hr.locator("#departments tbody tr").count() >= 5
    with hr.expect_download() as download_info:
        hr.locator("form.filters button[type=submit]").first.click()
    download = download_info.value
    assert download.suggested_filename == f"taihe-attendance-{month_text}.xlsx"

    # Then the sheet has one row per person with the payroll columns
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(Path(download.path()).read_bytes()), read_only=True)
    summary = book.worksheets[0]
    rows = list(summary.iter_rows(values_only=True))
    header = [str(cell) for cell in rows[0]]
    assert {"Days worked", "Times late", "Minutes late", "Days absent"} <= set(header), header
    assert "Holiday overtime at 300 % (hours)" in header, header
    assert len(rows) > 50
    assert [sheet.title for sheet in book.worksheets][1:] == ["Detail", "Corrections"]
