"""DING gateways: which channels a museum can offer, and the signed webhook that sends
text messages and phone calls (against a local HTTP server, never the network)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from taihe.config import environment
from taihe.config.environment import ConfigurationError
from taihe.modules.messaging import escalation, gateways, services
from taihe.modules.messaging.models import DingDelivery, DingRecipient

SECRET = "gateway-test-secret"


class _Recorder(BaseHTTPRequestHandler):
    answer = 202
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
        self.send_response(self.answer)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass


@pytest.fixture
def webhook() -> Iterator[Any]:
    """A local server that records every POST; ``webhook.url(path)``, ``webhook.received``,
    ``webhook.answer``."""
    handler = type("Handler", (_Recorder,), {"received": [], "answer": 202})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.handler = handler  # type: ignore[attr-defined]
    server.url = lambda path="/hook": f"http://127.0.0.1:{server.server_port}{path}"  # type: ignore[attr-defined]
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def no_gateways(settings: Any) -> None:
    settings.TAIHE_DING_SMS_WEBHOOK_URL = None
    settings.TAIHE_DING_PHONE_WEBHOOK_URL = None
    settings.TAIHE_DING_WEBHOOK_SECRET = None


@pytest.fixture
def restore_registry() -> Iterator[None]:
    saved = dict(gateways._gateways)
    yield
    gateways._gateways.clear()
    gateways._gateways.update(saved)


def _signature(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


# ---------------------------------------------------------------- available channels

def test_without_settings_only_in_app_and_working_email_are_offered(no_gateways: None) -> None:
    # given the test mail backend (mail is delivered) and no webhook
    # then
    assert gateways.available_channels() == {"in_app", "email"}
    assert gateways.channel_choices() == [("in_app", "In the app"), ("email", "Email")]


@pytest.mark.parametrize("backend", ["django.core.mail.backends.dummy.EmailBackend",
                                     "django.core.mail.backends.filebased.EmailBackend"])
def test_email_is_not_offered_when_mail_goes_nowhere(settings: Any, no_gateways: None,
                                                     backend: str) -> None:
    settings.EMAIL_BACKEND = backend
    assert gateways.available_channels() == {"in_app"}


def test_a_webhook_url_with_its_secret_offers_that_channel_only(settings: Any,
                                                                no_gateways: None) -> None:
    settings.TAIHE_DING_SMS_WEBHOOK_URL = "http://127.0.0.1:9/sms"
    settings.TAIHE_DING_WEBHOOK_SECRET = SECRET
    assert gateways.available_channels() == {"in_app", "email", "sms"}
    assert gateways.channel_choices() == [("in_app", "In the app"), ("email", "Email"),
                                          ("sms", "Text message (SMS)")]
    settings.TAIHE_DING_PHONE_WEBHOOK_URL = "http://127.0.0.1:9/call"
    assert [code for code, _label in gateways.channel_choices()] == [
        "in_app", "email", "sms", "phone"]


def test_a_webhook_url_without_a_secret_is_not_offered(settings: Any, no_gateways: None) -> None:
    settings.TAIHE_DING_SMS_WEBHOOK_URL = "http://127.0.0.1:9/sms"
    assert gateways.available_channels() == {"in_app", "email"}
    assert gateways.gateway_for("sms") is None


def test_a_museum_plugs_in_its_own_gateway(no_gateways: None, restore_registry: None) -> None:
    class Provider:
        def send(self, channel: str, phone: str, text: str,
                 reference: str) -> tuple[bool, str]:
            return True, "queued"

    provider = Provider()
    gateways.register_gateway("phone", lambda: provider)
    assert gateways.available_channels() == {"in_app", "email", "phone"}
    assert gateways.gateway_for("phone") is provider
    gateways.register_gateway("phone", lambda: None)  # e.g. its API key was removed
    assert gateways.available_channels() == {"in_app", "email"}


def test_only_sms_and_phone_take_gateways(restore_registry: None) -> None:
    with pytest.raises(ValueError, match="'email'"):
        gateways.register_gateway("email", lambda: None)


# ---------------------------------------------------------------- the webhook gateway

def test_webhook_posts_signed_json_and_reports_the_status(webhook: Any) -> None:
    gateway = gateways.WebhookGateway(webhook.url("/sms"), SECRET)
    ok, detail = gateway.send("sms", "+86 138 0000 0000", "DING: 请确认", "ding:1:2:3")
    assert (ok, detail) == (True, "HTTP 202")
    [request] = webhook.handler.received
    assert request["path"] == "/sms"
    assert request["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert request["headers"]["X-Taihe-Signature"] == _signature(request["body"])
    payload = json.loads(request["body"])
    sent_at = datetime.fromisoformat(payload.pop("sent_at"))
    assert sent_at.utcoffset() == timedelta(0)
    assert payload == {"channel": "sms", "to": "+86 138 0000 0000", "text": "DING: 请确认",
                       "reference": "ding:1:2:3"}


def test_a_signature_with_another_secret_does_not_match(webhook: Any) -> None:
    gateways.WebhookGateway(webhook.url(), "another secret").send("sms", "1", "t", "r")
    [request] = webhook.handler.received
    assert request["headers"]["X-Taihe-Signature"] != _signature(request["body"])


def test_webhook_reports_an_error_status_as_failed(webhook: Any) -> None:
    webhook.handler.answer = 503
    assert gateways.WebhookGateway(webhook.url(), SECRET).send("phone", "1", "t", "r") == (
        False, "HTTP 503")


def test_webhook_reports_an_unreachable_server_as_failed(webhook: Any) -> None:
    url = webhook.url()
    webhook.shutdown()
    webhook.server_close()
    ok, detail = gateways.WebhookGateway(url, SECRET, timeout=2).send("sms", "1", "t", "r")
    assert ok is False
    assert detail.startswith("unreachable: ")
    assert len(detail) <= 200


def test_webhook_refuses_urls_that_are_not_http() -> None:
    assert gateways.WebhookGateway("file:///etc/passwd", SECRET).send("sms", "1", "t", "r") == (
        False, "webhook URL is not http(s)")


# ---------------------------------------------------------------- a DING through the webhook

def test_a_ding_text_message_reaches_the_webhook_signed(settings: Any, webhook: Any, group: Any,
                                                        li: Any, zhang: Any) -> None:
    # given an SMS webhook and a DING to Zhang that escalates to SMS
    settings.TAIHE_DING_SMS_WEBHOOK_URL = webhook.url("/sms")
    settings.TAIHE_DING_PHONE_WEBHOOK_URL = None
    settings.TAIHE_DING_WEBHOOK_SECRET = SECRET
    zhang.phone = "13800000000"
    zhang.save(update_fields=["phone"])
    message = services.do_send_message(
        li, group.pk, "Water leak in store 3",
        ding=services.DingRequest(recipient_ids=[zhang.pk], channels=("in_app", "sms"),
                                  interval_minutes=10, max_reminders=2))
    recipient = DingRecipient.objects.get(ding__message=message)
    # when the first reminder is due
    assert escalation.remind_due(message.created_at + timedelta(minutes=10)) == 1
    # then the gateway got one signed request for Zhang's phone, and the answer is kept
    [request] = webhook.handler.received
    assert request["headers"]["X-Taihe-Signature"] == _signature(request["body"])
    payload = json.loads(request["body"])
    assert (payload["channel"], payload["to"], payload["reference"]) == (
        "sms", "13800000000", f"ding:{message.ding.pk}:{recipient.pk}:1")
    assert payload["text"] == (f"[Taihe] DING from Li Wei: Water leak in store 3 Confirm: "
                               f"http://127.0.0.1:8000/chat/c/{group.pk}/#m{message.pk}")
    assert list(DingDelivery.objects.filter(recipient=recipient).order_by("pk")
                .values_list("channel", "ok", "detail")) == [
        ("in_app", True, ""), ("sms", True, "HTTP 202")]


# ---------------------------------------------------------------- configuration

def test_environment_reads_the_ding_webhooks(tmp_path: Path) -> None:
    env = environment.load({"TAIHE_DATA_DIR": str(tmp_path), "TAIHE_SECRET_KEY": "k",
                            "TAIHE_DING_SMS_WEBHOOK_URL": "https://sms.museum.local/ding",
                            "TAIHE_DING_WEBHOOK_SECRET": SECRET})
    assert (env.ding_sms_webhook_url, env.ding_phone_webhook_url, env.ding_webhook_secret) == (
        "https://sms.museum.local/ding", None, SECRET)
    bare = environment.load({"TAIHE_DATA_DIR": str(tmp_path), "TAIHE_SECRET_KEY": "k"})
    assert (bare.ding_sms_webhook_url, bare.ding_phone_webhook_url,
            bare.ding_webhook_secret) == (None, None, None)


def test_environment_refuses_a_webhook_without_secret_or_with_another_scheme(
        tmp_path: Path) -> None:
    base = {"TAIHE_DATA_DIR": str(tmp_path), "TAIHE_SECRET_KEY": "k"}
    with pytest.raises(ConfigurationError, match="TAIHE_DING_WEBHOOK_SECRET"):
        environment.load({**base, "TAIHE_DING_PHONE_WEBHOOK_URL": "https://voice.local/call"})
    with pytest.raises(ConfigurationError, match="TAIHE_DING_SMS_WEBHOOK_URL"):
        environment.load({**base, "TAIHE_DING_SMS_WEBHOOK_URL": "file:///tmp/x",
                          "TAIHE_DING_WEBHOOK_SECRET": SECRET})
