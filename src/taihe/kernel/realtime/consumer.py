"""The websocket consumer behind ``/ws/``."""

from __future__ import annotations

import json
import time
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from taihe.kernel.realtime import presence
from taihe.kernel.realtime.topics import allows_signals, authorize, feeds_of, group_name

MAX_TOPICS = 50
# A person in more conversations than this still gets everything through refetches; the
# cap keeps one socket from joining an unbounded number of groups.
MAX_FEEDS = 5000
MAX_SIGNAL_BYTES = 512
PRESENCE_EVERY = 30.0


class TopicConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.topics: set[str] = set()
        # feed -> the subscribed topics that brought it; a feed stays while any remains
        self.feeds: dict[str, set[str]] = {}
        self.touched = 0.0
        await self.accept()
        await self.send_json({"type": "hello"})
        await self._touch()

    async def disconnect(self, code: int) -> None:
        for name in set(getattr(self, "topics", set())) | set(getattr(self, "feeds", {})):
            await self.channel_layer.group_discard(group_name(name), self.channel_name)

    async def _touch(self) -> None:
        now = time.monotonic()
        if now - self.touched >= PRESENCE_EVERY:
            self.touched = now
            await sync_to_async(presence.touch, thread_sensitive=False)(self.scope["user"].pk)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            await self.send_json(
                {"type": "error", "code": "invalid", "detail": "expected an object"}
            )
            return
        kind = content.get("type")
        topic = content.get("topic")
        if kind == "ping":
            await self._touch()
            await self.send_json({"type": "pong"})
            return
        if kind == "signal" and isinstance(topic, str):
            await self._signal(topic, content.get("data"))
            return
        if kind not in {"subscribe", "unsubscribe"} or not isinstance(topic, str):
            await self.send_json({"type": "error", "code": "invalid",
                                  "detail": "expected {type: subscribe|unsubscribe, topic}"})
            return
        if kind == "unsubscribe":
            if topic in self.topics:
                self.topics.discard(topic)
                if topic not in self.feeds:
                    await self.channel_layer.group_discard(group_name(topic),
                                                           self.channel_name)
                for feed in [f for f, owners in self.feeds.items() if topic in owners]:
                    await self._drop_feed(topic, feed)
            await self.send_json({"type": "unsubscribed", "topic": topic})
            return
        if len(self.topics) >= MAX_TOPICS:
            await self.send_json({"type": "error", "code": "too_many_topics", "topic": topic})
            return
        allowed = await database_sync_to_async(authorize)(self.scope["user"], topic)
        if not allowed:
            await self.send_json({"type": "error", "code": "forbidden", "topic": topic})
            return
        self.topics.add(topic)
        # Join the topic itself first: an attach published while the feeds are read below
        # then reaches this socket, and a feed added before it is in what is read.
        await self.channel_layer.group_add(group_name(topic), self.channel_name)
        for feed in await database_sync_to_async(feeds_of)(self.scope["user"], topic):
            await self._add_feed(topic, feed)
        await self.send_json({"type": "subscribed", "topic": topic})

    async def _add_feed(self, topic: str, feed: str) -> bool:
        if feed not in self.feeds:
            if len(self.feeds) >= MAX_FEEDS:
                return False
            self.feeds[feed] = set()
            await self.channel_layer.group_add(group_name(feed), self.channel_name)
        self.feeds[feed].add(topic)
        return True

    async def _drop_feed(self, topic: str, feed: str) -> None:
        owners = self.feeds.get(feed)
        if owners is None:
            return
        owners.discard(topic)
        if not owners:
            del self.feeds[feed]
            if feed not in self.topics:  # still subscribed to directly
                await self.channel_layer.group_discard(group_name(feed), self.channel_name)

    async def _signal(self, feed: str, data: Any) -> None:
        if feed not in self.feeds or not allows_signals(feed):
            await self.send_json({"type": "error", "code": "forbidden", "topic": feed})
            return
        if not isinstance(data, dict) or len(json.dumps(data)) > MAX_SIGNAL_BYTES:
            await self.send_json({"type": "error", "code": "invalid", "topic": feed,
                                  "detail": f"a signal is an object of at most "
                                            f"{MAX_SIGNAL_BYTES} bytes"})
            return
        await self.channel_layer.group_send(group_name(feed), {
            "type": "topic.message", "topic": feed,
            "data": {"type": "signal", "from": self.scope["user"].pk, "signal": data}})

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections (in a worker thread) before every
        # handler. Pushing a topic message touches no database, and with 1,000 sockets that
        # thread hop per socket and message was a tenth of the server's CPU.
        if message.get("type") == "topic.message":
            await self.topic_message(message)
            return
        await super().dispatch(message)

    async def topic_message(self, message: dict[str, Any]) -> None:
        topic = message["topic"]
        # A message queued before a detach was handled is dropped here: leaving stops
        # delivery at once, not when the group membership catches up.
        if topic not in self.topics and topic not in self.feeds:
            return
        text = message.get("text")  # serialised once by the publisher
        if isinstance(text, str):
            await self.send(text_data=text)
            return
        await self.send_json({"type": "message", "topic": topic, "data": message["data"]})

    async def topic_attach(self, message: dict[str, Any]) -> None:
        topic, feed = message["topic"], message["feed"]
        if topic in self.topics and await self._add_feed(topic, feed):
            await self.send_json({"type": "attached", "topic": topic, "feed": feed})

    async def topic_detach(self, message: dict[str, Any]) -> None:
        topic, feed = message["topic"], message["feed"]
        if topic in self.topics and feed in self.feeds:
            await self._drop_feed(topic, feed)
            await self.send_json({"type": "detached", "topic": topic, "feed": feed})
