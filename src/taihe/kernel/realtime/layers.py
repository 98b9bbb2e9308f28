"""Channel layers: the embedded profile's in-process layer, and the way synchronous code
(Django views on worker threads, jobs) hands a group send to a layer.

Channels' ``InMemoryChannelLayer`` was built for tests. Measured with 1,000 sockets in the
messaging benchmark, it spent half the server's CPU in ``_clean_expired``, which it runs on
every ``receive`` and walks every channel and every group (so one message to a group of N
costs N²); it deep-copies the message once per member in one task per member; and a send
from a worker thread (``async_to_sync`` runs it on a throwaway event loop) puts into queues
owned by the server's loop without waking it, so a push waited for unrelated socket
traffic before leaving. :class:`LocalChannelLayer` fixes the three and keeps the behaviour
(capacity, expiry, group expiry) of the original.

:func:`group_send_sync` is how synchronous code sends: onto the server's loop for the local
layer, and through one long-lived publishing loop for other layers (Redis): ``async_to_sync``
would create a thread, an event loop and a new Redis connection pool for every publish.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from copy import deepcopy
from typing import Any

from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

PUBLISH_TIMEOUT = 10.0
"""Seconds a synchronous publish waits for a non-local layer before giving up (the send is
then logged as failed; pages refetch what they missed)."""


class LocalChannelLayer(InMemoryChannelLayer):
    """The in-memory layer for one server process (the embedded profile).

    - Expired messages and group memberships are swept at most every ``clean_interval``
      seconds instead of on every receive and group send.
    - A group send copies the message once and queues that copy for every member: consumers
      must treat received messages as read-only (Taihe's ``TopicConsumer`` does).
    - A send from another thread or event loop is handed to the loop the consumers receive
      on (``call_soon_threadsafe``), which wakes it at once.
    """

    def __init__(self, expiry: int = 60, group_expiry: int = 86400, capacity: int = 100,
                 channel_capacity: Any = None, clean_interval: float = 1.0,
                 **kwargs: Any) -> None:
        super().__init__(expiry=expiry, group_expiry=group_expiry, capacity=capacity,
                         channel_capacity=channel_capacity, **kwargs)
        self.clean_interval = clean_interval
        self._cleaned_at = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._cleaned_at < self.clean_interval:
            return
        self._cleaned_at = now
        super()._clean_expired()

    async def receive(self, channel: str) -> dict[str, Any]:
        # The loop consumers receive on owns the queues; remember it for foreign senders.
        self._loop = asyncio.get_running_loop()
        message: dict[str, Any] = await super().receive(channel)
        return message

    def _owner_loop(self) -> asyncio.AbstractEventLoop | None:
        """The consumers' loop when it is running and is not the caller's, else ``None``."""
        loop = self._loop
        if loop is None or loop.is_closed() or not loop.is_running():
            return None
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        return None if current is loop else loop

    def _put(self, channel: str, message: dict[str, Any]) -> None:
        queue = self.channels.setdefault(
            channel, asyncio.Queue(maxsize=self.get_capacity(channel)))
        try:
            queue.put_nowait((time.time() + self.expiry, message))
        except asyncio.QueueFull:
            raise ChannelFull(channel) from None

    def _deliver(self, group: str, message: dict[str, Any]) -> None:
        self._clean_expired()
        for channel in list(self.groups.get(group, {})):
            # As Channels does: a consumer whose queue is full misses group messages.
            with contextlib.suppress(ChannelFull):
                self._put(channel, message)

    def _deliver_one(self, channel: str, message: dict[str, Any]) -> None:
        # The caller is on another thread and has already returned: nobody to tell.
        with contextlib.suppress(ChannelFull):
            self._put(channel, message)

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_channel_name(channel)
        assert "__asgi_channel__" not in message
        loop = self._owner_loop()
        if loop is not None:
            loop.call_soon_threadsafe(self._deliver_one, channel, deepcopy(message))
            return
        self._put(channel, deepcopy(message))

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self.group_send_now(group, message)

    def group_send_now(self, group: str, message: dict[str, Any]) -> None:
        """Queue ``message`` for every member of ``group``, from any thread."""
        copy = deepcopy(message)
        loop = self._owner_loop()
        if loop is not None:
            loop.call_soon_threadsafe(self._deliver, group, copy)
        else:
            self._deliver(group, copy)


class _PublishingLoop:
    """One event loop on a daemon thread, per process, for synchronous publishers."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever,
                                       name="taihe-realtime-publish", daemon=True)
        self.thread.start()


_publishing: tuple[int, _PublishingLoop] | None = None
_publishing_lock = threading.Lock()


def _publishing_loop() -> asyncio.AbstractEventLoop:
    global _publishing
    with _publishing_lock:
        # A forked worker (Celery prefork) does not inherit the thread: start its own.
        if _publishing is None or _publishing[0] != os.getpid():
            _publishing = (os.getpid(), _PublishingLoop())
        return _publishing[1].loop


def group_send_sync(layer: Any, group: str, message: dict[str, Any]) -> None:
    """Send ``message`` to ``group`` from synchronous code; raises what the layer raises
    (``TimeoutError`` after :data:`PUBLISH_TIMEOUT` seconds)."""
    if isinstance(layer, LocalChannelLayer):
        layer.group_send_now(group, message)
        return
    if isinstance(layer, InMemoryChannelLayer):
        async_to_sync(layer.group_send)(group, message)
        return
    # Always through the publishing loop, even when the caller's thread has a running loop
    # (async code calling a synchronous service; a test runner's loop): it is another thread's
    # loop, so waiting on it cannot deadlock the caller's.
    future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message),
                                              _publishing_loop())
    future.result(timeout=PUBLISH_TIMEOUT)
