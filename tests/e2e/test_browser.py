"""End to end in headless Chromium (Debian's package, never a downloaded build): sign in,
open the workbench and the directory in English and in Simplified Chinese, and fail on any
console error or uncaught page error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.problems = problems
    yield page
    context.close()
    assert problems == [], problems


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_the_sign_in_form_uses_the_page_width_it_is_given(server: str, page: Any) -> None:
    page.goto(f"{server}/login/")
    box = page.locator("input[name=username]").bounding_box()
    assert box is not None
    assert box["width"] >= 300, f"the sign-in form is squeezed to {box['width']}px"


def test_workbench_and_directory_in_english_and_chinese(server: str, page: Any) -> None:
    _sign_in(page, server, "staff")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name="Directory").first.is_visible()
    page.goto(f"{server}/directory/")
    page.wait_for_load_state("networkidle")
    assert page.locator("body").inner_text().count("Conservation") >= 1
    # Switch to Simplified Chinese for this person
    page.goto(f"{server}/profile/")
    page.select_option("select[name=language]", "zh-hans")
    page.locator("form:has(select[name=language]) button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    page.goto(f"{server}/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "工作台" in page.locator("body").inner_text()
    page.goto(f"{server}/directory/")
    page.wait_for_load_state("networkidle")
    text = page.locator("body").inner_text()
    assert "文物保护部" in text
    assert "通讯录" in text


def test_each_role_sees_only_its_apps(server: str, browser: Any) -> None:
    seen: dict[str, bool] = {}
    for username in ("admin", "staff"):
        context = browser.new_context()
        page = context.new_page()
        _sign_in(page, server, username)
        seen[username] = page.get_by_role("link", name="People").count() > 0
        context.close()
    assert seen == {"admin": True, "staff": False}


def test_a_phone_sized_screen_gets_the_compact_navigation(server: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    _sign_in(page, server, "staff")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    context.close()


def test_registrar_finds_moves_and_publishes_an_object(server: str, page: Any) -> None:
    """The catalog's "done means" in a browser: find an object in Chinese, move it with
    the scan page (a scanner types the code and Enter), see where it is now, publish it and
    open its Linked Art record."""
    _sign_in(page, server, "registrar")
    page.goto(f"{server}/catalog/?q=青花")
    page.wait_for_load_state("networkidle")
    first = page.locator(".object-list a[href^='/catalog/objects/']").first
    number = first.inner_text().split()[0]
    assert number.startswith("TH")

    page.goto(f"{server}/catalog/scan/")
    page.fill("#id_scanned", "TH-HD-2-PH")  # the photography studio's label
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Photography Studio")
    page.fill("#id_scanned", number)
    page.keyboard.press("Enter")
    page.wait_for_selector(f"td:has-text('{number}')")
    page.select_option("#id_reason", "photography")
    page.get_by_role("button", name="Move 1 object here").click()
    page.wait_for_load_state("networkidle")

    page.goto(f"{server}/catalog/?q={number}")
    page.locator(f".object-list a:has-text('{number}')").first.click()
    page.wait_for_load_state("networkidle")
    assert "Photography Studio" in page.locator("main").inner_text()
    if page.get_by_role("button", name="Publish").count():
        page.get_by_role("button", name="Publish").click()
        page.wait_for_load_state("networkidle")
    object_url = page.url
    object_id = object_url.rstrip("/").rsplit("/", 1)[-1]
    record = page.request.get(f"{server}/catalog/linked-art/object/{object_id}")
    assert record.status == 200
    assert record.json()["type"] == "HumanMadeObject"
