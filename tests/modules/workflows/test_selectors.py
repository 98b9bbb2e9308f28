"""Reads of approvals: who may see a request, the inbox boxes with their filters and search,
the counts on the badge, the designer's list and the history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from taihe.modules.workflows import selectors, services
from taihe.modules.workflows.models import Process, Request
from taihe.modules.workflows.selectors import InboxQuery
from tests.factories import PersonFactory, grant
from tests.modules.workflows.conftest import EXPENSE_DATA


def numbers(rows: Any) -> list[str]:
    return [r.number for r in rows]


def box(person: Any, name: str, **filters: Any) -> list[str]:
    return numbers(selectors.inbox(person, InboxQuery(box=name, **filters)))


@pytest.fixture
def scroll(people: dict[str, Any], submit: Callable[..., Request]) -> Request:
    """A running expense of the applicant, waiting for the lab head, with Chinese and
    English words only in its item table (not in the summary)."""
    return submit(people["applicant"], {
        **EXPENSE_DATA, "purpose": "Scroll repair",
        "items": [{"thing": "楮皮纸 Kozo", "cost": "800"},
                  {"thing": "小麦淀粉 wheat starch", "cost": "400"}]})


def test_a_request_is_read_by_those_involved_and_its_overseers(
        people: dict[str, Any], scroll: Request, museum: dict[str, Any]) -> None:
    # given a second overseer, for Security only
    guard_overseer = PersonFactory(username="secoverseer", department=museum["security"],
                                   roles=["staff"])
    grant(guard_overseer, "approvals-overseer", museum["security"])

    def readers() -> list[str]:
        everyone = [p for p in (*people.values(), guard_overseer) if p is not people["admin"]]
        return sorted(p.username for p in everyone
                      if numbers(selectors.requests_for(p)) == [scroll.number])

    # then while the lab head decides: the applicant, the lab head, the overseer of
    # Conservation (the lab lies below it)
    assert readers() == ["applicant", "labhead", "overseer"]
    # and once it went through the chain, the next approver and HR (copied) too
    services.do_approve(people["lab_head"], scroll.number)
    services.do_approve(people["conservation_head"], scroll.number)
    assert readers() == ["applicant", "conshead", "hr", "labhead", "overseer"]
    # and the others see nothing at all
    for person in (people["colleague"], people["guard"], people["clerk"],
                   people["outsider"], guard_overseer):
        assert numbers(selectors.requests_for(person)) == []
        assert selectors.request_for(person, scroll.number) is None
        assert selectors.may_read(person, scroll) is False
    assert selectors.request_for(people["applicant"], scroll.number) == scroll
    assert (selectors.may_oversee(people["overseer"], scroll),
            selectors.may_oversee(guard_overseer, scroll),
            selectors.may_oversee(people["admin"], scroll),
            selectors.may_oversee(people["lab_head"], scroll)) == (True, False, True, False)


def test_an_administrator_reads_every_request(people: dict[str, Any], scroll: Request) -> None:
    admin = people["admin"]
    assert numbers(selectors.requests_for(admin)) == [scroll.number]
    assert selectors.request_for(admin, scroll.number) == scroll
    assert box(admin, "all") == [scroll.number]
    services.do_reassign_task(admin, scroll.number, task_key=1, to=people["colleague"].pk,
                              comment="The lab head left")


def test_anonymous_sees_nothing(scroll: Request) -> None:
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert numbers(selectors.requests_for(anonymous)) == []
    assert numbers(selectors.inbox(anonymous, InboxQuery(box="all"))) == []
    assert list(selectors.pending_tasks_for(anonymous)) == []


def test_the_inbox_boxes(people: dict[str, Any], scroll: Request,
                         submit: Callable[..., Request]) -> None:
    lab_head, applicant, hr = people["lab_head"], people["applicant"], people["hr"]
    other = submit(people["colleague"])
    # to do: both wait for the lab head
    assert box(lab_head, "todo") == [other.number, scroll.number]
    assert box(lab_head, "done") == []
    assert box(applicant, "submitted") == [scroll.number]
    assert box(applicant, "todo") == []
    # when the lab head approves one, it moves to done
    services.do_approve(lab_head, scroll.number)
    assert box(lab_head, "todo") == [other.number]
    assert box(lab_head, "done") == [scroll.number]
    assert box(people["conservation_head"], "todo") == [scroll.number]
    # and once finished, HR finds it copied to them
    assert box(hr, "cc") == []
    services.do_approve(people["conservation_head"], scroll.number)
    assert box(hr, "cc") == [scroll.number]
    assert box(hr, "all") == [scroll.number]
    assert box(people["guard"], "all") == []


def test_auto_approved_tasks_are_not_in_the_done_box(
        people: dict[str, Any], publish: Callable[..., Process]) -> None:
    applicant = people["applicant"]
    publish("self", [], {"settings": {"auto_approve_applicant": True}, "nodes": [
        {"id": "a", "type": "approval", "name": "A", "mode": "sequential",
         "approvers": [{"kind": "people", "ids": [applicant.pk, people["clerk"].pk]}]}]})
    request = services.do_submit_request(applicant, "self", {})
    assert box(applicant, "done") == []
    assert box(people["clerk"], "todo") == [request.number]


def test_inbox_filters(people: dict[str, Any], scroll: Request,
                       publish: Callable[..., Process]) -> None:
    lab_head = people["lab_head"]
    publish("other", [], {"nodes": [{"id": "a", "type": "approval", "name": "A",
                                     "approvers": [{"kind": "manager", "levels": 1}]}]})
    other = services.do_submit_request(people["applicant"], "other", {})
    Request.objects.filter(pk=other.pk).update(
        submitted_at=timezone.now() - dt.timedelta(days=10))
    today = timezone.localdate()
    assert box(lab_head, "todo") == [scroll.number, other.number]
    assert box(lab_head, "todo", process="expense") == [scroll.number]
    assert box(lab_head, "todo", process="other") == [other.number]
    assert box(lab_head, "todo", status="running") == [scroll.number, other.number]
    assert box(lab_head, "todo", status="approved") == []
    assert box(lab_head, "todo", submitted_from=today) == [scroll.number]
    assert box(lab_head, "todo", submitted_to=today - dt.timedelta(days=1)) == [other.number]
    assert box(lab_head, "todo", submitted_from=today - dt.timedelta(days=10),
               submitted_to=today - dt.timedelta(days=10)) == [other.number]
    services.do_withdraw(people["applicant"], other.number)
    assert box(people["applicant"], "submitted", status="withdrawn") == [other.number]


@pytest.mark.parametrize("text", ["楮皮纸", "小麦淀粉", "starch", "Kozo", "Scroll repair",
                                  "费用报销", "Expense"])
def test_inbox_search_finds_words_anywhere_in_the_form(
        people: dict[str, Any], scroll: Request, submit: Callable[..., Request],
        text: str) -> None:
    submit(people["colleague"], {"purpose": "Gallery lights", "amount": "90",
                                 "items": [{"thing": "LED bulbs", "cost": "90"}]})
    assert box(people["lab_head"], "todo", text=text) == (
        [scroll.number] if text not in ("费用报销", "Expense")
        else numbers(Request.objects.order_by("-submitted_at", "-id")))


def test_inbox_search_by_number_and_nothing_for_unknown_words(
        people: dict[str, Any], scroll: Request) -> None:
    lab_head = people["lab_head"]
    assert box(lab_head, "todo", text=scroll.number) == [scroll.number]
    assert box(lab_head, "todo", text="宣纸") == []
    assert box(lab_head, "todo", text="parchment") == []
    assert box(lab_head, "todo", text="  ") == [scroll.number]
    # what only the lab head's box holds cannot be found by searching elsewhere
    assert box(people["guard"], "all", text="Kozo") == []


def test_inbox_counts_and_reading_a_copy(people: dict[str, Any], scroll: Request) -> None:
    lab_head, hr = people["lab_head"], people["hr"]
    assert selectors.inbox_counts(lab_head.pk) == {"todo": 1, "cc_unread": 0}
    services.do_approve(lab_head, scroll.number)
    services.do_approve(people["conservation_head"], scroll.number)
    assert selectors.inbox_counts(lab_head.pk) == {"todo": 0, "cc_unread": 0}
    assert selectors.inbox_counts(hr.pk) == {"todo": 0, "cc_unread": 1}
    services.mark_copy_read(people["guard"], scroll)
    assert selectors.inbox_counts(hr.pk) == {"todo": 0, "cc_unread": 1}
    services.mark_copy_read(hr, scroll)
    assert selectors.inbox_counts(hr.pk) == {"todo": 0, "cc_unread": 0}
    assert box(hr, "cc") == [scroll.number]


def test_pending_tasks_oldest_first(people: dict[str, Any], scroll: Request,
                                    submit: Callable[..., Request]) -> None:
    later = submit(people["colleague"])
    assert [t.request.number for t in selectors.pending_tasks_for(people["lab_head"])] == [
        scroll.number, later.number]
    assert list(selectors.pending_tasks_for(people["applicant"])) == []


def test_only_approval_designers_list_processes(people: dict[str, Any],
                                                expense: Process) -> None:
    codes = [p.code for p in selectors.processes_for_design(people["hr"])]
    assert "expense" in codes
    assert sorted(codes) == sorted(Process.objects.values_list("code", flat=True))
    assert selectors.process_for_design(people["hr"], expense.pk) == expense
    assert list(selectors.processes_for_design(people["applicant"])) == []
    assert selectors.process_for_design(people["applicant"], expense.pk) is None


def test_history_in_order(people: dict[str, Any], scroll: Request) -> None:
    services.do_comment(people["applicant"], scroll.number, comment="Urgent, please")
    services.do_approve(people["lab_head"], scroll.number, comment="OK")
    assert [(a.kind, a.actor.username, a.comment) for a in selectors.history_of(scroll)] == [
        ("submitted", "applicant", ""), ("commented", "applicant", "Urgent, please"),
        ("approved", "labhead", "OK")]
