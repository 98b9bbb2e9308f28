"""Climate risk pages: the conservation overview, the "Climate risk" panel of a catalogue
object's page (with one-click tasks from strategies), the ABC risk register, care tasks and the
risk report download.

Thin: parse, call one selector or service, render. Selectors hide what the person may not know
(restricted stores, objects they may not see); services decide who may change what.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taihe.kernel.errors import DomainError
from taihe.kernel.http.pages import forbidden, not_found, refuse
from taihe.kernel.http.pages import show_errors as _show_errors
from taihe.modules.catalog import api as catalog
from taihe.modules.conservation.models import (
    Agent,
    CareTask,
    CciAgent,
    ClimateAssessment,
    MaterialRuleSet,
    ObjectAssessment,
    Risk,
    RiskTreatment,
)
from taihe.modules.conservation.report_data import text_in
from taihe.modules.conservation.risk import exports, register, selectors
from taihe.modules.directory import api as directory

OVERVIEW_OBJECTS = 25
OVERVIEW_PLACES = 15
LEVELS = ("high", "medium", "low", "none")


# --- Shared helpers -------------------------------------------------------------------------


def _language() -> str:
    return get_language() or settings.LANGUAGE_CODE


def _int_or_none(text: str | None) -> int | None:
    try:
        number = int(text or "")
    except ValueError:
        return None
    return number if 0 < number < 2**31 else None


TABS: tuple[tuple[str, Any], ...] = (
    ("conservation:risk_overview", gettext_lazy("Climate risk")),
    ("conservation:risk_register", gettext_lazy("Risk register")),
    ("conservation:risk_tasks", gettext_lazy("Care tasks")),
)


def _nav(current: str) -> list[dict[str, Any]]:
    return [
        {"url": reverse(name), "label": label, "current": name == current} for name, label in TABS
    ]


def _first_url(names: Iterable[str], *args: Any) -> str:
    """The first of several URL names that exists (the prediction pages are built beside
    these), else ""."""
    for name in names:
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return ""


def _describe() -> Any:
    """``risk.describe`` when it is there (written beside this module), else None."""
    try:
        from taihe.modules.conservation.risk import describe
    except ImportError:
        return None
    return describe


def agent_label(key: str) -> str:
    return str(Agent(key).label) if key in Agent.values else key


def level_label(level: str) -> str:
    labels = {"high": _("High"), "medium": _("Medium"), "low": _("Low"), "none": _("None")}
    return labels.get(level, level)


def risk_text(item: dict[str, Any]) -> str:
    """The sentence for one risk item (``describe.risk_text``, else agent, level, score)."""
    describe = _describe()
    if describe is not None and hasattr(describe, "risk_text"):
        return str(describe.risk_text(item))
    return _("%(agent)s: %(level)s (score %(score)s)") % {
        "agent": agent_label(str(item.get("agent", ""))),
        "level": level_label(str(item.get("level", ""))),
        "score": f"{float(item.get('score', 0.0)):.2f}",
    }


def strategy_title(strategy: dict[str, Any]) -> str:
    describe = _describe()
    if describe is not None and hasattr(describe, "strategy_title"):
        return str(describe.strategy_title(strategy))
    return str(strategy.get("key", ""))


def strategy_reasons(strategy: dict[str, Any]) -> list[str]:
    describe = _describe()
    if describe is not None and hasattr(describe, "strategy_reasons"):
        return [str(text) for text in describe.strategy_reasons(strategy)]
    return [
        f"{reason.get('code', '')} {_numbers_text(reason.get('numbers', {}))}".strip()
        for reason in strategy.get("reasons", [])
    ]


def _rule_base(version: str) -> Any:
    """The rule base of that version (stored versions are never edited, so their parsed
    form is cached by ``material_rules``), else the current one."""
    from taihe.modules.conservation.material_rules import _parsed, current_rule_base

    stored = (MaterialRuleSet.objects.filter(version=version).only("pk", "version").first()
              if version else None)
    return _parsed(stored.pk, stored.version) if stored is not None else current_rule_base()[1]


def citation(version: str, key: str) -> str:
    """The citation of a rule-base source key (the key itself when it is unknown)."""
    rule_base = _rule_base(version)
    describe = _describe()
    if describe is not None and hasattr(describe, "source_citation"):
        return str(describe.source_citation(rule_base, key))
    source = rule_base.sources.get(key)
    return source.citation if source is not None else key


def _numbers_text(numbers: Any) -> str:
    if not isinstance(numbers, dict):
        return ""
    return ", ".join(
        f"{name} = {value:g}" if isinstance(value, float) else f"{name} = {value}"
        for name, value in numbers.items()
    )


class _Places:
    """Names of the places the actor may know."""

    def __init__(self, actor: Any, language: str) -> None:
        self.language = language
        self.by_id = {info.id: info for info in catalog.locations_visible_to(actor)}

    def label(self, location_id: int | None) -> str:
        info = self.by_id.get(location_id) if location_id is not None else None
        if info is None:
            return ""
        return f"{info.code} {text_in(info.name, self.language)}".strip()

    def choices(self, blank: Any = None) -> list[tuple[Any, str]]:
        found: list[tuple[Any, str]] = [("", str(blank))] if blank is not None else []
        return found + [
            (info.id, "\u2003" * (len(info.path.strip("/").split("/")) - 1) + self.label(info.id))
            for info in self.by_id.values()
        ]


def object_labels(object_ids: list[int], language: str) -> dict[int, tuple[str, str]]:
    """(object number, title) by id."""
    return {
        record.id: (
            record.object_number,
            text_in(dict(record.title or {}), language)
            or text_in(dict(record.object_name or {}), language),
        )
        for record in catalog.object_records(sorted(set(object_ids)))
    }


def object_rows(
    assessments: list[ObjectAssessment], places: _Places, actor: Any
) -> list[dict[str, Any]]:
    """One row per assessment: the object, its worst risk in words and the first strategy
    (of those naming no place hidden from the actor)."""
    labels = object_labels([row.object_id for row in assessments], places.language)
    hidden = selectors.hidden_location_ids(actor)
    rows = []
    for assessment in assessments:
        number, title = labels.get(assessment.object_id, ("", ""))
        risks = sorted(assessment.risks, key=lambda item: -float(item.get("score", 0.0)))
        strategies = selectors.visible_strategies(assessment.strategies, hidden)
        rows.append(
            {
                "assessment": assessment,
                "object_id": assessment.object_id,
                "number": number,
                "title": title,
                "url": reverse("catalog:object", args=[assessment.object_id]),
                "place": places.label(assessment.location_id),
                "score": assessment.score,
                "top_agent": agent_label(assessment.top_agent) if assessment.top_agent else "",
                "why": risk_text(risks[0]) if risks else "",
                "level": str(risks[0].get("level", "")) if risks else "",
                "strategy": strategy_title(strategies[0]) if strategies else "",
            }
        )
    return rows


def place_rows(assessments: list[ClimateAssessment], places: _Places) -> list[dict[str, Any]]:
    rows = []
    for assessment in assessments:
        summary = assessment.summary or {}
        agents = summary.get("agents") or summary.get("risks") or []
        worst = ""
        if isinstance(agents, list) and agents:
            top = max(
                agents,
                key=lambda item: float(item.get("score", 0.0)) if isinstance(item, dict) else 0.0,
            )
            worst = agent_label(str(top.get("agent", ""))) if isinstance(top, dict) else ""
        rows.append(
            {
                "assessment": assessment,
                "place": places.label(assessment.location_id),
                "score": assessment.score,
                "worst": worst,
                "period_start": assessment.period_start,
                "period_end": assessment.period_end,
            }
        )
    return rows


def _breach_text(breach: dict[str, Any]) -> str:
    quantity = {"temperature": _("Temperature"), "relative_humidity": _("Relative humidity")}
    side = {"above": _("above"), "below": _("below")}
    hours = breach.get("hours_until_earliest") or breach.get("hours_until_expected")
    return _("%(quantity)s %(side)s %(limit)s in about %(hours)s h") % {
        "quantity": quantity.get(str(breach.get("quantity")), str(breach.get("quantity", ""))),
        "side": side.get(str(breach.get("side")), str(breach.get("side", ""))),
        "limit": breach.get("limit", ""),
        "hours": hours if hours is not None else "?",
    }


def _forecast_rows(forecasts: list[Any] | None, places: _Places) -> list[dict[str, Any]] | None:
    """Forecasts (``prediction.selectors.ForecastSummary``) that predict a breach or the mould
    index reaching 1, soonest first, of places the actor may know."""
    if forecasts is None:
        return None
    rows = []
    for forecast in forecasts:
        breaches = [breach for breach in (forecast.breaches or []) if isinstance(breach, dict)]
        mould_hours = getattr(forecast, "hours_to_mould_1", None)
        if not breaches and mould_hours is None:
            continue
        if forecast.location_id is not None and forecast.location_id not in places.by_id:
            continue
        rows.append(
            {
                "sensor": forecast.sensor_code,
                "place": places.label(forecast.location_id),
                "made_at": forecast.made_at,
                "breaches": [_breach_text(breach) for breach in breaches],
                "mould_hours": mould_hours,
                "url": _first_url(("conservation:prediction_forecast",), forecast.sensor_id)
                or reverse("conservation:sensor", args=[forecast.sensor_id]),
            }
        )
    return rows


def _anomaly_rows(anomalies: list[Any] | None, places: _Places) -> list[dict[str, Any]] | None:
    if anomalies is None:
        return None
    return [
        {
            "anomaly": anomaly,
            "sensor": anomaly.sensor.code,
            "place": places.label(anomaly.location_id),
            "url": _first_url(
                ("conservation:prediction_anomaly",),
                anomaly.pk,
            )
            or reverse("conservation:sensor", args=[anomaly.sensor_id]),
        }
        for anomaly in anomalies
    ]


# --- Overview -------------------------------------------------------------------------------


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Objects most at risk and why (filter by agent and place), places most at risk,
    forecasts that predict a breach, open anomalies, and counts."""
    actor = request.user
    if not selectors.can_view(actor):
        return forbidden(request)
    places = _Places(actor, _language())
    agent = request.GET.get("agent") or ""
    agent = agent if agent in Agent.values else ""
    place = _int_or_none(request.GET.get("place"))
    if place is not None and place not in places.by_id:
        place = None
    assessments = selectors.objects_at_risk(
        actor, agent=agent or None, location_id=place, limit=OVERVIEW_OBJECTS
    )
    return render(
        request,
        "conservation/risk/overview.html",
        {
            "nav": _nav("conservation:risk_overview"),
            "objects": object_rows(assessments, places, actor),
            "places": place_rows(selectors.places_at_risk(actor, limit=OVERVIEW_PLACES), places),
            "forecasts": _forecast_rows(selectors.forecasts_for(actor), places),
            "anomalies": _anomaly_rows(selectors.anomalies_for(actor), places),
            "counts": selectors.counts(actor),
            "agent": agent,
            "place": place,
            "agent_choices": Agent.choices,
            "place_choices": places.choices(blank=_("All places")),
        },
    )


