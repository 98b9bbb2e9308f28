"""Directory pages: the tree and search, person pages and photos, the profile, and the admin
pages for people, departments, roles, API tokens and the org chart.

Thin like ``http.py``: parse with a form, call one service, show the result. Services decide
who may do what; these views only avoid showing what the person could not use.
"""

from __future__ import annotations

import mimetypes
import uuid
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from taihe.kernel import authz
from taihe.kernel.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from taihe.kernel.http.pages import forbidden, not_found, show_errors
from taihe.kernel.http.tokens import MAX_LIFETIME_DAYS, SCOPES
from taihe.modules.directory import operations as ops
from taihe.modules.directory import orgchart, selectors, services
from taihe.modules.directory.models import (
    Department,
    OrgChartExport,
    Person,
    Position,
    Role,
)

PAGE_SIZE = 25


# --- Shared page helpers ------------------------------------------------------------------

def domain_error_response(request: HttpRequest, error: DomainError) -> HttpResponse | None:
    """The page for a permission or not-found error; None for errors a form shows."""
    if isinstance(error, PermissionDenied):
        return forbidden(request, error.detail if error.detail != error.default_detail else None)
    if isinstance(error, NotFound):
        return not_found(request)
    return None


def paginate(request: HttpRequest, rows: Any, size: int = PAGE_SIZE) -> tuple[Page[Any], str]:
    """The requested page, and the query string without ``page`` for the page links."""
    page = Paginator(rows, size).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return fallback


def department_choices(departments: QuerySet[Department], *, blank: Any = None,
                       ) -> list[tuple[str, str]]:
    """Departments as indented options, in tree order."""
    choices: list[tuple[str, str]] = [("", str(blank))] if blank is not None else []
    for department in departments.order_by("path"):
        label = "\u2003" * department.depth + department.name
        if department.name_en and department.name_zh and department.name != department.name_en:
            label += f" · {department.name_en}"
        elif department.name_zh and department.name != department.name_zh:
            label += f" · {department.name_zh}"
        if not department.is_open:
            label += " (" + _("closed") + ")"
        choices.append((str(department.pk), label))
    return choices


def manageable_departments(request: HttpRequest, code: str) -> QuerySet[Department]:
    """Open departments in which the person may perform ``code``."""
    return authz.scope_filter(request.user, code, selectors.departments_for(request.user),
                              department_field="id")


def find_person(request: HttpRequest, form: forms.Form, field_name: str) -> int | None:
    """Resolve a username (or employee number) typed into ``field_name`` among the people the
    person may see; adds a field error when nobody matches."""
    text = (form.cleaned_data.get(field_name) or "").strip()
    if not text:
        return None
    found = selectors.people_for(request.user).filter(username__iexact=text).first() or (
        selectors.people_for(request.user).filter(employee_number__iexact=text).first())
    if found is None:
        form.add_error(field_name, _("No active person with this username or employee number."))
        return None
    return found.pk


# --- Directory: tree, search, person pages --------------------------------------------------

@dataclass
class TreeNode:
    department: Department
    count: int
    children: list[TreeNode] = field(default_factory=list)
    open: bool = False
    current: bool = False


def department_tree(actor: Any, current_id: int | None = None) -> list[TreeNode]:
    """The open departments as a tree; each node counts the active people the actor may
    see in it and all its sub-departments."""
    departments = list(selectors.departments_for(actor))
    direct = dict(selectors.people_for(actor).order_by().values_list("department_id")
                  .annotate(n=Count("id")).values_list("department_id", "n"))
    totals: dict[int, int] = {}
    by_id = {d.pk: d for d in departments}
    for department_id, count in direct.items():
        if department_id is None or department_id not in by_id:
            continue
        for ancestor in [*by_id[department_id].ancestor_ids(), department_id]:
            totals[ancestor] = totals.get(ancestor, 0) + count
    current = by_id.get(current_id) if current_id else None
    open_ids = set(current.ancestor_ids()) if current else set()
    nodes = {d.pk: TreeNode(d, totals.get(d.pk, 0), open=(d.depth == 0 or d.pk in open_ids),
                            current=d.pk == current_id) for d in departments}
    roots: list[TreeNode] = []
    for department in departments:
        node = nodes[department.pk]
        parent = nodes.get(department.parent_id) if department.parent_id else None
        (parent.children if parent else roots).append(node)
    return roots


class SearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search people"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={
                            "type": "search", "autocomplete": "off",
                            "placeholder": gettext_lazy("Name, username, number, email or phone"),
                        }))
    department = forms.IntegerField(required=False, widget=forms.HiddenInput)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    if not authz.can(request.user, ops.PERSON_VIEW.code):
        return forbidden(request)
    form = SearchForm(request.GET)
    query, department_id = "", None
    if form.is_valid():
        query = form.cleaned_data["q"] or ""
        department_id = form.cleaned_data["department"]
    department = None
    if department_id is not None:
        try:
            department = selectors.department_for(request.user, department_id)
        except NotFound:
            return not_found(request)
    people = selectors.people_for(request.user, search=query, department_id=department_id)
    page, query_string = paginate(request, people)
    return render(request, "directory/index.html", {
        "form": form, "query": query, "department": department,
        "tree": department_tree(request.user, department_id),
        "page_obj": page, "query_string": query_string,
    })


def head_chain(person: Person, levels: int = 6) -> list[Person]:
    chain: list[Person] = []
    for level in range(1, levels + 1):
        head = selectors.head_of(person.pk, level)
        if head is None or head in chain:
            break
        chain.append(head)
    return chain


