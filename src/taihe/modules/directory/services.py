"""The only write path of the directory. ``check_*`` validates and authorises, ``do_*``
mutates and publishes events (after commit, through the outbox)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from taihe.kernel import authz
from taihe.kernel.authz.actor import forget_actor
from taihe.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from taihe.kernel.events import publish
from taihe.kernel.http import tokens
from taihe.kernel.http.models import ApiToken
from taihe.modules.directory import events
from taihe.modules.directory import operations as ops
from taihe.modules.directory.models import (
    Department,
    Group,
    Person,
    Position,
    Role,
    RoleAssignment,
)

PERSON_FIELDS = ("username", "name_zh", "name_en", "employee_number", "email", "phone", "status",
                 "department_id", "position_id", "language", "is_active")
DEPARTMENT_FIELDS = ("code", "name_zh", "name_en", "parent_id", "head_id", "sort_order",
                     "closed_at")


def snapshot(obj: Model, fields: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in fields:
        value = getattr(obj, field)
        values[field] = value.isoformat() if hasattr(value, "isoformat") else value
    return values


def changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


# --- People -------------------------------------------------------------------------------

@dataclass
class PersonInput:
    username: str | None = None
    name_zh: str | None = None
    name_en: str | None = None
    employee_number: str | None = None
    email: str | None = None
    phone: str | None = None
    status: str | None = None
    department_id: int | None = None
    position_id: int | None = None
    language: str | None = None


def _clean_person(data: PersonInput, *, person: Person | None) -> dict[str, Any]:
    """Validate the given fields; return them normalised. Raises with every field's message."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name in ("username", "name_zh", "name_en", "employee_number", "email", "phone",
                 "status", "language"):
        raw = getattr(data, name)
        if raw is not None:
            values[name] = str(raw).strip()
    if person is None or "username" in values:
        username = values.get("username", "")
        if not username:
            errors["username"] = _("A username is required.")
        elif len(username) > 80 or not all(c.isalnum() or c in "._-" for c in username):
            errors["username"] = _("Use up to 80 letters, digits, dots, dashes or underscores.")
        elif Person.objects.filter(username__iexact=username).exclude(
                pk=getattr(person, "pk", 0)).exists():
            errors["username"] = _("This username is taken.")
    naming = person is None or "name_zh" in values or "name_en" in values
    if naming and not (values.get("name_zh") or values.get("name_en")
                       or (person and (person.name_zh or person.name_en))):
        errors["name_zh"] = _("Give a name in Chinese or English.")
    if values.get("employee_number"):
        if Person.objects.filter(employee_number=values["employee_number"]).exclude(
                pk=getattr(person, "pk", 0)).exists():
            errors["employee_number"] = _("Another person has this employee number.")
    elif "employee_number" in values:
        values["employee_number"] = None
    if values.get("email"):
        try:
            validate_email(values["email"])
        except DjangoValidationError:
            errors["email"] = _("Enter a valid email address.")
    if "status" in values and values["status"] not in Person.Status.values:
        errors["status"] = _("Status must be one of: %(choices)s.") % {
            "choices": ", ".join(Person.Status.values)}
    if "language" in values and values["language"] not in ("", "en", "zh-hans"):
        errors["language"] = _("Language must be en or zh-hans.")
    if data.department_id is not None:
        department = Department.objects.filter(pk=data.department_id).first()
        if department is None:
            errors["department_id"] = _("No such department.")
        elif not department.is_open:
            errors["department_id"] = _("This department is closed.")
        values["department_id"] = data.department_id
    if data.position_id is not None:
        if not Position.objects.filter(pk=data.position_id).exists():
            errors["position_id"] = _("No such position.")
        values["position_id"] = data.position_id
    if errors:
        raise ValidationFailed(fields=errors)
    return values


def check_manage_person(actor: Any, department_id: int | None) -> None:
    if department_id is None:
        if not authz.can(actor, ops.PERSON_MANAGE.code):
            raise PermissionDenied()
        resolved = authz.actor_for(actor)
        if resolved.departments_for(ops.PERSON_MANAGE.code) is not None:
            # Department-scoped HR may not create people outside any department.
            raise PermissionDenied(_("Choose a department you manage."))
        return
    authz.require(actor, ops.PERSON_MANAGE.code, department_id=department_id)


