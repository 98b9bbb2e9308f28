"""The care pages of environmental monitoring: specifications and the places that keep to them,
alert rules, alerts with their history and responses, and the monthly or annual report.

Thin like ``http.py``: parse with a form, call one service or selector, render. Services decide
who may do what; these views only avoid offering what the person could not use. Places come
from ``catalog.api.locations_visible_to``: a restricted store never reaches a page for a person
who may not know it, and neither do its sensors, rules or alerts.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Value, When
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taihe.kernel import authz
from taihe.kernel.errors import DomainError, NotFound, PermissionDenied
from taihe.kernel.http.pages import forbidden, not_found
from taihe.kernel.http.pages import show_errors as _show_errors
from taihe.modules.catalog import api as catalog
from taihe.modules.conservation import forms_care, reports, selectors, services, store
from taihe.modules.conservation import operations as ops
from taihe.modules.conservation.models import (
    Alert,
    AlertEntry,
    AlertRule,
    PlaceEnvironment,
    Sensor,
    Specification,
)
from taihe.modules.conservation.report_data import build_report, text_in
from taihe.modules.directory import api as directory

ALERTS_PER_PAGE = 50
CHART_MARGIN = dt.timedelta(days=1)
"""How much of the sensor's record an alert's chart shows before and after the condition."""


# --- Shared helpers -------------------------------------------------------------------------

def _refuse(request: HttpRequest, error: DomainError) -> HttpResponse | None:
    """The page for a permission or not-found error; None for errors a form shows."""
    if isinstance(error, PermissionDenied):
        return forbidden(request)
    if isinstance(error, NotFound):
        return not_found(request)
    return None


def _int_or_none(text: str | None) -> int | None:
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        return None
    return number if -(2**31) < number < 2**31 else None


def _language() -> str:
    return get_language() or settings.LANGUAGE_CODE


def _nav(request: HttpRequest, current: str) -> list[dict[str, Any]]:
    """The monitoring section's tabs the person may open (one list, in ``views``)."""
    from taihe.modules.conservation.views import section_nav

    return section_nav(request.user, current)


class _Places:
    """The location tree the actor may know, with names in the page's language."""

    def __init__(self, actor: Any, language: str) -> None:
        self.language = language
        self.infos = catalog.locations_visible_to(actor)
        self.by_id = {info.id: info for info in self.infos}

    def __contains__(self, location_id: object) -> bool:
        return location_id in self.by_id

    def name(self, location_id: int | None) -> str:
        info = self.by_id.get(location_id) if location_id is not None else None
        return text_in(info.name, self.language) or info.code if info else ""

    def label(self, location_id: int | None) -> str:
        info = self.by_id.get(location_id) if location_id is not None else None
        return f"{info.code} {self.name(info.id)}".strip() if info else ""

    def depth(self, info: catalog.LocationInfo) -> int:
        return len(info.path.strip("/").split("/")) - 1

    def choices(self, blank: Any = None) -> list[tuple[Any, str]]:
        found: list[tuple[Any, str]] = [("", str(blank))] if blank is not None else []
        return found + [(info.id, "\u2003" * self.depth(info) + self.label(info.id))
                        for info in self.infos]

    def chain(self, location_id: int) -> list[int]:
        """The place and the places around it, outermost first."""
        info = self.by_id.get(location_id) or catalog.location(location_id)
        return [int(part) for part in info.path.strip("/").split("/") if part] if info else []


def _person_label(info: directory.PersonInfo) -> str:
    name = " · ".join(dict.fromkeys(part for part in (info.name_zh, info.name_en) if part))
    return f"{name} ({info.username})" if name else info.username


def _people(ids: Iterable[int]) -> dict[int, directory.PersonInfo]:
    return {info.id: info for info in directory.people(sorted(set(ids)))}


def _by_name(people: Iterable[directory.PersonInfo]) -> list[directory.PersonInfo]:
    return sorted(people, key=lambda info: (info.name_en or info.name_zh or info.username).lower())