@login_required
def person_page(request: HttpRequest, person_id: int) -> HttpResponse:
    try:
        person = selectors.person_for(request.user, person_id)
    except NotFound:
        return not_found(request)
    path: list[Department] = []
    if person.department is not None:
        ids = [*person.department.ancestor_ids(), person.department.pk]
        found = {d.pk: d for d in selectors.departments_for(request.user, include_closed=True)
                 .filter(pk__in=ids)}
        path = [found[i] for i in ids if i in found]
    return render(request, "directory/person.html", {
        "person": person,
        "department_path": path,
        "heads": head_chain(person) if person.is_active else [],
        "headed": person.headed_departments.filter(closed_at__isnull=True),
        "may_edit": authz.can(request.user, ops.PERSON_MANAGE.code,
                              department_id=person.department_id),
    })


@login_required
def person_photo(request: HttpRequest, person_id: int) -> HttpResponse | FileResponse:
    """Photos are served only to people who may see the person, never from /media/."""
    try:
        person = selectors.person_for(request.user, person_id)
    except NotFound:
        return not_found(request)
    if not person.photo:
        return not_found(request)
    try:
        handle = person.photo.open("rb")
    except FileNotFoundError:
        return not_found(request)
    content_type = mimetypes.guess_type(person.photo.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=300"
    return response


# --- Profile ----------------------------------------------------------------------------------

LANGUAGE_CHOICES = [("", gettext_lazy("Follow the browser")), ("en", "English"),
                    ("zh-hans", "简体中文")]


class ProfileForm(forms.Form):
    email = forms.CharField(label=gettext_lazy("Email"), required=False, max_length=254,
                            widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = forms.CharField(label=gettext_lazy("Phone"), required=False, max_length=32,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
    language = forms.ChoiceField(label=gettext_lazy("Language"), required=False,
                                 choices=LANGUAGE_CHOICES)


class PhotoForm(forms.Form):
    photo = forms.ImageField(label=gettext_lazy("New photo"),
                             help_text=gettext_lazy("JPEG, PNG or WebP, up to 5 MB."))


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    from django.conf import settings

    if language:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language,
                            max_age=settings.LANGUAGE_COOKIE_AGE, samesite="Lax")
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    person: Person = request.user  # type: ignore[assignment]
    form = ProfileForm(initial={"email": person.email, "phone": person.phone,
                                "language": person.language})
    status = 200
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                services.do_update_own_profile(person, phone=form.cleaned_data["phone"],
                                               email=form.cleaned_data["email"],
                                               language=form.cleaned_data["language"])
            except ValidationFailed as error:
                show_errors(form, error)
            else:
                language = person.language or translation.get_language_from_request(request)
                translation.activate(language)
                messages.success(request, _("Your profile is saved."))
                response = redirect("directory:profile")
                _set_language_cookie(response, person.language)
                return response
        status = 422
    return render(request, "directory/profile.html", {
        "form": form, "photo_form": PhotoForm(), "person": person,
        "assignments": person.role_assignments.select_related("role", "department"),
        "tab": "profile",
    }, status=status)


@login_required
@require_POST
def profile_photo(request: HttpRequest) -> HttpResponse:
    person: Person = request.user  # type: ignore[assignment]
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.do_set_photo(person, person, form.cleaned_data["photo"])
        except ValidationFailed as error:
            messages.error(request, " ".join(error.fields.values()) or str(error.detail))
        else:
            messages.success(request, _("Your photo is updated."))
    else:
        messages.error(request, " ".join(str(e) for e in form.errors.get("photo", [])))
    return redirect("directory:profile")


@login_required
@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """The language switcher for signed-in people: remembered on their record."""
    person: Person = request.user  # type: ignore[assignment]
    chosen = request.POST.get("language", "")
    if chosen not in {"en", "zh-hans"}:
        return redirect(safe_next(request, reverse("workbench:home")))
    if person.language != chosen:
        services.do_update_own_profile(person, language=chosen)
    translation.activate(chosen)
    response = HttpResponseRedirect(safe_next(request, reverse("workbench:home")))
    _set_language_cookie(response, chosen)
    return response


LIFETIME_CHOICES = [(7, gettext_lazy("7 days")), (30, gettext_lazy("30 days")),
                    (90, gettext_lazy("90 days")), (180, gettext_lazy("180 days")),
                    (365, gettext_lazy("1 year")), (MAX_LIFETIME_DAYS, gettext_lazy("2 years"))]
SCOPE_LABELS = {"read": gettext_lazy("Read: look things up"),
                "write": gettext_lazy("Write: change things on my behalf")}


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100, help_text=gettext_lazy(
        "What the token is for, e.g. “Gallery 3 sensor gateway”."))
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Scopes"), widget=forms.CheckboxSelectMultiple,
        choices=[(scope, SCOPE_LABELS.get(scope, scope)) for scope in SCOPES],
        initial=["read"])
    days = forms.TypedChoiceField(label=gettext_lazy("Lifetime"), coerce=int,
                                  choices=LIFETIME_CHOICES, initial=90)


@login_required
def my_tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm()
    issued = None
    status = 200
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            try:
                issued = services.do_issue_token(request.user, name=form.cleaned_data["name"],
                                                 scopes=form.cleaned_data["scopes"],
                                                 days=form.cleaned_data["days"])
            except ValidationFailed as error:
                show_errors(form, error)
                status = 422
            else:
                form = TokenForm()
        else:
            status = 422
    response = render(request, "directory/tokens.html", {
        "form": form, "issued": issued, "tab": "tokens",
        "tokens": selectors.tokens_for(request.user),
    }, status=status)
    # The secret is shown once: never keep this page in any cache.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = services.do_revoke_token(request.user, token_id)
    except NotFound:
        return not_found(request)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    fallback = reverse("directory:my_tokens")
    return redirect(safe_next(request, fallback))


