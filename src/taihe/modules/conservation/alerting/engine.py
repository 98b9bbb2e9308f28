"""Incremental, deterministic evaluation of alert rules over a sensor's readings.

``evaluate(rule, state, readings)`` feeds readings (in time order) through a small state
machine and returns the new state and the events it produced. Nothing else is read: no clock
(``now`` is an argument), no database, so the same inputs always give the same events and the
caller can persist :class:`AlertState` between batches.

Readings arriving at or before the last time already seen for their quantity (late, or
repeated) do not change the state: they are reported as :class:`ReadingIgnored` events. A
rule that only needs a value's crossing opens and clears at the reading's time; a
:class:`~.rules.BandBreach` with a minimum duration opens at the moment the duration elapsed
(start of the breach + duration), as soon as a reading at or after that moment is still out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

import numpy as np

from ..live.readings import BATTERY, RELATIVE_HUMIDITY, TEMPERATURE, LiveReading
from ..science import dew_point, vtt_mould_index
from .rules import AlertRule, BandBreach, BatteryLow, MetricThreshold, RateOfChange, Silence


@dataclass(frozen=True, slots=True)
class AlertState:
    """Where a rule stands. Start from ``AlertState()``.

    Attributes:
        open: whether an alert is open.
        opened_at: when the open alert opened.
        since: start of the current out-of-band run (band breach, not yet or already open).
        last_times: latest reading time accepted, by quantity.
        window: (time, value) within the rate-of-change window.
        paired: (POSIX seconds, T, RH) within the mould window, or the last pair for dew point.
        last_seen: latest reading time of any quantity (silence).
    """

    open: bool = False
    opened_at: datetime | None = None
    since: datetime | None = None
    last_times: Mapping[str, datetime] = field(default_factory=dict)
    window: tuple[tuple[datetime, float], ...] = ()
    pending: Mapping[str, tuple[datetime, float]] = field(default_factory=dict)
    paired: tuple[tuple[float, float, float], ...] = ()
    last_seen: datetime | None = None


@dataclass(frozen=True, slots=True)
class AlertOpened:
    """A rule's condition started (``since``) and crossed into alert at ``at``."""

    rule: AlertRule
    at: datetime
    since: datetime
    value: float | None


@dataclass(frozen=True, slots=True)
class AlertCleared:
    """The open alert of ``rule`` cleared at ``at`` (``value`` is the clearing value)."""

    rule: AlertRule
    at: datetime
    value: float | None


@dataclass(frozen=True, slots=True)
class ReadingIgnored:
    """A reading not after the last one of its quantity; it did not change the state."""

    rule: AlertRule
    reading: LiveReading
    reason: Literal["late", "repeated"]


AlertEvent = AlertOpened | AlertCleared | ReadingIgnored


def _relevant(rule: AlertRule, reading: LiveReading) -> bool:
    if isinstance(rule, BandBreach | RateOfChange):
        return reading.quantity == rule.quantity
    if isinstance(rule, BatteryLow):
        return reading.quantity == BATTERY and reading.unit == rule.unit
    if isinstance(rule, MetricThreshold):
        return reading.quantity in (TEMPERATURE, RELATIVE_HUMIDITY)
    return True  # Silence: any reading shows the sensor is alive


def evaluate(
    rule: AlertRule,
    state: AlertState,
    readings: Iterable[LiveReading],
    *,
    now: datetime | None = None,
    logging_interval: timedelta | None = None,
) -> tuple[AlertState, list[AlertEvent]]:
    """Advance ``rule`` over ``readings`` (one sensor's, in time order).

    Args:
        rule: the rule.
        state: the state returned by the previous call, or ``AlertState()``.
        readings: new readings; other quantities than the rule's are skipped.
        now: the current time; required for :class:`Silence`, checked after the readings.
        logging_interval: the sensor's logging interval; required for :class:`Silence`.

    Returns:
        the new state and the events, in the order they happened.

    Raises:
        ValueError: a Silence rule without ``now`` or ``logging_interval``.
    """
    events: list[AlertEvent] = []
    for reading in readings:
        if not _relevant(rule, reading):
            continue
        last = state.last_times.get(reading.quantity)
        if last is not None and reading.time <= last:
            reason: Literal["late", "repeated"] = "repeated" if reading.time == last else "late"
            events.append(ReadingIgnored(rule, reading, reason))
            continue
        state = replace(state, last_times={**state.last_times, reading.quantity: reading.time})
        state = _step(rule, state, reading, events)
    if isinstance(rule, Silence):
        if now is None or logging_interval is None:
            raise ValueError("a Silence rule needs now and logging_interval")
        if not state.open and state.last_seen is not None:
            deadline = state.last_seen + logging_interval * rule.max_missing_intervals
            if now > deadline:
                events.append(AlertOpened(rule, deadline, state.last_seen, None))
                state = replace(state, open=True, opened_at=deadline)
    return state, events


