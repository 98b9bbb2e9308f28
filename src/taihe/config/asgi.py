"""ASGI entry point: HTTP through Django's WSGI handler in a thread pool, ``/ws/`` through
Channels.

Django's own ASGI handler hops between the event loop and threads several times per
request; on a two-core server that overhead alone capped a bare view at about 450 requests/s.
Running the (entirely synchronous) Django stack once per request in a worker thread through
a2wsgi serves the same views 1.7 to 2.5 times faster (see docs/decisions/0006), while
websockets stay on the event loop with Channels.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taihe.config.settings")

from a2wsgi import WSGIMiddleware
from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.urls import path

wsgi_application = get_wsgi_application()
django_application = WSGIMiddleware(
    wsgi_application,  # type: ignore[arg-type]  # Django responses are iterables of bytes
    workers=settings.TAIHE_HTTP_THREADS,
)

from taihe.kernel.realtime.consumer import TopicConsumer  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_application,
    "websocket": AllowedHostsOriginValidator(
        AuthMiddlewareStack(URLRouter([path("ws/", TopicConsumer.as_asgi())]))
    ),
})
