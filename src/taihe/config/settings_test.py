"""Settings for the test suite: the real settings, a throwaway data directory, fast hashing
and eager jobs. ``TAIHE_DATABASE_URL``/``TAIHE_REDIS_URL`` still switch profiles."""

import os
import tempfile

os.environ.setdefault("TAIHE_DATA_DIR", tempfile.mkdtemp(prefix="taihe-test-"))
os.environ.setdefault("TAIHE_SECRET_KEY", "test-only-" + "x" * 60)

from taihe.config.settings import *  # noqa: F403
from taihe.config.settings import ENV, redis_channel_host

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed, tests only
TAIHE_JOBS_BACKEND = "eager"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
if not ENV.redis_url:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file rather than shared-cache memory: threads in tests (the Celery worker of the job
    # contract, the websocket tests) then get SQLite's normal locking with a busy timeout,
    # instead of "database table is locked" errors that are never retried.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405

if ENV.redis_url:
    # Each xdist worker gets its own Redis database: a test's cache.clear() (FLUSHDB) must not
    # wipe the rate-limit counters or channel groups of a test running in another worker.
    from urllib.parse import urlsplit, urlunsplit

    _worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or "0")
    _parts = urlsplit(ENV.redis_url)
    _redis = urlunsplit(_parts._replace(path=f"/{int(_parts.path.strip('/') or 0) + _worker}"))
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": _redis}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                  "CONFIG": {"hosts": [redis_channel_host(_redis)]}}}
