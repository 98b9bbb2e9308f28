"""Two people acting on one request at the same moment: the request's row lock (SELECT ...
FOR UPDATE on PostgreSQL, IMMEDIATE transactions on SQLite) lets exactly one outcome
through, and the other actor learns that the step was decided.

These tests commit for real (``transaction=True``) and act from two threads, each with its
own database connection, released together by a barrier. They run on whichever engine the
suite runs on: SQLite by default, PostgreSQL when ``TAIHE_DATABASE_URL`` is set (as in the
scaled-profile stage of ``.ci/run``).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from taihe.kernel.db.backup import append_only_suspended
from taihe.kernel.errors import Conflict
from taihe.kernel.events.models import OutboxEvent
from taihe.modules.workflows import services
from taihe.modules.workflows.models import Action, Process, Request, Task

pytestmark = pytest.mark.django_db(transaction=True)

THREAD_WAIT = 60  # seconds a thread waits for the other at the barrier (never reached)


@pytest.fixture(autouse=True)
def _roles_and_clean_history(transactional_db: Any) -> Iterator[None]:
    """Committing tests start from whatever an earlier committing test's flush left: put
    the built-in roles and their approval grants back (their migrations are idempotent).
    Afterwards empty the append-only tables with their triggers suspended, so that the
    flush between tests (plain DELETEs on SQLite) is not refused."""
    for module, function in (("taihe.modules.directory.migrations.0002_system_roles",
                              "create_roles"),
                             ("taihe.modules.workflows.migrations.0002_grants_history_search",
                              "grant")):
        getattr(importlib.import_module(module), function)(apps, None)
    yield
    with transaction.atomic(), append_only_suspended(connection) as tables, \
            connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


def race(*calls: Callable[[], Any]) -> list[tuple[str, Any]]:
    """Run the calls in threads released at once; each result is ``("ok", value)`` or
    ``("conflict", code)``, in the order of the calls."""
    barrier = threading.Barrier(len(calls))
    results: list[tuple[str, Any]] = [("not run", None)] * len(calls)

    def run(position: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=THREAD_WAIT)
            results[position] = ("ok", call())
        except Conflict as error:
            results[position] = ("conflict", error.code)
        except Exception as error:  # reported by the callers' assertions
            results[position] = ("error", repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=THREAD_WAIT * 2)
    assert not any(t.is_alive() for t in threads), "a thread is still waiting"
    return results


def outcome_events(number: str) -> list[str]:
    return [e.name for e in OutboxEvent.objects.filter(name__startswith="workflows.request.")
            .order_by("id") if e.payload["number"] == number
            and not e.name.endswith(".submitted.v1")]


def one_step(publish: Callable[..., Process], code: str, ids: list[int], mode: str) -> None:
    publish(code, [], {"settings": {"dedup": "none"}, "nodes": [
        {"id": "decide", "type": "approval", "name": "Decide", "mode": mode,
         "approvers": [{"kind": "people", "ids": ids}]}]})


def test_two_or_sign_approvers_at_once_decide_once(
        people: dict[str, Any], publish: Callable[..., Process]) -> None:
    # given an or-sign step waiting for the colleague and the clerk
    colleague, clerk = people["colleague"], people["clerk"]
    one_step(publish, "either", [colleague.pk, clerk.pk], "any")
    request = services.do_submit_request(people["applicant"], "either", {})
    # when both approve at the same moment
    results = race(lambda: services.do_approve(colleague, request.number).status,
                   lambda: services.do_approve(clerk, request.number).status)
    # then one approval went through and the other was told the step was decided
    assert sorted(results) == [("conflict", "not_pending"), ("ok", "approved")]
    winner = colleague if results[0][0] == "ok" else clerk
    request.refresh_from_db()
    assert request.status == "approved"
    assert sorted(Task.objects.filter(request=request).values_list("assignee_id", "status")) \
        == sorted([(winner.pk, "approved"),
                   ((clerk if winner is colleague else colleague).pk, "cancelled")])
    assert list(Action.objects.filter(request=request).order_by("id").values_list(
        "kind", "actor_id")) == [("submitted", people["applicant"].pk),
                                 ("approved", winner.pk), ("finished", None)]
    # and exactly one approved event was published
    assert outcome_events(request.number) == ["workflows.request.approved.v1"]


def test_two_countersign_approvers_at_once_both_count_and_finish_once(
        people: dict[str, Any], publish: Callable[..., Process]) -> None:
    colleague, clerk = people["colleague"], people["clerk"]
    one_step(publish, "both", [colleague.pk, clerk.pk], "all")
    request = services.do_submit_request(people["applicant"], "both", {})
    results = race(lambda: services.do_approve(colleague, request.number).pk,
                   lambda: services.do_approve(clerk, request.number).pk)
    assert results == [("ok", request.pk), ("ok", request.pk)]
    request.refresh_from_db()
    assert request.status == "approved"
    assert sorted(Task.objects.filter(request=request).values_list("status", flat=True)) == [
        "approved", "approved"]
    assert Action.objects.filter(request=request, kind="approved").count() == 2
    assert Action.objects.filter(request=request, kind="finished").count() == 1
    assert outcome_events(request.number) == ["workflows.request.approved.v1"]


def test_approving_while_the_applicant_withdraws_gives_one_outcome(
        people: dict[str, Any], publish: Callable[..., Process]) -> None:
    one_step(publish, "single", [people["clerk"].pk], "sequential")
    request = services.do_submit_request(people["applicant"], "single", {})
    results = race(lambda: services.do_approve(people["clerk"], request.number).status,
                   lambda: services.do_withdraw(people["applicant"], request.number).status)
    request.refresh_from_db()
    if results[0][0] == "ok":
        assert (results, request.status) == (
            [("ok", "approved"), ("conflict", "not_withdrawable")], "approved")
    else:
        assert (results, request.status) == (
            [("conflict", "not_pending"), ("ok", "withdrawn")], "withdrawn")
    assert outcome_events(request.number) == [f"workflows.request.{request.status}.v1"]
    assert Action.objects.filter(request=request, kind="finished").count() == 1


def test_two_submissions_at_once_get_distinct_numbers(people: dict[str, Any],
                                                      publish: Callable[..., Process]) -> None:
    one_step(publish, "single", [people["clerk"].pk], "sequential")
    year = timezone.localtime().year
    results = race(*(lambda person=person: services.do_submit_request(
        person, "single", {}).number for person in (people["applicant"], people["colleague"],
                                                    people["guard"])))
    assert sorted(results) == [("ok", f"AP-{year}-{n:06d}") for n in (1, 2, 3)]
    assert Request.objects.count() == 3
