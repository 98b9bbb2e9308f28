"""Realtime: each person's inbox counts on ``workflows.inbox.<their id>``, pushed after commit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from taihe.kernel.realtime import publish


def may_listen(user: Any, person_id: str) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and str(user.pk) == person_id


def push_counts(person_ids: Iterable[int]) -> None:
    """After commit, send each person their to-do and unread-CC counts."""
    people = sorted(set(person_ids))
    if not people:
        return

    def send() -> None:
        from taihe.modules.workflows.selectors import inbox_counts

        for person_id in people:
            publish(f"workflows.inbox.{person_id}", {"type": "workflows.counts",
                                                     **inbox_counts(person_id)})

    transaction.on_commit(send)
