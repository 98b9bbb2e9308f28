"""The directory API: parse, call one service or selector, serialise."""


from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from taihe.kernel import authz
from taihe.kernel.errors import NotFound, ValidationFailed
from taihe.kernel.http import ratelimit
from taihe.kernel.http.api import Pagination, user_id
from taihe.modules.directory import orgchart, selectors, services
from taihe.modules.directory import schemas as s

router = Router()


def _person_input(payload: Any) -> services.PersonInput:
    data = payload.dict(exclude_unset=True)
    data.pop("password", None)
    return services.PersonInput(**data)


@router.get("/me", response=s.PersonOut, summary="The signed-in person")
def me(request: HttpRequest) -> Any:
    return selectors.person_for(request.user, user_id(request))


@router.patch("/me", response=s.PersonOut, summary="Change my contact details or language")
def update_me(request: HttpRequest, payload: s.ProfilePatch) -> Any:
    return services.do_update_own_profile(request.user, **payload.dict(exclude_unset=True))  # type: ignore[arg-type]


@router.get("/people", response=list[s.PersonOut], summary="Search people")
@paginate(Pagination)
def list_people(request: HttpRequest, search: str = "", department_id: int | None = None,
                include_inactive: bool = False) -> Any:
    return selectors.people_for(request.user, search=search[:100], department_id=department_id,
                                include_inactive=include_inactive)


@router.get("/people/{person_id}", response=s.PersonOut)
def get_person(request: HttpRequest, person_id: int) -> Any:
    return selectors.person_for(request.user, person_id)


@router.post("/people", response={201: s.PersonOut}, summary="Add a person")
def create_person(request: HttpRequest, payload: s.PersonIn) -> Any:
    person = services.do_create_person(request.user, _person_input(payload),
                                       password=payload.password)
    return Status(201, person)


@router.patch("/people/{person_id}", response=s.PersonOut)
def update_person(request: HttpRequest, person_id: int, payload: s.PersonPatch) -> Any:
    person = selectors.person_for(request.user, person_id)
    return services.do_update_person(request.user, person, _person_input(payload))


@router.post("/people/{person_id}/deactivate", response=s.PersonOut)
def deactivate_person(request: HttpRequest, person_id: int) -> Any:
    person = selectors.person_for(request.user, person_id)
    return services.do_deactivate_person(request.user, person)


@router.get("/departments", response=list[s.DepartmentOut], summary="The department tree")
def list_departments(request: HttpRequest, include_closed: bool = False) -> Any:
    return list(selectors.departments_for(request.user, include_closed=include_closed))


@router.get("/departments/{department_id}", response=s.DepartmentOut)
def get_department(request: HttpRequest, department_id: int) -> Any:
    return selectors.department_for(request.user, department_id)


@router.post("/departments", response={201: s.DepartmentOut})
def create_department(request: HttpRequest, payload: s.DepartmentIn) -> Any:
    return Status(201, services.do_create_department(request.user, **payload.dict()))


@router.patch("/departments/{department_id}", response=s.DepartmentOut)
def update_department(request: HttpRequest, department_id: int, payload: s.DepartmentPatch) -> Any:
    department = selectors.department_for(request.user, department_id)
    return services.do_update_department(request.user, department,
                                         **payload.dict(exclude_unset=True))


@router.post("/departments/{department_id}/move", response=s.DepartmentOut)
def move_department(request: HttpRequest, department_id: int, payload: s.MoveIn) -> Any:
    department = selectors.department_for(request.user, department_id)
    return services.do_move_department(request.user, department, payload.parent_id)


@router.post("/departments/{department_id}/merge", response=s.DepartmentOut)
def merge_department(request: HttpRequest, department_id: int, payload: s.MergeIn) -> Any:
    source = selectors.department_for(request.user, department_id)
    target = selectors.department_for(request.user, payload.into_id)
    return services.do_merge_departments(request.user, source, target)


@router.post("/departments/{department_id}/close", response=s.DepartmentOut)
def close_department(request: HttpRequest, department_id: int) -> Any:
    department = selectors.department_for(request.user, department_id)
    return services.do_close_department(request.user, department)


@router.get("/operations", response=list[s.OperationOut], summary="Declared operations")
def list_operations(request: HttpRequest) -> Any:
    # Only people who give or define roles need the list (roles_for applies that rule).
    if not selectors.roles_for(request.user).exists():
        return []
    return [{"code": op.code, "label": str(op.label), "scoped": op.scoped}
            for op in authz.operations()]


