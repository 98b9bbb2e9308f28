"""Fixed-window rate limits on the cache (shared between processes in the scaled profile)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

from taihe.kernel.errors import RateLimited


def hit(bucket: str, key: str) -> None:
    """Count one attempt; raise :class:`RateLimited` once the bucket's limit is passed."""
    limit, window = settings.TAIHE_API_RATE_LIMITS[bucket]
    slot = int(time.time() // window)
    cache_key = f"ratelimit:{bucket}:{key}:{slot}"
    cache.add(cache_key, 0, timeout=window + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # evicted between add and incr
        cache.set(cache_key, 1, timeout=window + 1)
        count = 1
    if count > limit:
        raise RateLimited()


def client_key(request: object) -> str:
    meta = getattr(request, "META", {})
    return str(meta.get("REMOTE_ADDR") or "unknown")
