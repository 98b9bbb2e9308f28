"""Pages of prediction: forecasts (list and per sensor), anomalies (list, detail with the
evidence in words, the readings around it, the objects at risk and the repair request) and
the decision on an anomaly. Thin: selectors read, services write and decide permissions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taihe.kernel import authz
from taihe.kernel.errors import Conflict, DomainError, NotFound, PermissionDenied
from taihe.kernel.http.pages import forbidden, not_found
from taihe.modules.catalog import api as catalog
from taihe.modules.conservation import operations as ops
from taihe.modules.conservation.models import Anomaly
from taihe.modules.conservation.prediction import selectors, services
from taihe.modules.conservation.views import section_nav

ANOMALIES_PER_PAGE = 50
OBJECTS_SHOWN = 50
CHART_MARGIN = dt.timedelta(days=2)
SVG_WIDTH = 720
SVG_HEIGHT = 220
SVG_PAD = 36


def _language() -> str:
    return get_language() or settings.LANGUAGE_CODE


def _utc_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _place_label(location_id: int | None) -> str:
    if location_id is None:
        return ""
    info = catalog.location(location_id)
    if info is None:
        return ""
    return f"{info.code} {catalog.location_name(info.id, _language())}".strip()


def _tabs(request: HttpRequest) -> list[dict[str, Any]]:
    tabs = section_nav(request.user)
    for name, label in (
        ("conservation:prediction_forecasts", _("Forecasts")),
        ("conservation:prediction_anomalies", _("Anomalies")),
    ):
        url = reverse(name)
        tabs.append({"url": url, "label": label, "current": request.path.startswith(url)})
    return tabs


# --- Forecasts ----------------------------------------------------------------------------


@login_required
def forecast_list(request: HttpRequest) -> HttpResponse:
    if not selectors.can_view(request.user):
        return forbidden(request)
    rows = [
        {"item": item, "place": _place_label(item.location_id)}
        for item in selectors.latest_forecasts_for(request.user)
    ]
    return render(
        request, "conservation/prediction/forecasts.html", {"nav": _tabs(request), "rows": rows}
    )


def _scale(values: list[float], low: float, high: float) -> list[float]:
    span = (high - low) or 1.0
    return [SVG_HEIGHT - SVG_PAD - (v - low) / span * (SVG_HEIGHT - 2 * SVG_PAD) for v in values]


def _svg_chart(data: dict[str, Any], quantity: str, limits: tuple[Any, Any]) -> dict[str, Any]:
    """Polylines and polygons of one quantity's forecast (mean, 80 % and 95 % bands) and the
    specification band, in SVG user units."""
    series = data.get(quantity) or {}
    mean = [float(v) for v in series.get("mean") or []]
    if not mean:
        return {}
    lower = series.get("lower") or {}
    upper = series.get("upper") or {}
    values = list(mean)
    for band in (*lower.values(), *upper.values()):
        values.extend(float(v) for v in band)
    values.extend(float(v) for v in limits if v is not None)
    low, high = min(values), max(values)
    pad = (high - low) * 0.05 or 1.0
    low, high = low - pad, high + pad
    count = len(mean)
    xs = [SVG_PAD + i * (SVG_WIDTH - 2 * SVG_PAD) / max(count - 1, 1) for i in range(count)]

    def points(ys: list[float]) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=False))

    bands = []
    for key in sorted(upper, reverse=True):
        top = _scale([float(v) for v in upper[key]], low, high)
        bottom = _scale([float(v) for v in lower.get(key, upper[key])], low, high)
        bands.append(
            {
                "level": key,
                "points": points(top)
                + " "
                + " ".join(
                    f"{x:.1f},{y:.1f}" for x, y in reversed(list(zip(xs, bottom, strict=False)))
                ),
            }
        )
    spec = []
    for value in limits:
        if value is not None:
            spec.append(
                {
                    "y": f"{_scale([float(value)], low, high)[0]:.1f}",
                    "label": formats.number_format(float(value), 1),
                }
            )
    ticks = []
    for hour in range(0, count, 24):
        ticks.append({"x": f"{xs[hour]:.1f}", "label": _("+%(hours)d h") % {"hours": hour}})
    return {
        "width": SVG_WIDTH,
        "height": SVG_HEIGHT,
        "mean": points(_scale(mean, low, high)),
        "bands": bands,
        "spec": spec,
        "ticks": ticks,
        "left": SVG_PAD,
        "right": SVG_WIDTH - SVG_PAD,
        "low": formats.number_format(low, 1),
        "high": formats.number_format(high, 1),
    }


def _hours_text(hours: Any) -> str:
    if hours is None:
        return _("not within 72 hours")
    if hours == 0:
        return _("already reached")
    return _("in about %(hours)s h") % {"hours": hours}


@login_required
def forecast_detail(request: HttpRequest, sensor_id: int) -> HttpResponse:
    if not selectors.can_view(request.user):
        return forbidden(request)
    forecast = selectors.latest_forecast(request.user, sensor_id)
    if forecast is None:
        return not_found(
            request,
            _(
                "No forecast for this sensor yet (a sensor needs a week "
                "of temperature and humidity readings)."
            ),
        )
    spec = forecast.specification or {}
    data = forecast.data or {}
    mould = forecast.mould or {}
    breaches = []
    for breach in forecast.breaches or []:
        breaches.append(
            {
                "quantity": _("Temperature")
                if breach["quantity"] == "temperature"
                else _("Relative humidity"),
                "side": _("above") if breach["side"] == "above" else _("below"),
                "limit": breach["limit"],
                "expected": (
                    services._iso_to_datetime(breach["expected_at"])
                    if breach.get("expected_at")
                    else None
                ),
                "earliest": (
                    services._iso_to_datetime(breach["earliest_at"])
                    if breach.get("earliest_at")
                    else None
                ),
                "hours_expected": breach.get("hours_until_expected"),
                "hours_earliest": breach.get("hours_until_earliest"),
                "value": breach.get("expected_value"),
            }
        )
    return render(
        request,
        "conservation/prediction/forecast.html",
        {
            "nav": _tabs(request),
            "forecast": forecast,
            "place": _place_label(forecast.location_id),
            "charts": [
                {
                    "title": _("Temperature (°C)"),
                    "chart": _svg_chart(
                        data, "temperature", (spec.get("t_min"), spec.get("t_max"))
                    ),
                },
                {
                    "title": _("Relative humidity (%)"),
                    "chart": _svg_chart(
                        data, "relative_humidity", (spec.get("rh_min"), spec.get("rh_max"))
                    ),
                },
            ],
            "spec": spec,
            "breaches": breaches,
            "mould": mould,
            "mould_1": _hours_text(mould.get("hours_to_1")),
            "mould_3": _hours_text(mould.get("hours_to_3")),
            "wet_1": _hours_text(mould.get("wet_hours_to_1")),
            "wet_3": _hours_text(mould.get("wet_hours_to_3")),
            "alert": services.open_forecast_alert(forecast.sensor),
        },
    )


# --- Anomalies ----------------------------------------------------------------------------


@login_required
def anomaly_list(request: HttpRequest) -> HttpResponse:
    if not selectors.can_view(request.user):
        return forbidden(request)
    anomalies = selectors.anomalies_for(request.user).select_related("sensor")
    status = request.GET.get("status", "open")
    if status != "all":
        status = "open"
        anomalies = anomalies.filter(status__in=[Anomaly.Status.OPEN, Anomaly.Status.CONFIRMED])
    cause = request.GET.get("cause", "")
    if cause in Anomaly.Cause.values:
        anomalies = anomalies.filter(cause=cause)
    else:
        cause = ""
    kind = request.GET.get("kind", "")
    if kind in Anomaly.Kind.values:
        anomalies = anomalies.filter(kind=kind)
    else:
        kind = ""
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        number = 1
    page = Paginator(anomalies.order_by("-started_at", "-id"), ANOMALIES_PER_PAGE).get_page(number)
    rows = [{"anomaly": a, "place": _place_label(a.location_id)} for a in page]
    rest = request.GET.copy()
    rest.pop("page", None)
    return render(
        request,
        "conservation/prediction/anomalies.html",
        {
            "nav": _tabs(request),
            "rows": rows,
            "page_obj": page,
            "query_string": rest.urlencode(),
            "status": status,
            "cause": cause,
            "kind": kind,
            "causes": Anomaly.Cause.choices,
            "kinds": Anomaly.Kind.choices,
        },
    )


def _objects_at_risk(actor: Any, location_id: int | None) -> tuple[list[dict[str, Any]], int]:
    ids = services.objects_in(location_id)
    visible = sorted(catalog.visible_object_ids(actor, ids))
    shown = [
        {"id": pk, "title": catalog.object_title(pk, _language())} for pk in visible[:OBJECTS_SHOWN]
    ]
    return shown, len(visible)


@login_required
def anomaly_detail(request: HttpRequest, anomaly_id: int) -> HttpResponse:
    actor = request.user
    if not selectors.can_view(actor):
        return forbidden(request)
    anomaly = selectors.anomalies_for(actor).select_related("sensor").filter(pk=anomaly_id).first()
    if anomaly is None:
        return not_found(request)
    from taihe.modules.workflows import api as workflows

    end = anomaly.ended_at or anomaly.started_at
    chart = {
        "url": reverse("conservation:sensor_series", kwargs={"sensor_id": anomaly.sensor_id}),
        "quantities": "temperature,relative_humidity",
        "start": _utc_text(anomaly.started_at - CHART_MARGIN),
        "end": _utc_text(end + CHART_MARGIN),
        "time_zone": settings.TIME_ZONE,
        "label": _("Readings of %(sensor)s around the anomaly") % {"sensor": anomaly.sensor.code},
    }
    request_info = None
    if anomaly.maintenance_request:
        request_info = workflows.readable_request(actor, anomaly.maintenance_request)
    objects, object_count = _objects_at_risk(actor, anomaly.location_id)
    evidence = [
        {"name": key, "value": value}
        for key, value in sorted((anomaly.evidence or {}).items())
        if value is not None
    ]
    decided_by = None
    if anomaly.decided_by_id:
        from taihe.modules.directory import api as directory

        found = directory.people([anomaly.decided_by_id])
        decided_by = found[0] if found else None
    return render(
        request,
        "conservation/prediction/anomaly.html",
        {
            "nav": _tabs(request),
            "anomaly": anomaly,
            "place": _place_label(anomaly.location_id),
            "explanation": services.explanation(anomaly),
            "evidence": evidence,
            "chart": chart,
            "objects": objects,
            "object_count": object_count,
            "request_info": request_info,
            "may_manage": authz.can(actor, ops.RISK_MANAGE.code),
            "may_see_chart": authz.can(actor, ops.MONITORING_VIEW.code),
            "decided_by": decided_by,
            "undecided": anomaly.status in (Anomaly.Status.OPEN, Anomaly.Status.CONFIRMED),
        },
    )


@login_required
@require_POST
def anomaly_decide(request: HttpRequest, anomaly_id: int) -> HttpResponse:
    if not authz.can(request.user, ops.RISK_MANAGE.code):
        return forbidden(request)
    try:
        services.do_decide_anomaly(
            request.user,
            anomaly_id,
            decision=request.POST.get("decision", ""),
            note=request.POST.get("note", ""),
        )
    except PermissionDenied:
        return forbidden(request)
    except NotFound:
        return not_found(request)
    except Conflict as error:
        messages.error(request, str(error.detail))
    except DomainError as error:
        messages.error(
            request,
            # The field messages say what is wrong in words; the field codes mean nothing
            # to the person reading them.
            " ".join(str(text) for text in error.fields.values()) or str(error.detail),
        )
    else:
        messages.success(request, _("The decision is recorded."))
    return redirect("conservation:prediction_anomaly", anomaly_id=anomaly_id)