def _step(
    rule: AlertRule, state: AlertState, reading: LiveReading, events: list[AlertEvent]
) -> AlertState:
    t, v = reading.time, reading.value
    if isinstance(rule, BandBreach):
        return _band_step(rule, state, t, v, events)
    if isinstance(rule, RateOfChange):
        start = t - timedelta(minutes=rule.window_minutes)
        window = (*(p for p in state.window if p[0] >= start), (t, v))
        values = [p[1] for p in window]
        spread = max(values) - min(values)
        state = replace(state, window=window)
        return _threshold_step(
            rule, state, t, spread, spread > rule.max_change,
            spread <= rule.max_change - rule.hysteresis, events,
        )  # fmt: skip
    if isinstance(rule, BatteryLow):
        return _threshold_step(
            rule, state, t, v, v < rule.threshold, v >= rule.threshold + rule.hysteresis, events
        )
    if isinstance(rule, MetricThreshold):
        return _metric_step(rule, state, reading, events)
    # Silence: a reading after the last one clears an open silence alert.
    if state.open:
        events.append(AlertCleared(rule, t, v))
        state = replace(state, open=False, opened_at=None)
    return replace(state, last_seen=t)


def _threshold_step(
    rule: AlertRule,
    state: AlertState,
    t: datetime,
    value: float,
    bad: bool,
    cleared: bool,
    events: list[AlertEvent],
) -> AlertState:
    if not state.open and bad:
        events.append(AlertOpened(rule, t, t, value))
        return replace(state, open=True, opened_at=t)
    if state.open and cleared:
        events.append(AlertCleared(rule, t, value))
        return replace(state, open=False, opened_at=None)
    return state


def _band_step(
    rule: BandBreach, state: AlertState, t: datetime, v: float, events: list[AlertEvent]
) -> AlertState:
    outside = (rule.low is not None and v < rule.low) or (rule.high is not None and v > rule.high)
    if state.open:
        inside_margin = (rule.low is None or v >= rule.low + rule.hysteresis) and (
            rule.high is None or v <= rule.high - rule.hysteresis
        )
        if inside_margin:
            events.append(AlertCleared(rule, t, v))
            return replace(state, open=False, opened_at=None, since=None)
        return state
    if not outside:
        return replace(state, since=None)
    since = state.since or t
    due = since + timedelta(minutes=rule.min_duration_minutes)
    if t >= due:
        events.append(AlertOpened(rule, due, since, v))
        return replace(state, open=True, opened_at=due, since=since)
    return replace(state, since=since)


def _metric_step(
    rule: MetricThreshold, state: AlertState, reading: LiveReading, events: list[AlertEvent]
) -> AlertState:
    pending = {**state.pending, reading.quantity: (reading.time, reading.value)}
    state = replace(state, pending=pending)
    t_pair, rh_pair = pending.get(TEMPERATURE), pending.get(RELATIVE_HUMIDITY)
    # Metrics need T and RH of one instant; loggers stamp both with the same time.
    if t_pair is None or rh_pair is None or t_pair[0] != rh_pair[0]:
        return state
    at, t_c, rh = t_pair[0], t_pair[1], rh_pair[1]
    if rule.metric == "dew_point_margin":
        if rh <= 0.0:  # no water vapour: no dew point, no condensation risk
            return state
        margin = t_c - float(dew_point(t_c, rh))
        return _threshold_step(
            rule, state, at, margin, margin < rule.threshold,
            margin >= rule.threshold + rule.hysteresis, events,
        )  # fmt: skip
    seconds = at.timestamp()
    start = seconds - rule.window_days * 86_400.0
    paired = (*(p for p in state.paired if p[0] >= start), (seconds, t_c, rh))
    state = replace(state, paired=paired)
    if len(paired) < 2:
        return state
    columns = np.array(paired, dtype=np.float64)
    index = float(vtt_mould_index(columns[:, 0], columns[:, 1], columns[:, 2])[-1])
    return _threshold_step(
        rule, state, at, index, index >= rule.threshold,
        index < rule.threshold - rule.hysteresis, events,
    )  # fmt: skip
