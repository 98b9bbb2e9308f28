from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from taihe.kernel.events.models import OutboxEvent


@contextmanager
def captured_events() -> Iterator[list[OutboxEvent]]:
    """Collect the outbox rows written inside the block (in order)."""
    start = OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    found: list[OutboxEvent] = []
    yield found
    found.extend(OutboxEvent.objects.filter(id__gt=start).order_by("id"))
