"""How a DING reaches people outside the app: the channels this museum can use, and the
gateways that send text messages and place phone calls.

Channels are a registry (ARCHITECTURE rule 6): in-app and email are built in; SMS and phone
calls go through a :class:`Gateway` that a factory builds from settings. The stock gateway
POSTs a signed JSON request to a webhook the museum runs (``TAIHE_DING_SMS_WEBHOOK_URL``,
``TAIHE_DING_PHONE_WEBHOOK_URL``, ``TAIHE_DING_WEBHOOK_SECRET``), so any SMS or voice
provider can sit behind it; a museum may instead plug in a provider's own client with
:func:`register_gateway` (e.g. Aliyun or Tencent Cloud SMS). A channel whose gateway is not
configured is not offered: a sender must never choose a reminder that cannot go out.

Request the stock gateway sends (``Content-Type: application/json``)::

    {"channel": "sms", "to": "+86 138 0000 0000", "text": "...",
     "reference": "ding:12:34:2", "sent_at": "2025-03-01T08:15:00+00:00"}

with ``X-Taihe-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes, keyed with the
secret>``. ``reference`` is unique per attempt, so a gateway can drop a repeat.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Protocol

from django.conf import settings
from django.utils import timezone

from taihe.modules.messaging.models import Ding

TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "X-Taihe-Signature"
# Backends that accept mail without it reaching anyone: offering email reminders then would
# promise a reminder nobody gets. The file backend is the offline default (no TAIHE_EMAIL_URL).
_MAIL_GOES_NOWHERE = (
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
)
_GATEWAY_CHANNELS = (Ding.Channel.SMS.value, Ding.Channel.PHONE.value)


class Gateway(Protocol):
    """Sends one reminder to one phone number. Never raises for a delivery problem: it
    answers ``(ok, detail)`` where ``detail`` is short (an HTTP status, an error) and is
    kept as proof of the attempt."""

    def send(self, channel: str, phone: str, text: str, reference: str) -> tuple[bool, str]:
        ...


GatewayFactory = Callable[[], "Gateway | None"]


def sign(secret: str, body: bytes) -> str:
    """The ``X-Taihe-Signature`` value for ``body``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookGateway:
    """POSTs the reminder as signed JSON to a URL; any 2xx answer counts as sent."""

    def __init__(self, url: str, secret: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.url = url
        self.secret = secret
        self.timeout = timeout

    def send(self, channel: str, phone: str, text: str, reference: str) -> tuple[bool, str]:
        if not self.url.startswith(("http://", "https://")):
            # urllib would also open file:// and ftp:// URLs
            return False, "webhook URL is not http(s)"
        body = json.dumps({"channel": channel, "to": phone, "text": text,
                           "reference": reference, "sent_at": timezone.now().isoformat()},
                          ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            self.url, data=body, method="POST",
            headers={"Content-Type": "application/json; charset=utf-8",
                     SIGNATURE_HEADER: sign(self.secret, body),
                     "User-Agent": "Taihe-DING/1"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status = int(response.status)
        except urllib.error.HTTPError as error:
            return False, f"HTTP {error.code}"
        except urllib.error.URLError as error:
            return False, _short(f"unreachable: {error.reason}")
        except (TimeoutError, OSError, ValueError) as error:
            return False, _short(f"error: {error}")
        return 200 <= status < 300, f"HTTP {status}"


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _webhook_from(setting: str) -> GatewayFactory:
    def build() -> Gateway | None:
        url = getattr(settings, setting, None)
        secret = getattr(settings, "TAIHE_DING_WEBHOOK_SECRET", None)
        # Both or nothing: config refuses a URL without a secret, and so do we, in case
        # settings were changed at run time.
        return WebhookGateway(url, secret) if url and secret else None

    return build


_gateways: dict[str, GatewayFactory] = {}


def register_gateway(channel: str, factory: GatewayFactory) -> None:
    """Use ``factory`` to send ``channel`` ("sms" or "phone") reminders from now on. The
    factory is called for every send and answers ``None`` while the gateway is not
    configured, which also takes the channel off :func:`available_channels`. Raises
    ``ValueError`` for any other channel."""
    if channel not in _GATEWAY_CHANNELS:
        raise ValueError(f"DING gateways serve {', '.join(_GATEWAY_CHANNELS)}, not {channel!r}")
    _gateways[channel] = factory


def gateway_for(channel: str) -> Gateway | None:
    """The configured gateway of ``channel``, or ``None``."""
    factory = _gateways.get(channel)
    return factory() if factory is not None else None


def email_configured() -> bool:
    return getattr(settings, "EMAIL_BACKEND", "") not in _MAIL_GOES_NOWHERE


def _gateway_available(channel: str) -> Callable[[], bool]:
    return lambda: gateway_for(channel) is not None


_availability: dict[str, Callable[[], bool]] = {
    Ding.Channel.IN_APP.value: lambda: True,
    Ding.Channel.EMAIL.value: email_configured,
    **{channel: _gateway_available(channel) for channel in _GATEWAY_CHANNELS},
}


def available_channels() -> set[str]:
    """The channels this museum can send DING reminders through now: always "in_app";
    "email" when mail actually leaves the server; "sms" / "phone" when their gateway is
    configured."""
    return {code for code, available in _availability.items() if available()}


def channel_choices() -> list[tuple[str, str]]:
    """``(code, label)`` of each available channel, in escalation order, labels in the
    active language (for ``GET /ding/channels``)."""
    usable = available_channels()
    return [(code, str(label)) for code, label in Ding.Channel.choices if code in usable]


register_gateway(Ding.Channel.SMS.value, _webhook_from("TAIHE_DING_SMS_WEBHOOK_URL"))
register_gateway(Ding.Channel.PHONE.value, _webhook_from("TAIHE_DING_PHONE_WEBHOOK_URL"))
