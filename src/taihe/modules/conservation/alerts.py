"""Alert rules from the database through the pure engine (``alerting``) to alerts people see.

Rules are rows (:class:`~.models.AlertRule`); :func:`engine_rule` turns one into the
engine's frozen dataclass for a given sensor. Each (rule, sensor) keeps its engine state in
:class:`~.models.AlertRuleState` and advances over readings stored since the last run, so a
job can evaluate any number of times: it only ever reads what is new.

Old history does not page anybody: when a year of logger files is imported, excursions that
began and ended more than :data:`LOOKBACK` ago are left to the charts and reports. A
condition that is still going on opens an alert whenever it started.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taihe.kernel.events import publish
from taihe.modules.catalog import api as catalog
from taihe.modules.conservation import events, store
from taihe.modules.conservation import operations as ops
from taihe.modules.conservation.alerting import (
    AlertCleared,
    AlertOpened,
    AlertState,
    BandBreach,
    BatteryLow,
    MetricThreshold,
    RateOfChange,
    Silence,
    evaluate,
)
from taihe.modules.conservation.alerting import AlertRule as EngineRule
from taihe.modules.conservation.labels import quantity_label
from taihe.modules.conservation.live import LiveReading
from taihe.modules.conservation.live_topics import push_for_location
from taihe.modules.conservation.models import (
    Alert,
    AlertEntry,
    AlertRule,
    AlertRuleState,
    Sensor,
    Specification,
)
from taihe.modules.directory import api as directory
from taihe.modules.notifications import api as notifications

LOOKBACK = dt.timedelta(hours=48)
logger = logging.getLogger(__name__)
MAX_ESCALATIONS = 3
_UNITS = {"temperature": "Cel", "relative_humidity": "%RH", "illuminance": "lx", "uv": "uW/lm",
          "co2": "ppm", "voc": "ppb", "battery": "V", "dew_point": "Cel"}
_SPEC_BANDS = {"temperature": ("t_min", "t_max"), "relative_humidity": ("rh_min", "rh_max"),
               "illuminance": (None, "lux_max"), "uv": (None, "uv_max")}


def _float(parameters: Mapping[str, Any], name: str, default: float | None = None) -> float | None:
    value = parameters.get(name, default)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(name)
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number")
    return number


def spec_band(spec: Specification | None, quantity: str) -> tuple[float | None, float | None]:
    if spec is None or quantity not in _SPEC_BANDS:
        return None, None
    low_name, high_name = _SPEC_BANDS[quantity]
    return (getattr(spec, low_name) if low_name else None,
            getattr(spec, high_name) if high_name else None)


def build(kind: str, parameters: Mapping[str, Any], *,
          band: tuple[float | None, float | None] | None = None) -> EngineRule:
    """The engine rule for ``kind`` and ``parameters``; ``band`` overrides low/high.
    Raises ValueError/TypeError/KeyError for unusable parameters."""
    if kind == AlertRule.Kind.BAND:
        low, high = band if band is not None else (_float(parameters, "low"),
                                                   _float(parameters, "high"))
        return BandBreach(str(parameters["quantity"]), low, high,
                          _float(parameters, "min_duration_minutes", 0.0) or 0.0,
                          _float(parameters, "hysteresis", 0.0) or 0.0)
    if kind == AlertRule.Kind.RATE:
        return RateOfChange(str(parameters["quantity"]), float(parameters["max_change"]),
                            float(parameters["window_minutes"]),
                            _float(parameters, "hysteresis", 0.0) or 0.0)
    if kind == AlertRule.Kind.SILENCE:
        count = parameters["max_missing_intervals"]
        if not isinstance(count, int) or isinstance(count, bool):
            raise ValueError("max_missing_intervals")
        return Silence(count)
    if kind == AlertRule.Kind.BATTERY:
        unit = str(parameters.get("unit", "V"))
        if unit not in ("V", "%EL"):
            raise ValueError("unit")
        return BatteryLow(float(parameters["threshold"]), unit,
                          _float(parameters, "hysteresis", 0.0) or 0.0)
    if kind == AlertRule.Kind.METRIC:
        return MetricThreshold(parameters["metric"], float(parameters["threshold"]),
                               _float(parameters, "hysteresis", 0.0) or 0.0,
                               _float(parameters, "window_days", 30.0) or 30.0)
    raise ValueError(kind)


_REQUIRED: dict[str, tuple[str, ...]] = {
    AlertRule.Kind.BAND: ("quantity",), AlertRule.Kind.RATE: ("quantity", "max_change",
                                                               "window_minutes"),
    AlertRule.Kind.SILENCE: ("max_missing_intervals",), AlertRule.Kind.BATTERY: ("threshold",),
    AlertRule.Kind.METRIC: ("metric", "threshold"),
}


def check_parameters(kind: str, parameters: Mapping[str, Any],
                     use_specification: bool) -> dict[str, str]:
    """Field errors for a rule's parameters (``parameters.<name>``), empty when usable."""
    errors: dict[str, str] = {}
    for name in _REQUIRED.get(kind, ()):
        if parameters.get(name) in (None, ""):
            errors[f"parameters.{name}"] = _("Required for this kind of rule.")
    quantity = parameters.get("quantity")
    if quantity is not None and (not isinstance(quantity, str)
                                 or quantity not in store.quantity_ids()):
        errors["parameters.quantity"] = _("Unknown quantity.")
    if use_specification:
        if kind != AlertRule.Kind.BAND:
            errors["use_specification"] = _("Only band rules take their limits from the "
                                            "specification.")
        elif quantity not in _SPEC_BANDS:
            errors["use_specification"] = _("Specifications set no band for this quantity.")
    elif kind == AlertRule.Kind.BAND and parameters.get("low") in (None, "") and \
            parameters.get("high") in (None, ""):
        errors["parameters.low"] = _("Give a lower limit, an upper limit or both.")
    if errors:
        return errors
    try:
        build(kind, parameters, band=(0.0, 100.0) if use_specification else None)
    except (ValueError, TypeError, KeyError) as exc:
        # The engine's messages are for developers; name the field and say it in words.
        problem = str(exc)
        if "hysteresis" in problem and "high" in problem:
            errors["parameters.hysteresis"] = _(
                "The hysteresis is too wide for this band: an alert could never clear.")
        else:
            named = next((name for name in parameters if problem.startswith(str(name))
                          or problem.strip("'\"") == str(name)), None)
            errors[f"parameters.{named}" if named else "parameters"] = _(
                "Give a finite number here; limits, windows and durations must be above zero "
                "and hysteresis zero or more.")
    return errors