def _people_choices(selected: Iterable[int]) -> list[tuple[int, str]]:
    """People who can be told about alerts: those who may see monitoring (someone told about
    an alert they cannot open could do nothing with it), and whoever is already chosen."""
    ids = set(directory.people_with_operation(ops.MONITORING_VIEW.code)) | set(selected)
    people = _by_name(info for info in _people(ids).values()
                      if info.is_active or info.id in selected)
    return [(info.id, _person_label(info)) for info in people]


def _number(value: float | None) -> str:
    return "" if value is None else formats.number_format(f"{value:g}")


def _band(low: float | None, high: float | None, unit: str) -> str:
    if low is not None and high is not None:
        return f"{_number(low)}–{_number(high)} {unit}"
    if low is not None:
        return f"≥ {_number(low)} {unit}"
    if high is not None:
        return f"≤ {_number(high)} {unit}"
    return ""


def _unit(code: str) -> str:
    quantity_id = store.quantity_ids().get(code)
    return store.quantity_by_id(quantity_id).unit if quantity_id is not None else ""


# --- Specifications -------------------------------------------------------------------------

def _specification_row(spec: Specification, language: str,
                       places: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "spec": spec, "name": text_in(spec.name, language) or spec.code,
        "temperature": _band(spec.t_min, spec.t_max, "°C"),
        "humidity": _band(spec.rh_min, spec.rh_max, "%"),
        "t_change": _band(None, spec.max_t_change_24h, "K"),
        "rh_change": _band(None, spec.max_rh_change_24h, "%"),
        "light": _band(None, spec.lux_max, "lx"),
        "dose": _band(None, spec.annual_lux_hours_max, "lx·h"),
        "uv": _band(None, spec.uv_max, "µW/lm"),
        "places": places,
    }


def _environments(location_ids: Iterable[int]) -> dict[int, PlaceEnvironment]:
    return {env.location_id: env for env in PlaceEnvironment.objects.filter(
        location_id__in=list(location_ids)).select_related("specification")}


def _inherited(places: _Places, location_id: int, environments: dict[int, PlaceEnvironment]
               ) -> tuple[Specification | None, int | None]:
    """The specification a place takes from the nearest place around it that has one, and
    that place."""
    for ancestor in reversed(places.chain(location_id)[:-1]):
        env = environments.get(ancestor)
        if env is not None and env.specification is not None:
            return env.specification, ancestor
    return None, None


@login_required
def specification_list(request: HttpRequest) -> HttpResponse:
    actor = request.user
    if not authz.can(actor, ops.MONITORING_VIEW.code):
        return forbidden(request)
    language = _language()
    places = _Places(actor, language)
    environments = _environments(places.by_id)
    using: dict[int, list[dict[str, Any]]] = {}
    tree = []
    for info in places.infos:
        env = environments.get(info.id)
        own = env.specification if env is not None else None
        inherited, source = _inherited(places, info.id, environments)
        if own is not None:
            using.setdefault(own.pk, []).append({"id": info.id, "label": places.label(info.id)})
        tree.append({"id": info.id, "code": info.code, "name": places.name(info.id),
                     "depth": places.depth(info), "indent": "\u2003" * places.depth(info),
                     "own": own, "inherited": inherited, "from": places.label(source)})
    specs = [_specification_row(spec, language, using.get(spec.pk, []))
             for spec in selectors.specifications()]
    return render(request, "conservation/specifications.html", {
        "nav": _nav(request, "conservation:specifications"),
        "presets": [row for row in specs if row["spec"].is_preset],
        "customs": [row for row in specs if not row["spec"].is_preset],
        "tree": tree,
        "may_manage": authz.can(actor, ops.SPECIFICATION_MANAGE.code)})


