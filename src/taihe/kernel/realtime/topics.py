"""The topic registry and publishing."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)
_PARAM = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Topic:
    pattern: str
    regex: re.Pattern[str]
    authorize: Callable[..., bool]


_TOPICS: list[Topic] = []


def register_topic(pattern: str, authorize: Callable[..., bool]) -> None:
    """``pattern`` like ``notifications.user.{user_id}``; ``authorize(user, user_id="7")``
    says whether that user may listen. Parameters are matched as ``[A-Za-z0-9_-]+``."""
    regex = re.compile(
        "^" + _PARAM.sub(lambda m: f"(?P<{m.group(1)}>[A-Za-z0-9_-]+)", re.escape(pattern)
                         .replace(r"\{", "{").replace(r"\}", "}")) + "$"
    )
    _TOPICS[:] = [t for t in _TOPICS if t.pattern != pattern] + [Topic(pattern, regex, authorize)]


def authorize(user: Any, topic: str) -> bool:
    if len(topic) > 90:
        return False
    for entry in _TOPICS:
        match = entry.regex.match(topic)
        if match:
            try:
                return bool(entry.authorize(user, **match.groupdict()))
            except Exception:
                logger.exception("authoriser of %s failed", entry.pattern)
                return False
    return False


def group_name(topic: str) -> str:
    return f"topic.{topic}"


def publish(topic: str, data: dict[str, Any]) -> None:
    """Send ``data`` to the topic's subscribers once the current transaction commits."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(
                group_name(topic), {"type": "topic.message", "topic": topic, "data": data}
            )
        except Exception:  # realtime is a hint; the page refetches on reconnect
            logger.exception("realtime publish to %s failed", topic)

    transaction.on_commit(send)
