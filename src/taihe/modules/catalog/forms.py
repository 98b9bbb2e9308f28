"""Forms of the registrar's pages. They only parse what a person typed; the services decide
what is valid and allowed, and their field messages are put back next to these fields."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taihe.modules.catalog.models import (
    CatalogObject,
    Exhibition,
    FieldDefinition,
    Loan,
    Location,
    Treatment,
    text_in,
)

LANGUAGES: tuple[tuple[str, Any], ...] = (
    ("zh-Hans", gettext_lazy("Simplified Chinese")),
    ("en", gettext_lazy("English")),
    ("zh-Hant", gettext_lazy("Traditional Chinese")),
)
"""The languages the forms offer for every language map (others held are kept as they are)."""

MAP_FIELDS: tuple[tuple[str, Any, bool], ...] = (
    ("title", gettext_lazy("Title"), False),
    ("object_name", gettext_lazy("Object name"), False),
    ("description", gettext_lazy("Description"), True),
)
"""Language-map fields of the object form: (model field, label, long text)."""


def map_field_name(name: str, language: str) -> str:
    """``title`` + ``zh-Hans`` → ``title__zh_Hans`` (a valid HTML id and form field name)."""
    return f"{name}__{language.replace('-', '_')}"


def term_choices(terms: Any, language: str, *, blank: bool) -> list[tuple[str, str]]:
    choices = [("", "—")] if blank else []
    return choices + [(term.code, term.label_in(language)) for term in terms]


def _field_for(definition: FieldDefinition, language: str) -> forms.Field:
    label = text_in(definition.label, language) or definition.code
    help_text = text_in(definition.help_text, language)
    common: dict[str, Any] = {"label": label, "required": False, "help_text": help_text}
    if definition.kind == FieldDefinition.Kind.NUMBER:
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
    if definition.kind == FieldDefinition.Kind.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if definition.kind == FieldDefinition.Kind.CHOICE:
        return forms.ChoiceField(choices=[("", "—")] + [(str(c), str(c))
                                                        for c in definition.choices], **common)
    if definition.kind == FieldDefinition.Kind.YES_NO:
        return forms.ChoiceField(choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))],
                                 **common)
    return forms.CharField(max_length=2000, **common)


class ObjectForm(forms.Form):
    """The object record. Language maps get one field per language; dimensions and makers
    are typed one per line, as registrars write them on paper forms."""

    object_number = forms.CharField(label=gettext_lazy("Object number"), max_length=64)
    object_type = forms.ChoiceField(label=gettext_lazy("Object type"), required=False)
    materials = forms.MultipleChoiceField(label=gettext_lazy("Materials"), required=False)
    techniques = forms.MultipleChoiceField(label=gettext_lazy("Techniques"), required=False)
    period = forms.CharField(label=gettext_lazy("Period"), required=False, max_length=200)
    production_date = forms.CharField(label=gettext_lazy("Production date"), required=False,
                                      max_length=200)
    year_earliest = forms.IntegerField(label=gettext_lazy("Earliest year"), required=False,
                                       help_text=gettext_lazy("Negative for BCE."))
    year_latest = forms.IntegerField(label=gettext_lazy("Latest year"), required=False)
    makers = forms.CharField(
        label=gettext_lazy("Makers"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("One per line: name | role (the role may be left out)."))
    dimensions = forms.CharField(
        label=gettext_lazy("Dimensions"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One per line: kind value unit, e.g. “height 12.5 cm”."))
    grade = forms.ChoiceField(label=gettext_lazy("Grade"), choices=CatalogObject.Grade.choices)
    status = forms.ChoiceField(label=gettext_lazy("Status"),
                               choices=CatalogObject.Status.choices)
    acquisition_method = forms.ChoiceField(label=gettext_lazy("Acquisition method"),
                                           required=False)
    acquisition_date = forms.DateField(label=gettext_lazy("Acquisition date"), required=False,
                                       widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, vocabulary: dict[str, Any], definitions: list[FieldDefinition],
                 language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label, long_text in MAP_FIELDS:
            for tag, language_label in LANGUAGES:
                widget = (forms.Textarea(attrs={"rows": 4, "lang": tag}) if long_text
                          else forms.TextInput(attrs={"lang": tag}))
                self.fields[map_field_name(name, tag)] = forms.CharField(
                    label=f"{label} ({language_label})", required=False, widget=widget,
                    max_length=20_000)
        self.fields["object_type"].choices = term_choices(  # type: ignore[attr-defined]
            vocabulary["object_type"], language, blank=True)
        self.fields["materials"].choices = term_choices(  # type: ignore[attr-defined]
            vocabulary["material"], language, blank=False)
        self.fields["techniques"].choices = term_choices(  # type: ignore[attr-defined]
            vocabulary["technique"], language, blank=False)
        self.fields["acquisition_method"].choices = term_choices(  # type: ignore[attr-defined]
            vocabulary["acquisition_method"], language, blank=True)
        self.definitions = definitions
        for definition in definitions:
            self.fields[f"custom__{definition.code}"] = _field_for(definition, language)

    def map_groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(label, [self[map_field_name(name, tag)] for tag, _l in LANGUAGES])
                for name, label, _long in MAP_FIELDS]

    def custom_fields(self) -> list[forms.BoundField]:
        return [self[f"custom__{d.code}"] for d in self.definitions]

    def clean_makers(self) -> list[dict[str, Any]]:
        makers = []
        for line in (self.cleaned_data.get("makers") or "").splitlines():
            if line.strip():
                name, _sep, role = line.partition("|")
                makers.append({"name": name.strip(), "role": role.strip()})
        return makers

    def clean_dimensions(self) -> list[dict[str, str]]:
        dimensions = []
        for number, line in enumerate((self.cleaned_data.get("dimensions") or "").splitlines(),
                                      start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 3:
                raise forms.ValidationError(_(
                    "Line %(line)s: write kind, value and unit, e.g. “height 12.5 cm”.")
                    % {"line": number})
            dimensions.append({"kind": parts[0], "value": parts[1], "unit": parts[2]})
        return dimensions


class LocationForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=64,
                           help_text=gettext_lazy("Printed on the location's barcode label."))
    name_zh_Hans = forms.CharField(label=gettext_lazy("Name (Simplified Chinese)"),
                                   required=False, max_length=200)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), required=False,
                              max_length=200)
    name_zh_Hant = forms.CharField(label=gettext_lazy("Name (Traditional Chinese)"),
                                   required=False, max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Location.Kind.choices)
    parent = forms.TypedChoiceField(label=gettext_lazy("Inside"), required=False, coerce=int,
                                    empty_value=None)
    is_restricted = forms.BooleanField(label=gettext_lazy("Restricted store"), required=False)
    is_public = forms.BooleanField(label=gettext_lazy("Open to visitors"), required=False)
    is_active = forms.BooleanField(label=gettext_lazy("In use"), required=False, initial=True)
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))


class ScanForm(forms.Form):
    location_code = forms.CharField(label=gettext_lazy("Location code"), max_length=64,
                                    required=False)
    scanned = forms.CharField(label=gettext_lazy("Scan or type an object number"),
                              max_length=64, required=False)
    numbers = forms.CharField(required=False, widget=forms.HiddenInput)
    reason = forms.ChoiceField(label=gettext_lazy("Reason for the move"), required=False)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=500)


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File"), help_text=gettext_lazy(
        "CSV, Excel (.xlsx) or JSON Lines, one object per row."))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one ``<input type="file" multiple>`` (the Django documentation's
    "Uploading multiple files" recipe); cleans to a list, empty when none was chosen."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


MAX_CONDITION_PHOTOS = 20
"""Photographs one condition-check form accepts; each is decoded in full and tiled, so the
number is bounded to keep one submission's work (and upload) reasonable."""