@login_required
def specification_edit(request: HttpRequest,
                       specification_id: int | None = None) -> HttpResponse:
    """Create or change a custom specification; ``?copy=<id>`` starts from another one (a
    preset, typically). Presets are never edited: asking to edit one offers a copy."""
    actor = request.user
    if not authz.can(actor, ops.SPECIFICATION_MANAGE.code):
        return forbidden(request)
    spec = None
    if specification_id is not None:
        spec = Specification.objects.filter(pk=specification_id).first()
        if spec is None:
            return not_found(request)
        if spec.is_preset:
            messages.error(request, _("%(code)s is a published preset and cannot be changed; "
                                      "save a copy instead.") % {"code": spec.code})
            return redirect(f"{reverse('conservation:specification_create')}?copy={spec.pk}")
    initial: dict[str, Any] = {}
    copied = None
    if spec is not None:
        initial = forms_care.SpecificationForm.initial_from(spec)
    else:
        copy_id = _int_or_none(request.GET.get("copy"))
        copied = Specification.objects.filter(pk=copy_id).first() if copy_id else None
        if copied is not None:
            initial = forms_care.SpecificationForm.initial_from(copied)
            initial["code"] = f"{copied.code}-copy"[:64]
            based = _("Based on %(code)s.") % {"code": copied.code}
            initial["source"] = f"{based} {copied.source}".strip()
    form = forms_care.SpecificationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.do_save_specification(actor, spec.pk if spec else None,
                                                   services.SpecificationData(
                code=data["code"].strip(), name=form.names(spec.name if spec else None),
                source=data["source"],
                **{name: data[name] for name in forms_care.LIMIT_FIELDS}))
        except DomainError as error:
            denied = _refuse(request, error)
            if denied is not None:
                return denied
            _show_errors(form, error, forms_care.SPECIFICATION_FIELD_NAMES)
        else:
            messages.success(request, _("Specification %(code)s is saved.") % {
                "code": saved.code})
            return redirect("conservation:specifications")
    heading = (_("Specification %(code)s") % {"code": spec.code} if spec is not None
               else _("New specification"))
    return render(request, "conservation/specification_form.html", {
        "nav": _nav(request, "conservation:specifications"), "form": form, "heading": heading,
        "spec": spec, "copied": copied}, status=422 if request.method == "POST" else 200)


@login_required
def place_environment(request: HttpRequest, location_id: int) -> HttpResponse:
    """A place's specification (its own, or inherited from the place around it) and the
    people who answer for its climate. ``?location=<id>`` switches to another place."""
    actor = request.user
    if not authz.can(actor, ops.SPECIFICATION_MANAGE.code):
        return forbidden(request)
    language = _language()
    places = _Places(actor, language)
    switch = _int_or_none(request.GET.get("location"))
    if switch is not None and switch != location_id:
        if switch not in places:
            return not_found(request)
        return redirect("conservation:place_environment", location_id=switch)
    place = places.by_id.get(location_id)
    if place is None:
        return not_found(request)
    chain = places.chain(location_id)
    environments = _environments(chain)
    env = environments.get(location_id)
    own_people = list(env.responsible.values_list("id", flat=True)) if env is not None else []
    inherited, source = _inherited(places, location_id, environments)
    inherited_people = (services.responsible_for_location(place.parent_id)
                        if place.parent_id is not None else [])
    form = forms_care.PlaceEnvironmentForm(request.POST or None, initial={
        "specification": env.specification_id if env is not None else None,
        "responsible": own_people})
    inherit_label = (_("Inherit: %(spec)s, from %(place)s") % {
        "spec": f"{inherited.code} {text_in(inherited.name, language)}",
        "place": places.label(source)} if inherited is not None
        else _("Inherit: the places around it set none"))
    form.fields["specification"].choices = [  # type: ignore[attr-defined]
        ("", inherit_label)] + [(spec.pk, f"{spec.code} {text_in(spec.name, language)}")
                                for spec in selectors.specifications()]
    form.fields["responsible"].choices = _people_choices(  # type: ignore[attr-defined]
        own_people)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_assign_environment(
                actor, location_id, specification_id=form.cleaned_data["specification"],
                responsible_ids=form.cleaned_data["responsible"])
        except DomainError as error:
            denied = _refuse(request, error)
            if denied is not None:
                return denied
            _show_errors(form, error, forms_care.PLACE_FIELD_NAMES)
        else:
            messages.success(request, _("The environment of %(place)s is saved.") % {
                "place": places.label(location_id)})
            return redirect("conservation:place_environment", location_id=location_id)
    people = _people([*own_people, *inherited_people])
    return render(request, "conservation/place_environment.html", {
        "nav": _nav(request, "conservation:specifications"), "form": form, "place": place,
        "place_label": places.label(location_id),
        "around": [{"id": pk, "label": places.label(pk)} for pk in chain[:-1] if pk in places],
        "own": env.specification if env is not None else None,
        "inherited": inherited, "inherited_from": places.label(source),
        "inherited_people": _by_name(people[pk] for pk in inherited_people if pk in people),
        "sensors": list(selectors.sensors_for(actor).filter(location_id=location_id)),
        "place_choices": places.choices()},
        status=422 if request.method == "POST" else 200)


