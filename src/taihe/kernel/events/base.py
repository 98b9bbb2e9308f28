"""The event base class and the registry of event types by name."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field

_TYPES: dict[str, type[Event]] = {}


class Event(BaseModel):
    """Subclasses set ``name`` (``module.entity.past_verb.v1``) and add payload fields.

    ``subject_type``/``subject_id`` name the changed thing and ``before``/``after`` carry
    the changed fields, so the audit log can record every write without knowing modules.
    """

    model_config = ConfigDict(frozen=True)

    name: ClassVar[str] = ""
    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    occurred_at: datetime = Field(default_factory=timezone.now)
    actor_id: int | None = None
    request_id: str | None = None
    subject_type: str = ""
    subject_id: str = ""
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("name")
        if name:
            parts = name.split(".")
            if len(parts) < 4 or not parts[-1].startswith("v"):
                raise ValueError(f"event name {name!r} must be module.entity.past_verb.vN")
            _TYPES[name] = cls


def event_type(name: str) -> type[Event]:
    try:
        return _TYPES[name]
    except KeyError:
        raise LookupError(f"unknown event type {name!r}") from None


def event_types() -> dict[str, type[Event]]:
    return dict(_TYPES)
