"""Schemathesis generates requests for every operation of the OpenAPI document, as an
administrator with a read/write token; no answer may be a server error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from taihe.kernel.http import tokens
from tests.factories import PersonFactory

pytestmark = pytest.mark.fuzz


@pytest.fixture
def api_schema(db: Any, museum: dict[str, Any], settings: Any) -> Iterator[Any]:
    from django.core.signals import request_finished, request_started

    # Configured, so the LoRaWAN webhooks answer 401 to the fuzzer, not 503 "not configured".
    settings.TAIHE_LORAWAN_WEBHOOK_TOKEN = "fuzz-" + "x" * 40
    from django.db import close_old_connections

    from taihe.config.wsgi import application

    # The real WSGI handler closes "old" connections around each request; inside the test's
    # transaction that would close the test database under our feet (Django's test client
    # disconnects the same signals for the same reason).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(museum: dict[str, Any]) -> str:
    admin = PersonFactory(username="fuzz-admin", department=museum["root"], is_superuser=True,
                          roles=["administrator"])
    PersonFactory(department=museum["lab"])
    return tokens.issue(admin, name="fuzz", scopes=["read", "write"]).secret


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_with_a_server_error(case: Any, admin_token: str) -> None:
    from django.db import transaction

    # Each call in its own savepoint, rolled back after: in production every request has its
    # own transaction, so one refused value (a 422) must not poison the next call on
    # PostgreSQL the way a shared test transaction would.
    savepoint = transaction.savepoint()
    try:
        response = case.call(headers={"Authorization": f"Bearer {admin_token}"})
    finally:
        transaction.savepoint_rollback(savepoint)
        # ROLLBACK TO leaves the savepoint open: without the RELEASE every case would nest
        # one level deeper and PostgreSQL would keep each level's transaction-id lock until
        # the test ends, running out of lock slots (max_locks_per_transaction) once the API
        # has about 200 operations.
        transaction.savepoint_commit(savepoint)
    case.validate_response(response, checks=[not_a_server_error])