def do_create_person(actor: Any, data: PersonInput, *, password: str | None = None) -> Person:
    """Add a person. Emits ``directory.person.created.v1``. Raises ValidationFailed,
    PermissionDenied."""
    check_manage_person(actor, data.department_id)
    values = _clean_person(data, person=None)
    if password:
        try:
            password_validation.validate_password(password)
        except DjangoValidationError as error:
            raise ValidationFailed(fields={"password": " ".join(error.messages)}) from error
    with transaction.atomic():
        person = Person(**values)
        if password:
            person.set_password(password)
        else:
            person.set_unusable_password()
        person.save()
        staff_role = Role.objects.filter(code="staff").first()
        if staff_role is not None and person.status == Person.Status.STAFF:
            RoleAssignment.objects.create(person=person, role=staff_role)
        publish(events.PersonCreated(
            person_id=person.pk, subject_type="directory.person", subject_id=str(person.pk),
            after=snapshot(person, PERSON_FIELDS)))
    return person


def do_update_person(actor: Any, person: Person, data: PersonInput) -> Person:
    """Change a person's details. Emits ``directory.person.updated.v1``. Moving someone to
    another department needs the right in both departments."""
    check_manage_person(actor, person.department_id)
    if data.department_id is not None and data.department_id != person.department_id:
        check_manage_person(actor, data.department_id)
    values = _clean_person(data, person=person)
    with transaction.atomic():
        before = snapshot(person, PERSON_FIELDS)
        for key, value in values.items():
            setattr(person, key, value)
        person.save()
        old, new = changed(before, snapshot(person, PERSON_FIELDS))
        if new:
            publish(events.PersonUpdated(person_id=person.pk, subject_type="directory.person",
                                         subject_id=str(person.pk), before=old, after=new))
    forget_actor(person)
    return person


def do_update_own_profile(person: Person, *, phone: str | None = None,
                          language: str | None = None, email: str | None = None) -> Person:
    """Everyone may change their own phone, email and language."""
    values = _clean_person(PersonInput(phone=phone, language=language, email=email),
                           person=person)
    with transaction.atomic():
        before = snapshot(person, PERSON_FIELDS)
        for key, value in values.items():
            setattr(person, key, value)
        person.save()
        old, new = changed(before, snapshot(person, PERSON_FIELDS))
        if new:
            publish(events.PersonUpdated(person_id=person.pk, actor_id=person.pk,
                                         subject_type="directory.person",
                                         subject_id=str(person.pk), before=old, after=new))
    return person


def do_set_photo(actor: Any, person: Person, upload: Any) -> Person:
    if actor.pk != person.pk:
        check_manage_person(actor, person.department_id)
    from PIL import Image, UnidentifiedImageError

    if upload.size > 5 * 1024 * 1024:
        raise ValidationFailed(fields={"photo": _("The photo must be smaller than 5 MB.")})
    try:
        with Image.open(upload) as image:
            image.verify()
            kind = (image.format or "").lower()
    except (UnidentifiedImageError, OSError) as error:
        raise ValidationFailed(fields={"photo": _("This file is not an image.")}) from error
    if kind not in {"jpeg", "png", "webp"}:
        raise ValidationFailed(fields={"photo": _("Use a JPEG, PNG or WebP image.")})
    upload.seek(0)
    with transaction.atomic():
        person.photo.save(f"{person.pk}.{kind}", upload, save=True)
        publish(events.PersonUpdated(person_id=person.pk, subject_type="directory.person",
                                     subject_id=str(person.pk), after={"photo": person.photo.name}))
    return person


