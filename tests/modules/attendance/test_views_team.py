"""Manager pages of attendance: the team board with its exceptions, and a team member's
month.

A department head sees the people of their department and below, never anyone else; HR and
administrators see everyone; a member without a team is refused the board and gets "not
found" for anyone else's month. The clock stands at Friday 20 November 2026, 20:00 in
Shanghai.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from taihe.modules.attendance.computing import recompute
from tests.factories import PersonFactory
from tests.modules.attendance.conftest import local
from tests.modules.attendance.test_views_me import login_url, text, texts

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 11, 2)
TUESDAY = date(2026, 11, 3)
TODAY = date(2026, 11, 20)


@pytest.fixture
def team(museum: dict[str, Any], member: Any, office: Any, join: Any, punch_at: Any,
         clock: Any) -> dict[str, Any]:
    """The head of conservation over the member (paper lab, below conservation) and a
    restorer; a guard in security outside the head's reach. All are in the office group.

    Judged: the member 12 minutes late on Monday and on time today, the head absent today,
    the guard 30 minutes late on Tuesday; the restorer not judged at all."""
    head: Any = PersonFactory(username="head", name_en="Head Li", name_zh="李主任",
                         department=museum["conservation"], roles=["staff"])
    museum["conservation"].head = head
    museum["conservation"].save(update_fields=["head"])
    restorer: Any = PersonFactory(username="restorer", name_en="Restorer Zhao", name_zh="赵修复",
                             department=museum["lab"], roles=["staff"])
    guard: Any = PersonFactory(username="guard", name_en="Guard Wang", name_zh="王卫",
                          department=museum["security"], roles=["staff"])
    for person in (member, head, restorer, guard):
        join(person, office)
    punch_at(member, local(MONDAY, 9, 12))
    punch_at(member, local(MONDAY, 17, 40))
    punch_at(member, local(TODAY, 8, 50))
    punch_at(member, local(TODAY, 17, 35))
    punch_at(guard, local(TUESDAY, 9, 30))
    punch_at(guard, local(TUESDAY, 17, 30))
    recompute([member.pk], MONDAY, MONDAY)
    recompute([guard.pk], TUESDAY, TUESDAY)
    recompute([member.pk, head.pk], TODAY, TODAY)
    return {"head": head, "restorer": restorer, "guard": guard, "member": member}


# --- Who may open what ---------------------------------------------------------------------

def test_anonymous_people_are_sent_to_sign_in(client: Any, team: dict[str, Any]) -> None:
    for path in (reverse("attendance:team"),
                 reverse("attendance:person", args=[team["member"].pk])):
        response = client.get(path)
        assert response.status_code == 302
        assert response.url == login_url(path)


def test_people_without_a_team_are_refused(client_for: Any, outsider: Any,
                                          team: dict[str, Any]) -> None:
    for person in (outsider, team["member"]):
        client = client_for(person)
        response = client.get(reverse("attendance:team"))
        assert response.status_code == 403
        assert "Guard Wang" not in response.content.decode()
        for other in (team["guard"], team["restorer"]):
            assert client.get(reverse("attendance:person", args=[other.pk])
                              ).status_code == 404
    # The outsider may not even open their own month (they do not punch)
    assert client_for(outsider).get(reverse("attendance:person", args=[outsider.pk])
                                    ).status_code == 404


# --- The board -----------------------------------------------------------------------------

def test_a_department_head_sees_their_people_today(client_for: Any,
                                                   team: dict[str, Any]) -> None:
    response = client_for(team["head"]).get(reverse("attendance:team"))
    assert response.status_code == 200
    # Counts at the top: one absent (the head), one on time, one not judged yet
    assert texts(response, "data-count") == ["1 On time", "1 Absent", "1 Not judged yet"]
    # Problems first; the guard of security is not on the board at all
    member, head, restorer = team["member"], team["head"], team["restorer"]
    assert texts(response, "data-person") == [
        "Head Li Conservation Absent — —",
        "Restorer Zhao Paper lab Not judged yet — —",
        f"{member.display_name} Paper lab On time 08:50 17:35"]
    assert f"/attendance/people/{head.pk}/" in response.content.decode()
    assert f"/attendance/day/{member.pk}/2026-11-20/" in response.content.decode()
    assert f"/attendance/day/{restorer.pk}/2026-11-20/" not in response.content.decode()
    assert "Guard Wang" not in response.content.decode()


def test_the_heads_exceptions_are_their_peoples_problem_days(client_for: Any,
                                                             team: dict[str, Any]) -> None:
    member, head = team["member"], team["head"]
    response = client_for(head).get(reverse("attendance:team"))
    assert text(response, "id", "exceptions-title") == "Exceptions 2026-11-01 – 2026-11-20"
    assert texts(response, "data-exception") == [
        "2026-11-20 Head Li Conservation Absent — —",
        f"2026-11-02 {member.display_name} Paper lab Late 12 09:12 17:40"]
    assert f'href="/attendance/day/{member.pk}/2026-11-02/"' in response.content.decode()
    # Filtered by status
    late = client_for(head).get(reverse("attendance:team"), {"status": "late"})
    assert [row.split(" ")[0] for row in texts(late, "data-exception")] == ["2026-11-02"]


@pytest.mark.parametrize("who", ["hr_person", "admin_person"])
def test_hr_and_administrators_see_everyone(request: Any, client_for: Any, who: str,
                                            team: dict[str, Any], museum: Any) -> None:
    client = client_for(request.getfixturevalue(who))
    response = client.get(reverse("attendance:team"))
    assert response.status_code == 200
    assert texts(response, "data-count") == ["1 On time", "1 Absent", "2 Not judged yet"]
    assert texts(response, "data-exception") == [
        "2026-11-20 Head Li Conservation Absent — —",
        "2026-11-03 Guard Wang Security Late 30 09:30 17:30",
        f"2026-11-02 {team['member'].display_name} Paper lab Late 12 09:12 17:40"]
    # Filtered by department: security only
    security = client.get(reverse("attendance:team"),
                          {"department": str(museum["security"].pk)})
    assert [row.split(" ")[0] for row in texts(security, "data-exception")] == ["2026-11-03"]
    # A department head would not be offered security; HR is
    assert f'<option value="{museum["security"].pk}">Security</option>' in \
        response.content.decode()


def test_bad_filters_say_what_was_wrong(client_for: Any, team: dict[str, Any]) -> None:
    client = client_for(team["head"])
    response = client.get(reverse("attendance:team"), {"start": "2026-13-01"})
    assert response.status_code == 200
    assert text(response, "data-error", "start") == "Enter a valid date."
    # The default period is still shown
    assert text(response, "id", "exceptions-title") == "Exceptions 2026-11-01 – 2026-11-20"
    response = client.get(reverse("attendance:team"), {"start": "2026-11-10",
                                                       "end": "2026-11-01"})
    assert text(response, "data-error", "end") == "The end is before the start."
    response = client.get(reverse("attendance:team"), {"department": "999999"})
    assert text(response, "data-error", "department") == (
        "Select a valid choice. 999999 is not one of the available choices.")
    # A head may not filter for a department outside their reach
    guard_department = str(team["guard"].department_id)
    response = client.get(reverse("attendance:team"), {"department": guard_department})
    assert "data-error=\"department\"" in response.content.decode()
    assert "Guard Wang" not in response.content.decode()


# --- A person's month ----------------------------------------------------------------------

def test_a_head_opens_a_team_members_month(client_for: Any, team: dict[str, Any]) -> None:
    member = team["member"]
    response = client_for(team["head"]).get(reverse("attendance:person", args=[member.pk]),
                                            {"month": "2026-11"})
    assert response.status_code == 200
    assert text(response, "id", "month-title") == "November 2026"
    assert text(response, "data-day", "2026-11-02") == "2 2026-11-02 Late 12 min late"
    assert text(response, "data-day", "2026-11-20") == "20 2026-11-20 On time"
    assert text(response, "data-day", "2026-11-03") == "3 2026-11-03 Not judged yet Day"
    assert text(response, "data-total", "late") == "1 times late, 12 minutes in all"
    assert text(response, "data-total", "worked") == "2 days worked"
    assert f'href="/attendance/people/{member.pk}/?month=2026-10" rel="prev"' in \
        response.content.decode()
    assert f'href="/attendance/people/{member.pk}/?month=2026-12" rel="next"' in \
        response.content.decode()
    # but never the guard of another department
    assert client_for(team["head"]).get(
        reverse("attendance:person", args=[team["guard"].pk])).status_code == 404
    assert client_for(team["head"]).get(
        reverse("attendance:day", args=[team["guard"].pk, "2026-11-03"])).status_code == 404


@pytest.mark.parametrize("who", ["hr_person", "admin_person"])
def test_hr_and_administrators_open_anyones_month(request: Any, client_for: Any, who: str,
                                                  team: dict[str, Any]) -> None:
    client = client_for(request.getfixturevalue(who))
    guard = team["guard"]
    response = client.get(reverse("attendance:person", args=[guard.pk]), {"month": "2026-11"})
    assert response.status_code == 200
    assert text(response, "data-day", "2026-11-03") == "3 2026-11-03 Late 30 min late"
    assert client.get(reverse("attendance:person", args=[987654])).status_code == 404


def test_a_member_opens_only_their_own_month(client_for: Any, team: dict[str, Any]) -> None:
    member = team["member"]
    client = client_for(member)
    response = client.get(reverse("attendance:person", args=[member.pk]), {"month": "2026-11"})
    assert response.status_code == 200
    assert text(response, "data-day", "2026-11-02") == "2 2026-11-02 Late 12 min late"
    assert client.get(reverse("attendance:person", args=[team["head"].pk])).status_code == 404
