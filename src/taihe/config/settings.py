"""Django settings, built from :mod:`taihe.config.environment` only."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import dj_database_url
from django.utils.translation import gettext_lazy as _

from taihe.config import environment

ENV = environment.load()
PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = ENV.data_dir
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = ENV.secret_key
DEBUG = ENV.debug
ALLOWED_HOSTS = ENV.allowed_hosts
CSRF_TRUSTED_ORIGINS = [ENV.site_url] if ENV.site_url.startswith("http") else []
TAIHE_PRODUCTION = ENV.production
TAIHE_SITE_URL = ENV.site_url
TAIHE_SCALED = ENV.scaled

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "channels",
    "taihe.kernel",
    "taihe.modules.directory",
    "taihe.modules.catalog",
    "taihe.modules.conservation",
    "taihe.modules.workflows",
    "taihe.modules.attendance",
    "taihe.modules.messaging",
    "taihe.modules.notifications",
    "taihe.modules.audit",
    "taihe.modules.workbench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "taihe.kernel.http.middleware.RequestIdMiddleware",
    "taihe.kernel.http.middleware.NulGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "taihe.kernel.http.middleware.PersonLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "taihe.config.urls"
ASGI_APPLICATION = "taihe.config.asgi.application"
WSGI_APPLICATION = "taihe.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

# --- Database ---------------------------------------------------------------------------
if ENV.database_url:
    DATABASES = {"default": dj_database_url.parse(ENV.database_url, conn_max_age=60)}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "taihe.sqlite3"),
            # Keep connections open: opening one costs more than most requests here
            # (the file, WAL mode and the tuning pragmas), and SQLite has no server to tire.
            "CONN_MAX_AGE": None,
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so two writers queue on busy_timeout
                # instead of failing with "database is locked" halfway through a transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Caches, channels, jobs ----------------------------------------------------------------


def redis_channel_host(url: str) -> dict[str, Any]:
    """The channel layer's Redis pool. redis-py 8 pools time sockets out after 5 s, the
    length of channels_redis's blocking receive (BZPOPMIN), so a busy server's receive failed
    and its websockets closed; and they allow 100 connections, which a few hundred sockets
    joining their groups at once exceed. Measured in benchmarks/messaging.py."""
    return {"address": url, "socket_timeout": 30, "socket_connect_timeout": 5,
            "max_connections": 2000}


if ENV.redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": ENV.redis_url,
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_channel_host(ENV.redis_url)]},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "taihe.kernel.realtime.layers.LocalChannelLayer"}}

TAIHE_JOBS_BACKEND = "celery" if (ENV.scaled and ENV.broker_url) else "database"
CELERY_BROKER_URL = ENV.broker_url
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
TAIHE_JOB_QUEUES = ("default", "ingest", "ml", "export")

# --- Auth ----------------------------------------------------------------------------------
AUTH_USER_MODEL = "directory.Person"
AUTHENTICATION_BACKENDS = ["taihe.modules.directory.authentication.LockoutModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "directory:login"
LOGIN_REDIRECT_URL = "workbench:home"
LOGOUT_REDIRECT_URL = "directory:login"
TAIHE_LOCKOUT_THRESHOLD = 5
TAIHE_LOCKOUT_MINUTES = 15
OTP_TOTP_ISSUER = "Taihe"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = ENV.production
CSRF_COOKIE_SECURE = ENV.production
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = ENV.language  # the museum's default; each person may choose their own
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = ENV.time_zone

# --- Files -----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
TAIHE_STORAGE = ENV.storage
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# --- Email -----------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = ENV.default_from_email
if ENV.email_url:
    _email = urlparse(ENV.email_url)
    if _email.scheme == "console":
        EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    elif _email.scheme in {"smtp", "smtps"}:
        _query = parse_qs(_email.query)
        EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        EMAIL_HOST = _email.hostname or "localhost"
        EMAIL_PORT = _email.port or (465 if _email.scheme == "smtps" else 25)
        EMAIL_HOST_USER = _email.username or ""
        EMAIL_HOST_PASSWORD = _email.password or ""
        EMAIL_USE_SSL = _email.scheme == "smtps"
        EMAIL_USE_TLS = _query.get("tls", ["0"])[0] in {"1", "true"}
    else:
        raise environment.ConfigurationError(
            f"TAIHE_EMAIL_URL scheme {_email.scheme!r} is not one of smtp, smtps, console."
        )
else:
    # Offline by default: mail lands as files an operator can read in the data directory.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "mail"

# --- AI providers (used by later modules; reported by `taihe doctor`) -------------------------
TAIHE_AI_EMBEDDING_MODEL = ENV.embedding_model
TAIHE_AI_GENERATION_URL = ENV.generation_url
TAIHE_AI_GENERATION_MODEL = ENV.generation_model

# --- Logging ---------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

TAIHE_HTTP_THREADS = ENV.http_threads
TAIHE_MQTT_URL = ENV.mqtt_url
TAIHE_READINGS_RETENTION_DAYS = ENV.readings_retention_days
TAIHE_LORAWAN_WEBHOOK_TOKEN = ENV.lorawan_webhook_token
TAIHE_API_RATE_LIMITS = {"login": (ENV.login_attempts_per_minute, 60), "token": (20, 60)}

# --- DING reminders by text message and phone call (messaging.gateways) ----------------------
# Each URL receives a signed JSON POST per reminder; empty means the channel is not offered.
TAIHE_DING_SMS_WEBHOOK_URL = ENV.ding_sms_webhook_url
TAIHE_DING_PHONE_WEBHOOK_URL = ENV.ding_phone_webhook_url
TAIHE_DING_WEBHOOK_SECRET = ENV.ding_webhook_secret
