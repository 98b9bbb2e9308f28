"""Forms of the monitoring care pages: specifications, place environments, alert rules, alert
responses and reports. They only parse what a person typed; the services decide what is valid
and allowed, and their field messages are put back next to these fields.

Alert rule parameters are one small form per rule kind (:data:`PARAMETER_FORMS`, keyed by
``AlertRule.Kind``), each turning its fields into the rule's ``parameters`` and back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taihe.modules.conservation.labels import quantity_label
from taihe.modules.conservation.models import AlertRule, Specification


def quantity_choices(codes: list[str]) -> list[tuple[str, str]]:
    return [(code, quantity_label(code)) for code in codes]


# --- Specifications -------------------------------------------------------------------------

LIMIT_FIELDS = ("t_min", "t_max", "rh_min", "rh_max", "max_t_change_24h", "max_rh_change_24h",
                "lux_max", "annual_lux_hours_max", "uv_max")
"""Specification limits, in the order the form and the list show them."""


def _limit_field(name: str) -> forms.FloatField:
    model_field = Specification._meta.get_field(name)
    assert isinstance(model_field, models.Field)
    return forms.FloatField(label=capfirst(model_field.verbose_name),
                            required=False, widget=forms.NumberInput(attrs={"step": "any"}))


class SpecificationForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=64, help_text=gettext_lazy(
        "Letters, digits, dots, dashes and underscores, e.g. PAPER-STORE."))
    name_zh_Hans = forms.CharField(label=gettext_lazy("Name in Chinese"), max_length=200,
                                   required=False)
    name_en = forms.CharField(label=gettext_lazy("Name in English"), max_length=200,
                              required=False)
    t_min = _limit_field("t_min")
    t_max = _limit_field("t_max")
    rh_min = _limit_field("rh_min")
    rh_max = _limit_field("rh_max")
    max_t_change_24h = _limit_field("max_t_change_24h")
    max_rh_change_24h = _limit_field("max_rh_change_24h")
    lux_max = _limit_field("lux_max")
    annual_lux_hours_max = _limit_field("annual_lux_hours_max")
    uv_max = _limit_field("uv_max")
    source = forms.CharField(label=gettext_lazy("Source"), required=False,
                             widget=forms.Textarea(attrs={"rows": 3}), help_text=gettext_lazy(
                                 "Where the numbers come from: a standard, a loan agreement, "
                                 "a decision of the conservation department."))

    @staticmethod
    def initial_from(spec: Specification) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(spec, name) for name in LIMIT_FIELDS}
        initial.update(code=spec.code, source=spec.source,
                       name_zh_Hans=spec.name.get("zh-Hans", ""), name_en=spec.name.get("en", ""))
        return initial

    def names(self, kept: Mapping[str, str] | None = None) -> dict[str, str]:
        """The language map of the name; languages the form does not show are kept."""
        names = dict(kept or {})
        names.update({"zh-Hans": self.cleaned_data["name_zh_Hans"],
                      "en": self.cleaned_data["name_en"]})
        return names


SPECIFICATION_FIELD_NAMES = {"name": "name_zh_Hans"}
"""Service error names that differ from the form's field names."""


# --- Place environment ----------------------------------------------------------------------

class PlaceEnvironmentForm(forms.Form):
    specification = forms.TypedChoiceField(label=gettext_lazy("Specification"), coerce=int,
                                           required=False, empty_value=None)
    responsible = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Responsible people"), coerce=int, required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}), help_text=gettext_lazy(
            "Told about this place's alerts when a rule names nobody. Places inside this one "
            "without their own responsible people use these."))


PLACE_FIELD_NAMES = {"specification_id": "specification", "responsible_ids": "responsible"}


# --- Alert rules ----------------------------------------------------------------------------

class Scope:
    SENSOR = "sensor"
    LOCATION = "location"
    ALL = "all"
    CHOICES: ClassVar[list[tuple[str, Any]]] = [
        (SENSOR, gettext_lazy("One sensor")),
        (LOCATION, gettext_lazy("Every sensor in a place and the places inside it")),
        (ALL, gettext_lazy("Every sensor")),
    ]