# --- Object panel ---------------------------------------------------------------------------


def panel_context(request: HttpRequest, assessment: ObjectAssessment) -> dict[str, Any]:
    actor = request.user
    places = _Places(actor, _language())
    version = assessment.rules_version
    hidden = selectors.hidden_location_ids(actor)
    risks = sorted(assessment.risks, key=lambda item: -float(item.get("score", 0.0)))
    climate = (
        ClimateAssessment.objects.filter(location_id=assessment.location_id).first()
        if assessment.location_id is not None
        else None
    )
    inputs = assessment.inputs or {}
    return {
        "assessment": assessment,
        "object_id": assessment.object_id,
        "risks": [
            {
                "item": item,
                "agent": agent_label(str(item.get("agent", ""))),
                "level": str(item.get("level", "")),
                "level_label": level_label(str(item.get("level", ""))),
                "text": risk_text(item),
                "numbers": _numbers_text(item.get("numbers")),
                "rule": item.get("rule") or {},
                "sources": [citation(version, key) for key in item.get("sources", [])],
            }
            for item in risks
        ],
        "strategies": [
            {
                "strategy": strategy,
                "key": str(strategy.get("ref") or strategy.get("key", "")),
                "title": strategy_title(strategy),
                "reasons": strategy_reasons(strategy),
                "reduction": strategy.get("reduction"),
                "score_after": strategy.get("score_after"),
                "action": (strategy.get("action") or {}).get("kind"),
                "sources": [citation(version, key) for key in strategy.get("sources", [])],
            }
            for strategy in selectors.visible_strategies(assessment.strategies, hidden)
        ],
        "place": places.label(assessment.location_id),
        "period_start": climate.period_start if climate else inputs.get("period_start"),
        "period_end": climate.period_end if climate else inputs.get("period_end"),
        "may_manage": selectors.can_manage(actor),
    }