def do_deactivate_person(actor: Any, person: Person) -> Person:
    """Turn off a person's login and hide them from the directory; their history stays.
    Emits ``directory.person.deactivated.v1`` and revokes their API tokens."""
    check_manage_person(actor, person.department_id)
    if authz.actor_for(actor).user_id == person.pk:
        raise Conflict(_("You cannot deactivate yourself."))
    with transaction.atomic():
        person.is_active = False
        person.save(update_fields=["is_active"])
        ApiToken.objects.filter(owner=person, revoked_at__isnull=True).update(
            revoked_at=timezone.now())
        publish(events.PersonDeactivated(person_id=person.pk, subject_type="directory.person",
                                         subject_id=str(person.pk), before={"is_active": True},
                                         after={"is_active": False}))
    return person


def do_change_password(person: Person, *, old_password: str, new_password: str) -> None:
    if not person.check_password(old_password):
        raise ValidationFailed(fields={"old_password": _("Your current password is wrong.")})
    do_set_password(person, new_password)


def do_set_password(person: Person, new_password: str) -> None:
    """Emits ``directory.person.password_changed.v1`` (without any password in it)."""
    try:
        password_validation.validate_password(new_password, user=person)
    except DjangoValidationError as error:
        raise ValidationFailed(fields={"new_password": " ".join(error.messages)}) from error
    with transaction.atomic():
        person.set_password(new_password)
        person.failed_logins = 0
        person.locked_until = None
        person.save(update_fields=["password", "failed_logins", "locked_until"])
        publish(events.PasswordChanged(person_id=person.pk, actor_id=person.pk,
                                       subject_type="directory.person",
                                       subject_id=str(person.pk)))


# --- Departments --------------------------------------------------------------------------

def _set_path(department: Department) -> None:
    parent_path = department.parent.path if department.parent_id and department.parent else "/"
    department.path = f"{parent_path}{department.pk}/"
    department.depth = department.path.count("/") - 2


def do_create_department(actor: Any, *, code: str, name_zh: str, name_en: str = "",
                         parent_id: int | None = None, head_id: int | None = None,
                         sort_order: int = 0) -> Department:
    """Emits ``directory.department.created.v1``."""
    authz.require(actor, ops.DEPARTMENT_MANAGE.code, department_id=parent_id)
    if parent_id is None and authz.actor_for(actor).departments_for(
            ops.DEPARTMENT_MANAGE.code) is not None:
        raise PermissionDenied(_("Only a museum-wide administrator may add a top department."))
    errors: dict[str, str] = {}
    code = (code or "").strip()
    if not code or not all(c.isalnum() or c in "-_" for c in code) or len(code) > 40:
        errors["code"] = _("Use up to 40 letters, digits, dashes or underscores.")
    elif Department.objects.filter(code=code).exists():
        errors["code"] = _("Another department has this code.")
    if not (name_zh or "").strip():
        errors["name_zh"] = _("A Chinese name is required.")
    parent = None
    if parent_id is not None:
        parent = Department.objects.filter(pk=parent_id).first()
        if parent is None:
            errors["parent_id"] = _("No such department.")
        elif not parent.is_open:
            errors["parent_id"] = _("This department is closed.")
    if head_id is not None and not Person.objects.filter(pk=head_id, is_active=True).exists():
        errors["head_id"] = _("No such active person.")
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        department = Department.objects.create(code=code, name_zh=name_zh.strip(),
                                               name_en=(name_en or "").strip(), parent=parent,
                                               head_id=head_id, sort_order=sort_order)
        _set_path(department)
        department.save(update_fields=["path", "depth"])
        publish(events.DepartmentCreated(
            department_id=department.pk, subject_type="directory.department",
            subject_id=str(department.pk), after=snapshot(department, DEPARTMENT_FIELDS)))
    return department


