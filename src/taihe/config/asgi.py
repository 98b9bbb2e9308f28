"""ASGI entry point: HTTP through Django, ``/ws/`` through Channels."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taihe.config.settings")

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.core.asgi import get_asgi_application
from django.urls import path

django_application = get_asgi_application()

from taihe.kernel.realtime.consumer import TopicConsumer  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_application,
    "websocket": AllowedHostsOriginValidator(
        AuthMiddlewareStack(URLRouter([path("ws/", TopicConsumer.as_asgi())]))
    ),
})
