"""One websocket endpoint, ``/ws/``, with topic subscriptions authorised per topic.

Clients send ``{"type": "subscribe", "topic": "notifications.user.7"}``; the registered
authoriser of the topic's pattern decides. Servers call :func:`publish` inside a
transaction and the message leaves after commit. Messages are hints: a client that
reconnects refetches the state it shows, so nothing depends on a push arriving.

A topic may bring feeds: a subscription to ``messaging.person.7`` also receives each
conversation topic that person is in, so a message is one group send to a conversation
however many people read it; :func:`attach` and :func:`detach` keep live subscriptions
current when people join and leave. Clients may send ephemeral ``signal`` messages (typing)
to feeds registered with ``signals=True``. Presence (``presence.online``) is coarse and
pulled.
"""

from taihe.kernel.realtime.topics import (
    attach,
    authorize,
    detach,
    group_name,
    publish,
    register_topic,
)

__all__ = ["attach", "authorize", "detach", "group_name", "publish", "register_topic"]
