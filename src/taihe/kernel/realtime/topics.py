"""The topic registry and publishing."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from channels.layers import get_channel_layer
from django.db import transaction

from taihe.kernel.realtime.layers import group_send_sync

logger = logging.getLogger(__name__)
_PARAM = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Topic:
    pattern: str
    regex: re.Pattern[str]
    authorize: Callable[..., bool]
    feeds: Callable[..., Iterable[str]] | None = None
    signals: bool = False


_TOPICS: list[Topic] = []


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(
        "^" + _PARAM.sub(lambda m: f"(?P<{m.group(1)}>[A-Za-z0-9_-]+)", re.escape(pattern)
                         .replace(r"\{", "{").replace(r"\}", "}")) + "$"
    )


def register_topic(pattern: str, authorize: Callable[..., bool], *,
                   feeds: Callable[..., Iterable[str]] | None = None,
                   signals: bool = False) -> None:
    """``pattern`` like ``notifications.user.{user_id}``; ``authorize(user, user_id="7")``
    says whether that user may listen. Parameters are matched as ``[A-Za-z0-9_-]+``.

    ``feeds(user, **params)``, when given, names further topics that a subscription to this
    one also receives (a person's inbox receives each of their conversations). Publishing
    to a feed is one group send however many people listen, which is what lets a message
    to a thousand people leave in one step. The owner of the topic keeps the set current
    with :func:`attach` and :func:`detach`.

    ``signals=True`` lets a client that receives a topic as a feed send short ephemeral
    signals (typing) to everyone receiving it (pages ignore their own); they are relayed,
    never stored.
    """
    entry = Topic(pattern, _compile(pattern), authorize, feeds, signals)
    _TOPICS[:] = [t for t in _TOPICS if t.pattern != pattern] + [entry]


def _entry(topic: str) -> tuple[Topic, dict[str, str]] | None:
    if len(topic) > 90:
        return None
    for entry in _TOPICS:
        match = entry.regex.match(topic)
        if match:
            return entry, match.groupdict()
    return None


def authorize(user: Any, topic: str) -> bool:
    found = _entry(topic)
    if found is None:
        return False
    entry, params = found
    try:
        return bool(entry.authorize(user, **params))
    except Exception:
        logger.exception("authoriser of %s failed", entry.pattern)
        return False


def feeds_of(user: Any, topic: str) -> list[str]:
    """The feeds an authorised subscription to ``topic`` receives (none for plain topics)."""
    found = _entry(topic)
    if found is None or found[0].feeds is None:
        return []
    entry, params = found
    try:
        return [feed for feed in entry.feeds(user, **params)  # type: ignore[misc]
                if isinstance(feed, str)]
    except Exception:
        logger.exception("feeds of %s failed", entry.pattern)
        return []


def allows_signals(feed: str) -> bool:
    found = _entry(feed)
    return found is not None and found[0].signals


def attach(topic: str, feed: str) -> None:
    """After commit, make every live subscription to ``topic`` receive ``feed`` too (someone
    joined a conversation). The subscription's clients get ``{"type": "attached"}``."""
    _control(topic, "topic.attach", feed)


def detach(topic: str, feed: str) -> None:
    """After commit, stop ``feed`` reaching the subscriptions to ``topic`` (someone left).
    Messages to ``feed`` that are already queued for those clients are dropped too."""
    _control(topic, "topic.detach", feed)


def _control(topic: str, kind: str, feed: str) -> None:
    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            group_send_sync(layer, group_name(topic), {"type": kind, "topic": topic,
                                                       "feed": feed})
        except Exception:
            logger.exception("realtime %s on %s failed", kind, topic)

    transaction.on_commit(send)


def group_name(topic: str) -> str:
    return f"topic.{topic}"


def publish(topic: str, data: dict[str, Any]) -> None:
    """Send ``data`` to the topic's subscribers once the current transaction commits.

    The frame clients receive is serialised here, once, and travels as ``text`` beside
    ``data``: a message to a conversation of a thousand people is then one ``json.dumps``,
    not a thousand."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            text = json.dumps({"type": "message", "topic": topic, "data": data})
            group_send_sync(layer, group_name(topic), {"type": "topic.message", "topic": topic,
                                                       "data": data, "text": text})
        except Exception:  # realtime is a hint; the page refetches on reconnect
            logger.exception("realtime publish to %s failed", topic)

    transaction.on_commit(send)
