"""The demo approvals: requests in every status with a history that reads true, a to-do for
every demo sign-in, and loading twice adding nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth import get_user_model

from taihe.kernel import demo as kernel_demo
from taihe.modules.attendance import demo as attendance_demo
from taihe.modules.catalog import demo as catalog_demo
from taihe.modules.directory import demo as directory_demo
from taihe.modules.workflows import demo
from taihe.modules.workflows.models import Action, CarbonCopy, Request, Task
from taihe.modules.workflows.selectors import InboxQuery, inbox

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 18, 8, 30, tzinfo=dt.UTC)


@pytest.fixture
def museum_demo() -> None:
    directory_demo.load(lambda line: None)
    catalog_demo.load_collection(lambda line: None, objects=20, images=0)
    # Leave is checked against attendance balances: the attendance demo grants them.
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        attendance_demo.load(lambda line: None)


@pytest.fixture
def loaded(museum_demo: None) -> dict[str, Any]:
    lines: list[str] = []
    summary = demo.load_requests(lines.append, now=NOW)
    return {"summary": summary, "lines": lines}


def test_the_loader_is_registered_after_the_catalog() -> None:
    orders = {entry.name: entry.order for entry in kernel_demo.loaders()}
    assert orders["workflows"] > orders["catalog"] > orders["directory"]


# Loading the demo museum takes seconds: one test looks at everything one load made.
def test_the_demo_tells_a_true_story_in_every_status_with_to_dos_for_everyone(
        loaded: dict[str, Any]) -> None:
    # requests in every status
    counts: dict[str, int] = {}
    for status in Request.objects.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    assert counts == {"running": 16, "approved": 15, "rejected": 4, "returned": 3,
                      "withdrawn": 3, "cancelled": 2}
    assert loaded["summary"] == {"requests": 43, "created": 43}
    assert loaded["lines"] == ["  created 43 approval requests"]
    # every built-in approval is used, the cancellation twice
    used = set(Request.objects.values_list("process__code", flat=True))
    assert used == {"leave", "overtime", "punch_correction", "business_trip", "expense_claim",
                    "purchase", "object_movement", "loan_out", "photography", "seal", "repair",
                    "cancellation"}
    assert Request.objects.filter(process__code="cancellation",
                                  status="approved").count() == 2

    # over the last sixty days, each request's history in order and agreeing with it
    submitted = list(Request.objects.values_list("submitted_at", flat=True))
    assert min(submitted) >= NOW - dt.timedelta(days=demo.DAYS)
    assert min(submitted) < NOW - dt.timedelta(days=45)
    assert max(submitted) < NOW
    for request in Request.objects.prefetch_related("actions"):
        times = [action.at for action in request.actions.all()]
        assert times[0] == request.submitted_at
        assert times == sorted(times)
        assert max(times) < NOW
        # comments, reminders and cancellation requests leave the request's state alone
        changes = [action.at for action in request.actions.all()
                   if action.kind not in ("commented", "urged", "cancellation_requested")]
        assert request.updated_at == max(changes)
        if request.status == "cancelled":
            assert request.finished_at is not None
            assert request.finished_at < request.updated_at  # approved first
        elif request.status in ("approved", "rejected", "withdrawn"):
            assert request.finished_at == request.updated_at
        else:
            assert request.finished_at is None
    # people said why they rejected or returned, and commented along the way
    assert Action.objects.filter(kind="rejected").exclude(comment="").count() == 4
    assert Action.objects.filter(kind="returned").exclude(comment="").count() == 3
    assert Action.objects.filter(kind="commented").count() == 3
    assert Action.objects.filter(kind="transferred").count() == 2
    assert Action.objects.filter(kind="urged").count() == 1

    # every demo sign-in has something to do, and it is what the story left them
    people = get_user_model().objects

    def todo(username: str) -> list[str]:
        return sorted(inbox(people.get(username=username), InboxQuery(box="todo"))
                      .values_list("process__code", flat=True))

    assert {username: todo(username) for _role, username in directory_demo.LOGINS} == {
        "admin": ["expense_claim", "leave", "repair"],
        "hr": ["leave", "seal"],
        "conservator": ["loan_out", "object_movement"],
        "curator": ["loan_out"],
        "registrar": ["object_movement"],
        "educator": ["photography"],
        "security": ["photography"],
        "staff": ["expense_claim"],
    }
    for _role, username in directory_demo.LOGINS:
        assert Task.objects.filter(assignee__username=username, status="pending").exists()
    # security was copied on the finished movement
    assert CarbonCopy.objects.filter(person__username="security",
                                     request__process__code="object_movement").exists()


def test_loading_again_adds_nothing(loaded: dict[str, Any]) -> None:
    before = (Request.objects.count(), Task.objects.count(), Action.objects.count())
    lines: list[str] = []
    assert demo.load_requests(lines.append, now=NOW) == {"requests": 0, "created": 0}
    assert lines == []
    assert (Request.objects.count(), Task.objects.count(), Action.objects.count()) == before


def test_without_the_directory_demo_the_loader_says_what_is_missing() -> None:
    with pytest.raises(RuntimeError, match="directory demo"):
        demo.load_requests(lambda line: None, now=NOW)
    assert not Request.objects.exists()