def engine_rule(rule: AlertRule, sensor: Sensor) -> EngineRule | None:
    """The engine rule for this sensor; None when it takes its band from a specification the
    sensor's place does not have."""
    if rule.use_specification:
        from taihe.modules.conservation.services import specification_for_location

        low, high = spec_band(specification_for_location(sensor.location_id),
                              str(rule.parameters.get("quantity")))
        if low is None and high is None:
            return None
        return build(rule.kind, rule.parameters, band=(low, high))
    return build(rule.kind, rule.parameters)


# --- state (de)serialisation --------------------------------------------------------------

def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def state_to_json(state: AlertState) -> dict[str, Any]:
    return {
        "open": state.open,
        "opened_at": state.opened_at.isoformat() if state.opened_at else None,
        "since": state.since.isoformat() if state.since else None,
        "last_times": {q: t.isoformat() for q, t in state.last_times.items()},
        "window": [[t.isoformat(), v] for t, v in state.window],
        "pending": {q: [t.isoformat(), v] for q, (t, v) in state.pending.items()},
        "paired": [list(p) for p in state.paired],
        "last_seen": state.last_seen.isoformat() if state.last_seen else None,
    }


def state_from_json(data: Mapping[str, Any]) -> AlertState:
    if not data:
        return AlertState()
    return AlertState(
        open=bool(data.get("open")), opened_at=_time(data.get("opened_at")),
        since=_time(data.get("since")),
        last_times={q: dt.datetime.fromisoformat(t)
                    for q, t in data.get("last_times", {}).items()},
        window=tuple((dt.datetime.fromisoformat(t), float(v))
                     for t, v in data.get("window", [])),
        pending={q: (dt.datetime.fromisoformat(t), float(v))
                 for q, (t, v) in data.get("pending", {}).items()},
        paired=tuple((float(a), float(b), float(c)) for a, b, c in data.get("paired", [])),
        last_seen=_time(data.get("last_seen")))


# --- evaluation ---------------------------------------------------------------------------

def rules_for(sensor: Sensor) -> list[AlertRule]:
    """Active rules that watch this sensor: its own, its place's (or an enclosing place's),
    and museum-wide ones."""
    places: list[int] = []
    if sensor.location_id is not None:
        info = catalog.location(sensor.location_id)
        if info is not None:
            places = [int(part) for part in info.path.strip("/").split("/") if part]
    return list(AlertRule.objects.filter(is_active=True).filter(
        Q(sensor_id=sensor.pk) | Q(sensor__isnull=True, location_id__in=places)
        | Q(sensor__isnull=True, location__isnull=True)).order_by("pk"))


