"""Department groups kept in line with the directory.

Every open department has exactly one group (``Conversation.kind == "department"``) whose
active members are the department's active people, sub-departments included, titled with
the department's name in both scripts as the directory shows it. The department head owns
it; a department without a head has no owner and the holders of ``messaging.channel.manage``
look after it. Admins appointed by hand stay admins while they are in the department.

A closed or merged department's group is archived, not emptied: its people keep reading the
history, and nobody writes to an archived conversation. Should the department open again,
the group does too.

The directory is the source of truth and this module only follows it, so a sync has no
acting person (``actor_id`` None, "Taihe" in notices). It runs nightly
(``messaging.departments.sync``) and after directory changes (``subscribers.py``), and is
idempotent: a second run finds nothing to change and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from taihe.kernel.events import publish
from taihe.modules.directory import api as directory
from taihe.modules.directory.api import DepartmentInfo
from taihe.modules.messaging import events, live, services
from taihe.modules.messaging.models import Conversation, Member

KIND = Conversation.Kind
ROLE = Member.Role
SUBJECT = "messaging.conversation"


def department_title(info: DepartmentInfo) -> str:
    """"文物保护部 · Conservation": both names, as the directory's pages show a department."""
    zh, en = info.name_zh.strip(), info.name_en.strip()
    title = zh if en in ("", zh) else (f"{zh} · {en}" if zh else en)
    return title[:120]


@dataclass
class SyncResult:
    """What one sync changed in one department's group."""

    conversation_id: int | None = None
    created: bool = False
    renamed: bool = False
    archived: bool = False
    reopened: bool = False
    owner_changed: bool = False
    added: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.renamed or self.archived or self.reopened
                    or self.owner_changed or self.added or self.removed)


@dataclass(frozen=True)
class _Current:
    """A group as it stands, for deciding without a transaction whether it needs one."""

    title: str
    archived: bool
    active: dict[int, str]  # person id -> role


def sync_all() -> dict[str, int]:
    """Bring every department group in line with the directory: one transaction for each
    group that needs a change, none for those already right. Returns counts: departments
    (open ones), created, renamed, archived, reopened, owners (changed), added and removed
    (people). Emits what :func:`sync_department` emits."""
    open_departments = directory.departments()
    groups = {c.department_id: c for c in Conversation.objects.filter(kind=KIND.DEPARTMENT)}
    active: dict[int, dict[int, str]] = {}
    for conversation_id, person_id, role in Member.objects.filter(
            conversation__kind=KIND.DEPARTMENT, left_at__isnull=True).values_list(
            "conversation_id", "person_id", "role"):
        active.setdefault(conversation_id, {})[person_id] = role
    totals = {"departments": len(open_departments), "created": 0, "renamed": 0,
              "archived": 0, "reopened": 0, "owners": 0, "added": 0, "removed": 0}

    def count(result: SyncResult) -> None:
        for key, flag in (("created", result.created), ("renamed", result.renamed),
                          ("archived", result.archived), ("reopened", result.reopened),
                          ("owners", result.owner_changed)):
            totals[key] += int(flag)
        totals["added"] += len(result.added)
        totals["removed"] += len(result.removed)

    open_ids = set()
    for info in open_departments:
        open_ids.add(info.id)
        wanted = set(directory.members_of_department(info.id, include_subdepartments=True))
        group = groups.get(info.id)
        current = None if group is None else _Current(
            group.title, group.archived_at is not None, active.get(group.pk, {}))
        if current is not None and not _needs_change(current, info, wanted):
            continue
        count(_sync_open(info, wanted))
    for department_id, group in groups.items():
        if department_id not in open_ids and group.archived_at is None:
            count(_archive(group.pk))
    return totals


def sync_department(department_id: int) -> SyncResult:
    """Bring one department's group in line with the directory (in one transaction):
    create it for an open department, rename it, add and remove people, make the head the
    owner; archive it when the department is closed or gone. Emits
    ``messaging.conversation.created.v1``, ``messaging.members.changed.v1`` and
    ``messaging.conversation.updated.v1`` for what changed; members see system notices
    ("synced", "synced_out")."""
    # DepartmentInfo carries no closed flag: the open departments are those departments()
    # lists (one query over the tree, small next to the sync itself).
    info = next((d for d in directory.departments() if d.id == int(department_id)), None)
    if info is None:
        group = Conversation.objects.filter(kind=KIND.DEPARTMENT,
                                            department_id=department_id).first()
        if group is None or group.archived_at is not None:
            return SyncResult(conversation_id=group.pk if group else None)
        return _archive(group.pk)
    wanted = set(directory.members_of_department(info.id, include_subdepartments=True))
    return _sync_open(info, wanted)


def _owner_wanted(info: DepartmentInfo, wanted: set[int]) -> int | None:
    # A head who is not (or no longer) among the department's active people cannot own
    # a group they are not in.
    return info.head_id if info.head_id in wanted else None


