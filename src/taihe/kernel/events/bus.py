"""Publishing and subscribing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import transaction

from taihe.kernel import context
from taihe.kernel.events.base import Event
from taihe.kernel.events.models import OutboxEvent

logger = logging.getLogger(__name__)
E = TypeVar("E", bound=Event)
Handler = Callable[[Any], None]


@dataclass(frozen=True)
class Subscriber:
    name: str
    pattern: str
    handler: Handler
    durable: bool

    def wants(self, event_name: str) -> bool:
        if self.pattern == "*":
            return True
        if self.pattern.endswith(".*"):
            return event_name.startswith(self.pattern[:-1])
        return event_name == self.pattern


_SUBSCRIBERS: dict[str, Subscriber] = {}


def subscribe(pattern: str, *, name: str, durable: bool = True) -> Callable[[Handler], Handler]:
    """Register ``handler`` for events matching ``pattern`` (a name, ``module.*`` or ``*``).

    Durable subscribers are fed from the outbox by a job, at least once; their handler must
    be idempotent. Non-durable ones run in-process right after commit, best effort (for
    realtime pushes and caches that a refetch can rebuild).
    """

    def register(handler: Handler) -> Handler:
        _SUBSCRIBERS[name] = Subscriber(name, pattern, handler, durable)
        return handler

    return register


def subscribers(event_name: str, *, durable: bool | None = None) -> list[Subscriber]:
    return [
        s for s in _SUBSCRIBERS.values()
        if s.wants(event_name) and (durable is None or s.durable == durable)
    ]


def publish(event: E) -> E:
    """Record ``event`` in the outbox now; after commit, run listeners and deliver it.

    The actor and request id of the current request are filled in when not given.
    """
    filled: dict[str, Any] = {}
    if event.request_id is None and context.request_id():
        filled["request_id"] = context.request_id()
    if event.actor_id is None and context.actor_id() is not None:
        filled["actor_id"] = context.actor_id()
    if filled:
        event = event.model_copy(update=filled)
    row = OutboxEvent.objects.create(
        event_id=event.event_id,
        name=event.name,
        payload=event.model_dump(mode="json"),
        occurred_at=event.occurred_at,
    )

    def after_commit() -> None:
        for subscriber in subscribers(event.name, durable=False):
            try:
                subscriber.handler(event)
            except Exception:  # a listener must not break the request that already committed
                logger.exception("listener %s failed on %s", subscriber.name, event.name)
        if subscribers(event.name, durable=True):
            from taihe.kernel.events.delivery import deliver_event
            from taihe.kernel.jobs import enqueue

            enqueue(deliver_event, row.pk)
        else:
            OutboxEvent.objects.filter(pk=row.pk).update(dispatched=True)

    transaction.on_commit(after_commit)
    return event
