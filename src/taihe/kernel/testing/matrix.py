"""The four-actor authorisation matrix every endpoint is tested with.

For one request, four callers: anonymous, a member without the permission, a member with it,
and an administrator. Denied callers must get the error envelope with nothing of the data in
it, and the database must be exactly as before (no outbox event, same row counts).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.test import Client

from taihe.kernel.events.models import OutboxEvent


@dataclass
class Call:
    method: str
    path: str
    body: dict[str, Any] | None = None
    secrets: list[str] = field(default_factory=list)
    """Strings that must not appear in a denied caller's response."""
    files: dict[str, Any] | None = None
    """Multipart upload instead of a JSON body: field name → file, plus ``body`` as fields."""


def database_state() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()
            if model._meta.label not in {"sessions.Session", "kernel.JobRecord"}}


def request(client: Client, call: Call) -> Any:
    method = getattr(client, call.method.lower())
    if call.files is not None:
        for upload in call.files.values():
            upload.seek(0)
        return method(call.path, data={**(call.body or {}), **call.files})
    if call.body is None:
        return method(call.path)
    return method(call.path, data=json.dumps(call.body), content_type="application/json")


def assert_denied(client: Client, call: Call, expected_status: int) -> None:
    before_events = OutboxEvent.objects.count()
    before = database_state()
    response = request(client, call)
    assert response.status_code == expected_status, (call.method, call.path,
                                                       response.status_code, response.content)
    body = response.json()
    assert set(body) <= {"detail", "code", "fields", "request_id"}, body
    text = response.content.decode()
    for secret in call.secrets:
        assert secret not in text, f"{secret!r} leaked to a denied caller"
    assert OutboxEvent.objects.count() == before_events
    assert database_state() == before


def assert_allowed(client: Client, call: Call, expected_status: int,
                   check: Callable[[Any], None] | None = None) -> Any:
    response = request(client, call)
    assert response.status_code == expected_status, (call.method, call.path,
                                                       response.status_code, response.content)
    if check is not None:
        check(response)
    return response
