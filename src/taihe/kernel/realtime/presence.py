"""Coarse presence: a person is online while one of their websockets has spoken in the last
minute and a half.

Presence is the largest cost of a chat server when it is exact and pushed (Zulip measures
it as a third of all server time, docs/subsystems/performance.md), so Taihe keeps it coarse
and pulled: the socket marks its person online when it connects and on the pings the page
sends every 30 seconds; pages ask who is online when they show people. The marks live in
Django's cache, which is Redis when several server processes run. A closed socket is not
unmarked (another tab may still be open); the mark simply runs out.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache

ONLINE_SECONDS = 90
_PREFIX = "taihe.presence."


def touch(person_id: int) -> None:
    cache.set(f"{_PREFIX}{int(person_id)}", 1, ONLINE_SECONDS)


def online(person_ids: Iterable[int]) -> set[int]:
    """Which of ``person_ids`` have a live socket."""
    keys = {f"{_PREFIX}{int(pk)}": int(pk) for pk in person_ids}
    if not keys:
        return set()
    return {keys[key] for key in cache.get_many(list(keys))}