def do_update_department(actor: Any, department: Department, *, name_zh: str | None = None,
                         name_en: str | None = None, head_id: int | None = None,
                         clear_head: bool = False, sort_order: int | None = None) -> Department:
    authz.require(actor, ops.DEPARTMENT_MANAGE.code, department_id=department.pk)
    errors: dict[str, str] = {}
    if name_zh is not None and not name_zh.strip():
        errors["name_zh"] = _("A Chinese name is required.")
    if head_id is not None and not Person.objects.filter(pk=head_id, is_active=True).exists():
        errors["head_id"] = _("No such active person.")
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        before = snapshot(department, DEPARTMENT_FIELDS)
        if name_zh is not None:
            department.name_zh = name_zh.strip()
        if name_en is not None:
            department.name_en = name_en.strip()
        if clear_head:
            department.head = None
        elif head_id is not None:
            department.head_id = head_id
        if sort_order is not None:
            department.sort_order = sort_order
        department.save()
        old, new = changed(before, snapshot(department, DEPARTMENT_FIELDS))
        if new:
            publish(events.DepartmentUpdated(
                department_id=department.pk, subject_type="directory.department",
                subject_id=str(department.pk), before=old, after=new))
    return department


def do_move_department(actor: Any, department: Department, new_parent_id: int | None) -> Department:
    """Re-hang a department and its whole subtree. Emits ``directory.department.moved.v1``.
    Raises ValidationFailed when the move would make a cycle."""
    authz.require(actor, ops.DEPARTMENT_MANAGE.code, department_id=department.pk)
    if new_parent_id is not None:
        authz.require(actor, ops.DEPARTMENT_MANAGE.code, department_id=new_parent_id)
    elif authz.actor_for(actor).departments_for(ops.DEPARTMENT_MANAGE.code) is not None:
        raise PermissionDenied(_("Only a museum-wide administrator may make a top department."))
    new_parent = None
    if new_parent_id is not None:
        new_parent = Department.objects.filter(pk=new_parent_id).first()
        if new_parent is None:
            raise ValidationFailed(fields={"parent_id": _("No such department.")})
        if new_parent.path.startswith(department.path):
            raise ValidationFailed(fields={"parent_id": _(
                "A department cannot move under itself or one of its sub-departments.")})
        if not new_parent.is_open:
            raise ValidationFailed(fields={"parent_id": _("This department is closed.")})
    old_parent_id = department.parent_id
    if old_parent_id == new_parent_id:
        return department
    with transaction.atomic():
        old_path = department.path
        department.parent = new_parent
        _set_path(department)
        department.save(update_fields=["parent", "path", "depth"])
        for child in Department.objects.filter(path__startswith=old_path).exclude(pk=department.pk):
            child.path = department.path + child.path[len(old_path):]
            child.depth = child.path.count("/") - 2
            child.save(update_fields=["path", "depth"])
        publish(events.DepartmentMoved(
            department_id=department.pk, old_parent_id=old_parent_id,
            new_parent_id=new_parent_id, subject_type="directory.department",
            subject_id=str(department.pk), before={"parent_id": old_parent_id},
            after={"parent_id": new_parent_id}))
    return department


def do_merge_departments(actor: Any, source: Department, target: Department) -> Department:
    """Move every member, sub-department and role scope of ``source`` into ``target`` and
    close ``source``. Emits ``directory.department.merged.v1``."""
    authz.require(actor, ops.DEPARTMENT_MANAGE.code, department_id=source.pk)
    authz.require(actor, ops.DEPARTMENT_MANAGE.code, department_id=target.pk)
    if source.pk == target.pk:
        raise ValidationFailed(fields={"into_id": _("Choose a different department.")})
    if target.path.startswith(source.path):
        raise ValidationFailed(fields={"into_id": _(
            "A department cannot merge into one of its own sub-departments.")})
    if not target.is_open:
        raise ValidationFailed(fields={"into_id": _("This department is closed.")})
    with transaction.atomic():
        moved_people = Person.objects.filter(department=source).update(department=target)
        for child in list(source.children.all()):
            do_move_department(actor, child, target.pk)
        for assignment in RoleAssignment.objects.filter(department=source):
            if RoleAssignment.objects.filter(person=assignment.person, role=assignment.role,
                                             department=target).exists():
                assignment.delete()
            else:
                assignment.department = target
                assignment.save(update_fields=["department"])
        source.closed_at = timezone.now()
        source.save(update_fields=["closed_at"])
        publish(events.DepartmentMerged(
            department_id=source.pk, into_department_id=target.pk,
            subject_type="directory.department", subject_id=str(source.pk),
            after={"merged_into": target.pk, "people_moved": moved_people}))
    return target


