"""Typed domain events, published after commit, with an outbox for durable subscribers.

``publish(event)`` writes the event to the outbox inside the caller's transaction, so the
event exists exactly when the change does. After commit, in-process listeners run and a
delivery job feeds each durable subscriber. Delivery is at least once; each
(event, subscriber) pair is recorded in the subscriber's own transaction, which makes
database-only handlers effectively exactly-once and lets others detect replays.
"""

from taihe.kernel.events.base import Event, event_type, event_types
from taihe.kernel.events.bus import publish, subscribe, subscribers

__all__ = ["Event", "event_type", "event_types", "publish", "subscribe", "subscribers"]
