"""Inbox counts over the websocket: each person hears their own counts, after commit."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async

from taihe.modules.workflows import services
from tests.factories import PersonFactory
from tests.kernel.test_realtime import _connect
from tests.modules.workflows.conftest import label
from tests.modules.workflows.test_concurrency import _roles_and_clean_history  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def _setup() -> dict[str, Any]:
    approver = PersonFactory(username="approver", department=None, roles=["staff"])
    applicant = PersonFactory(username="asker", department=None, roles=["staff"])
    hr = PersonFactory(username="hr-live", department=None, roles=["hr", "staff"])
    process = services.do_create_process(hr, {
        "code": "live", "name_zh": "测试", "form": [
            {"name": "note", "type": "text", "label": label("说明", "Note")}],
        "definition": {"nodes": [{"id": "a", "type": "approval", "name": "A",
                                  "approvers": [{"kind": "people", "ids": [approver.pk]}]}]}})
    services.do_publish_process(hr, process.pk)
    return {"approver": approver, "applicant": applicant}


@pytest.mark.asyncio
async def test_the_approver_hears_their_new_to_do_count_and_no_one_else_does() -> None:
    people = await sync_to_async(_setup)()
    approver, applicant = people["approver"], people["applicant"]
    listener = await _connect(approver)
    assert (await listener.connect())[0]
    assert await listener.receive_json_from() == {"type": "hello"}
    topic = f"workflows.inbox.{approver.pk}"
    await listener.send_json_to({"type": "subscribe", "topic": topic})
    assert await listener.receive_json_from() == {"type": "subscribed", "topic": topic}

    snoop = await _connect(applicant)
    await snoop.connect()
    await snoop.receive_json_from()
    await snoop.send_json_to({"type": "subscribe", "topic": topic})
    assert await snoop.receive_json_from() == {"type": "error", "code": "forbidden",
                                               "topic": topic}

    request = await sync_to_async(services.do_submit_request)(applicant, "live", {"note": "x"})
    assert await listener.receive_json_from(timeout=2) == {
        "type": "message", "topic": topic,
        "data": {"type": "workflows.counts", "todo": 1, "cc_unread": 0}}
    await sync_to_async(services.do_approve)(approver, request.number)
    assert await listener.receive_json_from(timeout=2) == {
        "type": "message", "topic": topic,
        "data": {"type": "workflows.counts", "todo": 0, "cc_unread": 0}}
    assert await snoop.receive_nothing(timeout=0.2)
    await listener.disconnect()
    await snoop.disconnect()
