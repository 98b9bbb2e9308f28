"""The baseline of the messaging fan-out benchmark: a bare Channels app with no database.

Every websocket on ``/ws/`` joins one group ``bare`` and gets ``{"type": "hello"}``; a POST
to ``/trigger`` group_sends its JSON body once and each consumer sends it on as
``{"type": "message", "topic": "bare", "data": <body>}``, the frame shape Taihe sends.
No authentication, no authorisation, no database: what is left is the channel layer, the
consumer and uvicorn's websocket protocol, which is what the Taihe figure is compared to.

Same channel layer as Taihe in the same run: in-memory by default, Redis when
``TAIHE_REDIS_URL`` is set (several processes then share the group).

    uvicorn benchmarks.bare_asgi:application --lifespan off
"""

from __future__ import annotations

import json
import os
from typing import Any

import django
from django.conf import settings

_REDIS = os.environ.get("TAIHE_REDIS_URL")
# With TAIHE_BENCH_REDIS_POOL=1 the baseline gets the same Redis pool settings as the
# benchmark's --redis-pool-fix run of Taihe (see benchmarks/_ws.py, REDIS_POOL_FIX).
_HOST: Any = _REDIS
if _REDIS and os.environ.get("TAIHE_BENCH_REDIS_POOL") == "1":
    _HOST = {"address": _REDIS, "socket_timeout": 30, "max_connections": 10_000}
if not settings.configured:
    settings.configure(
        CHANNEL_LAYERS={"default": (
            {"BACKEND": "channels_redis.core.RedisChannelLayer",
             "CONFIG": {"hosts": [_HOST]}} if _REDIS else
            {"BACKEND": "channels.layers.InMemoryChannelLayer"})},
        INSTALLED_APPS=[], USE_TZ=True)
    django.setup()

from channels.generic.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from channels.layers import get_channel_layer  # noqa: E402
from channels.routing import ProtocolTypeRouter  # noqa: E402

GROUP = "bare"


class BareConsumer(AsyncJsonWebsocketConsumer):
    groups = [GROUP]  # joined by Channels before connect() runs

    async def connect(self) -> None:
        await self.accept()
        await self.send_json({"type": "hello"})

    async def bare_message(self, message: dict[str, Any]) -> None:
        await self.send_json({"type": "message", "topic": GROUP, "data": message["data"]})


async def trigger(scope: dict[str, Any], receive: Any, send: Any) -> None:
    body = b""
    while True:
        event = await receive()
        body += event.get("body", b"")
        if not event.get("more_body"):
            break
    status, answer = 404, b'{"detail": "not found"}'
    if scope["method"] == "POST" and scope["path"] == "/trigger":
        layer = get_channel_layer()
        assert layer is not None
        await layer.group_send(GROUP, {"type": "bare.message", "data": json.loads(body)})
        status, answer = 201, b'{"ok": true}'
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(answer)).encode())]})
    await send({"type": "http.response.body", "body": answer})


application = ProtocolTypeRouter({"http": trigger, "websocket": BareConsumer.as_asgi()})
