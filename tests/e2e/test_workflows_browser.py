"""Approvals end to end in headless Chromium (Debian's package, never a downloaded build):
HR designs and publishes a new approval in the designer, staff submits it, a named approver
approves and two more countersign, and staff sees it approved. Any console error or uncaught
page error, in any of the five people's browsers, fails the test."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import Browsers as People

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CODE = "e2e-supplies"


@pytest.fixture
def people(browser: Any, server: str) -> Iterator[People]:
    crowd = People(browser, server)
    yield crowd
    crowd.close()
    assert crowd.problems == [], crowd.problems


def _add_field(page: Any, type_code: str, zh: str, en: str, name: str) -> None:
    page.click(f"#wf-palette button[data-type={type_code}]")
    field = page.locator("#wf-panel-form .wf-field-list > li.wf-item").last
    # The new field opens with the focus on its Chinese label, ready to type.
    page.keyboard.type(zh)
    field.get_by_label("Label (English)").fill(en)
    field.get_by_label("Name", exact=True).fill(name)
    field.get_by_label("Required").check()


def _approve(people: People, username: str, url: str) -> str:
    page = people.page_for(username)
    page.goto(url)
    page.locator("button[name=action][value=approve]").click()
    page.wait_for_url(url)
    page.wait_for_load_state("networkidle")
    return str(page.locator("[data-request-status]").get_attribute("data-request-status"))


def test_hr_designs_an_approval_that_staff_submits_and_three_approve(
        server: str, people: People) -> None:
    # Given HR in the designer with a new approval
    hr = people.page_for("hr")
    hr.goto(f"{server}/approvals/design/new/")
    hr.fill("#id_code", CODE)
    hr.fill("#id_name_zh", "办公用品")
    hr.fill("#id_name_en", "Office supplies")
    hr.click("main button[type=submit]")
    hr.wait_for_selector("#designer[data-ready]")

    # When HR builds the form: a text field and a money field
    hr.get_by_role("tab", name="Form").click()
    _add_field(hr, "text", "事由", "Purpose", "purpose")
    _add_field(hr, "money", "金额", "Amount", "amount")

    # and the process: the curator approves, then the conservator and registrar countersign
    hr.get_by_role("tab", name="Process").click()
    hr.locator("#wf-panel-process .wf-plus").first.click()
    hr.click("#wf-panel-process [data-node-type=approval]")
    first = hr.locator("#wf-panel-process .wf-node[data-node=approval_1]")
    first.get_by_label("Step name").fill("Curator")
    first.get_by_label("Add a person").fill("curator")
    first.locator("button[data-person=curator]").click()
    hr.locator("#wf-panel-process .wf-plus").nth(1).click()
    hr.click("#wf-panel-process [data-node-type=approval]")
    second = hr.locator("#wf-panel-process .wf-node[data-node=approval_2]")
    second.get_by_label("Step name").fill("Countersign")
    second.get_by_label("When several people approve").select_option("all")
    for username in ("conservator", "registrar"):
        second.get_by_label("Add a person").fill(username)
        second.locator(f"button[data-person={username}]").click()
    assert second.locator(".wf-chip").count() == 2

    # and checks and publishes it
    hr.locator("[data-action=check]").click()
    hr.wait_for_selector("#wf-problems:has-text('No problems')")
    hr.fill("input[data-key='publish:note']", "Office supplies approval")
    hr.locator("[data-action=publish]").click()
    hr.wait_for_selector(".wf-status:has-text('Version 1 is published')")
    hr.goto(f"{server}/approvals/design/")
    row = hr.locator(f"tr[data-code='{CODE}']")
    assert "Version 1" in row.inner_text()
    assert "Same as published" in row.inner_text()

    # Then staff submits it through the submit page
    staff = people.page_for("staff")
    staff.goto(f"{server}/approvals/new/{CODE}/")
    staff.fill("#id_f_purpose", "Archival boxes for the paper store")
    staff.fill("#id_f_amount", "356.50")
    staff.click("main form.wf-form button[type=submit]")
    staff.wait_for_url(re.compile(r".*/approvals/r/AP-\d{4}-\d{6}/$"))
    request_url = staff.url
    assert staff.locator("[data-request-status]").get_attribute(
        "data-request-status") == "running"
    assert "Archival boxes for the paper store" in staff.locator("main").inner_text()

    # and the curator approves, then the conservator and the registrar countersign
    assert _approve(people, "curator", request_url) == "running"
    assert _approve(people, "conservator", request_url) == "running"
    assert _approve(people, "registrar", request_url) == "approved"

    # and staff sees the request approved
    staff.goto(request_url)
    assert staff.locator("[data-request-status]").get_attribute(
        "data-request-status") == "approved"