class RuleForm(forms.Form):
    """What every rule has; the kind's own parameters come from :data:`PARAMETER_FORMS`."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    # Forecast warnings come from the built-in rule the forecasts raise, never from a form.
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=[
        (value, label) for value, label in AlertRule.Kind.choices
        if value != AlertRule.Kind.FORECAST])
    severity = forms.ChoiceField(label=gettext_lazy("Severity"),
                                 choices=AlertRule.Severity.choices)
    scope = forms.ChoiceField(label=gettext_lazy("Watches"), choices=Scope.CHOICES,
                              initial=Scope.ALL, widget=forms.RadioSelect)
    sensor = forms.TypedChoiceField(label=gettext_lazy("Sensor"), coerce=int, required=False,
                                    empty_value=None)
    location = forms.TypedChoiceField(label=gettext_lazy("Place"), coerce=int, required=False,
                                      empty_value=None)
    notify = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Tell"), coerce=int, required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}), help_text=gettext_lazy(
            "Nobody chosen: the responsible people of the sensor's place, or else everyone "
            "who manages alert rules."))
    escalate_after_minutes = forms.IntegerField(
        label=gettext_lazy("Escalate after (minutes)"), min_value=1, max_value=7 * 24 * 60,
        initial=30, help_text=gettext_lazy(
            "If nobody acknowledges within this time, tell the escalation list."))
    escalate_to = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Escalate to"), coerce=int, required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}), help_text=gettext_lazy(
            "Nobody chosen: everyone who manages alert rules."))
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        scope = data.get("scope")
        if scope == Scope.SENSOR and data.get("sensor") is None:
            self.add_error("sensor", _("Choose the sensor."))
        if scope == Scope.LOCATION and data.get("location") is None:
            self.add_error("location", _("Choose the place."))
        return data

    def scope_ids(self) -> tuple[int | None, int | None]:
        """(sensor_id, location_id) of the chosen scope."""
        scope = self.cleaned_data["scope"]
        return (self.cleaned_data["sensor"] if scope == Scope.SENSOR else None,
                self.cleaned_data["location"] if scope == Scope.LOCATION else None)

    @staticmethod
    def initial_from(rule: AlertRule) -> dict[str, Any]:
        scope = (Scope.SENSOR if rule.sensor_id is not None
                 else Scope.LOCATION if rule.location_id is not None else Scope.ALL)
        return {"name": rule.name, "kind": rule.kind, "severity": rule.severity, "scope": scope,
                "sensor": rule.sensor_id, "location": rule.location_id,
                "notify": list(rule.notify.values_list("id", flat=True)),
                "escalate_after_minutes": rule.escalate_after_minutes,
                "escalate_to": list(rule.escalate_to.values_list("id", flat=True)),
                "is_active": rule.is_active}


RULE_FIELD_NAMES = {"sensor_id": "sensor", "location_id": "location", "notify_ids": "notify",
                    "escalate_to_ids": "escalate_to"}


def _number(label: Any, *, required: bool = False, minimum: float | None = None,
            help_text: Any = "") -> forms.FloatField:
    return forms.FloatField(label=label, required=required, min_value=minimum,
                            help_text=help_text, widget=forms.NumberInput(attrs={"step": "any"}))


def _without_empty(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None and value != ""}


class ParameterForm(forms.Form):
    """The parameters of one kind of rule (prefixed with the kind in the page)."""

    kind: ClassVar[str]
    legend: ClassVar[Any]
    field_names: ClassVar[dict[str, str]] = {}
    """Service error names (after ``parameters.``) that differ from this form's fields."""

    def __init__(self, data: Any = None, *, quantities: list[str] | None = None,
                 initial: Mapping[str, Any] | None = None) -> None:
        super().__init__(data, prefix=self.kind, initial=dict(initial or {}))
        field = self.fields.get("quantity")
        if isinstance(field, forms.ChoiceField):
            field.choices = quantity_choices(quantities or [])

    def parameters(self) -> dict[str, Any]:
        return _without_empty(self.cleaned_data)

    def takes_specification(self) -> bool:
        return False

    @classmethod
    def initial_from(cls, rule: AlertRule) -> dict[str, Any]:
        return dict(rule.parameters)

    def error_field(self, service_name: str) -> str | None:
        """This form's field for a service error name, None for the form as a whole."""
        name = service_name.removeprefix("parameters.")
        name = self.field_names.get(name, name)
        return name if name in self.fields else None