# --- Admin: people ------------------------------------------------------------------------------

STATUS_FILTERS = [("", gettext_lazy("Any status")), *Person.Status.choices]
ACTIVE_FILTERS = [("active", gettext_lazy("Active")), ("inactive", gettext_lazy("Deactivated")),
                  ("all", gettext_lazy("Everyone"))]


class PeopleFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search"}))
    department = forms.TypedChoiceField(label=gettext_lazy("Department"), required=False,
                                        coerce=int, empty_value=None)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False,
                               choices=STATUS_FILTERS)
    active = forms.ChoiceField(label=gettext_lazy("Accounts"), required=False,
                               choices=ACTIVE_FILTERS)


@login_required
def manage_people(request: HttpRequest) -> HttpResponse:
    if not authz.can(request.user, ops.PERSON_MANAGE.code):
        return forbidden(request)
    form = PeopleFilterForm(request.GET)
    form.fields["department"].choices = department_choices(  # type: ignore[attr-defined]
        manageable_departments(request, ops.PERSON_MANAGE.code), blank=_("All departments"))
    data = form.cleaned_data if form.is_valid() else {}
    active = data.get("active") or "active"
    people = selectors.people_for(request.user, search=data.get("q") or "",
                                  department_id=data.get("department"),
                                  include_inactive=active != "active")
    people = authz.scope_filter(request.user, ops.PERSON_MANAGE.code, people)
    if active == "inactive":
        people = people.filter(is_active=False)
    if data.get("status"):
        people = people.filter(status=data["status"])
    page, query_string = paginate(request, people)
    return render(request, "directory/manage/people.html", {
        "form": form, "page_obj": page, "query_string": query_string, "section": "people",
    })


class PersonForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Username"), max_length=80)
    name_zh = forms.CharField(label=gettext_lazy("Name in Chinese"), max_length=80, required=False)
    name_en = forms.CharField(label=gettext_lazy("Name in English"), max_length=120,
                              required=False)
    employee_number = forms.CharField(label=gettext_lazy("Employee number"), max_length=32,
                                      required=False)
    email = forms.CharField(label=gettext_lazy("Email"), max_length=254, required=False,
                            widget=forms.EmailInput)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=32, required=False)
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=Person.Status.choices)
    department_id = forms.TypedChoiceField(label=gettext_lazy("Department"), coerce=int,
                                           required=False, empty_value=None)
    position_id = forms.TypedChoiceField(label=gettext_lazy("Position"), coerce=int,
                                         required=False, empty_value=None)
    language = forms.ChoiceField(label=gettext_lazy("Language"), required=False,
                                 choices=LANGUAGE_CHOICES)

    def __init__(self, *args: Any, departments: QuerySet[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department_id"].choices = department_choices(  # type: ignore[attr-defined]
            departments, blank=_("No department"))
        self.fields["position_id"].choices = [  # type: ignore[attr-defined]
            ("", _("No position")),
            *((str(p.pk), p.title) for p in Position.objects.all())]

    def as_input(self) -> services.PersonInput:
        data = self.cleaned_data
        return services.PersonInput(
            username=data["username"], name_zh=data["name_zh"], name_en=data["name_en"],
            employee_number=data["employee_number"], email=data["email"], phone=data["phone"],
            status=data["status"], department_id=data["department_id"],
            position_id=data["position_id"], language=data["language"])


class NewPersonForm(PersonForm):
    password = forms.CharField(
        label=gettext_lazy("First password"), required=False, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("Leave empty to let the person set one by password reset."))


@login_required
def manage_person_create(request: HttpRequest) -> HttpResponse:
    if not authz.can(request.user, ops.PERSON_MANAGE.code):
        return forbidden(request)
    departments = manageable_departments(request, ops.PERSON_MANAGE.code)
    form = NewPersonForm(request.POST or None, departments=departments,
                         initial={"status": Person.Status.STAFF})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                person = services.do_create_person(request.user, form.as_input(),
                                                   password=form.cleaned_data["password"] or None)
            except ValidationFailed as error:
                show_errors(form, error)
            except DomainError as error:
                response = domain_error_response(request, error)
                if response is not None:
                    return response
                show_errors(form, error)
            else:
                messages.success(request, _("%(name)s is added to the directory.") % {
                    "name": person.display_name})
                return redirect("directory:manage_person", person.pk)
        status = 422
    return render(request, "directory/manage/person_form.html", {
        "form": form, "section": "people", "person": None}, status=status)


def _managed_person(request: HttpRequest, person_id: int) -> Person | None:
    rows = authz.scope_filter(request.user, ops.PERSON_MANAGE.code,
                              selectors.people_for(request.user, include_inactive=True))
    return rows.filter(pk=person_id).first()


class AssignRoleForm(forms.Form):
    role = forms.TypedChoiceField(label=gettext_lazy("Role"), coerce=int)
    department_id = forms.TypedChoiceField(label=gettext_lazy("Where"), coerce=int,
                                           required=False, empty_value=None)
    include_subdepartments = forms.BooleanField(label=gettext_lazy("Include sub-departments"),
                                                required=False, initial=True)
    person = forms.CharField(label=gettext_lazy("Person (username or employee number)"),
                             max_length=80, required=False)

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [  # type: ignore[attr-defined]
            (str(r.pk), r.name) for r in selectors.roles_for(request.user)]
        scoped = authz.actor_for(request.user).departments_for(ops.ROLE_ASSIGN.code)
        self.fields["department_id"].choices = department_choices(  # type: ignore[attr-defined]
            manageable_departments(request, ops.ROLE_ASSIGN.code),
            blank=_("The whole museum") if scoped is None else None)


def _person_form_page(request: HttpRequest, person: Person, form: PersonForm,
                      status: int = 200, assign_form: AssignRoleForm | None = None,
                      ) -> HttpResponse:
    may_assign = authz.can(request.user, ops.ROLE_ASSIGN.code,
                           department_id=person.department_id)
    return render(request, "directory/manage/person_form.html", {
        "form": form, "person": person, "section": "people",
        "assignments": selectors.assignments_for(request.user, person_id=person.pk),
        "may_assign": may_assign,
        "assign_form": assign_form or (AssignRoleForm(request=request, initial={
            "department_id": person.department_id}) if may_assign else None),
        "photo_form": PhotoForm(),
    }, status=status)


@login_required
def manage_person(request: HttpRequest, person_id: int) -> HttpResponse:
    if not authz.can(request.user, ops.PERSON_MANAGE.code):
        return forbidden(request)
    person = _managed_person(request, person_id)
    if person is None:
        return not_found(request)
    departments = manageable_departments(request, ops.PERSON_MANAGE.code)
    if person.department_id and not departments.filter(pk=person.department_id).exists():
        departments = departments | Department.objects.filter(pk=person.department_id)
    if request.method != "POST":
        form = PersonForm(departments=departments, initial={
            "username": person.username, "name_zh": person.name_zh, "name_en": person.name_en,
            "employee_number": person.employee_number or "", "email": person.email,
            "phone": person.phone, "status": person.status,
            "department_id": person.department_id, "position_id": person.position_id,
            "language": person.language})
        return _person_form_page(request, person, form)
    form = PersonForm(request.POST, departments=departments)
    if form.is_valid():
        try:
            services.do_update_person(request.user, person, form.as_input())
        except ValidationFailed as error:
            show_errors(form, error)
        except DomainError as error:
            response = domain_error_response(request, error)
            if response is not None:
                return response
            show_errors(form, error)
        else:
            messages.success(request, _("Changes to %(name)s are saved.") % {
                "name": person.display_name})
            return redirect("directory:manage_person", person.pk)
    person.refresh_from_db()
    return _person_form_page(request, person, form, status=422)


@login_required
@require_POST
def manage_person_photo(request: HttpRequest, person_id: int) -> HttpResponse:
    if not authz.can(request.user, ops.PERSON_MANAGE.code):
        return forbidden(request)
    person = _managed_person(request, person_id)
    if person is None:
        return not_found(request)
    form = PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors.get("photo", [])))
        return redirect("directory:manage_person", person.pk)
    try:
        services.do_set_photo(request.user, person, form.cleaned_data["photo"])
    except ValidationFailed as error:
        messages.error(request, " ".join(error.fields.values()) or str(error.detail))
    except DomainError as error:
        return domain_error_response(request, error) or forbidden(request)
    else:
        messages.success(request, _("The photo is updated."))
    return redirect("directory:manage_person", person.pk)


