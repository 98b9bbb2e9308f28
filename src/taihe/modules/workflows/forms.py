"""Forms of the approval pages: inbox filters, actions on a request and delegations.

They only parse what a person typed; the services decide what is valid and allowed, and
their field messages are put back next to these fields. The approval forms themselves are
designed by HR and rendered from their field JSON (see ``views.FormRenderer``), not here.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from taihe.modules.workflows.models import Request

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

BOX_CHOICES = (
    ("todo", _("To do")),
    ("done", _("Done")),
    ("submitted", _("Submitted by me")),
    ("cc", _("CC'd to me")),
    ("all", _("All requests I may see")),
)

ACTIONS = ("approve", "reject", "transfer", "add_before", "add_after", "comment", "withdraw",
           "urge", "cancel", "reassign")
"""What the request page's panel may post to ``act``."""


def parse_ids(values: list[str] | str) -> list[int] | None:
    """Person (or other) ids typed or picked as "3, 5" or several inputs; None when any
    part is not a whole number."""
    parts: list[str] = []
    for value in [values] if isinstance(values, str) else values:
        parts.extend(part for part in re.split(r"[\s,，;；]+", value or "") if part)
    if not all(part.isdigit() and len(part) < 10 for part in parts):
        return None
    return [int(part) for part in parts]