class BandParameters(ParameterForm):
    kind = AlertRule.Kind.BAND
    legend = gettext_lazy("Outside a band")
    quantity = forms.ChoiceField(label=gettext_lazy("Quantity"))
    use_specification = forms.BooleanField(
        label=gettext_lazy("Use the place's specification"), required=False,
        help_text=gettext_lazy("Take the limits from the specification of each sensor's place "
                               "instead of the numbers below."))
    low = _number(gettext_lazy("Lower limit"))
    high = _number(gettext_lazy("Upper limit"))
    min_duration_minutes = _number(
        gettext_lazy("Minimum duration (minutes)"), minimum=0, help_text=gettext_lazy(
            "Alert only when the value stays outside this long: a door opening is not an "
            "emergency."))
    hysteresis = _number(gettext_lazy("Hysteresis"), minimum=0, help_text=gettext_lazy(
        "The value must come back this far inside the band before the alert clears, so that "
        "a reading wobbling on the limit does not open and close it again and again."))

    def parameters(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("use_specification", None)
        if self.cleaned_data.get("use_specification"):
            data.pop("low", None)
            data.pop("high", None)
        return _without_empty(data)

    def takes_specification(self) -> bool:
        return bool(self.cleaned_data.get("use_specification"))

    @classmethod
    def initial_from(cls, rule: AlertRule) -> dict[str, Any]:
        return {**rule.parameters, "use_specification": rule.use_specification}

    def error_field(self, service_name: str) -> str | None:
        if service_name == "use_specification":
            return "use_specification"
        return super().error_field(service_name)


class RateParameters(ParameterForm):
    kind = AlertRule.Kind.RATE
    legend = gettext_lazy("Changes too fast")
    quantity = forms.ChoiceField(label=gettext_lazy("Quantity"))
    max_change = _number(gettext_lazy("Largest change"), required=True, minimum=0,
                         help_text=gettext_lazy("In the quantity's unit, e.g. 5 for 5 % RH."))
    window_minutes = _number(gettext_lazy("Within (minutes)"), required=True, minimum=1)
    hysteresis = _number(gettext_lazy("Hysteresis"), minimum=0)


class SilenceParameters(ParameterForm):
    kind = AlertRule.Kind.SILENCE
    legend = gettext_lazy("Sensor silent")
    max_missing_intervals = forms.IntegerField(
        label=gettext_lazy("Missing logging intervals"), min_value=1, max_value=10_000,
        initial=3, help_text=gettext_lazy(
            "Alert when this many of the sensor's logging intervals pass without a reading."))


class BatteryParameters(ParameterForm):
    kind = AlertRule.Kind.BATTERY
    legend = gettext_lazy("Battery low")
    threshold = _number(gettext_lazy("Threshold"), required=True, minimum=0)
    unit = forms.ChoiceField(label=gettext_lazy("Unit"), initial="V", choices=[
        ("V", gettext_lazy("Volts")), ("%EL", gettext_lazy("Percent of charge"))])
    hysteresis = _number(gettext_lazy("Hysteresis"), minimum=0, help_text=gettext_lazy(
        "Battery voltage sags in the cold; the alert clears only this far above the "
        "threshold."))


class MetricParameters(ParameterForm):
    kind = AlertRule.Kind.METRIC
    legend = gettext_lazy("Metric threshold")
    metric = forms.ChoiceField(label=gettext_lazy("Metric"), choices=[
        ("dew_point_margin", gettext_lazy("Dew point margin (air temperature − dew point, K): "
                                          "alert below the threshold")),
        ("mould_index", gettext_lazy("VTT mould index (0–6): alert at the threshold or "
                                     "above"))])
    threshold = _number(gettext_lazy("Threshold"), required=True, minimum=0)
    window_days = _number(gettext_lazy("Window (days)"), minimum=1, help_text=gettext_lazy(
        "Mould index only: the days of readings it is computed over (default 30)."))
    hysteresis = _number(gettext_lazy("Hysteresis"), minimum=0)


PARAMETER_FORMS: dict[str, type[ParameterForm]] = {
    form.kind: form for form in (BandParameters, RateParameters, SilenceParameters,
                                 BatteryParameters, MetricParameters)}


# --- Alert responses ------------------------------------------------------------------------

class AcknowledgeForm(forms.Form):
    comment = forms.CharField(label=gettext_lazy("Comment"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 2}))


class CommentForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Comment"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class ResolveForm(forms.Form):
    comment = forms.CharField(label=gettext_lazy("What was done or found"), max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class AlertFilterForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    severity = forms.ChoiceField(label=gettext_lazy("Severity"), required=False)
    place = forms.TypedChoiceField(label=gettext_lazy("Place"), coerce=int, required=False,
                                   empty_value=None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from taihe.modules.conservation.models import Alert

        everything = ("", _("All"))
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            everything, ("unresolved", _("Not resolved")), *Alert.Status.choices]
        self.fields["severity"].choices = [  # type: ignore[attr-defined]
            everything, *AlertRule.Severity.choices]


# --- Reports --------------------------------------------------------------------------------

class ReportForm(forms.Form):
    MONTH = "month"
    YEAR = "year"

    location = forms.TypedChoiceField(label=gettext_lazy("Place"), coerce=int)
    period = forms.ChoiceField(label=gettext_lazy("Period"), initial=MONTH,
                               widget=forms.RadioSelect, choices=[
                                   (MONTH, gettext_lazy("A month")),
                                   (YEAR, gettext_lazy("A year"))])
    month = forms.CharField(label=gettext_lazy("Month"), required=False, max_length=7,
                            widget=forms.DateInput(attrs={"type": "month"}),
                            help_text=gettext_lazy("For a monthly report, e.g. 2026-03."))
    year = forms.IntegerField(label=gettext_lazy("Year"), required=False, min_value=1990,
                              max_value=2100, help_text=gettext_lazy("For an annual report."))
    format = forms.ChoiceField(label=gettext_lazy("Format"), initial="pdf",
                               widget=forms.RadioSelect, choices=[
                                   ("pdf", gettext_lazy("PDF, to print or attach")),
                                   ("xlsx", gettext_lazy("Excel workbook, to work with the "
                                                         "numbers"))])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        zone = ZoneInfo(settings.TIME_ZONE)
        first: dt.date | None = None
        following: dt.date | None = None
        if data.get("period") == self.MONTH:
            text = (data.get("month") or "").strip()
            try:
                year, month = (int(part) for part in text.split("-"))
                first = dt.date(year, month, 1)
            except ValueError:
                self.add_error("month", _("Give the month as year and month, e.g. 2026-03."))
            else:
                if not 1990 <= year <= 2100:
                    self.add_error("month", _("Give a year from 1990 to 2100."))
                    first = None
                else:
                    following = dt.date(year + month // 12, month % 12 + 1, 1)
        elif data.get("period") == self.YEAR:
            if data.get("year") is None:
                if "year" not in self.errors:
                    self.add_error("year", _("Give the year."))
            else:
                first = dt.date(data["year"], 1, 1)
                following = dt.date(data["year"] + 1, 1, 1)
        if first is not None and following is not None:
            start = dt.datetime.combine(first, dt.time(), zone)
            if start > timezone.now():
                self.add_error("month" if data.get("period") == self.MONTH else "year",
                               _("This period has not begun yet."))
            data["start"] = start
            data["end"] = dt.datetime.combine(following, dt.time(), zone)
            data["first_day"] = first
        return data