@login_required
@require_POST
def manage_person_deactivate(request: HttpRequest, person_id: int) -> HttpResponse:
    if not authz.can(request.user, ops.PERSON_MANAGE.code):
        return forbidden(request)
    person = _managed_person(request, person_id)
    if person is None:
        return not_found(request)
    try:
        services.do_deactivate_person(request.user, person)
    except DomainError as error:
        response = domain_error_response(request, error)
        if response is not None:
            return response
        messages.error(request, str(error.detail))
    else:
        messages.success(request, _("%(name)s is deactivated: they can no longer sign in, and "
                                    "their API tokens are revoked.") % {
            "name": person.display_name})
    return redirect("directory:manage_person", person.pk)


# --- Admin: departments -------------------------------------------------------------------

class DepartmentForm(forms.Form):
    code = forms.SlugField(label=gettext_lazy("Code"), max_length=40, help_text=gettext_lazy(
        "A short unique id used by imports, e.g. “conservation-paper”."))
    name_zh = forms.CharField(label=gettext_lazy("Name in Chinese"), max_length=120)
    name_en = forms.CharField(label=gettext_lazy("Name in English"), max_length=120,
                              required=False)
    parent_id = forms.TypedChoiceField(label=gettext_lazy("Part of"), coerce=int,
                                       required=False, empty_value=None)
    head = forms.CharField(label=gettext_lazy("Head (username or employee number)"),
                           max_length=80, required=False,
                           widget=forms.TextInput(attrs={"list": "people-list"}))
    sort_order = forms.IntegerField(label=gettext_lazy("Order among its siblings"),
                                    min_value=0, initial=0, required=False)


class RenameDepartmentForm(forms.Form):
    name_zh = forms.CharField(label=gettext_lazy("Name in Chinese"), max_length=120)
    name_en = forms.CharField(label=gettext_lazy("Name in English"), max_length=120,
                              required=False)
    head = forms.CharField(label=gettext_lazy("Head (username or employee number)"),
                           max_length=80, required=False,
                           widget=forms.TextInput(attrs={"list": "people-list"}),
                           help_text=gettext_lazy("Leave empty for no head."))
    sort_order = forms.IntegerField(label=gettext_lazy("Order among its siblings"),
                                    min_value=0, required=False)


