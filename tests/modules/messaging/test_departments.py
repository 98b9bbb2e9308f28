"""Department groups follow the directory: one per open department with exactly its people,
the head as owner, renamed with the department, archived (history kept) when it closes, and
a second sync changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from taihe.kernel.errors import Conflict
from taihe.kernel.events.models import OutboxEvent
from taihe.modules.directory import services as directory_services
from taihe.modules.directory.models import Department, Person
from taihe.modules.messaging import departments, selectors, services
from taihe.modules.messaging.models import Conversation, Member, Message
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(museum: dict[str, Any], admin_person: Any, li: Any, zhang: Any, wang: Any
           ) -> dict[str, Any]:
    """The museum with Li heading conservation; Li and Zhang in the paper lab below it,
    Wang in security and the administrator in the museum's root department."""
    directory_services.do_update_department(admin_person, museum["conservation"],
                                            head_id=li.pk)
    return {"admin": admin_person, "li": li, "zhang": zhang, "wang": wang, **museum}


def groups() -> dict[str, dict[str, Any]]:
    """Each department group by its department's code: title, archived, active members with
    their roles."""
    codes = dict(Department.objects.values_list("id", "code"))
    usernames = dict(Person.objects.values_list("id", "username"))
    found = {}
    for conversation in Conversation.objects.filter(kind="department"):
        found[codes[conversation.department_id]] = {
            "title": conversation.title, "archived": conversation.archived_at is not None,
            "members": {usernames[pk]: role for pk, role in Member.objects.filter(
                conversation=conversation, left_at__isnull=True)
                .values_list("person_id", "role")}}
    return found


def notices(department: Any) -> list[dict[str, Any]]:
    return list(Message.objects.filter(conversation__department_id=department.pk,
                                       kind="system").order_by("id")
                .values_list("notice", flat=True))


def events(name: str) -> list[dict[str, Any]]:
    return [row.payload for row in OutboxEvent.objects.filter(name=name).order_by("id")]


def test_a_sync_makes_one_group_per_department_with_its_people_and_head(
        people: dict[str, Any]) -> None:
    # when the department groups are synced for the first time
    totals = departments.sync_all()
    # then every open department has its group, titled in both scripts, with its people
    # (sub-departments included) and its head as owner
    assert groups() == {
        "museum": {"title": "博物馆 · Museum", "archived": False,
                   "members": {"admin": "member", "li": "member", "zhang": "member",
                               "wang": "member"}},
        "conservation": {"title": "文保部 · Conservation", "archived": False,
                         "members": {"li": "owner", "zhang": "member"}},
        "paper-lab": {"title": "纸质文物实验室 · Paper lab", "archived": False,
                      "members": {"li": "member", "zhang": "member"}},
        "security": {"title": "安保部 · Security", "archived": False,
                     "members": {"wang": "member"}},
    }
    assert totals == {"departments": 4, "created": 4, "renamed": 0, "archived": 0,
                      "reopened": 0, "owners": 0, "added": 9, "removed": 0}
    # each group opens with one line, and its creation and members are on record
    assert notices(people["conservation"]) == [
        {"code": "created", "title": "文保部 · Conservation"}]
    conservation = Conversation.objects.get(department_id=people["conservation"].pk)
    created = [e for e in events("messaging.conversation.created.v1")
               if e["conversation_id"] == conservation.pk]
    assert [(e["kind"], e["actor_id"], e["after"]) for e in created] == [
        ("department", None, {"title": "文保部 · Conservation", "kind": "department",
                              "department_id": people["conservation"].pk})]
    changed = [e for e in events("messaging.members.changed.v1")
               if e["conversation_id"] == conservation.pk]
    assert [(sorted(e["added"]), e["removed"]) for e in changed] == [
        (sorted([people["li"].pk, people["zhang"].pk]), [])]
    # and the members see it in their list
    assert [row.title for row in selectors.conversations_for(people["wang"])] == [
        "安保部 · Security", "博物馆 · Museum"]