def _quantities_for(rule: EngineRule) -> list[str]:
    if isinstance(rule, BandBreach | RateOfChange):
        return [rule.quantity]
    if isinstance(rule, BatteryLow):
        return ["battery" if rule.unit == "V" else "battery_level"]
    if isinstance(rule, MetricThreshold):
        return ["temperature", "relative_humidity"]
    return []  # Silence reads the sensor's last reading time, not values


def _readings(sensor: Sensor, rule: EngineRule, after: int, *, hourly: bool = False
              ) -> list[LiveReading]:
    ids = store.quantity_ids()
    found: list[tuple[int, str, float]] = []
    hourly = hourly or (isinstance(rule, MetricThreshold) and rule.metric == "mould_index")
    end = 2**62
    for code in _quantities_for(rule):
        if code not in ids:
            continue
        if hourly:
            # The VTT model runs on hourly climate (Hukka & Viitanen 1999); feeding it
            # 5-minute readings only multiplies the work.
            times, values = store.hourly_means(sensor.pk, ids[code], after + 1, end)
        else:
            times, values = store.raw_values(sensor.pk, ids[code], after + 1, end)
        found.extend(zip(times.tolist(), [code] * len(times), values.tolist(), strict=True))
    found.sort(key=lambda row: (row[0], row[1]))
    readings: list[LiveReading] = []
    for time, code, value in found:
        engine_code, unit = ("battery", "%EL") if code == "battery_level" else (
            code, _UNITS.get(code, ""))
        readings.append(LiveReading(sensor.code, engine_code,
                                    dt.datetime.fromtimestamp(time, dt.UTC), value, unit))
    return readings


def evaluate_sensor(sensor_id: int, *, now: dt.datetime | None = None,
                    kinds: Iterable[str] | None = None,
                    lookback: dt.timedelta | None = LOOKBACK, notify: bool = True,
                    hourly: bool = False) -> list[int]:
    """Advance every rule watching the sensor (of ``kinds``, default all) over its new
    readings; open and clear alerts. Conditions that began and ended before ``now -
    lookback`` open no alert (None: every one does); ``notify=False`` tells nobody (the
    demo's past); ``hourly`` feeds hourly means instead of every reading (a year of history
    in a twelfth of the time). Returns the ids of alerts opened."""
    sensor = Sensor.objects.filter(pk=sensor_id).first()
    if sensor is None:
        return []
    moment = now or timezone.now()
    wanted = set(kinds) if kinds is not None else None
    opened: list[int] = []
    for rule in rules_for(sensor):
        if wanted is not None and rule.kind not in wanted:
            continue
        if rule.kind == AlertRule.Kind.FORECAST:
            continue  # raised from forecasts (prediction.services), not from readings
        try:
            built = engine_rule(rule, sensor)
        except (ValueError, TypeError, KeyError):
            # E.g. a hysteresis wider than the band of the place's specification allows:
            # this rule cannot run for this sensor; the others still must.
            logger.warning("alert rule %s cannot run for sensor %s", rule.pk, sensor.code,
                           exc_info=True)
            continue
        if built is None:
            continue
        with transaction.atomic():
            holder, _created = AlertRuleState.objects.select_for_update().get_or_create(
                rule=rule, sensor=sensor)
            state = state_from_json(holder.state)
            if isinstance(built, Silence):
                readings: list[LiveReading] = []
                if sensor.last_reading_at is not None and (
                        state.last_seen is None or sensor.last_reading_at > state.last_seen):
                    readings = [LiveReading(sensor.code, "temperature", sensor.last_reading_at,
                                            0.0, "Cel")]
                state, found = evaluate(
                    built, state, readings, now=moment,
                    logging_interval=dt.timedelta(seconds=sensor.logging_interval_seconds))
            else:
                readings = _readings(sensor, built, holder.evaluated_to, hourly=hourly)
                state, found = evaluate(built, state, readings)
            opened.extend(_apply(rule, sensor, state, found, moment, lookback=lookback,
                                 notify=notify))
            holder.state = state_to_json(state)
            if readings:
                holder.evaluated_to = max(holder.evaluated_to,
                                          int(readings[-1].time.timestamp()))
            holder.save()
    return opened


