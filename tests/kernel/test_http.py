"""API plumbing: bearer tokens, the error envelope, pagination, request ids, rate limits."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from taihe.kernel.http import tokens
from taihe.kernel.http.models import ApiToken
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _bearer(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_tokens_are_stored_only_as_a_digest(member):
    issued = tokens.issue(member, name="laptop", scopes=["read"])
    stored = ApiToken.objects.get()
    assert issued.secret.startswith(f"thk_{stored.prefix}_")
    assert stored.digest == tokens.digest(issued.secret)
    assert issued.secret not in json.dumps(list(ApiToken.objects.values()), default=str)


def test_a_read_token_reads_but_cannot_write(member, museum):
    secret = tokens.issue(member, name="dashboard", scopes=["read"]).secret
    client = _bearer(secret)
    assert client.get("/api/v1/directory/me").json()["username"] == "member"
    response = client.patch("/api/v1/directory/me", data='{"phone": "1"}',
                            content_type="application/json")
    assert response.status_code == 401
    member.refresh_from_db()
    assert member.phone == ""


def test_a_write_token_writes_without_csrf(member):
    secret = tokens.issue(member, name="script", scopes=["read", "write"]).secret
    response = _bearer(secret).patch("/api/v1/directory/me", data='{"phone": "010-8888"}',
                                     content_type="application/json")
    assert response.status_code == 200
    assert response.json()["phone"] == "010-8888"


def test_expired_revoked_and_deactivated_tokens_are_refused(member):
    expired = tokens.issue(member, name="old", scopes=["read"])
    ApiToken.objects.filter(pk=expired.token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1))
    revoked = tokens.issue(member, name="lost", scopes=["read"])
    tokens.revoke(revoked.token)
    owner_gone = PersonFactory(department=None)
    orphan = tokens.issue(owner_gone, name="leaver", scopes=["read"])
    owner_gone.is_active = False
    owner_gone.save()
    for secret in (expired.secret, revoked.secret, orphan.secret, "thk_nope_nope", "garbage"):
        response = _bearer(secret).get("/api/v1/directory/me")
        assert response.status_code == 401, secret
        assert response.json()["code"] == "not_authenticated"


def test_token_issue_validates_every_field(member):
    from taihe.kernel.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        tokens.issue(member, name="", scopes=["admin"], days=0)
    assert set(caught.value.fields) == {"name", "scopes", "days"}


def test_session_writes_need_the_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.patch("/api/v1/directory/me", data='{"phone": "1"}',
                            content_type="application/json")
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.phone == ""


def test_bad_input_gets_field_level_messages(client_for, hr_person, museum):
    response = client_for(hr_person).post(
        "/api/v1/directory/people", content_type="application/json",
        data=json.dumps({"username": "bad name!", "email": "not-an-email",
                         "department_id": museum["lab"].pk, "status": "boss"}))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"username", "email", "status", "name_zh"}
    assert body["request_id"]


def test_schema_errors_use_the_same_envelope(client_for, hr_person):
    response = client_for(hr_person).post("/api/v1/directory/people",
                                          content_type="application/json", data="{}")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert "username" in body["fields"]


def test_lists_are_paginated_with_a_count(client_for, member, museum):
    for _ in range(5):
        PersonFactory(department=museum["lab"])
    page = client_for(member).get("/api/v1/directory/people?limit=2&offset=2").json()
    assert page["count"] == 6
    assert len(page["items"]) == 2
    too_big = client_for(member).get("/api/v1/directory/people?limit=100000")
    assert too_big.status_code == 200
    assert len(too_big.json()["items"]) == 6


def test_a_sane_request_id_is_echoed_and_a_bad_one_replaced(client_for, member):
    client = client_for(member)
    kept = client.get("/api/v1/directory/me", HTTP_X_REQUEST_ID="abc-12345678")
    assert kept["X-Request-ID"] == "abc-12345678"
    replaced = client.get("/api/v1/directory/me", HTTP_X_REQUEST_ID="<script>")
    assert replaced["X-Request-ID"] != "<script>"
    assert len(replaced["X-Request-ID"]) == 32


def test_guessing_tokens_is_rate_limited(settings, museum):
    settings.TAIHE_API_RATE_LIMITS = {**settings.TAIHE_API_RATE_LIMITS, "token": (3, 60)}
    client = _bearer("thk_guess_guess")
    statuses = [client.get("/api/v1/directory/me").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429]


def test_issuing_tokens_is_rate_limited(settings, client_for, member):
    settings.TAIHE_API_RATE_LIMITS = {**settings.TAIHE_API_RATE_LIMITS, "token": (2, 60)}
    client = client_for(member)
    statuses = [client.post("/api/v1/directory/tokens", content_type="application/json",
                            data=json.dumps({"name": f"t{i}", "scopes": ["read"]})).status_code
                for i in range(3)]
    assert statuses == [201, 201, 429]
    assert ApiToken.objects.filter(owner=member).count() == 2


def test_the_openapi_document_is_served():
    spec = Client().get("/api/v1/openapi.json").json()
    assert spec["info"]["title"] == "Taihe API"
    assert "/api/v1/directory/people" in spec["paths"]


def test_nul_characters_are_refused_in_bodies_and_queries(client_for, member):
    client = client_for(member)
    response = client.patch("/api/v1/directory/me", data='{"phone": "1\\u0000"}',
                            content_type="application/json")
    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["phone"]
    assert client.get("/api/v1/directory/people?search=a%00b").status_code == 422
    member.refresh_from_db()
    assert member.phone == ""


def test_a_body_that_is_not_json_is_a_clear_error(client_for, member):
    response = client_for(member).patch("/api/v1/directory/me", data="{nope",
                                        content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"] == "Cannot parse request body"


def test_numbers_beyond_64_bits_are_refused_where_they_appear(client_for, member):
    client = client_for(member)
    huge = "9" * 30
    assert client.get(f"/api/v1/directory/people/{huge}").json()["fields"] == {
        "path": "This value cannot be stored: text may not contain NUL characters, and whole "
                "numbers must fit in 64 bits."}
    assert list(client.get(f"/api/v1/directory/people?limit={huge}").json()["fields"]) == [
        "limit"]
    response = client.post("/api/v1/notifications/read", content_type="application/json",
                           data='{"ids": [1, ' + huge + ']}')
    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["ids[1]"]


def test_request_times_are_read_in_utc_and_impossible_ones_refused(client_for, admin_person):
    client = client_for(admin_person)
    # An offset PostgreSQL cannot store still works once converted to UTC
    ok = client.get("/api/v1/audit/entries?since=0235-04-05T15:35:13%2B23:23")
    assert ok.status_code == 200
    refused = client.get("/api/v1/audit/entries?since=0001-01-01T00:00:00%2B14:00")
    assert refused.status_code == 422
    assert refused.json()["fields"] == {"since": "This date and time is out of range."}


def test_a_number_of_thousands_of_digits_is_refused_not_a_crash(client_for, member):
    # int() refuses more than 4,300 digits; the guard must judge such a value by its length
    response = client_for(member).get("/api/v1/directory/people?limit=" + "7" * 5000)
    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["limit"]