def object_panel(request: HttpRequest, object_id: int) -> str:
    """The "Climate risk" section of a catalogue object's page ("" for people without
    ``conservation.risk.view`` and for objects assessed in a place they may not know)."""
    actor = request.user
    if not selectors.can_view(actor):
        return ""
    assessment = selectors.object_assessment_for(actor, object_id)
    if assessment is None:
        if ObjectAssessment.objects.filter(object_id=object_id).exists():
            return ""
        return render_to_string(
            "conservation/risk/_panel.html",
            {"assessment": None, "object_id": object_id},
            request=request,
        )
    return render_to_string(
        "conservation/risk/_panel.html", panel_context(request, assessment), request=request
    )


@login_required
@require_POST
def strategy_task(request: HttpRequest, object_id: int, strategy_key: str) -> HttpResponse:
    """Turn one of the object's strategies into a care task or an approval request."""
    actor = request.user
    if not selectors.can_manage(actor):
        return forbidden(request)
    assessment = selectors.object_assessment_for(actor, object_id)
    if assessment is None or not any(
        strategy_key in (strategy.get("ref"), strategy.get("key"))
        for strategy in selectors.visible_strategies(
            assessment.strategies, selectors.hidden_location_ids(actor)
        )
    ):
        return not_found(request)
    from taihe.modules.conservation.risk import services as risk_services

    try:
        task = risk_services.do_create_task_from_strategy(actor, object_id, strategy_key)
    except DomainError as error:
        denied = refuse(request, error)
        if denied is not None:
            return denied
        messages.error(request, " ".join(error.fields.values()) or str(error.detail))
    else:
        if task.request_number:
            messages.success(
                request,
                _("Approval request %(number)s is started: %(title)s")
                % {"number": task.request_number, "title": task.title},
            )
        else:
            messages.success(request, _("Care task created: %(title)s") % {"title": task.title})
    return redirect("catalog:object", object_id=object_id)


