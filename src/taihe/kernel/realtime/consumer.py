"""The websocket consumer behind ``/ws/``."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from taihe.kernel.realtime.topics import authorize, group_name

MAX_TOPICS = 50


class TopicConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.topics: set[str] = set()
        await self.accept()
        await self.send_json({"type": "hello"})

    async def disconnect(self, code: int) -> None:
        for topic in getattr(self, "topics", set()):
            await self.channel_layer.group_discard(group_name(topic), self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            await self.send_json(
                {"type": "error", "code": "invalid", "detail": "expected an object"}
            )
            return
        kind = content.get("type")
        topic = content.get("topic")
        if kind == "ping":
            await self.send_json({"type": "pong"})
            return
        if kind not in {"subscribe", "unsubscribe"} or not isinstance(topic, str):
            await self.send_json({"type": "error", "code": "invalid",
                                  "detail": "expected {type: subscribe|unsubscribe, topic}"})
            return
        if kind == "unsubscribe":
            if topic in self.topics:
                self.topics.discard(topic)
                await self.channel_layer.group_discard(group_name(topic), self.channel_name)
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
        await self.channel_layer.group_add(group_name(topic), self.channel_name)
        await self.send_json({"type": "subscribed", "topic": topic})

    async def topic_message(self, message: dict[str, Any]) -> None:
        await self.send_json({"type": "message", "topic": message["topic"],
                              "data": message["data"]})