# --- Alert rules ----------------------------------------------------------------------------

def _visible_rules(actor: Any, places: _Places) -> list[AlertRule]:
    """Rules whose sensor or place the actor may know (a rule on a restricted store would
    name it)."""
    sensors = set(selectors.sensors_for(actor).values_list("pk", flat=True))
    # ``alert_count`` counts the alerts the actor may see: a rule over every sensor that
    # fired in a restricted store must not count that alert for a person who may not know
    # it. ``has_alerts`` (any alert at all) says what deleting will do: deactivate.
    visible_alerts = dict(selectors.alerts_for(actor).order_by().values("rule_id")
                          .annotate(count=Count("pk")).values_list("rule_id", "count"))
    rules = (AlertRule.objects.select_related("sensor").prefetch_related("notify", "escalate_to")
             .annotate(has_alerts=Exists(Alert.objects.filter(rule=OuterRef("pk")))))
    found: list[AlertRule] = [
        rule for rule in rules
        if (rule.sensor_id is None or rule.sensor_id in sensors)
        and (rule.location_id is None or rule.location_id in places)]
    for rule in found:
        rule.alert_count = visible_alerts.get(rule.pk, 0)  # type: ignore[attr-defined]
    return found


def describe_rule(rule: AlertRule) -> str:
    """What the rule watches for, in a sentence."""
    p = rule.parameters
    quantity = str(p.get("quantity", ""))
    values = {"quantity": forms_care.quantity_label(quantity), "unit": _unit(quantity)}
    for name in ("low", "high", "max_change", "window_minutes", "min_duration_minutes",
                 "hysteresis", "threshold", "window_days", "max_missing_intervals"):
        values[name] = _number(p[name]) if isinstance(p.get(name), int | float) else ""
    describe: dict[str, Callable[[], str]] = {
        AlertRule.Kind.BAND: lambda: (
            _("%(quantity)s outside the place's specification") % values
            if rule.use_specification else
            _("%(quantity)s outside %(band)s") % {
                **values, "band": _band(p.get("low"), p.get("high"), values["unit"])}),
        AlertRule.Kind.RATE: lambda: _(
            "%(quantity)s changes by more than %(max_change)s %(unit)s within %(window_minutes)s "
            "minutes") % values,
        AlertRule.Kind.SILENCE: lambda: _(
            "No reading for %(max_missing_intervals)s logging intervals") % values,
        AlertRule.Kind.BATTERY: lambda: _("Battery below %(threshold)s %(unit)s") % {
            **values, "unit": "%" if p.get("unit") == "%EL" else "V"},
        AlertRule.Kind.METRIC: lambda: (
            _("Mould index reaches %(threshold)s (over %(window_days)s days)") % {
                **values, "window_days": values["window_days"] or "30"}
            if p.get("metric") == "mould_index" else
            _("Dew point margin below %(threshold)s K") % values),
        AlertRule.Kind.FORECAST: lambda: _(
            "The 72-hour forecast predicts a breach of the place's specification or mould "
            "growth (index 1 or 3)"),
    }
    text = describe[AlertRule.Kind(rule.kind)]()
    extras = []
    if values["min_duration_minutes"] and rule.kind == AlertRule.Kind.BAND:
        extras.append(_("for at least %(minutes)s minutes") % {
            "minutes": values["min_duration_minutes"]})
    if values["hysteresis"]:
        extras.append(_("hysteresis %(value)s") % {"value": values["hysteresis"]})
    return f"{text} ({', '.join(extras)})" if extras else text