class MoveDepartmentForm(forms.Form):
    parent_id = forms.TypedChoiceField(label=gettext_lazy("Move under"), coerce=int,
                                       required=False, empty_value=None)


class MergeDepartmentForm(forms.Form):
    into_id = forms.TypedChoiceField(label=gettext_lazy("Merge into"), coerce=int)


def _top_level_allowed(request: HttpRequest) -> bool:
    actor = authz.actor_for(request.user)
    return actor.departments_for(ops.DEPARTMENT_MANAGE.code) is None


@login_required
def manage_departments(request: HttpRequest) -> HttpResponse:
    if not authz.can(request.user, ops.DEPARTMENT_MANAGE.code):
        return forbidden(request)
    parents = manageable_departments(request, ops.DEPARTMENT_MANAGE.code)
    form = DepartmentForm(request.POST or None)
    form.fields["parent_id"].choices = department_choices(  # type: ignore[attr-defined]
        parents, blank=_("Top level") if _top_level_allowed(request) else None)
    status = 200
    if request.method == "POST":
        head_id = find_person(request, form, "head") if form.is_valid() else None
        if form.is_valid():
            data = form.cleaned_data
            try:
                department = services.do_create_department(
                    request.user, code=data["code"], name_zh=data["name_zh"],
                    name_en=data["name_en"], parent_id=data["parent_id"], head_id=head_id,
                    sort_order=data["sort_order"] or 0)
            except ValidationFailed as error:
                show_errors(form, error)
            except DomainError as error:
                response = domain_error_response(request, error)
                if response is not None:
                    return response
                show_errors(form, error)
            else:
                messages.success(request, _("The department %(name)s is created.") % {
                    "name": department.name})
                return redirect("directory:manage_departments")
        status = 422
    departments = selectors.departments_for(request.user, include_closed=True)
    show_closed = request.GET.get("closed") == "1"
    if not show_closed:
        departments = departments.filter(closed_at__isnull=True)
    counts = dict(selectors.people_for(request.user).order_by().values_list("department_id")
                  .annotate(n=Count("id")).values_list("department_id", "n"))
    manageable = set(parents.values_list("id", flat=True))
    rows = [{"department": d, "members": counts.get(d.pk, 0), "may_edit": d.pk in manageable}
            for d in departments]
    return render(request, "directory/manage/departments.html", {
        "form": form, "rows": rows, "section": "departments", "show_closed": show_closed,
        "people": selectors.people_for(request.user).select_related(None).only(
            "username", "name_zh", "name_en"),
    }, status=status)


def _managed_department(request: HttpRequest, department_id: int) -> Department | None:
    return authz.scope_filter(
        request.user, ops.DEPARTMENT_MANAGE.code,
        selectors.departments_for(request.user, include_closed=True),
        department_field="id").filter(pk=department_id).first()


def _department_page(request: HttpRequest, department: Department, *,
                     rename: RenameDepartmentForm | None = None,
                     move: MoveDepartmentForm | None = None,
                     merge: MergeDepartmentForm | None = None, status: int = 200,
                     ) -> HttpResponse:
    targets = manageable_departments(request, ops.DEPARTMENT_MANAGE.code).exclude(
        path__startswith=department.path)
    rename = rename or RenameDepartmentForm(initial={
        "name_zh": department.name_zh, "name_en": department.name_en,
        "head": department.head.username if department.head else "",
        "sort_order": department.sort_order})
    move = move or MoveDepartmentForm(initial={"parent_id": department.parent_id})
    move.fields["parent_id"].choices = department_choices(  # type: ignore[attr-defined]
        targets, blank=_("Top level") if _top_level_allowed(request) else None)
    merge = merge or MergeDepartmentForm()
    merge.fields["into_id"].choices = department_choices(targets)  # type: ignore[attr-defined]
    return render(request, "directory/manage/department_form.html", {
        "department": department, "rename_form": rename, "move_form": move,
        "merge_form": merge, "section": "departments",
        "members": selectors.people_for(request.user, department_id=department.pk,
                                        include_subdepartments=False).count(),
        "children": department.children.filter(closed_at__isnull=True),
        "people": selectors.people_for(request.user).select_related(None).only(
            "username", "name_zh", "name_en"),
    }, status=status)


def _department_or_error(request: HttpRequest, department_id: int,
                         ) -> tuple[Department | None, HttpResponse | None]:
    if not authz.can(request.user, ops.DEPARTMENT_MANAGE.code):
        return None, forbidden(request)
    department = _managed_department(request, department_id)
    if department is None:
        return None, not_found(request)
    return department, None


@login_required
def manage_department(request: HttpRequest, department_id: int) -> HttpResponse:
    department, error_page = _department_or_error(request, department_id)
    if department is None:
        return error_page  # type: ignore[return-value]
    if request.method != "POST":
        return _department_page(request, department)
    form = RenameDepartmentForm(request.POST)
    head_id = find_person(request, form, "head") if form.is_valid() else None
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.do_update_department(
                request.user, department, name_zh=data["name_zh"], name_en=data["name_en"],
                head_id=head_id, clear_head=head_id is None, sort_order=data["sort_order"])
        except DomainError as error:
            response = domain_error_response(request, error)
            if response is not None:
                return response
            show_errors(form, error)
        else:
            messages.success(request, _("The department is saved."))
            return redirect("directory:manage_department", department.pk)
    department.refresh_from_db()
    return _department_page(request, department, rename=form, status=422)


