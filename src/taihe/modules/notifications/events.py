from __future__ import annotations

from taihe.kernel.events import Event


class NotificationsRead(Event):
    name = "notifications.notification.read.v1"
    person_id: int
    count: int


class PreferenceChanged(Event):
    name = "notifications.preference.changed.v1"
    person_id: int
    category: str
