"""One websocket endpoint, ``/ws/``, with topic subscriptions authorised per topic.

Clients send ``{"type": "subscribe", "topic": "notifications.user.7"}``; the registered
authoriser of the topic's pattern decides. Servers call :func:`publish` inside a
transaction and the message leaves after commit. Messages are hints: a client that
reconnects refetches the state it shows, so nothing depends on a push arriving.
"""

from taihe.kernel.realtime.topics import authorize, group_name, publish, register_topic

__all__ = ["authorize", "group_name", "publish", "register_topic"]