def do_close_department(actor: Any, department: Department) -> Department:
    """Close an empty department. Raises Conflict while people or open sub-departments
    remain. Emits ``directory.department.closed.v1``."""
    authz.require(actor, ops.DEPARTMENT_MANAGE.code, department_id=department.pk)
    if not department.is_open:
        return department
    if Person.objects.filter(department=department, is_active=True).exists():
        raise Conflict(_("Move its people elsewhere before closing this department."))
    if department.children.filter(closed_at__isnull=True).exists():
        raise Conflict(_("Close or move its sub-departments first."))
    with transaction.atomic():
        department.closed_at = timezone.now()
        department.save(update_fields=["closed_at"])
        publish(events.DepartmentClosed(
            department_id=department.pk, subject_type="directory.department",
            subject_id=str(department.pk), before={"closed_at": None},
            after={"closed_at": department.closed_at.isoformat()}))
    return department


# --- Roles ----------------------------------------------------------------------------------

def do_save_role(actor: Any, *, code: str, name_zh: str, name_en: str, operations: list[str],
                 description: str = "", role: Role | None = None) -> Role:
    authz.require(actor, ops.ROLE_MANAGE.code)
    known = {op.code for op in authz.operations()}
    errors: dict[str, str] = {}
    bad = [p for p in operations if p != "*" and not (
        p in known or (p.endswith(".*") and any(k.startswith(p[:-1]) for k in known)))]
    if bad:
        errors["operations"] = _("Unknown operations: %(codes)s.") % {"codes": ", ".join(bad)}
    if not name_zh.strip() or not name_en.strip():
        errors["name_zh"] = _("Give the role a Chinese and an English name.")
    if role is None and Role.objects.filter(code=code).exists():
        errors["code"] = _("Another role has this code.")
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        before = {"operations": role.operations} if role else None
        role = role or Role(code=code)
        role.name_zh, role.name_en = name_zh.strip(), name_en.strip()
        role.description = description
        role.operations = sorted(set(operations))
        role.save()
        publish(events.RoleSaved(role_id=role.pk, subject_type="directory.role",
                                 subject_id=str(role.pk), before=before,
                                 after={"operations": role.operations}))
    return role


def do_assign_role(actor: Any, person: Person, role: Role, *, department_id: int | None,
                   include_subdepartments: bool = True) -> RoleAssignment:
    """Give ``person`` the role within a department subtree (or museum-wide when None).
    Emits ``directory.role.assigned.v1``."""
    authz.require(actor, ops.ROLE_ASSIGN.code, department_id=person.department_id)
    if department_id is not None:
        authz.require(actor, ops.ROLE_ASSIGN.code, department_id=department_id)
        if not Department.objects.filter(pk=department_id).exists():
            raise ValidationFailed(fields={"department_id": _("No such department.")})
    elif authz.actor_for(actor).departments_for(ops.ROLE_ASSIGN.code) is not None:
        raise PermissionDenied(_("Only a museum-wide administrator may give museum-wide roles."))
    if "*" in role.operations and not authz.actor_for(actor).is_superuser and not authz.can(
            actor, ops.ROLE_MANAGE.code):
        raise PermissionDenied(_("Only administrators may give the administrator role."))
    held = RoleAssignment.objects.filter(person=person, role=role)
    existing = (held.filter(department__isnull=True) if department_id is None
                else held.filter(department_id=department_id)).first()
    if existing:
        return existing
    with transaction.atomic():
        assignment = RoleAssignment.objects.create(
            person=person, role=role, department_id=department_id,
            include_subdepartments=include_subdepartments)
        publish(events.RoleAssigned(
            person_id=person.pk, role_id=role.pk, department_id=department_id,
            subject_type="directory.person", subject_id=str(person.pk),
            after={"role": role.code, "department_id": department_id,
                   "include_subdepartments": include_subdepartments}))
    forget_actor(person)
    return assignment