def _scope_text(rule: AlertRule, places: _Places) -> str:
    if rule.sensor is not None:
        return _("Sensor %(code)s") % {"code": rule.sensor.code}
    if rule.location_id is not None:
        return _("Sensors in %(place)s") % {"place": places.label(rule.location_id)}
    return _("Every sensor")


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    actor = request.user
    if not authz.can(actor, ops.MONITORING_VIEW.code):
        return forbidden(request)
    places = _Places(actor, _language())
    rules = _visible_rules(actor, places)
    people = _people(person.pk for rule in rules
                     for person in [*rule.notify.all(), *rule.escalate_to.all()])
    rows = [{"rule": rule, "description": describe_rule(rule),
             "scope": _scope_text(rule, places),
             "notify": _by_name(people[p.pk] for p in rule.notify.all() if p.pk in people),
             "escalate_to": _by_name(people[p.pk] for p in rule.escalate_to.all()
                                     if p.pk in people)}
            for rule in rules]
    return render(request, "conservation/rules.html", {
        "nav": _nav(request, "conservation:rules"), "rows": rows,
        "may_manage": authz.can(actor, ops.ALERT_RULE_MANAGE.code)})


def _parameter_forms(rule: AlertRule | None, data: Any, kind: str | None
                     ) -> dict[str, forms_care.ParameterForm]:
    """A parameter form per kind; only the chosen kind's is bound to what was posted."""
    quantities = list(store.quantity_ids())
    found = {}
    for name, form_class in forms_care.PARAMETER_FORMS.items():
        initial = form_class.initial_from(rule) if rule is not None and rule.kind == name else {}
        found[name] = form_class(data if name == kind else None, quantities=quantities,
                                 initial=initial)
    return found