def _needs_change(current: _Current, info: DepartmentInfo, wanted: set[int]) -> bool:
    if current.archived or current.title != department_title(info):
        return True
    if set(current.active) != wanted:
        return True
    owners = {pk for pk, role in current.active.items() if role == ROLE.OWNER}
    owner = _owner_wanted(info, wanted)
    return owners != ({owner} if owner else set())


def _group_for(info: DepartmentInfo, result: SyncResult) -> Conversation:
    """The department's group, locked; created (with its notice) when missing."""
    found = Conversation.objects.select_for_update().filter(department_id=info.id).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(
                kind=KIND.DEPARTMENT, department_id=info.id, title=department_title(info))
    except IntegrityError:  # another sync created it a moment ago
        return Conversation.objects.select_for_update().get(department_id=info.id)
    result.created = True
    publish(events.ConversationCreated(
        conversation_id=conversation.pk, kind=conversation.kind, subject_type=SUBJECT,
        subject_id=str(conversation.pk),
        after={"title": conversation.title, "kind": conversation.kind,
               "department_id": info.id}))
    services._notice(conversation, None, "created", {"title": conversation.title})
    return conversation


def _sync_open(info: DepartmentInfo, wanted: set[int]) -> SyncResult:
    result = SyncResult()
    with transaction.atomic():
        conversation = _group_for(info, result)
        result.conversation_id = conversation.pk
        if conversation.kind != KIND.DEPARTMENT:
            # department_id is unique: a conversation of another kind holding it is
            # someone's hand-made mistake; leave it alone rather than take it over
            return result
        changes_before: dict[str, Any] = {}
        changes_after: dict[str, Any] = {}
        if conversation.archived_at is not None:
            changes_before["archived_at"] = conversation.archived_at.isoformat()
            changes_after["archived_at"] = None
            conversation.archived_at = None
            result.reopened = True
        title = department_title(info)
        if conversation.title != title:
            changes_before["title"], changes_after["title"] = conversation.title, title
            conversation.title = title
            result.renamed = not result.created
        if changes_after:
            conversation.save(update_fields=[*changes_after, "updated_at"])

        active = dict(Member.objects.filter(conversation=conversation, left_at__isnull=True)
                      .values_list("person_id", "role"))
        owner = _owner_wanted(info, wanted)
        leaving = sorted(set(active) - wanted)
        joining = sorted(wanted - set(active))
        if leaving:
            result.removed = services._remove_members(conversation, leaving)
        if joining:
            if owner in joining:
                services._add_members(conversation, [owner], role=ROLE.OWNER)
            result.added = joining
            services._add_members(conversation, [pk for pk in joining if pk != owner])
        old_owners = sorted(pk for pk, role in active.items()
                            if role == ROLE.OWNER and pk in wanted and pk != owner)
        if old_owners:
            Member.objects.filter(conversation=conversation, person_id__in=old_owners,
                                  left_at__isnull=True).update(role=ROLE.MEMBER)
        if owner is not None and owner in active and active[owner] != ROLE.OWNER:
            Member.objects.filter(conversation=conversation, person_id=owner,
                                  left_at__isnull=True).update(role=ROLE.OWNER)
        previous_owner = next((pk for pk, role in active.items() if role == ROLE.OWNER), None)
        if previous_owner != owner and not result.created:
            result.owner_changed = True
            changes_before["owner_id"], changes_after["owner_id"] = previous_owner, owner

        if result.added or result.removed:
            publish(events.MembersChanged(
                conversation_id=conversation.pk, added=result.added, removed=result.removed,
                subject_type=SUBJECT, subject_id=str(conversation.pk)))
        if changes_after and not result.created:
            publish(events.ConversationUpdated(
                conversation_id=conversation.pk, before=changes_before, after=changes_after,
                subject_type=SUBJECT, subject_id=str(conversation.pk)))
        if result.renamed:
            services._notice(conversation, None, "renamed", {"title": title})
        if not result.created:
            # a new group's "created" line already opens it for its first members
            if result.added:
                services._notice(conversation, None, "synced", {"people": result.added})
            if result.removed:
                services._notice(conversation, None, "synced_out",
                                 {"people": result.removed})
        if changes_after or result.owner_changed:
            live.conversation_changed(conversation.pk)
    return result


def _archive(conversation_id: int) -> SyncResult:
    """Archive the group of a department that closed: members stay so that they can read
    the history; the services refuse every write to an archived conversation."""
    result = SyncResult(conversation_id=conversation_id)
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().filter(
            pk=conversation_id, archived_at__isnull=True).first()
        if conversation is None:
            return result
        conversation.archived_at = timezone.now()
        conversation.save(update_fields=["archived_at", "updated_at"])
        result.archived = True
        publish(events.ConversationUpdated(
            conversation_id=conversation.pk, before={"archived_at": None},
            after={"archived_at": conversation.archived_at.isoformat()},
            subject_type=SUBJECT, subject_id=str(conversation.pk)))
        live.conversation_changed(conversation.pk)
    return result
