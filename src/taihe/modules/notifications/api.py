"""How other modules notify people."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from taihe.modules.notifications import services
from taihe.modules.notifications.categories import register_category
from taihe.modules.notifications.selectors import unread_count


def notify(recipient_ids: Iterable[int], *, category: str, title: Any, body: Any = "",
           url: str = "", params: dict[str, Any] | None = None) -> list[int]:
    """Notify people in their own language. See :func:`services.do_notify`."""
    return services.do_notify(recipient_ids, category=category, title=title, body=body,
                               url=url, params=params)


__all__ = ["notify", "register_category", "unread_count"]