@login_required
@require_POST
def manage_department_move(request: HttpRequest, department_id: int) -> HttpResponse:
    department, error_page = _department_or_error(request, department_id)
    if department is None:
        return error_page  # type: ignore[return-value]
    form = MoveDepartmentForm(request.POST)
    form.fields["parent_id"].choices = department_choices(  # type: ignore[attr-defined]
        selectors.departments_for(request.user), blank="-")
    if form.is_valid():
        try:
            services.do_move_department(request.user, department, form.cleaned_data["parent_id"])
        except DomainError as error:
            response = domain_error_response(request, error)
            if response is not None:
                return response
            show_errors(form, error)
        else:
            messages.success(request, _("The department is moved."))
            return redirect("directory:manage_department", department.pk)
    department.refresh_from_db()
    return _department_page(request, department, move=form, status=422)


@login_required
@require_POST
def manage_department_merge(request: HttpRequest, department_id: int) -> HttpResponse:
    department, error_page = _department_or_error(request, department_id)
    if department is None:
        return error_page  # type: ignore[return-value]
    form = MergeDepartmentForm(request.POST)
    form.fields["into_id"].choices = department_choices(  # type: ignore[attr-defined]
        selectors.departments_for(request.user))
    if form.is_valid():
        target = _managed_department(request, form.cleaned_data["into_id"])
        if target is None:
            form.add_error("into_id", _("Choose a department you manage."))
        else:
            try:
                services.do_merge_departments(request.user, department, target)
            except DomainError as error:
                response = domain_error_response(request, error)
                if response is not None:
                    return response
                show_errors(form, error)
            else:
                messages.success(request, _("%(source)s is merged into %(target)s and closed.")
                                 % {"source": department.name, "target": target.name})
                return redirect("directory:manage_department", target.pk)
    department.refresh_from_db()
    return _department_page(request, department, merge=form, status=422)


@login_required
@require_POST
def manage_department_close(request: HttpRequest, department_id: int) -> HttpResponse:
    department, error_page = _department_or_error(request, department_id)
    if department is None:
        return error_page  # type: ignore[return-value]
    try:
        services.do_close_department(request.user, department)
    except DomainError as error:
        response = domain_error_response(request, error)
        if response is not None:
            return response
        messages.error(request, str(error.detail))
    else:
        messages.success(request, _("The department is closed."))
    return redirect("directory:manage_department", department.pk)


# --- Admin: roles -------------------------------------------------------------------------------

class AssignmentFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Person"), required=False, max_length=80,
                        widget=forms.TextInput(attrs={"type": "search"}))
    role = forms.TypedChoiceField(label=gettext_lazy("Role"), coerce=int, required=False,
                                  empty_value=None)


@login_required
def manage_roles(request: HttpRequest) -> HttpResponse:
    if not (authz.can(request.user, ops.ROLE_ASSIGN.code)
            or authz.can(request.user, ops.ROLE_MANAGE.code)):
        return forbidden(request)
    return _roles_page(request)


def _roles_page(request: HttpRequest, assign_form: AssignRoleForm | None = None,
                status: int = 200) -> HttpResponse:
    may_assign = authz.can(request.user, ops.ROLE_ASSIGN.code)
    may_define = authz.can(request.user, ops.ROLE_MANAGE.code)
    roles = selectors.roles_for(request.user).annotate(holders=Count("assignments"))
    filters = AssignmentFilterForm(request.GET)
    filters.fields["role"].choices = [  # type: ignore[attr-defined]
        ("", _("All roles")), *((str(r.pk), r.name) for r in roles)]
    assignments = selectors.assignments_for(request.user)
    if filters.is_valid():
        text = filters.cleaned_data["q"].strip()
        if text:
            visible = selectors.people_for(request.user, search=text, include_inactive=True)
            assignments = assignments.filter(person__in=visible.values("id"))
        if filters.cleaned_data["role"]:
            assignments = assignments.filter(role_id=filters.cleaned_data["role"])
    page, query_string = paginate(
        request, assignments.order_by("role__code", "person__username", "department__path"))
    return render(request, "directory/manage/roles.html", {
        "roles": roles, "filters": filters, "page_obj": page, "query_string": query_string,
        "may_assign": may_assign, "may_define": may_define, "section": "roles",
        "assign_form": assign_form or (AssignRoleForm(request=request) if may_assign else None),
        "people": selectors.people_for(request.user).select_related(None).only(
            "username", "name_zh", "name_en"),
    }, status=status)


@login_required
@require_POST
def manage_role_assign(request: HttpRequest) -> HttpResponse:
    if not authz.can(request.user, ops.ROLE_ASSIGN.code):
        return forbidden(request)
    form = AssignRoleForm(request.POST, request=request)
    back_to = request.POST.get("back_to_person")
    if form.is_valid():
        if back_to:
            person = _managed_person(request, int(back_to)) if back_to.isdigit() else None
            person_id = person.pk if person else None
            if person_id is None:
                form.add_error(None, _("You may not give roles to this person."))
        else:
            person_id = find_person(request, form, "person")
            if person_id is None and not form.errors:
                form.add_error("person", _("Name the person who gets the role."))
        if person_id is not None and form.is_valid():
            person = Person.objects.get(pk=person_id)
            role = selectors.roles_for(request.user).get(pk=form.cleaned_data["role"])
            try:
                services.do_assign_role(
                    request.user, person, role, department_id=form.cleaned_data["department_id"],
                    include_subdepartments=form.cleaned_data["include_subdepartments"])
            except DomainError as error:
                if isinstance(error, NotFound):
                    return not_found(request)
                show_errors(form, error)
            else:
                messages.success(request, _("%(person)s now has the role %(role)s.") % {
                    "person": person.display_name, "role": role.name})
                if back_to:
                    return redirect("directory:manage_person", person.pk)
                return redirect("directory:manage_roles")
    if back_to and back_to.isdigit():
        person = _managed_person(request, int(back_to))
        if person is None:
            return not_found(request)
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, errors or _("The role could not be given."))
        return redirect("directory:manage_person", person.pk)
    return _roles_page(request, assign_form=form, status=422)