def reset_states(rule: AlertRule) -> None:
    """After a rule changed, its evaluation starts afresh from the readings already seen
    (history is not replayed: that would re-raise or wrongly clear alerts); where an alert of
    the rule is still open, the state stays open so that its condition can clear."""
    for holder in rule.states.select_related("sensor"):
        current = _current(rule, holder.sensor)
        state = (AlertState(open=True, opened_at=current.opened_at) if current is not None
                 else AlertState())
        holder.state = state_to_json(state)
        holder.save(update_fields=["state"])


def _current(rule: AlertRule, sensor: Sensor) -> Alert | None:
    return (Alert.objects.filter(rule=rule, sensor=sensor, condition_cleared_at__isnull=True)
            .exclude(status=Alert.Status.RESOLVED).order_by("-opened_at").first())


def _apply(rule: AlertRule, sensor: Sensor, state: AlertState, found: Iterable[Any],
           now: dt.datetime, *, lookback: dt.timedelta | None = LOOKBACK,
           notify: bool = True) -> list[int]:
    """Turn engine events into alerts. A condition that began before ``now - lookback`` is
    held back until its end is known: if it also ended before then, it is history (charts and
    reports show it) and opens nothing; if it ended later, or is still going on, it opens an
    alert as usual."""
    opened: list[int] = []
    cutoff = None if lookback is None else now - lookback
    held: AlertOpened | None = None
    for event in found:
        if isinstance(event, AlertOpened):
            if cutoff is not None and event.at < cutoff:
                held = event
                continue
            if _current(rule, sensor) is None:
                opened.append(_open(rule, sensor, event.since, event.at, event.value, now,
                                    notify=notify))
        elif isinstance(event, AlertCleared):
            if held is not None:
                early, held = held, None
                if cutoff is not None and event.at < cutoff:
                    continue  # began and ended long ago: history, not an alarm
                if _current(rule, sensor) is None:
                    opened.append(_open(rule, sensor, early.since, early.at, early.value, now,
                                        notify=notify))
            alert = _current(rule, sensor)
            # A clearing older than the open alert belongs to an earlier condition (a rule
            # whose state was reset replays history): it does not close this one.
            if alert is not None and event.at >= alert.opened_at:
                alert.condition_cleared_at = event.at
                alert.save(update_fields=["condition_cleared_at"])
                AlertEntry.objects.create(alert=alert, kind=AlertEntry.Kind.CLEARED, at=event.at,
                                          text=_value_text(rule, event.value))
                push_for_location(alert.location_id, {"alert_id": alert.pk,
                                                      "sensor_id": alert.sensor_id,
                                                      "cleared": True})
    if held is not None and _current(rule, sensor) is None:
        # Began long ago and still going on: that is an alarm now.
        opened.append(_open(rule, sensor, held.since, held.at, held.value, now, notify=notify))
    return opened


def _value_text(rule: AlertRule, value: float | None) -> str:
    if value is None:
        return ""
    quantity = str(rule.parameters.get("quantity") or rule.parameters.get("metric") or "")
    unit = ""
    if quantity in store.quantity_ids():
        unit = store.quantity_by_id(store.quantity_ids()[quantity]).unit
    return f"{value:.2f} {unit}".strip()


def summary_of(rule: AlertRule, sensor: Sensor, value: float | None) -> str:
    labels = {
        AlertRule.Kind.BAND: _("%(sensor)s: %(quantity)s out of range (%(value)s)"),
        AlertRule.Kind.RATE: _("%(sensor)s: %(quantity)s changing too fast (%(value)s)"),
        AlertRule.Kind.SILENCE: _("%(sensor)s: no readings arriving"),
        AlertRule.Kind.BATTERY: _("%(sensor)s: battery low (%(value)s)"),
        AlertRule.Kind.METRIC: _("%(sensor)s: %(quantity)s beyond its threshold (%(value)s)"),
    }
    return labels[AlertRule.Kind(rule.kind)] % {
        "sensor": sensor.code,
        "quantity": quantity_label(str(rule.parameters.get("quantity")
                                       or rule.parameters.get("metric") or "")),
        "value": _value_text(rule, value)}


def _recipients(rule: AlertRule, sensor: Sensor) -> list[int]:
    from taihe.modules.conservation.services import responsible_for_location

    people = list(rule.notify.values_list("id", flat=True))
    if not people:
        people = responsible_for_location(sensor.location_id)
    if not people:
        people = directory.people_with_operation(ops.ALERT_RULE_MANAGE.code)
    return _who_may_see(people, sensor)


def _who_may_see(people: Iterable[int], sensor: Sensor) -> list[int]:
    """Only those who may see the sensor are told (a notification names its place)."""
    from taihe.modules.conservation.selectors import sensors_for

    found = []
    for person in get_user_model().objects.filter(pk__in=set(people), is_active=True):
        if sensors_for(person).filter(pk=sensor.pk).exists():
            found.append(person.pk)
    return sorted(found)


