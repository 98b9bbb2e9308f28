"""ASGI entry point: HTTP through Django, ``/ws/`` through Channels."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taihe.config.settings")

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django.urls import path  # noqa: E402

django_application = get_asgi_application()

from taihe.kernel.realtime.consumer import TopicConsumer  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_application,
    "websocket": AllowedHostsOriginValidator(
        AuthMiddlewareStack(URLRouter([path("ws/", TopicConsumer.as_asgi())]))
    ),
})
