"""The websocket endpoint: sign-in required, topics authorised one by one, pushes after commit."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction

from taihe.config.asgi import application
from taihe.kernel.realtime import authorize, publish
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _session_cookie(person: Any) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = SessionStore()
    session[SESSION_KEY] = str(person.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = person.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


async def _connect(person: Any | None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]
    if person is not None:
        cookie = await sync_to_async(_session_cookie)(person)
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, "/ws/", headers=headers)


@pytest.mark.asyncio
async def test_anonymous_connections_are_closed() -> None:
    communicator = await _connect(None)
    connected, code = await communicator.connect()
    assert (connected, code) == (False, 4401)


@pytest.mark.asyncio
async def test_a_person_may_listen_to_their_own_topic_only() -> None:
    me = await sync_to_async(PersonFactory)(department=None)
    other = await sync_to_async(PersonFactory)(department=None)
    communicator = await _connect(me)
    connected, _ = await communicator.connect()
    assert connected
    assert await communicator.receive_json_from() == {"type": "hello"}
    await communicator.send_json_to({"type": "subscribe",
                                     "topic": f"notifications.user.{other.pk}"})
    assert await communicator.receive_json_from() == {
        "type": "error", "code": "forbidden", "topic": f"notifications.user.{other.pk}"}
    await communicator.send_json_to({"type": "subscribe", "topic": f"notifications.user.{me.pk}"})
    assert await communicator.receive_json_from() == {
        "type": "subscribed", "topic": f"notifications.user.{me.pk}"}

    # A publish inside a transaction reaches the subscriber after commit.
    def change() -> None:
        with transaction.atomic():
            publish(f"notifications.user.{me.pk}", {"unread": 3})
            publish(f"notifications.user.{other.pk}", {"unread": 9})

    await sync_to_async(change)()
    assert await communicator.receive_json_from(timeout=2) == {
        "type": "message", "topic": f"notifications.user.{me.pk}", "data": {"unread": 3}}
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_unknown_topics_and_bad_messages_get_clear_errors() -> None:
    me = await sync_to_async(PersonFactory)(department=None)
    communicator = await _connect(me)
    await communicator.connect()
    await communicator.receive_json_from()
    await communicator.send_json_to({"type": "subscribe", "topic": "nothing.such"})
    assert (await communicator.receive_json_from())["code"] == "forbidden"
    await communicator.send_json_to(["not", "an", "object"])
    assert (await communicator.receive_json_from())["code"] == "invalid"
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong"}
    await communicator.disconnect()


def test_topic_patterns_match_whole_parameters_only() -> None:
    class Someone:
        pk = 7

    assert authorize(Someone(), "notifications.user.7")
    assert not authorize(Someone(), "notifications.user.70")
    assert not authorize(Someone(), "notifications.user.7.extra")
    assert not authorize(Someone(), "notificationsXuser.7")
