"""A first pass through the core: send, read, receipts, DING, leave."""

from __future__ import annotations

from typing import Any

from taihe.modules.messaging import selectors, services


def test_send_read_receipts_and_ding(group: Any, li: Any, zhang: Any, wang: Any) -> None:
    message = services.do_send_message(li, group.pk, "Hello @zhang, see **this**")
    assert message.mentions == [zhang.pk]
    rows = selectors.conversations_for(zhang)
    assert [(r.title, r.unread, r.mentions) for r in rows] == [("Paper lab", 1, 1)]
    services.do_mark_read(zhang, group.pk)
    receipts = selectors.receipts_for(li, message.pk)
    assert [(r.name, r.read) for r in receipts] == [("Wang Fang", False),
                                                    ("Zhang Min", True)]
    ding = services.do_send_message(li, group.pk, "Close the east gallery now",
                                    ding=services.DingRequest())
    services.do_confirm_ding(wang, ding.pk)
    _ding, states = selectors.ding_status_for(li, ding.pk)
    assert [(s.name, s.confirmed_at is not None) for s in states] == [
        ("Zhang Min", False), ("Wang Fang", True)]
    services.do_leave(wang, group.pk)
    assert selectors.conversations_for(wang) == []
    found = selectors.search_for(zhang, "east gallery")
    assert [m.pk for m in found] == [ding.pk]
    assert selectors.search_for(wang, "east gallery") == []