# --- Register -------------------------------------------------------------------------------


def _people_choices(selected: int | None) -> list[tuple[Any, str]]:
    ids = set(directory.people_with_operation("conservation.risk.view"))
    if selected:
        ids.add(selected)
    people = [
        info for info in directory.people(sorted(ids)) if info.is_active or info.id == selected
    ]
    people.sort(key=lambda info: (info.name_en or info.name_zh or info.username).lower())
    return [("", "—")] + [
        (
            info.id,
            " · ".join(part for part in (info.name_zh, info.name_en) if part) or info.username,
        )
        for info in people
    ]


def _score_field(label: Any, required: bool = True) -> forms.FloatField:
    return forms.FloatField(
        label=label,
        required=required,
        widget=forms.NumberInput(attrs={"step": "0.5", "min": "1", "max": "5"}),
    )


class RiskForm(forms.Form):
    agent = forms.TypedChoiceField(
        label=gettext_lazy("Agent of deterioration"), choices=CciAgent.choices, coerce=int
    )
    title = forms.CharField(label=gettext_lazy("Risk"), max_length=200)
    scenario = forms.CharField(
        label=gettext_lazy("Scenario"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    places = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Places"), required=False, coerce=int
    )
    objects = forms.CharField(
        label=gettext_lazy("Objects"),
        required=False,
        help_text=gettext_lazy("Object numbers, separated by commas or on separate lines."),
    )
    segment = forms.CharField(
        label=gettext_lazy("Collection segment"), required=False, max_length=200
    )
    a_score = _score_field(gettext_lazy("A: how often (1–5)"))
    a_low = _score_field(gettext_lazy("A, low estimate"), required=False)
    a_high = _score_field(gettext_lazy("A, high estimate"), required=False)
    b_score = _score_field(gettext_lazy("B: loss of value of each item (1–5)"))
    b_low = _score_field(gettext_lazy("B, low estimate"), required=False)
    b_high = _score_field(gettext_lazy("B, high estimate"), required=False)
    c_score = _score_field(gettext_lazy("C: share of the collection affected (1–5)"))
    c_low = _score_field(gettext_lazy("C, low estimate"), required=False)
    c_high = _score_field(gettext_lazy("C, high estimate"), required=False)
    owner = forms.TypedChoiceField(
        label=gettext_lazy("Owner"), required=False, coerce=int, empty_value=None
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=Risk.Status.choices)
    review_on = forms.DateField(
        label=gettext_lazy("Review by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_objects(self) -> list[int]:
        text = self.cleaned_data.get("objects") or ""
        numbers = list(dict.fromkeys(
            part.strip() for part in text.replace("\n", ",").replace("，", ",").split(",")
            if part.strip()))
        found = catalog.object_ids_by_number(numbers)
        unknown = [number for number in numbers if number not in found]
        if unknown:
            raise forms.ValidationError(
                _("No object has the number %(numbers)s.")
                % {"numbers": ", ".join(f"“{n[:40]}”" for n in unknown[:5])})
        return [found[number] for number in numbers]


RISK_FIELD_NAMES = {"location_ids": "places", "object_ids": "objects", "owner_id": "owner"}


def _risk_initial(risk: Risk) -> dict[str, Any]:
    initial: dict[str, Any] = {
        name: getattr(risk, name)
        for name in (
            "agent",
            "title",
            "scenario",
            "segment",
            "a_score",
            "a_low",
            "a_high",
            "b_score",
            "b_low",
            "b_high",
            "c_score",
            "c_low",
            "c_high",
            "status",
            "review_on",
        )
    }
    initial.update(
        places=risk.location_ids,
        owner=risk.owner_id,
        objects=", ".join(record.object_number for record in
                          catalog.object_records([int(pk) for pk in risk.object_ids])),
    )
    return initial


def _band_rows() -> list[dict[str, Any]]:
    bands = register.priority_bands()
    rows = []
    top = 15.0
    for lowest, code, label in bands:
        rows.append({"code": code, "label": str(label), "low": lowest, "high": top})
        top = lowest - register.SCALE_STEP
    return rows


@login_required
def register_list(request: HttpRequest) -> HttpResponse:
    """The register, largest magnitude first, each risk in its priority band."""
    actor = request.user
    if not selectors.can_view(actor):
        return forbidden(request)
    risks = selectors.risks_for(actor)
    owners = {
        info.id: info
        for info in directory.people(sorted({risk.owner_id for risk in risks if risk.owner_id}))
    }
    today = timezone.localdate()
    rows = [
        {
            "risk": risk,
            "band": register.priority_band(risk.magnitude),
            "owner": owners.get(risk.owner_id or 0),
            "review_due": risk.review_on is not None and risk.review_on <= today,
        }
        for risk in risks
    ]
    return render(
        request,
        "conservation/risk/register.html",
        {
            "nav": _nav("conservation:risk_register"),
            "rows": rows,
            "bands": _band_rows(),
            "may_manage": selectors.can_manage(actor),
        },
    )


@login_required
def risk_edit(request: HttpRequest, risk_id: int | None = None) -> HttpResponse:
    """Create or change a register entry (``?object=<id>`` starts one for an object)."""
    actor = request.user
    if not selectors.can_manage(actor):
        return forbidden(request)
    risk = None
    if risk_id is not None:
        risk = selectors.risk_for(actor, risk_id)
        if risk is None:
            return not_found(request)
    places = _Places(actor, _language())
    initial = (
        _risk_initial(risk)
        if risk is not None
        else {
            "status": Risk.Status.OPEN,
            "owner": request.user.pk,
            "objects": str(_int_or_none(request.GET.get("object")) or ""),
        }
    )
    form = RiskForm(request.POST or None, initial=initial)
    form.fields["places"].choices = places.choices()  # type: ignore[attr-defined]
    form.fields["owner"].choices = _people_choices(  # type: ignore[attr-defined]
        initial.get("owner")
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = register.do_save_risk(
                actor,
                risk.pk if risk else None,
                register.RiskData(
                    agent=data["agent"],
                    title=data["title"],
                    scenario=data["scenario"],
                    location_ids=data["places"],
                    object_ids=data["objects"],
                    segment=data["segment"],
                    owner_id=data["owner"],
                    status=data["status"],
                    review_on=data["review_on"],
                    **{
                        name: data[name]
                        for name in (
                            "a_score",
                            "a_low",
                            "a_high",
                            "b_score",
                            "b_low",
                            "b_high",
                            "c_score",
                            "c_low",
                            "c_high",
                        )
                    },
                ),
            )
        except DomainError as error:
            denied = refuse(request, error)
            if denied is not None:
                return denied
            _show_errors(form, error, RISK_FIELD_NAMES)
        else:
            messages.success(
                request,
                _("Risk “%(title)s” is saved (MR %(mr)s).")
                % {"title": saved.title, "mr": f"{saved.magnitude:g}"},
            )
            return redirect("conservation:risk_detail", risk_id=saved.pk)
    heading = _("Risk “%(title)s”") % {"title": risk.title} if risk else _("New risk")
    return render(
        request,
        "conservation/risk/risk_form.html",
        {"nav": _nav("conservation:risk_register"), "form": form, "heading": heading, "risk": risk},
        status=422 if request.method == "POST" else 200,
    )


class TreatmentForm(forms.Form):
    description = forms.CharField(
        label=gettext_lazy("Treatment"), widget=forms.Textarea(attrs={"rows": 2})
    )
    expected_reduction = forms.FloatField(label=gettext_lazy("Expected reduction of MR"))
    cost = forms.CharField(label=gettext_lazy("Cost"), required=False, max_length=100)
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=RiskTreatment.Status.choices)


@login_required
def risk_detail(request: HttpRequest, risk_id: int) -> HttpResponse:
    actor = request.user
    if not selectors.can_view(actor):
        return forbidden(request)
    risk = selectors.risk_for(actor, risk_id)
    if risk is None:
        return not_found(request)
    places = _Places(actor, _language())
    labels = object_labels([int(pk) for pk in risk.object_ids], places.language)
    owner = directory.person(risk.owner_id) if risk.owner_id else None
    suggested = (risk.evidence or {}).get("suggested") or {}
    return render(
        request,
        "conservation/risk/risk_detail.html",
        {
            "nav": _nav("conservation:risk_register"),
            "risk": risk,
            "band": register.priority_band(risk.magnitude),
            "owner": owner,
            "places": [places.label(int(pk)) for pk in risk.location_ids],
            "objects": [
                {
                    "id": int(pk),
                    "url": reverse("catalog:object", args=[int(pk)]),
                    "number": labels.get(int(pk), ("", ""))[0],
                    "title": labels.get(int(pk), ("", ""))[1],
                }
                for pk in risk.object_ids
            ],
            "suggested": suggested,
            "suggested_numbers": _numbers_text(suggested.get("numbers")),
            "treatments": list(risk.treatments.all()),
            "climate_agents": Agent.choices,
            "default_agent": suggested.get("agent") or register.CLIMATE_AGENTS.get(risk.agent, ""),
            "review_due": risk.review_on is not None and risk.review_on <= timezone.localdate(),
            "may_manage": selectors.can_manage(actor),
            "treatment_form": TreatmentForm(initial={"status": RiskTreatment.Status.PROPOSED}),
        },
    )


@login_required
@require_POST
def treatment_add(request: HttpRequest, risk_id: int) -> HttpResponse:
    actor = request.user
    if not selectors.can_manage(actor):
        return forbidden(request)
    if selectors.risk_for(actor, risk_id) is None:
        return not_found(request)
    form = TreatmentForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            " ".join(
                f"{form.fields[name].label}: {' '.join(str(error) for error in errors)}"
                for name, errors in form.errors.items()
            ),
        )
        return redirect("conservation:risk_detail", risk_id=risk_id)
    data = form.cleaned_data
    try:
        register.do_save_treatment(
            actor,
            risk_id,
            None,
            register.TreatmentData(
                description=data["description"],
                expected_reduction=data["expected_reduction"],
                cost=data["cost"],
                status=data["status"],
            ),
        )
    except DomainError as error:
        denied = refuse(request, error)
        if denied is not None:
            return denied
        messages.error(request, " ".join(error.fields.values()) or str(error.detail))
    else:
        messages.success(request, _("The treatment is added."))
    return redirect("conservation:risk_detail", risk_id=risk_id)


@login_required
@require_POST
def risk_suggest(request: HttpRequest, risk_id: int) -> HttpResponse:
    """Suggest A and B from the monitoring data of the risk's places."""
    actor = request.user
    if not selectors.can_manage(actor):
        return forbidden(request)
    if selectors.risk_for(actor, risk_id) is None:
        return not_found(request)
    try:
        risk = register.do_suggest_abc(actor, risk_id, request.POST.get("agent") or None)
    except DomainError as error:
        denied = refuse(request, error)
        if denied is not None:
            return denied
        messages.error(request, " ".join(error.fields.values()) or str(error.detail))
    else:
        suggested = risk.evidence.get("suggested", {})
        messages.success(
            request,
            _("Suggested from monitoring: A %(a)s, B %(b)s.")
            % {"a": suggested.get("a", "—"), "b": suggested.get("b", "—")},
        )
    return redirect("conservation:risk_detail", risk_id=risk_id)


# --- Care tasks -----------------------------------------------------------------------------


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    actor = request.user
    if not selectors.can_view(actor):
        return forbidden(request)
    status = request.GET.get("status", CareTask.Status.OPEN)
    if status not in (*CareTask.Status.values, "all"):
        status = CareTask.Status.OPEN
    tasks = selectors.care_tasks_for(actor, status=None if status == "all" else status)
    places = _Places(actor, _language())
    labels = object_labels([int(pk) for task in tasks for pk in task.object_ids], places.language)
    assignees = {
        info.id: info
        for info in directory.people(
            sorted({task.assignee_id for task in tasks if task.assignee_id})
        )
    }
    rows = [
        {
            "task": task,
            "place": places.label(task.location_id),
            "assignee": assignees.get(task.assignee_id or 0),
            "objects": [
                {
                    "url": reverse("catalog:object", args=[int(pk)]),
                    "number": labels.get(int(pk), (str(pk), ""))[0] or str(pk),
                }
                for pk in task.object_ids
            ],
        }
        for task in tasks
    ]
    return render(
        request,
        "conservation/risk/tasks.html",
        {
            "nav": _nav("conservation:risk_tasks"),
            "rows": rows,
            "status": status,
            "statuses": [*CareTask.Status.choices, ("all", _("All"))],
            "may_manage": selectors.can_manage(actor),
        },
    )


@login_required
@require_POST
def task_status(request: HttpRequest, task_id: int) -> HttpResponse:
    actor = request.user
    if not selectors.can_manage(actor):
        return forbidden(request)
    if selectors.care_task_for(actor, task_id) is None:
        return not_found(request)
    try:
        from taihe.modules.conservation.risk import services as risk_services

        task = risk_services.do_set_task_status(actor, task_id, request.POST.get("status", ""))
    except DomainError as error:
        denied = refuse(request, error)
        if denied is not None:
            return denied
        messages.error(request, " ".join(error.fields.values()) or str(error.detail))
    else:
        messages.success(
            request,
            _("“%(title)s” is now %(status)s.")
            % {"title": task.title, "status": task.get_status_display()},
        )
    return redirect("conservation:risk_tasks")


# --- Report ---------------------------------------------------------------------------------

REPORT_TYPES: dict[str, tuple[str, Callable[[exports.RiskReport], bytes]]] = {
    "pdf": ("application/pdf", exports.render_pdf),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        exports.render_xlsx,
    ),
}


@login_required
def report_download(request: HttpRequest) -> HttpResponseBase:
    """The risk report (``?format=pdf`` or ``xlsx``) of what the person may see."""
    actor = request.user
    if not selectors.can_view(actor):
        return forbidden(request)
    kind = request.GET.get("format", "pdf")
    if kind not in REPORT_TYPES:
        return not_found(request, _("Choose pdf or xlsx."))
    report = exports.build_report(actor, exports.report_language(_language()))
    content_type, render_file = REPORT_TYPES[kind]
    stamp = report.generated_at.strftime("%Y-%m-%d")
    return FileResponse(
        io.BytesIO(render_file(report)),
        as_attachment=True,
        content_type=content_type,
        filename=f"climate-risk-{stamp}.{kind}",
    )