class ConditionForm(forms.Form):
    condition = forms.ChoiceField(label=gettext_lazy("Condition"))
    completeness = forms.ChoiceField(label=gettext_lazy("Completeness"), required=False)
    hazards = forms.MultipleChoiceField(label=gettext_lazy("Hazards"), required=False,
                                        widget=forms.CheckboxSelectMultiple)
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=32)
    note = forms.CharField(label=gettext_lazy("Observations"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))
    recommendations = forms.CharField(label=gettext_lazy("Recommendations"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 2}))
    next_check_due = forms.DateField(label=gettext_lazy("Next check due"), required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}))
    is_baseline = forms.BooleanField(label=gettext_lazy("Baseline check"), required=False)
    photos = MultipleFileField(
        label=gettext_lazy("Photographs"), required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/tiff,image/webp"}),
        help_text=gettext_lazy("JPEG, PNG, TIFF or WebP; you may choose several at once."))
    photo_caption = forms.CharField(label=gettext_lazy("Caption for the photographs"),
                                    required=False, max_length=500)

    def clean_photos(self) -> list[Any]:
        photos = self.cleaned_data.get("photos") or []
        if len(photos) > MAX_CONDITION_PHOTOS:
            raise forms.ValidationError(_("Choose at most %(count)s photographs at a time.")
                                        % {"count": MAX_CONDITION_PHOTOS})
        return list(photos)


class TreatmentForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=Treatment.Status.choices)
    started_on = forms.DateField(label=gettext_lazy("Started"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    finished_on = forms.DateField(label=gettext_lazy("Finished"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    proposal = forms.CharField(label=gettext_lazy("Proposal"), required=False,
                               widget=forms.Textarea(attrs={"rows": 3}))
    treatment = forms.CharField(label=gettext_lazy("Treatment carried out"), required=False,
                                widget=forms.Textarea(attrs={"rows": 3}))
    materials_used = forms.CharField(label=gettext_lazy("Materials used"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 2}))
    outcome = forms.CharField(label=gettext_lazy("Outcome"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class LoanForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Loan number"), max_length=32)
    direction = forms.ChoiceField(label=gettext_lazy("Direction"),
                                  choices=Loan.Direction.choices)
    partner = forms.CharField(label=gettext_lazy("Borrower or lender"), max_length=300)
    venue = forms.CharField(label=gettext_lazy("Venue"), required=False, max_length=300)
    purpose = forms.CharField(label=gettext_lazy("Purpose"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))
    starts_on = forms.DateField(label=gettext_lazy("From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=gettext_lazy("Until"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))
    insurance_currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3,
                                         initial="CNY")
    environment_requirements = forms.CharField(
        label=gettext_lazy("Environmental requirements"), required=False,
        widget=forms.Textarea(attrs={"rows": 2}))
    agreement = forms.FileField(
        label=gettext_lazy("Signed agreement"), required=False,
        help_text=gettext_lazy("PDF, up to 20 MB. A new file replaces the earlier one."))
    objects = forms.CharField(
        label=gettext_lazy("Objects"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("One per line: object number, then the insurance value if "
                               "known, e.g. “2020.1.5 120000”."))

    def clean_objects(self) -> list[tuple[str, Decimal | None]]:
        lines = []
        for number, line in enumerate((self.cleaned_data.get("objects") or "").splitlines(),
                                      start=1):
            parts = line.split()
            if not parts:
                continue
            value = None
            if len(parts) > 1:
                try:
                    value = Decimal(parts[-1].replace(",", ""))
                except InvalidOperation:
                    raise forms.ValidationError(_(
                        "Line %(line)s: “%(value)s” is not an amount.")
                        % {"line": number, "value": parts[-1][:20]}) from None
                parts = parts[:-1]
            lines.append((" ".join(parts), value))
        return lines


class DecisionForm(forms.Form):
    approve = forms.TypedChoiceField(coerce=lambda value: value == "yes",
                                     choices=[("yes", "yes"), ("no", "no")])
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class PlaceForm(forms.Form):
    location = forms.TypedChoiceField(label=gettext_lazy("Location"), coerce=int)


class CampaignForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    scope = forms.TypedChoiceField(label=gettext_lazy("Locations checked"), coerce=int)


class FindingForm(forms.Form):
    location_code = forms.CharField(label=gettext_lazy("Location code"), max_length=64)
    object_number = forms.CharField(label=gettext_lazy("Object number"), max_length=64)


def _lines(text: str | None) -> list[tuple[int, str]]:
    """(line number from 1, stripped text) of the non-blank lines of a text area."""
    return [(number, line.strip()) for number, line in enumerate((text or "").splitlines(),
                                                                 start=1) if line.strip()]


def _date_part(part: str, keyword: str, line: int) -> dt.date:
    """``opens 2026-05-01`` (the keyword may be left out) → a date."""
    text = part.strip()
    if text.lower().startswith(keyword):
        text = text[len(keyword):].strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise forms.ValidationError(_(
            "Line %(line)s: “%(value)s” is not a date; write it as YYYY-MM-DD.")
            % {"line": line, "value": text[:20]}) from None


class ExhibitionForm(forms.Form):
    """An exhibition with its venues and objects, typed one per line."""

    code = forms.CharField(label=gettext_lazy("Code"), max_length=64, help_text=gettext_lazy(
        "Lower-case letters, digits and -, e.g. “ming-blue-2026”."))
    title_zh_Hans = forms.CharField(label=gettext_lazy("Title (Simplified Chinese)"),
                                    required=False, max_length=300)
    title_en = forms.CharField(label=gettext_lazy("Title (English)"), required=False,
                               max_length=300)
    description_zh_Hans = forms.CharField(
        label=gettext_lazy("Description (Simplified Chinese)"), required=False,
        widget=forms.Textarea(attrs={"rows": 3, "lang": "zh-Hans"}))
    description_en = forms.CharField(label=gettext_lazy("Description (English)"),
                                     required=False,
                                     widget=forms.Textarea(attrs={"rows": 3, "lang": "en"}))
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=Exhibition.Status.choices)
    venues = forms.CharField(
        label=gettext_lazy("Venues"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One per line: name | opens YYYY-MM-DD | closes YYYY-MM-DD | "
                               "location code (the location may be left out)."))
    objects = forms.CharField(label=gettext_lazy("Objects"), required=False,
                              widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=gettext_lazy("One object number per line."))

    def clean_venues(self) -> list[tuple[str, dt.date, dt.date, str]]:
        venues = []
        for line, text in _lines(self.cleaned_data.get("venues")):
            parts = [part.strip() for part in text.split("|")]
            if len(parts) not in (3, 4) or not parts[0]:
                raise forms.ValidationError(_(
                    "Line %(line)s: write name | opens YYYY-MM-DD | closes YYYY-MM-DD, "
                    "then | location code if the venue is one of ours.") % {"line": line})
            venues.append((parts[0], _date_part(parts[1], "opens", line),
                           _date_part(parts[2], "closes", line),
                           parts[3] if len(parts) == 4 else ""))
        return venues

    def clean_objects(self) -> list[str]:
        numbers: list[str] = []
        for _line, text in _lines(self.cleaned_data.get("objects")):
            if text not in numbers:
                numbers.append(text)
        return numbers


EXPORT_FORMATS: tuple[tuple[str, Any], ...] = (
    ("csv", gettext_lazy("CSV (spreadsheet, UTF-8)")),
    ("xlsx", gettext_lazy("Excel workbook (.xlsx)")),
    ("jsonl", gettext_lazy("Linked Art (JSON Lines, one object per line)")),
    ("lido", gettext_lazy("LIDO XML")),
)


class ExportForm(forms.Form):
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=EXPORT_FORMATS,
                               widget=forms.RadioSelect)


class FieldForm(forms.Form):
    """A museum field. Its kind cannot change once saved (the service refuses it)."""

    code = forms.CharField(label=gettext_lazy("Code"), max_length=48, help_text=gettext_lazy(
        "Lower-case letters, digits, - and _, starting with a letter; used in imports."))
    label_zh_Hans = forms.CharField(label=gettext_lazy("Label (Simplified Chinese)"),
                                    required=False, max_length=200)
    label_en = forms.CharField(label=gettext_lazy("Label (English)"), required=False,
                               max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=FieldDefinition.Kind.choices)
    choices = forms.CharField(label=gettext_lazy("Choices"), required=False,
                              widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=gettext_lazy("For a choice field: one choice per line."))
    required = forms.BooleanField(label=gettext_lazy("Required"), required=False)
    help_zh_Hans = forms.CharField(label=gettext_lazy("Help (Simplified Chinese)"),
                                   required=False, max_length=500)
    help_en = forms.CharField(label=gettext_lazy("Help (English)"), required=False,
                              max_length=500)

    def clean_choices(self) -> list[str]:
        return [text for _line, text in _lines(self.cleaned_data.get("choices"))]
