"""Sign-in pages: login, lockout, rate limit, redirects, logout, password change and reset."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.core import mail
from django.shortcuts import resolve_url
from django.test import Client
from django.utils import timezone, translation

from taihe.config import settings as production_settings
from taihe.kernel.events.models import OutboxEvent
from tests.factories import PASSWORD, PersonFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "quiet lantern over jade river"
WRONG_CREDENTIALS = "The username or password is not correct."
LOCKED = ("This account is locked after too many failed attempts. Try again in 15 minutes, "
          "or reset your password.")
RATE_LIMITED = "Too many attempts. Wait a minute and try again."


def sign_in(client: Client, username: str, password: str, **query: str) -> Any:
    url = "/login/"
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return client.post(url, {"username": username, "password": password})


def signed_in_id(client: Client) -> Any:
    return client.session.get("_auth_user_id")


def form_errors(response: Any) -> list[str]:
    return list(response.context["form"].non_field_errors())


def password_events(person: Any) -> list[dict[str, Any]]:
    return [row.payload for row in OutboxEvent.objects.filter(
        name="directory.person.password_changed.v1").order_by("id")
        if row.payload["person_id"] == person.pk]


@pytest.fixture(autouse=True)
def _auth_settings(settings: Any) -> None:
    settings.TAIHE_LOCKOUT_THRESHOLD = 3
    settings.TAIHE_LOCKOUT_MINUTES = 15


# --- Login --------------------------------------------------------------------------------

def test_login_page_renders_for_anonymous() -> None:
    response = Client().get("/login/")

    assert response.status_code == 200
    assert response.templates[0].name == "directory/auth/login.html"


def test_right_password_signs_in_and_goes_home(member: Any) -> None:
    client = Client()

    response = sign_in(client, "member", PASSWORD)

    assert response.status_code == 302
    assert response.url == resolve_url(settings.LOGIN_REDIRECT_URL)
    assert signed_in_id(client) == str(member.pk)


def test_username_is_case_insensitive(member: Any) -> None:
    client = Client()

    response = sign_in(client, "MEMBER", PASSWORD)

    assert response.status_code == 302
    assert signed_in_id(client) == str(member.pk)


def test_login_follows_next_on_this_site(member: Any) -> None:
    client = Client()

    response = sign_in(client, "member", PASSWORD, next="/password/change/")

    assert response.status_code == 302
    assert response.url == "/password/change/"


@pytest.mark.parametrize("target", [
    "https://evil.example/steal", "//evil.example/steal", "http:/\\evil.example",
    "javascript:alert(1)", "\\\\evil.example"])
def test_login_refuses_open_redirect(member: Any, target: str) -> None:
    client = Client()

    response = client.post("/login/?next=x", {"username": "member", "password": PASSWORD,
                                              "next": target})

    assert response.status_code == 302
    assert response.url == resolve_url(settings.LOGIN_REDIRECT_URL)


def test_wrong_password_and_unknown_name_get_the_same_message(member: Any) -> None:
    client = Client()

    wrong_password = sign_in(client, "member", "not the password")
    unknown_name = sign_in(client, "nobody", "not the password")

    assert wrong_password.status_code == 200
    assert form_errors(wrong_password) == [WRONG_CREDENTIALS]
    assert form_errors(unknown_name) == [WRONG_CREDENTIALS]
    assert signed_in_id(client) is None
    member.refresh_from_db()
    assert member.failed_logins == 1


def test_inactive_person_cannot_sign_in(member: Any) -> None:
    member.is_active = False
    member.save(update_fields=["is_active"])
    client = Client()

    response = sign_in(client, "member", PASSWORD)

    assert form_errors(response) == [WRONG_CREDENTIALS]
    assert signed_in_id(client) is None


def test_account_locks_after_threshold_and_unlocks_after_the_wait(member: Any) -> None:
    client = Client()

    first = sign_in(client, "member", "wrong 1")
    second = sign_in(client, "member", "wrong 2")
    third = sign_in(client, "member", "wrong 3")

    assert form_errors(first) == [WRONG_CREDENTIALS]
    assert form_errors(second) == [WRONG_CREDENTIALS]
    assert form_errors(third) == [LOCKED]
    member.refresh_from_db()
    assert member.is_locked() is True
    assert OutboxEvent.objects.filter(name="directory.person.locked.v1").count() == 1

    # While locked, even the right password is refused.
    right_while_locked = sign_in(client, "member", PASSWORD)
    assert right_while_locked.status_code == 200
    assert form_errors(right_while_locked) == [LOCKED]
    assert signed_in_id(client) is None

    # When the lock has run out, the right password works again and clears the count.
    member.locked_until = timezone.now() - timedelta(seconds=1)
    member.save(update_fields=["locked_until"])
    after_the_wait = sign_in(client, "member", PASSWORD)
    assert after_the_wait.status_code == 302
    assert signed_in_id(client) == str(member.pk)
    member.refresh_from_db()
    assert (member.failed_logins, member.locked_until) == (0, None)


def test_login_posts_are_rate_limited_per_address(settings: Any, member: Any) -> None:
    settings.TAIHE_API_RATE_LIMITS = {"login": (3, 3600), "token": (20, 60)}
    client = Client()
    for _ in range(3):
        assert sign_in(client, "nobody", "guess").status_code == 200

    response = sign_in(client, "member", PASSWORD)

    assert response.status_code == 429
    assert response.context["message"] == RATE_LIMITED
    assert RATE_LIMITED in response.content.decode()
    assert signed_in_id(client) is None
    # Another address is not affected.
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert sign_in(other, "member", PASSWORD).status_code == 302


def test_login_applies_the_persons_language(museum: Any) -> None:
    PersonFactory(username="li", language="zh-hans", department=museum["lab"])
    client = Client()

    response = sign_in(client, "li", PASSWORD)

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"


def test_login_form_is_csrf_protected(member: Any) -> None:
    client = Client(enforce_csrf_checks=True)

    response = sign_in(client, "member", PASSWORD)

    assert response.status_code == 403
    assert signed_in_id(client) is None


# --- Logout -------------------------------------------------------------------------------

def test_logout_get_asks_and_post_signs_out(client_for: Any, member: Any) -> None:
    client = client_for(member)

    confirm = client.get("/logout/")
    assert confirm.status_code == 200
    assert confirm.templates[0].name == "directory/auth/logout.html"
    assert signed_in_id(client) == str(member.pk)

    response = client.post("/logout/")
    assert response.status_code == 302
    assert response.url == resolve_url(settings.LOGOUT_REDIRECT_URL)
    assert signed_in_id(client) is None


def test_logout_post_needs_the_csrf_token(member: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)

    response = client.post("/logout/")

    assert response.status_code == 403
    assert signed_in_id(client) == str(member.pk)


# --- Password change ----------------------------------------------------------------------

def test_password_change_needs_sign_in() -> None:
    response = Client().get("/password/change/")

    assert response.status_code == 302
    assert response.url == "/login/?next=/password/change/"


def test_password_change_with_wrong_old_password_changes_nothing(client_for: Any,
                                                                 member: Any) -> None:
    client = client_for(member)

    response = client.post("/password/change/", {"old_password": "not it",
                                                 "new_password1": NEW_PASSWORD,
                                                 "new_password2": NEW_PASSWORD})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "old_password": ["Your current password is wrong."]}
    member.refresh_from_db()
    assert member.check_password(PASSWORD) is True
    assert password_events(member) == []


def test_password_change_rejects_differing_and_weak_passwords(client_for: Any,
                                                              member: Any) -> None:
    client = client_for(member)

    differing = client.post("/password/change/", {"old_password": PASSWORD,
                                                  "new_password1": NEW_PASSWORD,
                                                  "new_password2": NEW_PASSWORD + "x"})
    weak = client.post("/password/change/", {"old_password": PASSWORD,
                                             "new_password1": "12345",
                                             "new_password2": "12345"})

    assert differing.context["form"].errors == {"new_password2": ["The two new passwords differ."]}
    assert weak.context["form"].errors == {"new_password1": [
        "This password is too short. It must contain at least 10 characters. "
        "This password is too common. This password is entirely numeric."]}
    member.refresh_from_db()
    assert member.check_password(PASSWORD) is True


def test_password_change_keeps_this_session_ends_others_and_records_event(
        client_for: Any, member: Any) -> None:
    client = client_for(member)
    other_browser = client_for(member)

    response = client.post("/password/change/", {"old_password": PASSWORD,
                                                 "new_password1": NEW_PASSWORD,
                                                 "new_password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert response.url == "/password/change/done/"
    assert client.get("/password/change/done/").status_code == 200
    assert other_browser.get("/password/change/").status_code == 302
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD) is True
    events = password_events(member)
    assert len(events) == 1
    assert (events[0]["actor_id"], events[0]["subject_type"], events[0]["subject_id"]) == (
        member.pk, "directory.person", str(member.pk))
    assert NEW_PASSWORD not in str(events[0])


# --- Password reset -----------------------------------------------------------------------

def reset_link(message: Any) -> str:
    match = re.search(r"https?://[^/\s]+(/password/reset/[^/\s]+/[^/\s]+/)", message.body)
    assert match is not None, message.body
    return match.group(1)


def test_password_reset_email_link_sets_a_new_password(member: Any) -> None:
    client = Client()

    requested = client.post("/password/reset/", {"email": "MEMBER@museum.example"})

    assert requested.status_code == 302
    assert requested.url == "/password/reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["member@museum.example"]
    assert message.subject == "Reset your Taihe password"
    assert f"{settings.TAIHE_SITE_URL}/password/reset/" in message.body

    link = reset_link(message)
    opened = client.get(link)
    assert opened.status_code == 302  # Django hides the token from the address bar
    form_page = client.get(opened.url)
    assert form_page.context["validlink"] is True

    done = client.post(opened.url, {"new_password1": NEW_PASSWORD,
                                    "new_password2": NEW_PASSWORD})

    assert done.status_code == 302
    assert done.url == "/password/reset/done/"
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD) is True
    assert member.check_password(PASSWORD) is False
    assert len(password_events(member)) == 1
    assert form_errors(sign_in(Client(), "member", PASSWORD)) == [WRONG_CREDENTIALS]
    assert sign_in(Client(), "member", NEW_PASSWORD).status_code == 302
    # The link works once.
    assert client.get(link).context["validlink"] is False


def test_password_reset_unlocks_a_locked_account(member: Any) -> None:
    member.locked_until = timezone.now() + timedelta(minutes=10)
    member.save(update_fields=["locked_until"])
    client = Client()
    client.post("/password/reset/", {"email": "member@museum.example"})
    opened = client.get(reset_link(mail.outbox[0]))

    client.post(opened.url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    member.refresh_from_db()
    assert member.locked_until is None
    assert sign_in(Client(), "member", NEW_PASSWORD).status_code == 302


def test_person_added_without_a_password_chooses_one_by_reset(museum: Any) -> None:
    newcomer = PersonFactory(username="newcomer", department=museum["lab"])
    newcomer.set_unusable_password()
    newcomer.save(update_fields=["password"])
    client = Client()

    client.post("/password/reset/", {"email": "newcomer@museum.example"})
    opened = client.get(reset_link(mail.outbox[0]))
    done = client.post(opened.url, {"new_password1": NEW_PASSWORD,
                                    "new_password2": NEW_PASSWORD})

    assert done.url == "/password/reset/done/"
    assert sign_in(Client(), "newcomer", NEW_PASSWORD).status_code == 302


def test_password_reset_skips_inactive_people(member: Any) -> None:
    member.is_active = False
    member.save(update_fields=["is_active"])

    response = Client().post("/password/reset/", {"email": "member@museum.example"})

    assert response.url == "/password/reset/sent/"
    assert mail.outbox == []


def test_password_reset_for_unknown_address_looks_the_same_and_sends_nothing(
        member: Any) -> None:
    response = Client().post("/password/reset/", {"email": "nobody@museum.example"})

    assert response.status_code == 302
    assert response.url == "/password/reset/sent/"
    assert mail.outbox == []


def test_password_reset_email_is_in_the_recipients_language(museum: Any,
                                                           monkeypatch: Any) -> None:
    PersonFactory(username="li", language="zh-hans", email="li@museum.example",
                  department=museum["lab"])
    languages: list[str | None] = []
    render_and_send = PasswordResetForm.send_mail

    def recording(form: Any, *args: Any, **kwargs: Any) -> None:
        languages.append(translation.get_language())
        render_and_send(form, *args, **kwargs)

    monkeypatch.setattr(PasswordResetForm, "send_mail", recording)

    Client(HTTP_ACCEPT_LANGUAGE="en").post("/password/reset/", {"email": "li@museum.example"})

    assert languages == ["zh-hans"]
    assert len(mail.outbox) == 1


def test_password_reset_with_a_tampered_token_is_refused(member: Any) -> None:
    client = Client()
    client.post("/password/reset/", {"email": "member@museum.example"})
    link = reset_link(mail.outbox[0])
    tampered = link[:-3] + ("a" if link[-3] != "a" else "b") + link[-2:]

    response = client.get(tampered)

    assert response.status_code == 200
    assert response.context["validlink"] is False


# --- Hashing ------------------------------------------------------------------------------

def test_production_hashes_passwords_with_argon2(settings: Any) -> None:
    assert production_settings.PASSWORD_HASHERS[0] == (
        "django.contrib.auth.hashers.Argon2PasswordHasher")
    settings.PASSWORD_HASHERS = production_settings.PASSWORD_HASHERS

    encoded = make_password(NEW_PASSWORD)

    assert identify_hasher(encoded).algorithm == "argon2"
    assert encoded.startswith("argon2$argon2id$")
    assert check_password(NEW_PASSWORD, encoded) is True
    assert check_password(PASSWORD, encoded) is False