@login_required
@require_POST
def manage_role_revoke(request: HttpRequest, assignment_id: int) -> HttpResponse:
    if not authz.can(request.user, ops.ROLE_ASSIGN.code):
        return forbidden(request)
    assignment = selectors.assignments_for(request.user).filter(pk=assignment_id).first()
    if assignment is None:
        return not_found(request)
    try:
        services.do_revoke_role(request.user, assignment)
    except DomainError as error:
        response = domain_error_response(request, error)
        if response is not None:
            return response
        messages.error(request, str(error.detail))
    else:
        messages.success(request, _("The role %(role)s is taken from %(person)s.") % {
            "role": assignment.role.name, "person": assignment.person.display_name})
    return redirect(safe_next(request, reverse("directory:manage_roles")))


class RoleForm(forms.Form):
    code = forms.SlugField(label=gettext_lazy("Code"), max_length=40)
    name_zh = forms.CharField(label=gettext_lazy("Name in Chinese"), max_length=80)
    name_en = forms.CharField(label=gettext_lazy("Name in English"), max_length=80)
    description = forms.CharField(label=gettext_lazy("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    everything = forms.BooleanField(label=gettext_lazy(
        "Everything, now and in future modules (administrators only)"), required=False)
    operations = forms.MultipleChoiceField(label=gettext_lazy("Operations"), required=False,
                                           widget=forms.CheckboxSelectMultiple)
    patterns = forms.CharField(label=gettext_lazy("Whole modules or entities"), required=False,
                               max_length=500, help_text=gettext_lazy(
                                   "Comma-separated, e.g. “directory.*, catalog.object.*”."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["operations"].choices = [  # type: ignore[attr-defined]
            (op.code, f"{op.label} ({op.code})") for op in authz.operations()]

    def chosen(self) -> list[str]:
        data = self.cleaned_data
        codes = list(data["operations"])
        codes += [p.strip() for p in data["patterns"].split(",") if p.strip()]
        if data["everything"]:
            codes.append("*")
        return codes


def _role_initial(role: Role) -> dict[str, Any]:
    known = {op.code for op in authz.operations()}
    return {"code": role.code, "name_zh": role.name_zh, "name_en": role.name_en,
            "description": role.description, "everything": "*" in role.operations,
            "operations": [c for c in role.operations if c in known],
            "patterns": ", ".join(c for c in role.operations if c not in known and c != "*")}


@login_required
def manage_role(request: HttpRequest, role_id: int | None = None) -> HttpResponse:
    may_define = authz.can(request.user, ops.ROLE_MANAGE.code)
    if not (may_define or authz.can(request.user, ops.ROLE_ASSIGN.code)):
        return forbidden(request)
    role = None
    if role_id is not None:
        role = selectors.roles_for(request.user).filter(pk=role_id).first()
        if role is None:
            return not_found(request)
    elif not may_define:
        return forbidden(request)
    if request.method == "POST" and not may_define:
        return forbidden(request)
    form = RoleForm(request.POST or None, initial=_role_initial(role) if role else None)
    if role is not None:
        form.fields["code"].disabled = True
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                role = services.do_save_role(
                    request.user, code=role.code if role else form.cleaned_data["code"],
                    name_zh=form.cleaned_data["name_zh"], name_en=form.cleaned_data["name_en"],
                    description=form.cleaned_data["description"], operations=form.chosen(),
                    role=role)
            except DomainError as error:
                response = domain_error_response(request, error)
                if response is not None:
                    return response
                fields = dict(error.fields)
                if "operations" in fields:
                    form.add_error("patterns", fields.pop("operations"))
                for name, message in fields.items():
                    form.add_error(name if name in form.fields else None, message)
                if not error.fields:
                    form.add_error(None, str(error.detail))
            else:
                messages.success(request, _("The role %(name)s is saved.") % {"name": role.name})
                return redirect("directory:manage_role", role.pk)
        status = 422
    if not may_define:
        for bound in form.fields.values():
            bound.disabled = True
    return render(request, "directory/manage/role_form.html", {
        "form": form, "role": role, "may_define": may_define, "section": "roles",
        "operation_groups": _operation_groups(form),
    }, status=status)


def _operation_groups(form: RoleForm) -> list[tuple[str, list[Any]]]:
    """The operation checkboxes grouped by module, for a readable form."""
    groups: dict[str, list[Any]] = {}
    for checkbox in form["operations"]:
        module = str(checkbox.data["value"]).split(".", 1)[0]
        groups.setdefault(module, []).append(checkbox)
    return sorted(groups.items())


# --- Admin: API tokens ---------------------------------------------------------------------

@login_required
def manage_tokens(request: HttpRequest) -> HttpResponse:
    if not authz.can(request.user, ops.TOKEN_MANAGE.code):
        return forbidden(request)
    rows = selectors.tokens_for(request.user, everyone=True)
    text = request.GET.get("q", "").strip()[:80]
    if text:
        rows = rows.filter(owner__username__icontains=text) | rows.filter(name__icontains=text)
    state = request.GET.get("state", "active")
    if state == "active":
        rows = rows.filter(revoked_at__isnull=True)
    page, query_string = paginate(request, rows.order_by("-created_at"))
    return render(request, "directory/manage/tokens.html", {
        "page_obj": page, "query_string": query_string, "q": text, "state": state,
        "section": "tokens",
    })


# --- Admin: org chart import and export -------------------------------------------------

class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Org chart file"), help_text=gettext_lazy(
        "CSV (UTF-8) or Excel (.xlsx) with the columns of an export."))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > 10 * 1024 * 1024:
            raise forms.ValidationError(_("The file must be smaller than 10 MB."))
        return upload


