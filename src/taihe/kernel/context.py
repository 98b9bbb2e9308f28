"""Who is acting and under which request id, for the code running now (request or job)."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "taihe_request_id", default=None
)
_actor_id: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "taihe_actor_id", default=None
)


def request_id() -> str | None:
    return _request_id.get()


def actor_id() -> int | None:
    return _actor_id.get()


def set_actor_id(value: int | None) -> None:
    _actor_id.set(value)


@contextmanager
def bound(*, request_id: str | None, actor_id: int | None) -> Iterator[None]:
    request_token = _request_id.set(request_id)
    actor_token = _actor_id.set(actor_id)
    try:
        yield
    finally:
        _request_id.reset(request_token)
        _actor_id.reset(actor_token)