class InboxFilterForm(forms.Form):
    box = forms.ChoiceField(choices=BOX_CHOICES, required=False)
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    process = forms.ChoiceField(label=_("Approval type"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status")), *Request.Status.choices])
    submitted_from = forms.DateField(label=_("Submitted from"), required=False,
                                     widget=DATE_WIDGET)
    submitted_to = forms.DateField(label=_("Submitted until"), required=False,
                                   widget=DATE_WIDGET)

    def __init__(self, *args: Any, processes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["process"].choices = [  # type: ignore[attr-defined]
            ("", _("All approvals")), *processes]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("submitted_from"), cleaned.get("submitted_to")
        if start and end and end < start:
            self.add_error("submitted_to", _("The last day is before the first."))
        return cleaned


class ActionForm(forms.Form):
    """One action on a request, posted by the request page's panel."""

    action = forms.ChoiceField(choices=[(name, name) for name in ACTIONS])
    task = forms.IntegerField(required=False, min_value=0, max_value=2**31 - 1)
    comment = forms.CharField(required=False, max_length=2000, strip=True)
    target = forms.CharField(required=False, max_length=64)
    person = forms.CharField(required=False, max_length=200)
    attachments = forms.CharField(required=False, max_length=2000)

    def person_id(self) -> int | None:
        ids = parse_ids(self.cleaned_data.get("person") or "")
        return ids[0] if ids and len(ids) == 1 else None

    def attachment_ids(self, extra: list[str]) -> list[int] | None:
        return parse_ids([self.cleaned_data.get("attachments") or "", *extra])


class DelegationForm(forms.Form):
    delegate = forms.CharField(label=_("Stand-in"), max_length=200, help_text=_(
        "Search by name; new approval tasks go to this person while the delegation lasts."))
    starts_at = forms.DateTimeField(label=_("From"), widget=DATETIME_WIDGET)
    ends_at = forms.DateTimeField(label=_("Until"), widget=DATETIME_WIDGET)
    processes = forms.MultipleChoiceField(
        label=_("Only for these approvals"), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to delegate every approval."))
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args: Any, processes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["processes"].choices = processes  # type: ignore[attr-defined]
        self.fields["delegate"].widget.attrs.update({"data-person-picker": "single",
                                                     "inputmode": "numeric"})

    def clean_delegate(self) -> int:
        ids = parse_ids(self.cleaned_data["delegate"])
        if not ids or len(ids) != 1:
            raise forms.ValidationError(_("Choose one person from the search results."))
        return ids[0]


# --- Approval forms designed by HR ---------------------------------------------------------

FIELD_PREFIX = "f."
FILE_PREFIX = "file."
APPROVERS_PREFIX = "approvers."
REFERENCE_TYPES = frozenset({"person", "department", "location", "object"})
FILE_TYPES = frozenset({"attachment", "image"})
_ROW_KEY = re.compile(r"^(\d{1,4})\.[a-z][a-z0-9_]{0,39}(?:\.(?:start|end))?$")
_CELL_ERROR = re.compile(r"^([a-z][a-z0-9_]{0,39})\[(\d+)\]\.([a-z][a-z0-9_]{0,39})$")


def _reference(post: Any, key: str, multiple: bool) -> Any:
    raw = [value for value in post.getlist(key) if value.strip()]
    if not raw:
        return None
    ids = parse_ids(raw)
    if ids is None:
        return raw if multiple else raw[0]  # clean_form says "Choose from the list."
    return ids if multiple else (ids[0] if len(ids) == 1 else ids)


def read_value(field: dict[str, Any], post: Any, key: str,
               uploaded: dict[str, list[int]] | None = None) -> Any:
    """The value of one field from posted form names (``f.<name>`` and the like), in the
    shape ``fields.clean_form`` expects; None when nothing was given."""
    kind = str(field.get("type") or "")
    if kind == "multiselect":
        return [value for value in post.getlist(key) if value] or None
    if kind == "daterange":
        start, end = post.get(f"{key}.start", "").strip(), post.get(f"{key}.end", "").strip()
        if not (start or end):
            return None
        found = {"start": start, "end": end}
        for half in ("start_half", "end_half"):
            if post.get(f"{key}.{half}"):
                found[half] = post.get(f"{key}.{half}", "").strip()
        return found
    if kind in REFERENCE_TYPES:
        return _reference(post, key, bool(field.get("multiple")))
    if kind in FILE_TYPES:
        ids = parse_ids([value for value in post.getlist(key) if value.strip()])
        kept = list(ids) if ids is not None else []
        kept.extend((uploaded or {}).get(key, []))
        return list(dict.fromkeys(kept)) or None
    if kind == "table":
        return read_table(field, post, key)
    if kind == "computed":
        return None
    value = post.get(key, "")
    return value if value.strip() else None


def read_table(field: dict[str, Any], post: Any, key: str) -> list[dict[str, Any]] | None:
    """Table rows from ``f.<table>.<row>.<column>`` names, in row order; rows left wholly
    empty are dropped (a blank row the person added and did not fill)."""
    indexes: set[int] = set()
    start = f"{key}."
    for name in post:
        if name.startswith(start) and (found := _ROW_KEY.match(name[len(start):])):
            indexes.add(int(found.group(1)))
    rows = []
    for index in sorted(indexes):
        row = {}
        for column in field.get("columns") or []:
            value = read_value(column, post, f"{key}.{index}.{column['name']}")
            if value is not None:
                row[column["name"]] = value
        if row:
            rows.append(row)
    return rows or None


def read_submission(form: list[dict[str, Any]], post: Any,
                    uploaded: dict[str, list[int]] | None = None) -> dict[str, Any]:
    """The form data of a posted approval form, keyed by field name."""
    data = {}
    for field in form:
        value = read_value(field, post, f"{FIELD_PREFIX}{field['name']}", uploaded)
        if value is not None:
            data[field["name"]] = value
    return data


def read_chosen(nodes: list[dict[str, Any]], post: Any) -> dict[str, Any]:
    """The approvers the applicant picked for each ``applicant_choice`` step."""
    chosen: dict[str, Any] = {}
    for node in nodes:
        raw = [value for value in post.getlist(f"{APPROVERS_PREFIX}{node['id']}")
               if value.strip()]
        ids = parse_ids(raw)
        chosen[node["id"]] = ids if ids is not None else raw
    return chosen


def split_errors(errors: dict[str, str]) -> tuple[dict[str, str],
                                                  dict[tuple[str, int, str], str]]:
    """Service field messages as (per field or approver step, per table cell: (table, row
    number from 1, column))."""
    plain: dict[str, str] = {}
    cells: dict[tuple[str, int, str], str] = {}
    for key, message in errors.items():
        found = _CELL_ERROR.match(key)
        if found:
            cells[(found.group(1), int(found.group(2)), found.group(3))] = message
        else:
            plain[key] = message
    return plain, cells