PENDING_IMPORT = "directory.pending_import"


def _orgchart_page(request: HttpRequest, *, form: ImportForm | None = None,
                   report: Any = None, status: int = 200) -> HttpResponse:
    may_import = authz.can(request.user, ops.ORGCHART_IMPORT.code)
    may_export = authz.can(request.user, ops.ORGCHART_EXPORT.code)
    exports = orgchart.exports_for(request.user)[:10] if may_export else []
    return render(request, "directory/manage/orgchart.html", {
        "form": form or (ImportForm() if may_import else None), "report": report,
        "pending": request.session.get(PENDING_IMPORT), "may_import": may_import,
        "may_export": may_export, "exports": exports, "columns": orgchart.COLUMNS,
        "section": "orgchart",
    }, status=status)


@login_required
def manage_orgchart(request: HttpRequest) -> HttpResponse:
    if not (authz.can(request.user, ops.ORGCHART_IMPORT.code)
            or authz.can(request.user, ops.ORGCHART_EXPORT.code)):
        return forbidden(request)
    return _orgchart_page(request)


def _forget_pending(request: HttpRequest) -> None:
    pending = request.session.pop(PENDING_IMPORT, None)
    if pending and default_storage.exists(pending["path"]):
        default_storage.delete(pending["path"])


@login_required
@require_POST
def manage_orgchart_check(request: HttpRequest) -> HttpResponse:
    """Step one: upload and dry-run. The file is kept for step two only when it is clean."""
    if not authz.can(request.user, ops.ORGCHART_IMPORT.code):
        return forbidden(request)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _orgchart_page(request, form=form, status=422)
    upload = form.cleaned_data["file"]
    data = upload.read()
    _forget_pending(request)
    try:
        report = orgchart.do_import_org_chart(request.user, data, upload.name, dry_run=True)
    except DomainError as error:
        response = domain_error_response(request, error)
        if response is not None:
            return response
        show_errors(form, error)
        return _orgchart_page(request, form=form, status=422)
    if not report.errors:
        path = default_storage.save(f"imports/{uuid.uuid4().hex}-{upload.name[-60:]}",
                                    ContentFile(data))
        request.session[PENDING_IMPORT] = {"path": path, "filename": upload.name,
                                           "rows": report.rows, "created": report.created,
                                           "updated": report.updated}
    return _orgchart_page(request, report=report, status=200 if not report.errors else 422)


@login_required
@require_POST
def manage_orgchart_apply(request: HttpRequest) -> HttpResponse:
    if not authz.can(request.user, ops.ORGCHART_IMPORT.code):
        return forbidden(request)
    pending = request.session.get(PENDING_IMPORT)
    if request.POST.get("cancel") or not pending:
        _forget_pending(request)
        if not pending:
            messages.error(request, _("Check a file first; nothing was imported."))
        return redirect("directory:orgchart")
    if not default_storage.exists(pending["path"]):
        request.session.pop(PENDING_IMPORT, None)
        messages.error(request, _("The checked file is gone; upload it again."))
        return redirect("directory:orgchart")
    with default_storage.open(pending["path"], "rb") as handle:
        data = handle.read()
    try:
        report = orgchart.do_import_org_chart(request.user, data, pending["filename"],
                                              dry_run=False)
    except DomainError as error:
        response = domain_error_response(request, error)
        if response is not None:
            return response
        messages.error(request, str(error.detail))
        return redirect("directory:orgchart")
    _forget_pending(request)
    if report.errors:
        return _orgchart_page(request, report=report, status=422)
    messages.success(request, _("Imported %(rows)s rows: %(created)s added, %(updated)s updated, "
                                "%(unchanged)s unchanged.") % {
        "rows": report.rows, "created": report.created, "updated": report.updated,
        "unchanged": report.unchanged})
    return redirect("directory:orgchart")


@login_required
@require_POST
def manage_orgchart_export(request: HttpRequest) -> HttpResponse:
    if not authz.can(request.user, ops.ORGCHART_EXPORT.code):
        return forbidden(request)
    fmt = request.POST.get("format", "")
    if fmt not in {"csv", "xlsx"}:
        messages.error(request, _("Choose CSV or Excel."))
        return redirect("directory:orgchart")
    try:
        orgchart.do_request_export(request.user, fmt)
    except DomainError as error:
        return domain_error_response(request, error) or forbidden(request)
    messages.success(request, _("The export is being prepared. You will get a notification "
                                "when it is ready to download."))
    return redirect("directory:orgchart")


@login_required
def export_download(request: HttpRequest, export_id: int) -> HttpResponse | FileResponse:
    """Only the person who asked for an export may download it."""
    try:
        export = orgchart.export_for(request.user, export_id)
    except NotFound:
        return not_found(request)
    if export.status != OrgChartExport.Status.DONE or not export.file:
        messages.info(request, _("This export is not ready yet."))
        return redirect("directory:orgchart")
    content_type = ("text/csv; charset=utf-8" if export.format == "csv" else
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response = FileResponse(export.file.open("rb"), as_attachment=True,
                            filename=export.file.name.rsplit("/", 1)[-1],
                            content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response