def test_a_second_sync_changes_nothing(people: dict[str, Any],
                                       django_assert_max_num_queries: Any) -> None:
    # given synced groups
    departments.sync_all()
    before = (Message.objects.count(), OutboxEvent.objects.count(),
              list(Member.objects.order_by("id").values_list("id", "role", "left_at")),
              list(Conversation.objects.order_by("id").values_list("id", "title",
                                                                    "updated_at")))
    # when they are synced again: the departments, their people and the groups' members
    # are read in bulk, and nothing is written
    with django_assert_max_num_queries(3 + 2 * 4):
        totals = departments.sync_all()
    # then nothing changed
    assert totals == {"departments": 4, "created": 0, "renamed": 0, "archived": 0,
                      "reopened": 0, "owners": 0, "added": 0, "removed": 0}
    after = (Message.objects.count(), OutboxEvent.objects.count(),
             list(Member.objects.order_by("id").values_list("id", "role", "left_at")),
             list(Conversation.objects.order_by("id").values_list("id", "title",
                                                                   "updated_at")))
    assert after == before
    # nor does syncing one department on its own
    result = departments.sync_department(people["conservation"].pk)
    assert not result.changed
    assert Message.objects.count() == before[0]


def test_moving_to_another_department_moves_the_person_between_groups(
        people: dict[str, Any]) -> None:
    # given synced groups and a message Zhang can read in the paper lab's group
    departments.sync_all()
    lab = Conversation.objects.get(department_id=people["lab"].pk)
    security = Conversation.objects.get(department_id=people["security"].pk)
    sent = services.do_send_message(people["li"], lab.pk, "Tissue arrives on Monday")
    # when HR moves Zhang to security and the groups are synced
    directory_services.do_update_person(people["admin"], people["zhang"],
                                        directory_services.PersonInput(
                                            department_id=people["security"].pk))
    totals = departments.sync_all()
    # then Zhang left conservation and the lab, and joined security
    assert {code: g["members"] for code, g in groups().items()} == {
        "museum": {"admin": "member", "li": "member", "zhang": "member", "wang": "member"},
        "conservation": {"li": "owner"},
        "paper-lab": {"li": "member"},
        "security": {"wang": "member", "zhang": "member"},
    }
    assert (totals["added"], totals["removed"]) == (1, 2)
    zhang = people["zhang"].pk
    assert notices(people["lab"])[-1] == {"code": "synced_out", "people": [zhang]}
    assert notices(people["security"])[-1] == {"code": "synced", "people": [zhang]}
    moves = [(e["conversation_id"], e["added"], e["removed"])
             for e in events("messaging.members.changed.v1")][-3:]
    assert sorted(moves) == sorted([
        (Conversation.objects.get(department_id=people["conservation"].pk).pk, [], [zhang]),
        (lab.pk, [], [zhang]), (security.pk, [zhang], [])])
    # and the lab's messages are no longer Zhang's to read, security's are
    assert {r.title for r in selectors.conversations_for(people["zhang"])} == {
        "安保部 · Security", "博物馆 · Museum"}
    # (receipts of the lab's messages still count Zhang for what was sent before)
    assert Member.objects.get(conversation=lab, person=people["zhang"]).left_after_id == \
        sent.pk


def test_a_new_head_owns_the_group_and_the_old_one_becomes_a_member(
        people: dict[str, Any]) -> None:
    # given synced groups with Li heading conservation
    departments.sync_all()
    conservation = Conversation.objects.get(department_id=people["conservation"].pk)
    # when Zhang becomes the head
    directory_services.do_update_department(people["admin"], people["conservation"],
                                            head_id=people["zhang"].pk)
    totals = departments.sync_all()
    # then Zhang owns the group and Li is a member like everyone else
    assert groups()["conservation"]["members"] == {"li": "member", "zhang": "owner"}
    assert totals["owners"] == 1
    updated = [e for e in events("messaging.conversation.updated.v1")
               if e["conversation_id"] == conservation.pk]
    assert [(e["before"], e["after"]) for e in updated] == [
        ({"owner_id": people["li"].pk}, {"owner_id": people["zhang"].pk})]
    # when the department has no head any more, the group has no owner
    directory_services.do_update_department(people["admin"], people["conservation"],
                                            clear_head=True)
    departments.sync_all()
    assert groups()["conservation"]["members"] == {"li": "member", "zhang": "member"}