def do_revoke_role(actor: Any, assignment: RoleAssignment) -> None:
    """Emits ``directory.role.revoked.v1``."""
    authz.require(actor, ops.ROLE_ASSIGN.code, department_id=assignment.person.department_id)
    if assignment.department_id is not None:
        authz.require(actor, ops.ROLE_ASSIGN.code, department_id=assignment.department_id)
    if (assignment.role.code == "administrator"
            and not RoleAssignment.objects.filter(role=assignment.role)
            .exclude(pk=assignment.pk).filter(person__is_active=True).exists()
            and not Person.objects.filter(is_superuser=True, is_active=True).exists()):
        raise Conflict(_("The museum must keep at least one administrator."))
    with transaction.atomic():
        payload = {"role": assignment.role.code, "department_id": assignment.department_id}
        publish(events.RoleRevoked(
            person_id=assignment.person_id, role_id=assignment.role_id,
            department_id=assignment.department_id, subject_type="directory.person",
            subject_id=str(assignment.person_id), before=payload))
        assignment.delete()


# --- Groups ---------------------------------------------------------------------------------

def do_save_group(actor: Any, *, name: str, description: str = "", member_ids: list[int],
                  group: Group | None = None) -> Group:
    authz.require(actor, ops.GROUP_MANAGE.code)
    name = name.strip()
    if not name:
        raise ValidationFailed(fields={"name": _("A group needs a name.")})
    if Group.objects.filter(name=name).exclude(pk=getattr(group, "pk", 0)).exists():
        raise ValidationFailed(fields={"name": _("Another group has this name.")})
    members = list(Person.objects.filter(pk__in=member_ids, is_active=True))
    missing = sorted(set(member_ids) - {p.pk for p in members})
    if missing:
        raise ValidationFailed(fields={"member_ids": _("No active person with id %(ids)s.") % {
            "ids": ", ".join(map(str, missing))}})
    with transaction.atomic():
        before = None
        if group is not None:
            before = {"name": group.name,
                      "members": sorted(group.members.values_list("id", flat=True))}
        group = group or Group(owner_id=authz.actor_for(actor).user_id)
        group.name, group.description = name, description
        group.save()
        group.members.set(members)
        publish(events.GroupSaved(group_id=group.pk, subject_type="directory.group",
                                  subject_id=str(group.pk), before=before,
                                  after={"name": name, "members": sorted(p.pk for p in members)}))
    return group


# --- API tokens -----------------------------------------------------------------------------

def do_issue_token(actor: Any, *, name: str, scopes: list[str], days: int | None = 90,
                   kind: str = ApiToken.Kind.PERSONAL) -> tokens.IssuedToken:
    """Issue a token to the actor themself. Emits ``directory.token.issued.v1``."""
    resolved = authz.actor_for(actor)
    if resolved.user_id is None:
        raise PermissionDenied()
    owner = Person.objects.get(pk=resolved.user_id)
    with transaction.atomic():
        issued = tokens.issue(owner, name=name, scopes=scopes, days=days, kind=kind)
        publish(events.TokenIssued(
            token_id=issued.token.pk, owner_id=owner.pk, subject_type="kernel.apitoken",
            subject_id=str(issued.token.pk),
            after={"name": issued.token.name, "scopes": issued.token.scopes,
                   "prefix": issued.token.prefix,
                   "expires_at": issued.token.expires_at.isoformat()
                   if issued.token.expires_at else None}))
    return issued


def do_revoke_token(actor: Any, token_id: int) -> ApiToken:
    """Revoke one's own token, or anyone's with ``directory.token.manage``."""
    resolved = authz.actor_for(actor)
    token = ApiToken.objects.filter(pk=token_id).first()
    if token is None or (token.owner_id != resolved.user_id
                         and not authz.can(resolved, ops.TOKEN_MANAGE.code)):
        raise NotFound()
    with transaction.atomic():
        tokens.revoke(token)
        publish(events.TokenRevoked(token_id=token.pk, owner_id=token.owner_id,
                                    subject_type="kernel.apitoken", subject_id=str(token.pk),
                                    after={"revoked_at": token.revoked_at.isoformat()
                                           if token.revoked_at else None}))
    return token