def _notify(alert: Alert, people: list[int], *, escalated: bool) -> None:
    place = ""
    if alert.location_id is not None:
        info = catalog.location(alert.location_id)
        place = info.code if info else ""
    title = (gettext_lazy("Escalated environmental alert at %(place)s") if escalated
             else gettext_lazy("Environmental alert at %(place)s"))
    notifications.notify(people, category="conservation.alerts", title=title,
                         body=gettext_lazy("%(summary)s. Acknowledge it so that nobody else "
                                           "is called."),
                         url=f"/conservation/alerts/{alert.pk}/",
                         params={"place": place or alert.sensor.code, "summary": alert.summary})


def _open(rule: AlertRule, sensor: Sensor, since: dt.datetime, at: dt.datetime,
          value: float | None, now: dt.datetime, *, notify: bool = True) -> int:
    with translation.override(settings.LANGUAGE_CODE):
        summary = summary_of(rule, sensor, value)[:300]
    alert = Alert.objects.create(
        rule=rule, sensor=sensor, location_id=sensor.location_id, kind=rule.kind,
        severity=rule.severity, summary=summary, condition_since=since, opened_at=at,
        value=value, next_escalation_at=now + dt.timedelta(minutes=rule.escalate_after_minutes))
    AlertEntry.objects.create(alert=alert, kind=AlertEntry.Kind.OPENED, at=at,
                              text=_value_text(rule, value))
    if notify:
        people = _recipients(rule, sensor)
        _notify(alert, people, escalated=False)
        AlertEntry.objects.create(alert=alert, kind=AlertEntry.Kind.NOTIFIED, at=now,
                                  recipients=people)
    publish(events.AlertOpened(alert_id=alert.pk, sensor_id=sensor.pk, severity=rule.severity))
    push_for_location(alert.location_id, {"alert_id": alert.pk, "sensor_id": sensor.pk,
                                          "status": alert.status, "summary": summary})
    return alert.pk


def escalate_due(*, now: dt.datetime | None = None) -> list[int]:
    """Tell the escalation list about open alerts nobody acknowledged in time (again after
    each interval, at most :data:`MAX_ESCALATIONS` times). Returns the alerts escalated."""
    moment = now or timezone.now()
    escalated: list[int] = []
    # Escalation calls for someone to act while the condition lasts; once it has cleared the
    # alert still waits for acknowledgement, but nobody more is called.
    due = Alert.objects.filter(status=Alert.Status.OPEN, next_escalation_at__lte=moment,
                               condition_cleared_at__isnull=True)
    for alert_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            alert = (Alert.objects.select_for_update().select_related("rule", "sensor")
                     .filter(pk=alert_id, status=Alert.Status.OPEN,
                             condition_cleared_at__isnull=True,
                             next_escalation_at__lte=moment).first())
            if alert is None:
                continue
            rule = alert.rule
            people = _who_may_see(
                list(rule.escalate_to.values_list("id", flat=True))
                or directory.people_with_operation(ops.ALERT_RULE_MANAGE.code), alert.sensor)
            alert.escalation_level += 1
            alert.next_escalation_at = (
                moment + dt.timedelta(minutes=rule.escalate_after_minutes)
                if alert.escalation_level < MAX_ESCALATIONS else None)
            alert.save(update_fields=["escalation_level", "next_escalation_at"])
            _notify(alert, sorted(set(people)), escalated=True)
            AlertEntry.objects.create(alert=alert, kind=AlertEntry.Kind.ESCALATED, at=moment,
                                      recipients=sorted(set(people)),
                                      text=str(alert.escalation_level))
            publish(events.AlertEscalated(alert_id=alert.pk, level=alert.escalation_level))
            escalated.append(alert.pk)
    return escalated


def check_silence(*, now: dt.datetime | None = None) -> list[int]:
    """Evaluate silence rules for every active sensor (readings that do not come cannot
    trigger an evaluation). Returns the alerts opened."""
    moment = now or timezone.now()
    if not AlertRule.objects.filter(is_active=True, kind=AlertRule.Kind.SILENCE).exists():
        return []
    opened: list[int] = []
    for sensor_id in Sensor.objects.filter(status=Sensor.Status.ACTIVE).values_list(
            "pk", flat=True):
        opened.extend(evaluate_sensor(sensor_id, now=moment, kinds=[AlertRule.Kind.SILENCE]))
    return opened