@router.get("/roles", response=list[s.RoleOut])
def list_roles(request: HttpRequest) -> Any:
    return list(selectors.roles_for(request.user))


@router.post("/roles", response={201: s.RoleOut})
def create_role(request: HttpRequest, payload: s.RoleIn) -> Any:
    return Status(201, services.do_save_role(request.user, **payload.dict()))


@router.put("/roles/{role_id}", response=s.RoleOut)
def update_role(request: HttpRequest, role_id: int, payload: s.RoleIn) -> Any:
    role = selectors.roles_for(request.user).filter(pk=role_id).first()
    if role is None:
        raise NotFound()
    data = payload.dict()
    data.pop("code")
    return services.do_save_role(request.user, code=role.code, role=role, **data)


@router.get("/people/{person_id}/roles", response=list[s.AssignmentOut])
def list_assignments(request: HttpRequest, person_id: int) -> Any:
    return list(selectors.assignments_for(request.user, person_id=person_id))


@router.post("/people/{person_id}/roles", response={201: s.AssignmentOut})
def assign_role(request: HttpRequest, person_id: int, payload: s.AssignmentIn) -> Any:
    person = selectors.person_for(request.user, person_id)
    role = selectors.role(payload.role_id)
    if role is None:
        raise ValidationFailed(fields={"role_id": _("No such role.")})
    assignment = services.do_assign_role(request.user, person, role,
                                         department_id=payload.department_id,
                                         include_subdepartments=payload.include_subdepartments)
    return Status(201, assignment)


@router.delete("/assignments/{assignment_id}", response={204: None})
def revoke_role(request: HttpRequest, assignment_id: int) -> Any:
    assignment = selectors.assignments_for(request.user).filter(pk=assignment_id).first()
    if assignment is None:
        raise NotFound()
    services.do_revoke_role(request.user, assignment)
    return Status(204, None)


@router.get("/groups", response=list[s.GroupOut])
def list_groups(request: HttpRequest) -> Any:
    return list(selectors.groups_for(request.user))


@router.post("/groups", response={201: s.GroupOut})
def create_group(request: HttpRequest, payload: s.GroupIn) -> Any:
    return Status(201, services.do_save_group(request.user, **payload.dict()))


@router.put("/groups/{group_id}", response=s.GroupOut)
def update_group(request: HttpRequest, group_id: int, payload: s.GroupIn) -> Any:
    group = selectors.groups_for(request.user).filter(pk=group_id).first()
    if group is None:
        raise NotFound()
    return services.do_save_group(request.user, group=group, **payload.dict())


@router.get("/tokens", response=list[s.TokenOut], summary="My API tokens (or all, for admins)")
def list_tokens(request: HttpRequest, everyone: bool = False) -> Any:
    return list(selectors.tokens_for(request.user, everyone=everyone))


@router.post("/tokens", response={201: s.IssuedTokenOut},
             summary="Issue a token; the secret is shown only in this answer")
def issue_token(request: HttpRequest, payload: s.TokenIn) -> Any:
    ratelimit.hit("token", f"user:{request.user.pk}")
    issued = services.do_issue_token(request.user, **payload.dict())
    return Status(201, {"token": issued.token, "secret": issued.secret})


@router.post("/tokens/{token_id}/revoke", response=s.TokenOut)
def revoke_token(request: HttpRequest, token_id: int) -> Any:
    return services.do_revoke_token(request.user, token_id)


@router.post("/imports", response=s.ImportResult,
             summary="Import the org chart from CSV or XLSX (dry_run=true checks only)")
def import_org_chart(request: HttpRequest, file: UploadedFile = File(...),  # noqa: B008
                     dry_run: bool = Form(True)) -> Any:
    report = orgchart.do_import_org_chart(request.user, file.read(), file.name or "",
                                          dry_run=dry_run)
    return report.as_dict()


@router.post("/exports", response={202: s.ExportOut},
             summary="Export the org chart in the background")
def export_org_chart(request: HttpRequest, payload: s.ExportIn) -> Any:
    return Status(202, orgchart.do_request_export(request.user, payload.format))


@router.get("/exports/{export_id}", response=s.ExportOut)
def get_export(request: HttpRequest, export_id: int) -> Any:
    return orgchart.export_for(request.user, export_id)
