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

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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


class _Work:
    """A mutable copy of :class:`AlertState` for one call: a frozen dataclass rebuilt for
    every reading cost more than the rule itself (a year of readings is 100,000 steps)."""

    __slots__ = (
        "last_seen",
        "last_times",
        "open",
        "opened_at",
        "paired",
        "pending",
        "since",
        "window",
    )

    def __init__(self, state: AlertState) -> None:
        self.open = state.open
        self.opened_at = state.opened_at
        self.since = state.since
        self.last_times = dict(state.last_times)
        self.window: deque[tuple[datetime, float]] = deque(state.window)
        self.pending = dict(state.pending)
        self.paired: deque[tuple[float, float, float]] = deque(state.paired)
        self.last_seen = state.last_seen

    def frozen(self) -> AlertState:
        return AlertState(self.open, self.opened_at, self.since, self.last_times,
                          tuple(self.window), self.pending, tuple(self.paired), self.last_seen)


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
    if isinstance(rule, Silence) and (now is None or logging_interval is None):
        raise ValueError("a Silence rule needs now and logging_interval")
    events: list[AlertEvent] = []
    work = _Work(state)
    last_times = work.last_times
    for reading in readings:
        if not _relevant(rule, reading):
            continue
        last = last_times.get(reading.quantity)
        if last is not None and reading.time <= last:
            reason: Literal["late", "repeated"] = "repeated" if reading.time == last else "late"
            events.append(ReadingIgnored(rule, reading, reason))
            continue
        last_times[reading.quantity] = reading.time
        _step(rule, work, reading, events)
    if isinstance(rule, Silence):
        assert now is not None
        assert logging_interval is not None
        if not work.open and work.last_seen is not None:
            deadline = work.last_seen + logging_interval * rule.max_missing_intervals
            if now > deadline:
                events.append(AlertOpened(rule, deadline, work.last_seen, None))
                work.open, work.opened_at = True, deadline
    return work.frozen(), events


def _step(rule: AlertRule, work: _Work, reading: LiveReading, events: list[AlertEvent]) -> None:
    t, v = reading.time, reading.value
    if isinstance(rule, BandBreach):
        _band_step(rule, work, t, v, events)
    elif isinstance(rule, RateOfChange):
        start = t - timedelta(minutes=rule.window_minutes)
        window = work.window
        while window and window[0][0] < start:
            window.popleft()
        window.append((t, v))
        values = [p[1] for p in window]
        spread = max(values) - min(values)
        _threshold_step(rule, work, t, spread, spread > rule.max_change,
                        spread <= rule.max_change - rule.hysteresis, events)
    elif isinstance(rule, BatteryLow):
        _threshold_step(rule, work, t, v, v < rule.threshold,
                        v >= rule.threshold + rule.hysteresis, events)
    elif isinstance(rule, MetricThreshold):
        _metric_step(rule, work, reading, events)
    else:
        # Silence: a reading after the last one clears an open silence alert.
        if work.open:
            events.append(AlertCleared(rule, t, v))
            work.open, work.opened_at = False, None
        work.last_seen = t


def _threshold_step(
    rule: AlertRule,
    work: _Work,
    t: datetime,
    value: float,
    bad: bool,
    cleared: bool,
    events: list[AlertEvent],
) -> None:
    if not work.open and bad:
        events.append(AlertOpened(rule, t, t, value))
        work.open, work.opened_at = True, t
    elif work.open and cleared:
        events.append(AlertCleared(rule, t, value))
        work.open, work.opened_at = False, None


def _band_step(
    rule: BandBreach, work: _Work, t: datetime, v: float, events: list[AlertEvent]
) -> None:
    outside = (rule.low is not None and v < rule.low) or (rule.high is not None and v > rule.high)
    if work.open:
        inside_margin = (rule.low is None or v >= rule.low + rule.hysteresis) and (
            rule.high is None or v <= rule.high - rule.hysteresis
        )
        if inside_margin:
            events.append(AlertCleared(rule, t, v))
            work.open, work.opened_at, work.since = False, None, None
        return
    if not outside:
        work.since = None
        return
    since = work.since or t
    due = since + timedelta(minutes=rule.min_duration_minutes)
    work.since = since
    if t >= due:
        events.append(AlertOpened(rule, due, since, v))
        work.open, work.opened_at = True, due


def _metric_step(
    rule: MetricThreshold, work: _Work, reading: LiveReading, events: list[AlertEvent]
) -> None:
    pending = work.pending
    pending[reading.quantity] = (reading.time, reading.value)
    t_pair, rh_pair = pending.get(TEMPERATURE), pending.get(RELATIVE_HUMIDITY)
    # Metrics need T and RH of one instant; loggers stamp both with the same time.
    if t_pair is None or rh_pair is None or t_pair[0] != rh_pair[0]:
        return
    at, t_c, rh = t_pair[0], t_pair[1], rh_pair[1]
    if rule.metric == "dew_point_margin":
        if rh <= 0.0:  # no water vapour: no dew point, no condensation risk
            return
        margin = t_c - float(dew_point(t_c, rh))
        _threshold_step(rule, work, at, margin, margin < rule.threshold,
                        margin >= rule.threshold + rule.hysteresis, events)
        return
    seconds = at.timestamp()
    start = seconds - rule.window_days * 86_400.0
    paired = work.paired
    while paired and paired[0][0] < start:
        paired.popleft()
    paired.append((seconds, t_c, rh))
    if len(paired) < 2:
        return
    columns = np.array(paired, dtype=np.float64)
    index = float(vtt_mould_index(columns[:, 0], columns[:, 1], columns[:, 2])[-1])
    _threshold_step(rule, work, at, index, index >= rule.threshold,
                    index < rule.threshold - rule.hysteresis, events)
