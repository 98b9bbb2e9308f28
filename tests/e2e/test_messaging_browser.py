"""Chat end to end in headless Chromium (Debian's package, never a downloaded build): two
people in their own browsers on one conversation; a message arrives live, is read, and the
sender's receipt line follows; a DING is confirmed and the sender's DING status shows it. At
phone width the list and the conversation take turns. Any console error or uncaught page
error fails."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import Browsers

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
WAIT_MS = 15_000
"""Long enough for a push (or the catch-up after the socket subscribes) on a busy machine."""

SPRING = "Spring exhibition 春季特展"

CREATE_GROUP = """async ([title, memberIds]) => {
  const root = document.querySelector("[data-chat]");
  const response = await fetch(root.dataset.api + "/conversations", {
    method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "Accept": "application/json",
              "X-CSRFToken": root.dataset.csrf},
    body: JSON.stringify({kind: "group", title: title, member_ids: memberIds})});
  return {status: response.status, body: await response.json()};
}"""


@pytest.fixture
def browsers(browser: Any, server: str) -> Iterator[Browsers]:
    crowd = Browsers(browser, server)
    yield crowd
    crowd.close()
    assert crowd.problems == [], crowd.problems


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def _my_id(page: Any, server: str) -> int:
    page.goto(f"{server}/chat/")
    return int(page.get_by_test_id("chat").get_attribute("data-me"))


def test_message_read_receipt_and_ding_live_between_two_people(server: str,
                                                              browsers: Browsers) -> None:
    expect = _expect()
    # Given the curator and the conservator, each in their own browser, in a new group
    curator = browsers.page_for("curator")
    conservator = browsers.page_for("conservator")
    conservator_id = _my_id(conservator, server)
    _my_id(curator, server)
    created = curator.evaluate(CREATE_GROUP, ["Condition check 状况检查", [conservator_id]])
    assert created["status"] == 201, created
    cid = created["body"]["id"]
    # And both have the conversation open
    for page in (curator, conservator):
        page.goto(f"{server}/chat/c/{cid}/")
        expect(page.get_by_test_id("chat")).to_have_attribute("data-conversation-id", str(cid))
        expect(page.get_by_test_id("conversation-heading")).to_have_text(
            "Condition check 状况检查")
        expect(page.get_by_test_id("composer-input")).to_be_visible(timeout=WAIT_MS)
    conservator_url = conservator.url

    # When the curator sends a message
    curator.get_by_test_id("composer-input").fill("Please check the scroll in case 3.")
    curator.get_by_test_id("send-button").click()
    sent = curator.get_by_test_id("message").filter(has_text="Please check the scroll in case 3.")
    expect(sent).to_have_count(1)
    message_id = sent.get_attribute("data-message-id")
    assert message_id is not None and int(message_id) > 0

    # Then the conservator sees it arrive without reloading
    arrived = conservator.locator(f"#m{message_id}")
    expect(arrived).to_contain_text("Please check the scroll in case 3.", timeout=WAIT_MS)
    assert conservator.url == conservator_url
    # And, reading it on screen, has nothing unread left in this conversation
    row = conservator.locator(f"[data-testid=conversation-item][data-conversation-id='{cid}']")
    expect(row).to_have_attribute("data-unread", "0", timeout=WAIT_MS)
    # And the curator's receipt line turns to read by all, live
    receipt = sent.get_by_test_id("receipt-line")
    expect(receipt).to_have_text("Read by all", timeout=WAIT_MS)
    # And the receipts name the conservator among the readers, nobody among the rest
    receipt.click()
    receipts = curator.get_by_test_id("receipts-dialog")
    expect(receipts).to_be_visible()
    expect(receipts.get_by_test_id("receipts-read").locator(
        f"li[data-person-id='{conservator_id}']")).to_have_count(1, timeout=WAIT_MS)
    expect(receipts.get_by_test_id("receipts-unread")).to_have_text("Everyone has read it.")
    receipts.locator("[data-close]").click()
    expect(receipts).to_be_hidden()

    # When the curator sends a DING that the conservator must confirm
    curator.get_by_test_id("ding-toggle").click()
    expect(curator.get_by_test_id("ding-composer")).to_be_visible()
    recipient = curator.locator(f"[data-testid=ding-recipient][value='{conservator_id}']")
    recipient.check()
    expect(recipient).to_be_checked()
    curator.get_by_test_id("composer-input").fill("Humidity alarm: check case 3 now.")
    curator.get_by_test_id("send-button").click()
    ding = curator.get_by_test_id("message").filter(has_text="Humidity alarm: check case 3 now.")
    expect(ding).to_have_count(1)
    expect(curator.get_by_test_id("ding-composer")).to_be_hidden()
    ding_id = ding.get_attribute("data-message-id")
    assert ding_id is not None and int(ding_id) > int(message_id)
    expect(ding.get_by_test_id("ding-count")).to_have_text("Confirmed by 0 of 1",
                                                           timeout=WAIT_MS)

    # Then the conservator sees it live with a Confirm button, and confirms
    received = conservator.locator(f"#m{ding_id}")
    confirm = received.get_by_test_id("ding-box").get_by_test_id("ding-confirm")
    expect(confirm).to_have_text("Confirm", timeout=WAIT_MS)
    confirm.click()
    expect(received.get_by_test_id("ding-box")).to_contain_text("You confirmed",
                                                                timeout=WAIT_MS)
    expect(received.get_by_test_id("ding-confirm")).to_have_count(0)
    assert conservator.url == conservator_url

    # And the curator's DING count follows live
    expect(ding.get_by_test_id("ding-count")).to_have_text("Confirmed by 1 of 1",
                                                           timeout=WAIT_MS)
    # And the DING status shows the conservator's row confirmed
    ding.get_by_test_id("ding-status-button").click()
    status = curator.get_by_test_id("ding-status-dialog")
    expect(status).to_be_visible()
    rows = status.get_by_test_id("ding-status-row")
    expect(rows).to_have_count(1, timeout=WAIT_MS)
    expect(rows.first).to_have_attribute("data-person-id", str(conservator_id))
    expect(rows.first).to_have_attribute("data-confirmed", "1")
    expect(status.get_by_test_id("ding-summary")).to_contain_text("Confirmed by 1 of 1")


def test_phone_width_shows_the_list_then_the_conversation_then_the_list(
        server: str, browsers: Browsers) -> None:
    expect = _expect()
    # Given the curator on a phone on the chat page
    curator = browsers.page_for("curator", viewport=PHONE, has_touch=True)
    curator.goto(f"{server}/chat/")
    conversations = curator.get_by_test_id("conversation-list")
    messages = curator.get_by_test_id("message-list")
    spring = curator.get_by_test_id("conversation-item").filter(has_text=SPRING)
    # Then only the list shows
    expect(conversations).to_be_visible()
    expect(spring).to_have_count(1, timeout=WAIT_MS)
    expect(messages).to_be_hidden()
    cid = spring.get_attribute("data-conversation-id")

    # When they tap the exhibition's group
    spring.get_by_test_id("conversation-title").tap()
    # Then its messages fill the screen and the list gives way
    expect(curator).to_have_url(re.compile(rf"/chat/c/{cid}/$"))
    expect(curator.get_by_test_id("chat")).to_have_attribute("data-conversation-id", str(cid))
    expect(curator.get_by_test_id("conversation-heading")).to_have_text(SPRING)
    expect(messages).to_be_visible()
    expect(messages.get_by_test_id("message").first).to_be_visible(timeout=WAIT_MS)
    expect(conversations).to_be_hidden()
    back = curator.get_by_test_id("chat-back")
    expect(back).to_be_visible()

    # When they go back
    back.tap()
    # Then the list shows again and the conversation is closed
    expect(curator).to_have_url(f"{server}/chat/")
    expect(conversations).to_be_visible()
    expect(spring).to_be_visible()
    expect(messages).to_be_hidden()
    expect(curator.get_by_test_id("chat")).to_have_attribute("data-conversation-id", "")

