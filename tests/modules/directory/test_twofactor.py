"""Optional TOTP two-factor sign-in: enrol, confirm, sign in with a code, lockout, disable."""

from __future__ import annotations

import time
from base64 import b32encode
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.shortcuts import resolve_url
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from taihe.kernel.events.models import OutboxEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOCKED = ("This account is locked after too many failed attempts. Try again in 15 minutes, "
          "or reset your password.")
WRONG_CODE = "This code is not right. Use the newest code in your authenticator app."


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the phone shows now (or ``steps_ahead`` periods from now)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def not_the_code(device: TOTPDevice) -> str:
    return f"{(int(code_for(device)) + 500_000) % 1_000_000:06d}"


def two_factor_events(person: Any) -> list[dict[str, Any]]:
    return [row.payload for row in OutboxEvent.objects.filter(
        name="directory.person.two_factor_changed.v1").order_by("id")
        if row.payload["person_id"] == person.pk]


def wait_out_throttle(device: TOTPDevice) -> None:
    """django-otp makes a device wait 1, 2, 4 ... seconds after each wrong code."""
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(hours=1))


@pytest.fixture(autouse=True)
def _auth_settings(settings: Any) -> None:
    settings.TAIHE_LOCKOUT_THRESHOLD = 3
    settings.TAIHE_LOCKOUT_MINUTES = 15


@pytest.fixture
def device(member: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=member, name="authenticator", confirmed=True)


def signed_in_id(client: Client) -> Any:
    return client.session.get("_auth_user_id")