def test_an_admin_appointed_by_hand_stays_while_in_the_department(
        people: dict[str, Any]) -> None:
    departments.sync_all()
    conservation = Conversation.objects.get(department_id=people["conservation"].pk)
    services.do_set_role(people["li"], conservation.pk, people["zhang"].pk, "admin")
    totals = departments.sync_all()
    assert groups()["conservation"]["members"] == {"li": "owner", "zhang": "admin"}
    assert totals["owners"] == 0


def test_renaming_the_department_renames_the_group(people: dict[str, Any]) -> None:
    departments.sync_all()
    directory_services.do_update_department(people["admin"], people["security"],
                                            name_zh="安全保卫部", name_en="")
    result = departments.sync_department(people["security"].pk)
    assert (result.renamed, result.added, result.removed) == (True, [], [])
    assert groups()["security"]["title"] == "安全保卫部"
    assert notices(people["security"])[-1] == {"code": "renamed", "title": "安全保卫部"}
    security = Conversation.objects.get(department_id=people["security"].pk)
    updated = [e for e in events("messaging.conversation.updated.v1")
               if e["conversation_id"] == security.pk]
    assert [(e["before"], e["after"]) for e in updated] == [
        ({"title": "安保部 · Security"}, {"title": "安全保卫部"})]


def test_a_merged_department_s_group_is_archived_with_its_history_readable(
        people: dict[str, Any]) -> None:
    # given synced groups and a message in the paper lab's group
    departments.sync_all()
    lab = Conversation.objects.get(department_id=people["lab"].pk)
    sent = services.do_send_message(people["zhang"], lab.pk, "Scroll 12 is dry")
    # when the lab is merged into conservation
    directory_services.do_merge_departments(people["admin"], people["lab"],
                                            people["conservation"])
    totals = departments.sync_all()
    # then the lab's group is archived and keeps its members, who still read its history
    assert totals["archived"] == 1
    assert groups()["paper-lab"] == {"title": "纸质文物实验室 · Paper lab", "archived": True,
                                     "members": {"li": "member", "zhang": "member"}}
    assert groups()["conservation"]["members"] == {"li": "owner", "zhang": "member"}
    assert [m.pk for m in selectors.messages_for(people["zhang"], lab.pk)][-1] == sent.pk
    # but nobody writes to it
    with pytest.raises(Conflict):
        services.do_send_message(people["zhang"], lab.pk, "Still here?")
    # and a second sync neither archives it again nor creates a new group for the lab
    again = departments.sync_all()
    assert (again["archived"], again["created"]) == (0, 0)
    assert Conversation.objects.filter(department_id=people["lab"].pk).count() == 1
    # syncing the closed department by its id leaves it archived
    assert not departments.sync_department(people["lab"].pk).changed


def test_a_department_closed_empty_is_archived_by_its_own_sync(
        people: dict[str, Any]) -> None:
    departments.sync_all()
    directory_services.do_update_person(people["admin"], people["wang"],
                                        directory_services.PersonInput(
                                            department_id=people["lab"].pk))
    directory_services.do_close_department(people["admin"], people["security"])
    result = departments.sync_department(people["security"].pk)
    assert result.archived
    security = Conversation.objects.get(department_id=people["security"].pk)
    updated = [e for e in events("messaging.conversation.updated.v1")
               if e["conversation_id"] == security.pk]
    assert [e["before"] for e in updated] == [{"archived_at": None}]
    # Wang is still a member of the archived group, so its history stays readable
    assert groups()["security"] == {"title": "安保部 · Security", "archived": True,
                                    "members": {"wang": "member"}}


def test_a_person_who_leaves_the_museum_leaves_the_groups(people: dict[str, Any]) -> None:
    departments.sync_all()
    directory_services.do_deactivate_person(people["admin"], people["wang"])
    departments.sync_all()
    assert "wang" not in groups()["security"]["members"]
    assert "wang" not in groups()["museum"]["members"]


def test_titles_do_not_depend_on_the_language_of_the_sync(
        museum: dict[str, Any]) -> None:
    PersonFactory(username="ma", department=museum["security"], roles=["staff"])
    with translation.override("zh-hans"):
        departments.sync_all()
    with translation.override("en"):
        assert departments.sync_all()["renamed"] == 0
    assert groups()["security"]["title"] == "安保部 · Security"