@login_required
def rule_edit(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    actor = request.user
    if not authz.can(actor, ops.ALERT_RULE_MANAGE.code):
        return forbidden(request)
    places = _Places(actor, _language())
    rule = None
    if rule_id is not None:
        rule = next((found for found in _visible_rules(actor, places) if found.pk == rule_id),
                    None)
        if rule is None:
            return not_found(request)
    initial = forms_care.RuleForm.initial_from(rule) if rule is not None else {
        "severity": AlertRule.Severity.WARNING, "scope": forms_care.Scope.ALL,
        "escalate_after_minutes": 30, "is_active": True, "kind": AlertRule.Kind.BAND}
    posted = request.POST if request.method == "POST" else None
    form = forms_care.RuleForm(posted, initial=initial)
    chosen_people = [*initial.get("notify", []), *initial.get("escalate_to", [])]
    form.fields["sensor"].choices = [("", "—")] + [  # type: ignore[attr-defined]
        (sensor.pk, f"{sensor.code} {sensor.name}".strip())
        for sensor in selectors.sensors_for(actor)
        if sensor.status != Sensor.Status.RETIRED or (rule is not None
                                                      and sensor.pk == rule.sensor_id)]
    form.fields["location"].choices = places.choices(blank="—")  # type: ignore[attr-defined]
    people_choices = _people_choices(chosen_people)
    form.fields["notify"].choices = people_choices  # type: ignore[attr-defined]
    form.fields["escalate_to"].choices = people_choices  # type: ignore[attr-defined]
    kind = (posted.get("kind") if posted is not None
            else str(initial.get("kind", AlertRule.Kind.BAND)))
    parameter_forms = _parameter_forms(rule, posted, kind)
    if posted is not None:
        common_valid = form.is_valid()
        parameters = parameter_forms.get(kind or "")
        if parameters is not None and parameters.is_valid() and common_valid:
            data = form.cleaned_data
            sensor_id, location_id = form.scope_ids()
            try:
                saved = services.do_save_alert_rule(actor, rule.pk if rule else None,
                                                    services.AlertRuleData(
                    name=data["name"], kind=data["kind"], parameters=parameters.parameters(),
                    use_specification=parameters.takes_specification(),
                    severity=data["severity"], sensor_id=sensor_id, location_id=location_id,
                    notify_ids=data["notify"], escalate_after_minutes=data[
                        "escalate_after_minutes"],
                    escalate_to_ids=data["escalate_to"], is_active=data["is_active"]))
            except DomainError as error:
                denied = _refuse(request, error)
                if denied is not None:
                    return denied
                for name, message in error.fields.items():
                    if name.startswith("parameters") or name == "use_specification":
                        parameters.add_error(parameters.error_field(name), message)
                    else:
                        field = forms_care.RULE_FIELD_NAMES.get(name, name)
                        form.add_error(field if field in form.fields else None, message)
                if not error.fields:
                    form.add_error(None, str(error.detail))
            else:
                messages.success(request, _("Alert rule “%(name)s” is saved.") % {
                    "name": saved.name})
                return redirect("conservation:rules")
    heading = (_("Alert rule “%(name)s”") % {"name": rule.name} if rule is not None
               else _("New alert rule"))
    return render(request, "conservation/rule_form.html", {
        "nav": _nav(request, "conservation:rules"), "form": form, "heading": heading,
        "rule": rule, "kind": kind, "parameter_forms": list(parameter_forms.values())},
        status=422 if posted is not None else 200)


@login_required
@require_POST
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    """Delete a rule; one that has raised alerts is deactivated instead, keeping their
    history."""
    actor = request.user
    if not authz.can(actor, ops.ALERT_RULE_MANAGE.code):
        return forbidden(request)
    places = _Places(actor, _language())
    rule = next((found for found in _visible_rules(actor, places) if found.pk == rule_id), None)
    if rule is None:
        return not_found(request)
    had_alerts = rule.alerts.exists()
    try:
        services.do_delete_alert_rule(actor, rule.pk)
    except DomainError as error:
        denied = _refuse(request, error)
        if denied is not None:
            return denied
        messages.error(request, str(error.detail))
    else:
        if had_alerts:
            messages.warning(request, _(
                "“%(name)s” has raised alerts, so it is deactivated instead of deleted: its "
                "alerts keep their history.") % {"name": rule.name})
        else:
            messages.success(request, _("Alert rule “%(name)s” is deleted.") % {
                "name": rule.name})
    return redirect("conservation:rules")


# --- Alerts ---------------------------------------------------------------------------------

_OPEN_FIRST = Case(When(status=Alert.Status.OPEN, then=Value(0)),
                   When(status=Alert.Status.ACKNOWLEDGED, then=Value(1)),
                   default=Value(2), output_field=IntegerField())


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    actor = request.user
    if not authz.can(actor, ops.MONITORING_VIEW.code):
        return forbidden(request)
    places = _Places(actor, _language())
    filters = forms_care.AlertFilterForm(request.GET)
    filters.fields["place"].choices = places.choices(blank=_("All"))  # type: ignore[attr-defined]
    alerts = selectors.alerts_for(actor).select_related("sensor", "rule")
    if filters.is_valid():
        status = filters.cleaned_data["status"]
        if status == "unresolved":
            alerts = alerts.exclude(status=Alert.Status.RESOLVED)
        elif status:
            alerts = alerts.filter(status=status)
        if filters.cleaned_data["severity"]:
            alerts = alerts.filter(severity=filters.cleaned_data["severity"])
        if filters.cleaned_data["place"] is not None:
            alerts = alerts.filter(location_id__in=catalog.location_ids_within(
                filters.cleaned_data["place"]))
    alerts = alerts.annotate(open_first=_OPEN_FIRST).order_by("open_first", "-opened_at", "-id")
    page = Paginator(alerts, ALERTS_PER_PAGE).get_page(_int_or_none(request.GET.get("page")))
    rows = [{"alert": alert, "place": places.label(alert.location_id)} for alert in page]
    rest = request.GET.copy()
    rest.pop("page", None)
    return render(request, "conservation/alerts.html", {
        "nav": _nav(request, "conservation:alerts"), "filters": filters, "rows": rows,
        "page_obj": page, "query_string": rest.urlencode()})


def chart_quantities(alert: Alert) -> list[str]:
    """What the alert's chart shows: the quantity the rule watched, or what its metric is
    computed from; the sensor's own quantities where it does not record those (a battery
    read from status messages) or for a silent sensor."""
    parameters = alert.rule.parameters
    known = store.quantity_ids()
    measured = [code for code in alert.sensor.quantities if code in known]
    if "temperature" in measured and "relative_humidity" in measured:
        measured.append("dew_point")
    wanted: list[str] = []
    if alert.kind in (AlertRule.Kind.BAND, AlertRule.Kind.RATE) and parameters.get("quantity"):
        wanted = [str(parameters["quantity"])]
    elif alert.kind == AlertRule.Kind.BATTERY:
        wanted = ["battery_level" if parameters.get("unit") == "%EL" else "battery"]
    elif alert.kind == AlertRule.Kind.METRIC:
        wanted = (["temperature", "dew_point"] if parameters.get("metric") == "dew_point_margin"
                  else ["temperature", "relative_humidity"])
    found = [code for code in wanted if code in measured]
    return found or [code for code in measured if code != "dew_point"]


def _utc_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _entry_row(entry: AlertEntry, people: dict[int, directory.PersonInfo]) -> dict[str, Any]:
    text = entry.text
    if entry.kind == AlertEntry.Kind.ESCALATED and text.isdigit():
        text = _("Escalation %(level)s") % {"level": text}
    return {"entry": entry, "actor": people.get(entry.actor_id) if entry.actor_id else None,
            "recipients": _by_name(people[pk] for pk in entry.recipients if pk in people),
            "text": text}


@login_required
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    actor = request.user
    if not authz.can(actor, ops.MONITORING_VIEW.code):
        return forbidden(request)
    alert = (selectors.alerts_for(actor).select_related("sensor", "rule")
             .filter(pk=alert_id).first())
    if alert is None:
        return not_found(request)
    places = _Places(actor, _language())
    entries = list(alert.entries.all())
    people = _people([*(entry.actor_id for entry in entries if entry.actor_id),
                      *(pk for entry in entries for pk in entry.recipients
                        if isinstance(pk, int)),
                      *(pk for pk in (alert.acknowledged_by_id, alert.resolved_by_id) if pk)])
    now = timezone.now()
    end = (min(alert.condition_cleared_at + CHART_MARGIN, now)
           if alert.condition_cleared_at is not None else now)
    chart = {
        "url": reverse("conservation:sensor_series", kwargs={"sensor_id": alert.sensor_id}),
        "quantities": ",".join(chart_quantities(alert)),
        "start": _utc_text(alert.condition_since - CHART_MARGIN), "end": _utc_text(end),
        "time_zone": settings.TIME_ZONE,
        "label": _("Readings of %(sensor)s around the alert") % {"sensor": alert.sensor.code}}
    may_respond = authz.can(actor, ops.ALERT_RESPOND.code)
    return render(request, "conservation/alert.html", {
        "nav": _nav(request, "conservation:alerts"), "alert": alert,
        "place": places.label(alert.location_id),
        "entries": [_entry_row(entry, people) for entry in entries],
        "acknowledged_by": people.get(alert.acknowledged_by_id or 0),
        "resolved_by": people.get(alert.resolved_by_id or 0),
        "chart": chart, "may_respond": may_respond,
        "may_manage_rules": authz.can(actor, ops.ALERT_RULE_MANAGE.code),
        "acknowledge_form": forms_care.AcknowledgeForm(auto_id="acknowledge_%s"),
        "comment_form": forms_care.CommentForm(auto_id="comment_%s"),
        "resolve_form": forms_care.ResolveForm(auto_id="resolve_%s")})


def _respond(request: HttpRequest, alert_id: int, act: Callable[[], Any], done: str
             ) -> HttpResponse:
    if not authz.can(request.user, ops.ALERT_RESPOND.code):
        return forbidden(request)
    try:
        act()
    except DomainError as error:
        denied = _refuse(request, error)
        if denied is not None:
            return denied
        messages.error(request, " ".join(error.fields.values()) or str(error.detail))
    else:
        messages.success(request, done)
    return redirect("conservation:alert", alert_id=alert_id)


@login_required
@require_POST
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    comment = request.POST.get("comment", "")
    return _respond(request, alert_id, lambda: services.do_acknowledge_alert(
        request.user, alert_id, comment=comment), _("The alert is acknowledged."))


@login_required
@require_POST
def alert_comment(request: HttpRequest, alert_id: int) -> HttpResponse:
    text = request.POST.get("text", "")
    return _respond(request, alert_id, lambda: services.do_comment_alert(
        request.user, alert_id, text), _("Your comment is added."))


@login_required
@require_POST
def alert_resolve(request: HttpRequest, alert_id: int) -> HttpResponse:
    comment = request.POST.get("comment", "")
    return _respond(request, alert_id, lambda: services.do_resolve_alert(
        request.user, alert_id, comment=comment), _("The alert is resolved."))


# --- Reports --------------------------------------------------------------------------------

REPORT_TYPES: dict[str, tuple[str, Callable[[reports.ReportData], bytes]]] = {
    "pdf": ("application/pdf", reports.render_pdf),
                "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         reports.render_xlsx)}


def report_language(language: str) -> str:
    """The report's language: Chinese for any Chinese page language, else English."""
    return "zh-hans" if language.lower().startswith("zh") else "en"


def report_file_name(location_code: str, period: str, extension: str) -> str:
    """e.g. ``environment-TH-QD-2026-03.pdf``; characters a file name cannot safely hold
    become dashes."""
    code = re.sub(r"[^A-Za-z0-9._-]+", "-", location_code).strip("-.") or "place"
    return f"environment-{code}-{period}.{extension}"


def _report_form(places: _Places, data: Any = None) -> forms_care.ReportForm:
    today = timezone.localdate()
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    form = forms_care.ReportForm(data, initial={
        "period": forms_care.ReportForm.MONTH, "month": last_month.strftime("%Y-%m"),
        "year": today.year - 1, "format": "pdf"})
    form.fields["location"].choices = places.choices()  # type: ignore[attr-defined]
    return form


@login_required
def report_form(request: HttpRequest) -> HttpResponse:
    actor = request.user
    if not authz.can(actor, ops.REPORT_VIEW.code):
        return forbidden(request)
    places = _Places(actor, _language())
    return render(request, "conservation/reports.html", {
        "nav": _nav(request, "conservation:reports"), "form": _report_form(places)})


@login_required
def report_download(request: HttpRequest) -> HttpResponseBase:
    """The report of the place and period in the query, as a PDF or XLSX attachment."""
    actor = request.user
    if not authz.can(actor, ops.REPORT_VIEW.code):
        return forbidden(request)
    places = _Places(actor, _language())
    chosen = _int_or_none(request.GET.get("location"))
    if chosen is not None and chosen not in places:
        return not_found(request)
    form = _report_form(places, request.GET)
    if not form.is_valid():
        return render(request, "conservation/reports.html", {
            "nav": _nav(request, "conservation:reports"), "form": form}, status=422)
    data = form.cleaned_data
    language = report_language(_language())
    first_day: dt.date = data["first_day"]
    with translation.override(language):
        if data["period"] == forms_care.ReportForm.MONTH:
            label = formats.date_format(first_day, "YEAR_MONTH_FORMAT")
            period = first_day.strftime("%Y-%m")
        else:
            label = period = str(first_day.year)
    try:
        report = build_report(actor, data["location"], data["start"], data["end"], label,
                              language)
    except DomainError as error:
        return _refuse(request, error) or not_found(request)
    content_type, render_file = REPORT_TYPES[data["format"]]
    return FileResponse(io.BytesIO(render_file(report)), as_attachment=True,
                        content_type=content_type,
                        filename=report_file_name(report.location_code, period, data["format"]))