def password_step(client: Client, next_url: str = "") -> Any:
    data = {"username": "member", "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post("/login/", data)


# --- Enrolment ----------------------------------------------------------------------------

def test_set_up_page_shows_qr_code_and_secret_of_one_unconfirmed_device(client_for: Any,
                                                                         member: Any) -> None:
    client = client_for(member)

    first = client.get("/account/two-factor/")
    again = client.get("/account/two-factor/")

    assert first.status_code == 200
    assert first.context["enabled"] is False
    enrolling = TOTPDevice.objects.get(user=member)
    assert enrolling.confirmed is False
    secret = b32encode(enrolling.bin_key).decode().rstrip("=")
    assert first.context["secret"].replace(" ", "") == secret
    assert first.context["qr_svg"].startswith("<svg")
    assert first.context["qr_svg"] in first.content.decode()
    assert again.context["secret"] == first.context["secret"]
    assert TOTPDevice.objects.filter(user=member).count() == 1
    assert two_factor_events(member) == []


def test_set_up_needs_sign_in() -> None:
    response = Client().get("/account/two-factor/")

    assert response.status_code == 302
    assert response.url == "/login/?next=/account/two-factor/"


def test_enrol_confirm_then_sign_in_asks_for_the_code(client_for: Any, member: Any) -> None:
    # Given a person who scanned the QR code
    client = client_for(member)
    client.get("/account/two-factor/")
    enrolling = TOTPDevice.objects.get(user=member)

    # When a wrong code is entered, nothing is switched on
    wrong = client.post("/account/two-factor/", {"code": not_the_code(enrolling)})
    assert wrong.status_code == 200
    assert wrong.context["form"].errors == {"code": [
        "This code is not right. Check the time on your phone and try the newest code."]}
    assert TOTPDevice.objects.get(pk=enrolling.pk).confirmed is False

    # When the right code is entered, two-factor is on and announced
    wait_out_throttle(enrolling)
    confirmed = client.post("/account/two-factor/", {"code": code_for(enrolling)})
    assert confirmed.status_code == 302
    assert confirmed.url == "/account/two-factor/"
    assert TOTPDevice.objects.get(pk=enrolling.pk).confirmed is True
    assert client.get("/account/two-factor/").context["enabled"] is True
    events = two_factor_events(member)
    assert len(events) == 1
    assert (events[0]["enabled"], events[0]["actor_id"], events[0]["after"]) == (
        True, member.pk, {"two_factor": True})

    # Then signing in with the password alone does not sign in
    browser = Client()
    after_password = password_step(browser, "/password/change/")
    assert after_password.status_code == 302
    assert after_password.url == "/login/verify/"
    assert signed_in_id(browser) is None
    assert browser.get("/password/change/").status_code == 302

    # And the code from the phone (the next period: a code is accepted only once) completes it
    device = TOTPDevice.objects.get(pk=enrolling.pk)
    done = browser.post("/login/verify/", {"code": code_for(device, steps_ahead=1)})
    assert done.status_code == 302
    assert done.url == "/password/change/"
    assert signed_in_id(browser) == str(member.pk)
    assert browser.session["otp_device_id"] == device.persistent_id


def test_wrong_code_is_refused_and_the_right_one_works(device: TOTPDevice,
                                                       member: Any) -> None:
    client = Client()
    password_step(client)

    wrong = client.post("/login/verify/", {"code": not_the_code(device)})

    assert wrong.status_code == 200
    assert wrong.context["form"].errors == {"code": [WRONG_CODE]}
    assert signed_in_id(client) is None
    member.refresh_from_db()
    assert member.failed_logins == 1

    # Right after a wrong code the device is throttled: even the right code waits.
    throttled = client.post("/login/verify/", {"code": code_for(device)})
    assert throttled.context["form"].errors == {"code": [WRONG_CODE]}
    assert signed_in_id(client) is None

    wait_out_throttle(device)
    right = client.post("/login/verify/", {"code": code_for(device)})

    assert right.status_code == 302
    assert right.url == resolve_url(settings.LOGIN_REDIRECT_URL)
    assert signed_in_id(client) == str(member.pk)
    member.refresh_from_db()
    assert member.failed_logins == 0


def test_a_code_is_accepted_only_once(device: TOTPDevice, member: Any) -> None:
    code = code_for(device)
    first = Client()
    password_step(first)
    assert first.post("/login/verify/", {"code": code}).status_code == 302

    second = Client()
    password_step(second)
    replay = second.post("/login/verify/", {"code": code})

    assert replay.status_code == 200
    assert signed_in_id(second) is None


def test_wrong_codes_lock_the_account(device: TOTPDevice, member: Any) -> None:
    client = Client()
    password_step(client)

    responses = []
    for _ in range(3):
        wait_out_throttle(device)
        responses.append(client.post("/login/verify/", {"code": not_the_code(device)}))

    assert [r.context["form"].errors.get("code") for r in responses[:2]] == [
        [WRONG_CODE], [WRONG_CODE]]
    assert (responses[2].status_code, responses[2].url) == (302, "/login/")
    assert [str(m) for m in get_messages(responses[2].wsgi_request)] == [LOCKED]
    member.refresh_from_db()
    assert member.is_locked() is True
    # The half-finished sign-in is dropped: the code step cannot be retried.
    wait_out_throttle(device)
    retry = client.post("/login/verify/", {"code": code_for(device)})
    assert retry.status_code == 302
    assert retry.url == "/login/"
    assert signed_in_id(client) is None


def test_account_locked_between_the_two_steps_refuses_the_code(device: TOTPDevice,
                                                               member: Any) -> None:
    client = Client()
    password_step(client)
    member.locked_until = timezone.now() + timedelta(minutes=15)
    member.save(update_fields=["locked_until"])

    response = client.post("/login/verify/", {"code": code_for(device)})

    assert (response.status_code, response.url) == (302, "/login/")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [LOCKED]
    assert signed_in_id(client) is None


def test_code_step_without_password_step_goes_back_to_login(device: TOTPDevice) -> None:
    response = Client().post("/login/verify/", {"code": code_for(device)})

    assert response.status_code == 302
    assert response.url == "/login/"


def test_code_step_expires(device: TOTPDevice) -> None:
    client = Client()
    password_step(client)
    session = client.session
    session["taihe_two_factor_pending"]["since"] = time.time() - 301
    session.save()

    response = client.post("/login/verify/", {"code": code_for(device)})

    assert response.status_code == 302
    assert response.url == "/login/"
    assert signed_in_id(client) is None


def test_code_step_is_rate_limited(settings: Any, device: TOTPDevice) -> None:
    settings.TAIHE_API_RATE_LIMITS = {"login": (2, 3600), "token": (20, 60)}
    client = Client()
    password_step(client)
    client.post("/login/verify/", {"code": not_the_code(device)})

    response = client.post("/login/verify/", {"code": code_for(device)})

    assert response.status_code == 429
    assert signed_in_id(client) is None


def test_unconfirmed_device_does_not_ask_for_a_code(client_for: Any, member: Any) -> None:
    client_for(member).get("/account/two-factor/")
    client = Client()

    response = password_step(client)

    assert response.status_code == 302
    assert response.url == resolve_url(settings.LOGIN_REDIRECT_URL)
    assert signed_in_id(client) == str(member.pk)


# --- Disabling ----------------------------------------------------------------------------

def test_disable_needs_password_and_code(client_for: Any, member: Any,
                                         device: TOTPDevice) -> None:
    client = client_for(member)

    wrong_password = client.post("/account/two-factor/disable/", {
        "password": "not it", "code": code_for(device)})
    wrong_code = client.post("/account/two-factor/disable/", {
        "password": PASSWORD, "code": not_the_code(device)})

    assert wrong_password.context["form"].errors == {"password": ["Your password is wrong."]}
    assert wrong_code.context["form"].errors == {"code": ["This code is not right."]}
    assert TOTPDevice.objects.filter(user=member, confirmed=True).count() == 1
    assert two_factor_events(member) == []

    wait_out_throttle(device)
    disabled = client.post("/account/two-factor/disable/", {
        "password": PASSWORD, "code": code_for(device)})

    assert disabled.status_code == 302
    assert disabled.url == "/account/two-factor/"
    assert TOTPDevice.objects.filter(user=member).count() == 0
    events = two_factor_events(member)
    assert len(events) == 1
    assert (events[0]["enabled"], events[0]["before"], events[0]["after"]) == (
        False, {"two_factor": True}, {"two_factor": False})
    # And the password alone signs in again.
    browser = Client()
    assert password_step(browser).status_code == 302
    assert signed_in_id(browser) == str(member.pk)


def test_disable_page_when_off_goes_to_set_up(client_for: Any, member: Any) -> None:
    response = client_for(member).get("/account/two-factor/disable/")

    assert response.status_code == 302
    assert response.url == "/account/two-factor/"
