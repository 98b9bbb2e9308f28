"""Anomalies in a T/RH record: flat-lines, spikes, steps, drifts and lost humidity control.

Each detector returns the numbers it used (``evidence``) so that a person can check it, and a
cause: ``sensor`` (the reading is wrong, the room is not), ``equipment`` (the room changed
and the weather does not explain it), ``weather`` (the outdoor air moved the same way) or
``unknown``. Methods are robust statistics (median and MAD, Hampel 1974; Leys et al. 2013 for
the 1.4826 MAD scale and thresholds) on the raw readings (flat-lines, spikes) or on hourly
means (steps, drifts, control loss). Steps and spikes are looked for after removing the
series' own recurring pattern (the median of each hour, or reading slot, of the week over ± 3
weeks; of the day in records shorter than 3 weeks), so that night and weekend setbacks and
plant schedules are not faults while a one-off change at any hour is. Detections of one event
(same cause, overlapping spans) are merged into one anomaly. Thresholds are set in
:class:`AnomalySpec` and were tuned on the demo museum's year so that clean sensors raise no
alarm (``benchmarks/prediction.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._hourly import HOUR_S, epoch_seconds, fill_gaps, gappy_series, hourly_means
from ._results import JSONResult, JSONValue, to_jsonable
from ._validation import FloatArray
from .psychrometrics import saturation_vapour_pressure

MAD_TO_SD = 1.4826  # consistency constant for normal data (Leys et al. 2013)
DAY_H = 24
WEEK_H = 7 * DAY_H
WEEK_S = WEEK_H * HOUR_S
# The recurring pattern (opening hours, night and weekend setbacks, plant schedules) is the
# median of each hour of the week over ± this many weeks: seasonal changes of the schedule
# (a lab's winter setback is a summer rise) follow, and a one-off event is one value of seven.
PROFILE_HALF_WEEKS = 3
# Fewer weeks than this and the pattern is the hour of the day (± a week of days) instead: two
# samples per hour of the week would let a one-off event be half the pattern.
WEEKLY_PROFILE_MIN_WEEKS = 3


@dataclass(frozen=True)
class AnomalySpec:
    """Detection thresholds.

    Attributes:
        flatline_hours: a reading repeated exactly for this long is a stuck sensor.
        spike_z: robust z-score (against a ±1 h running median) above which a reading is a
            spike; 3.5 is Iglewicz & Hoaglin's outlier cut for single values, raised for
            logger data with rounding and control cycles.
        spike_max_readings: longer excursions are not spikes.
        step_t_k, step_rh: smallest level shift (24 h medians either side of one hour).
        step_sharpness: fraction of the shift that happens within 2 hours.
        drift_t_k_per_day, drift_rh_per_day: smallest slope of the difference to the
            reference over ``drift_days``; also needs ``drift_total`` × the step size overall.
        drift_days: window of the drift fit.
        drift_r2: smallest R² of the linear fit of the daily differences.
        drift_reference_r: smallest correlation of the day-to-day changes of the daily-mean
            temperature of sensor and reference over the drift: below it the reference is not
            in the same space (a store against a gallery) and their difference follows the
            seasons, not a sensor. Temperature, because a display case follows its room's
            temperature within hours but buffers its humidity for days.
        control_rise: smallest rise of the daily-mean vapour pressure (ln ratio; 0.15 ≈ +16 %)
            over ``control_days`` days that counts as lost humidity control.
        weather_share: the rise is weather when outdoor vapour pressure rose by at least this
            share of the indoor rise (ln ratio) over the same days.
    """

    flatline_hours: float = 6.0
    spike_z: float = 8.0
    spike_max_readings: int = 3
    step_t_k: float = 1.0
    step_rh: float = 4.0
    step_sharpness: float = 0.6
    drift_t_k_per_day: float = 0.05
    drift_rh_per_day: float = 0.15
    drift_days: int = 14
    drift_r2: float = 0.8
    drift_total: float = 0.5
    drift_reference_r: float = 0.5
    control_rise: float = 0.15
    control_days: int = 3
    weather_share: float = 0.6


@dataclass(frozen=True)
class Anomaly(JSONResult):
    """One detected anomaly.

    Attributes:
        kind: ``flatline``, ``spike``, ``step``, ``drift`` or ``control_loss``.
        quantity: ``temperature``, ``relative_humidity`` or ``both``.
        start, end: first affected instant and the end of the affected span (``datetime64[s]``).
        score: the statistic compared with the threshold (ratio to the threshold; >= 1).
        severity: ``low`` (score < 2), ``medium`` (< 4) or ``high``.
        cause: ``sensor``, ``equipment``, ``weather`` or ``unknown``.
        explanation_code: a message code for the Django layer, e.g. ``anomaly.step.sensor``.
        evidence: the numbers used (levels, slopes, z-scores, thresholds).
    """

    kind: str
    quantity: str
    start: np.datetime64
    end: np.datetime64
    score: float
    severity: str
    cause: str
    explanation_code: str
    evidence: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, JSONValue]:
        """Plain JSON; times as ISO 8601 UTC strings."""
        data = to_jsonable({k: getattr(self, k) for k in ("kind", "quantity", "score")})
        assert isinstance(data, dict)
        data.update(
            start=str(self.start.astype("datetime64[s]")) + "Z",
            end=str(self.end.astype("datetime64[s]")) + "Z",
            severity=self.severity,
            cause=self.cause,
            explanation_code=self.explanation_code,
            evidence=to_jsonable(self.evidence),
        )
        return data


def _severity(score: float) -> str:
    return "low" if score < 2.0 else "medium" if score < 4.0 else "high"


def _make(
    kind: str,
    quantity: str,
    start_s: int,
    end_s: int,
    score: float,
    cause: str,
    evidence: dict[str, float],
) -> Anomaly:
    return Anomaly(
        kind=kind,
        quantity=quantity,
        start=np.datetime64(int(start_s), "s"),
        end=np.datetime64(int(end_s), "s"),
        score=float(score),
        severity=_severity(score),
        cause=cause,
        explanation_code=f"anomaly.{kind}.{cause}",
        evidence={k: float(x) for k, x in evidence.items()},
    )


def _runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """``(first, last_exclusive)`` of each run of True."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _flatlines(
    seconds: NDArray[np.int64], t: FloatArray, h: FloatArray, spec: AnomalySpec
) -> list[Anomaly]:
    out = []
    same = np.zeros(seconds.shape[0], dtype=bool)
    same[1:] = (np.diff(t) == 0.0) & (np.diff(h) == 0.0)
    for first, last in _runs(same):
        begin = first - 1
        hours = (seconds[last - 1] - seconds[begin]) / HOUR_S
        if hours >= spec.flatline_hours:
            out.append(
                _make(
                    "flatline",
                    "both",
                    seconds[begin],
                    seconds[last - 1],
                    hours / spec.flatline_hours,
                    "sensor",
                    {
                        "hours": hours,
                        "threshold_hours": spec.flatline_hours,
                        "t_c": t[begin],
                        "rh": h[begin],
                        "readings": last - begin,
                    },
                )
            )
    return out


def _running_median(values: FloatArray, half: int) -> FloatArray:
    filled = fill_gaps(values)
    padded = np.pad(filled, half, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    return np.median(windows, axis=1)


def _rolling_slot_median(values: FloatArray, first_slot: int, period: int, half: int) -> FloatArray:
    """For each value, the median of the values at the same slot of ``period`` within ± ``half``
    periods (0 where there is none): the recurring pattern of a regular series."""
    n = values.shape[0]
    rows = -(-(first_slot + n) // period)
    grid = np.full(rows * period, np.nan)
    grid[first_slot : first_slot + n] = values
    shaped = grid.reshape(rows, period)
    pattern = np.zeros_like(shaped)
    for row in range(rows):
        part = shaped[max(row - half, 0) : row + half + 1]
        counts = (~np.isnan(part)).sum(axis=0)
        usable = counts > 0
        if usable.any():
            pattern[row, usable] = np.nanmedian(part[:, usable], axis=0)
    result: FloatArray = pattern.ravel()[first_slot : first_slot + n]
    return result


def _recurring(
    first_s: int, step_s: int, values: FloatArray, *, level_free: bool = False
) -> FloatArray:
    """The recurring weekly (or, in short records, daily) pattern of a regular series that
    starts at ``first_s`` with one value every ``step_s`` seconds, around its running weekly
    median; subtracting it leaves one-off changes."""
    n = values.shape[0]
    per_day = max(DAY_H * HOUR_S // step_s, 1)
    if n < 2 * per_day:
        return np.zeros(n)
    per_week = 7 * per_day
    # The level is a running median over a week, so that a weekend setback is part of the
    # pattern, not of the level. A lasting step moves the level within half a week either
    # side, so the one week it falls in is one value of seven in the median (see ``_steps``).
    around = values
    if not level_free:
        around = values - _running_median(values, min(per_week // 2, (n - 1) // 2))
    if n >= WEEKLY_PROFILE_MIN_WEEKS * per_week:
        first_slot = int((first_s % WEEK_S) // step_s) % per_week
        return _rolling_slot_median(around, first_slot, per_week, PROFILE_HALF_WEEKS)
    first_slot = int((first_s % (DAY_H * HOUR_S)) // step_s) % per_day
    return _rolling_slot_median(around, first_slot, per_day, 7)


def _regular_grid(
    seconds: NDArray[np.int64], values: FloatArray, step: int
) -> tuple[NDArray[np.int64], FloatArray]:
    """Readings on a regular grid of ``step`` seconds (index of each reading, grid values)."""
    index = (seconds - seconds[0]) // step
    grid = np.full(int(index[-1]) + 1, np.nan)
    grid[index] = values
    return index, grid


def _spikes(
    seconds: NDArray[np.int64],
    name: str,
    values: FloatArray,
    stuck: NDArray[np.bool_],
    spec: AnomalySpec,
) -> list[Anomaly]:
    step = max(int(np.median(np.diff(seconds))), 1)
    half = max(2, round(HOUR_S / step))
    residual = values - _running_median(values, half)
    # The scale is that of the running-median residual: the pattern, a median of seven weeks,
    # leaves residuals near the logger resolution and would make rounding look like spikes.
    mad = float(np.nanmedian(np.abs(residual[~stuck]))) if (~stuck).any() else 0.0
    # Schedules (a plant starting at 08:00) leave the same residual at the same minute every
    # week: remove it before scoring, so that only one-off departures count.
    index, grid = _regular_grid(seconds, np.where(stuck, np.nan, residual), step)
    residual = residual - _recurring(int(seconds[0]), step, grid, level_free=True)[index]
    resolution = 0.1 if name == "relative_humidity" else 0.01
    scale = max(MAD_TO_SD * mad, resolution)  # logger rounding bounds the scale from below
    z = np.abs(residual) / scale
    out = []
    for first, last in _runs((np.nan_to_num(z) > spec.spike_z) & ~stuck):
        if last - first > spec.spike_max_readings:
            continue
        peak = first + int(np.argmax(z[first:last]))
        out.append(
            _make(
                "spike",
                name,
                seconds[first],
                seconds[last - 1],
                z[peak] / spec.spike_z,
                "sensor",
                {
                    "z_score": z[peak],
                    "threshold_z": spec.spike_z,
                    "value": values[peak],
                    "running_median": values[peak] - residual[peak],
                    "robust_sd": scale,
                },
            )
        )
    return out


def _steps(
    hours: NDArray[np.int64],
    name: str,
    y: FloatArray,
    reference: FloatArray | None,
    spec: AnomalySpec,
    moisture: tuple[FloatArray, FloatArray | None] | None = None,
) -> list[Anomaly]:
    """Steps; ``moisture`` (indoor and outdoor hourly vapour pressure) tells an RH step that
    the outdoor air made from one of the room or the sensor."""
    threshold = spec.step_rh if name == "relative_humidity" else spec.step_t_k
    n = y.shape[0]
    if n < 2 * DAY_H + 1:
        return []
    windows = np.lib.stride_tricks.sliding_window_view
    # Scheduled changes (night and weekend setbacks, cooling switched with occupancy) recur
    # at the same hour of the week; a fault does not. Steps are looked for on what is left.
    raw = fill_gaps(y)
    filled = raw - _recurring(int(hours[0]), HOUR_S, raw)
    before = np.median(windows(filled, DAY_H), axis=1)  # before[i]: hours i .. i+23
    # shift at boundary b (between hour b-1 and b): median(b..b+23) - median(b-24..b-1)
    shift = before[DAY_H:] - before[: n - 2 * DAY_H + 1]
    # The pattern, estimated around a weekly running median, takes up to a fifth of a lasting
    # step near it; the size is the larger of the two shifts when they agree in sign (a
    # schedule's shift is rejected by the sharpness test on the pattern-free change).
    raw_before = np.median(windows(raw, DAY_H), axis=1)
    raw_shift = raw_before[DAY_H:] - raw_before[: n - 2 * DAY_H + 1]
    shift = np.where(
        (np.sign(raw_shift) == np.sign(shift)) & (np.abs(raw_shift) > np.abs(shift)),
        raw_shift,
        shift,
    )
    boundary = np.arange(DAY_H, n - DAY_H + 1)
    two_hour = filled[2:] - filled[:-2]  # change across hours b-1 .. b+1
    jump = two_hour[np.clip(boundary - 1, 0, two_hour.shape[0] - 1)]
    one_hour = filled[boundary] - filled[boundary - 1]  # dates the step to its hour
    sharp = np.abs(shift) >= threshold
    sharp &= np.sign(jump) == np.sign(shift)
    sharp &= np.abs(jump) >= spec.step_sharpness * np.abs(shift)
    ref = None
    if reference is not None:
        ref = fill_gaps(reference)
        ref = ref - _recurring(int(hours[0]), HOUR_S, ref)
    out = []
    for first, last in _runs(sharp):
        direction = float(np.sign(shift[first + int(np.argmax(np.abs(shift[first:last])))]))
        best = first + int(np.argmax(direction * one_hour[first:last]))
        b = int(boundary[best])
        size = float(shift[best])
        evidence = {
            "level_before": float(before[best]),
            "level_after": float(before[best + DAY_H]),
            "shift": size,
            "change_within_2_hours": float(jump[best]),
            "threshold": threshold,
        }
        cause = "unknown"
        if ref is not None:
            ref_shift = float(np.median(ref[b : b + DAY_H]) - np.median(ref[b - DAY_H : b]))
            evidence["reference_shift"] = ref_shift
            # The room (reference) moved too: the plant changed; only this sensor: the sensor.
            cause = "equipment" if abs(ref_shift) >= 0.5 * abs(size) else "sensor"
        if cause != "sensor" and moisture is not None and moisture[1] is not None:
            indoor_shift = _log_shift(moisture[0], b)
            outdoor_shift = _log_shift(moisture[1], b)
            evidence["vapour_log_shift"] = indoor_shift
            evidence["outdoor_vapour_log_shift"] = outdoor_shift
            evidence["threshold_weather_share"] = spec.weather_share
            # Same rule as for lost control: the outdoor air moved the same way, by enough.
            if indoor_shift * outdoor_shift > 0 and abs(outdoor_shift) >= spec.weather_share * abs(
                indoor_shift
            ):
                cause = "weather"
        out.append(
            _make("step", name, hours[b], hours[b] + HOUR_S, abs(size) / threshold, cause, evidence)
        )
    return out


def _log_shift(vapour: FloatArray, boundary: int) -> float:
    """ln(median after / median before) of a vapour pressure over a day either side."""
    with np.errstate(all="ignore"):
        after = float(np.nanmedian(vapour[boundary : boundary + DAY_H]))
        before = float(np.nanmedian(vapour[boundary - DAY_H : boundary]))
        return float(np.log(after / before)) if after > 0 and before > 0 else 0.0


def _daily(y: FloatArray) -> FloatArray:
    days = y.shape[0] // DAY_H
    with np.errstate(all="ignore"):
        shaped = y[: days * DAY_H].reshape(days, DAY_H)
        counts = (~np.isnan(shaped)).sum(axis=1)
        means = np.nansum(shaped, axis=1) / np.maximum(counts, 1)
    return np.where(counts >= DAY_H // 2, means, np.nan)


def _drifts(
    hours: NDArray[np.int64],
    name: str,
    y: FloatArray,
    reference: FloatArray,
    spec: AnomalySpec,
    temperatures: tuple[FloatArray, FloatArray],
) -> list[Anomaly]:
    per_day = spec.drift_rh_per_day if name == "relative_humidity" else spec.drift_t_k_per_day
    step = spec.step_rh if name == "relative_humidity" else spec.step_t_k
    difference = _daily(y - reference)
    days = difference.shape[0]
    window = spec.drift_days
    if days < window:
        return []
    x = np.arange(window, dtype=np.float64)
    flagged = np.zeros(days, dtype=bool)
    slopes = np.full(days, np.nan)
    fits = np.full(days, np.nan)
    for first in range(days - window + 1):
        part = difference[first : first + window]
        ok = ~np.isnan(part)
        if ok.sum() < window * 0.7:
            continue
        slope, intercept = np.polyfit(x[ok], part[ok], 1)
        fitted = slope * x[ok] + intercept
        total = float(np.sum((part[ok] - part[ok].mean()) ** 2))
        r2 = 1.0 - float(np.sum((part[ok] - fitted) ** 2)) / total if total > 0 else 0.0
        slopes[first + window - 1], fits[first + window - 1] = slope, r2
        if abs(slope) >= per_day and r2 >= spec.drift_r2:
            flagged[first : first + window] = True
    with np.errstate(all="ignore"):
        changes = [np.diff(_daily(series)) for series in temperatures]
    out = []
    for first, last in _runs(flagged):
        own, room = changes[0][first : last - 1], changes[1][first : last - 1]
        ok = ~(np.isnan(own) | np.isnan(room))
        tracking = (
            float(np.corrcoef(own[ok], room[ok])[0, 1])
            if ok.sum() > 3 and np.std(own[ok]) > 0 and np.std(room[ok]) > 0
            else float("nan")
        )
        if not tracking >= spec.drift_reference_r:
            continue
        total_change = float(np.nanmean(difference[max(last - 3, first) : last])) - float(
            np.nanmean(difference[first : first + 3])
        )
        if abs(total_change) < spec.drift_total * step:
            continue
        span = slopes[first:last]
        best = (
            first + int(np.nanargmax(np.abs(np.nan_to_num(span))))
            if np.isfinite(span).any()
            else first
        )
        out.append(
            _make(
                "drift",
                name,
                hours[first * DAY_H],
                hours[min(last * DAY_H, hours.shape[0]) - 1] + HOUR_S,
                abs(total_change) / (spec.drift_total * step),
                "sensor",
                {
                    "slope_per_day": float(slopes[best]),
                    "r_squared": float(fits[best]),
                    "difference_start": float(np.nanmean(difference[first : first + 3])),
                    "difference_end": float(np.nanmean(difference[max(last - 3, first) : last])),
                    "total_change": total_change,
                    "threshold_slope_per_day": per_day,
                    "threshold_r_squared": spec.drift_r2,
                    "reference_correlation": tracking,
                    "threshold_reference_correlation": spec.drift_reference_r,
                },
            )
        )
    return out


def _vapour(t: FloatArray, h: FloatArray) -> FloatArray:
    return h / 100.0 * np.asarray(saturation_vapour_pressure(np.nan_to_num(t, nan=20.0)))


def _control_loss(
    hours: NDArray[np.int64],
    t: FloatArray,
    h: FloatArray,
    outdoor: tuple[FloatArray, FloatArray] | None,
    spec: AnomalySpec,
) -> list[Anomaly]:
    vapour = _daily(_vapour(t, h))
    rh_daily = _daily(h)
    days = vapour.shape[0]
    lag = spec.control_days
    if days <= lag + 1:
        return []
    with np.errstate(all="ignore"):
        log_e = np.log(vapour)
        rise = log_e[lag:] - log_e[:-lag]
        daily_steps = np.diff(log_e)
    # The rise must be steady (every day up), not one jump: a jump is a step.
    steady = np.ones(days - lag, dtype=bool)
    for k in range(lag):
        steady &= np.nan_to_num(daily_steps[k : k + days - lag], nan=-1.0) > 0.0
    flagged = (np.nan_to_num(rise) >= spec.control_rise) & steady
    out_log_e = None
    if outdoor is not None:
        out_log_e = np.log(_daily(_vapour(*outdoor)))
    out = []
    for first, last in _runs(flagged):
        begin, end = first, last - 1 + lag  # day indices of the rise
        indoor_rise = float(log_e[end] - log_e[begin])
        evidence = {
            "vapour_pressure_before_pa": float(vapour[begin]),
            "vapour_pressure_after_pa": float(vapour[end]),
            "rh_before": float(rh_daily[begin]),
            "rh_after": float(rh_daily[end]),
            "log_rise": indoor_rise,
            "threshold_log_rise": spec.control_rise,
            "days": float(end - begin),
        }
        amplitude_before = _amplitude(h, begin)
        amplitude_after = _amplitude(h, end)
        evidence["rh_daily_range_before"] = amplitude_before
        evidence["rh_daily_range_after"] = amplitude_after
        cause = "equipment"
        if out_log_e is not None:
            outdoor_rise = float(out_log_e[end] - out_log_e[begin])
            window = slice(max(begin - 7, 0), end + 1)
            a, b = log_e[window], out_log_e[window]
            ok = ~(np.isnan(a) | np.isnan(b))
            corr = float(np.corrcoef(a[ok], b[ok])[0, 1]) if ok.sum() > 3 else float("nan")
            evidence["outdoor_log_rise"] = outdoor_rise
            evidence["outdoor_correlation"] = corr
            evidence["threshold_weather_share"] = spec.weather_share
            if outdoor_rise >= spec.weather_share * indoor_rise:
                cause = "weather"
        out.append(
            _make(
                "control_loss",
                "relative_humidity",
                hours[min((begin + 1) * DAY_H, hours.shape[0] - 1)],
                hours[min((end + 1) * DAY_H, hours.shape[0]) - 1] + HOUR_S,
                indoor_rise / spec.control_rise,
                cause,
                evidence,
            )
        )
    return out


def _amplitude(h: FloatArray, day: int) -> float:
    part = h[day * DAY_H : (day + 1) * DAY_H]
    if np.isnan(part).all():
        return float("nan")
    return float(np.nanmax(part) - np.nanmin(part))


def detect_anomalies(
    times: ArrayLike,
    t_c: ArrayLike,
    rh: ArrayLike,
    *,
    reference: tuple[ArrayLike, ArrayLike, ArrayLike] | None = None,
    outdoor: tuple[ArrayLike, ArrayLike, ArrayLike] | None = None,
    spec: AnomalySpec | None = None,
) -> list[Anomaly]:
    """Flat-lines, spikes, steps, drifts and lost humidity control in one sensor's record.

    Args:
        times: reading times (``datetime64`` or POSIX seconds), sorted and unique.
        t_c, rh: readings (°C, %), NaN where missing.
        reference: ``(times, t_c, rh)`` of a sensor in the same room (or the room a case
            stands in). Needed for drifts; tells a sensor's step from the room's.
        outdoor: ``(times, t_c, rh)`` outdoors; tells weather from equipment faults.
        spec: thresholds (default :class:`AnomalySpec`).

    Returns:
        anomalies ordered by start.

    Raises:
        ValueError: invalid times or values, or mismatched lengths (also in ``reference`` and
            ``outdoor``).
    """
    spec = spec or AnomalySpec()
    seconds = epoch_seconds(times)
    n = seconds.shape[0]
    t = gappy_series("t_c", t_c, n, rh=False)
    h = gappy_series("rh", rh, n, rh=True)
    hourly = hourly_means(seconds, t, h)
    hours = hourly.hours
    t_h, rh_h = hourly.values
    ref = _on_grid("reference", reference, hours)
    out_air = _on_grid("outdoor", outdoor, hours)
    found = _flatlines(seconds, t, h, spec)
    stuck = np.zeros(n, dtype=bool)
    for stuck_run in found:
        stuck |= (seconds >= stuck_run.start.astype(np.int64)) & (
            seconds <= stuck_run.end.astype(np.int64)
        )
    found += _spikes(seconds, "temperature", t, stuck, spec)
    found += _spikes(seconds, "relative_humidity", h, stuck, spec)
    moisture = (
        _vapour(t_h, rh_h),
        None if out_air is None else _vapour(*out_air),
    )
    # A stuck sensor makes no steps of its own: look only outside flat-lines.
    for name, y, r in (
        ("temperature", t_h, None if ref is None else ref[0]),
        ("relative_humidity", rh_h, None if ref is None else ref[1]),
    ):
        found += _steps(hours, name, y, r, spec, moisture if name == "relative_humidity" else None)
        if r is not None:
            assert ref is not None
            found += _drifts(hours, name, y, r, spec, (t_h, ref[0]))
    found += _control_loss(hours, t_h, rh_h, out_air, spec)
    flat = [a for a in found if a.kind == "flatline"]
    kept = [
        a
        for a in found
        if a.kind == "flatline" or not any(a.start <= f.end and a.end >= f.start for f in flat)
    ]
    return _merge_events(sorted(kept, key=lambda a: (a.start, a.kind)))


# A detection that explains more of an event names it: lost control explains the steps and
# spikes during the rise, a drift the steps along it.
_KIND_RANK = {"flatline": 0, "control_loss": 1, "drift": 2, "step": 3, "spike": 4}


def _merge_events(found: list[Anomaly]) -> list[Anomaly]:
    """One anomaly per event: detections of the same cause whose spans overlap or touch (within
    an hour) become the highest-ranked kind, the highest score, the union of the spans and the
    others' scores in evidence (``merged_<kind>_<quantity>``)."""
    events: list[list[Anomaly]] = []
    for item in found:
        for event in events:
            if item.cause == event[0].cause and any(
                item.start <= other.end + np.timedelta64(HOUR_S, "s")
                and other.start <= item.end + np.timedelta64(HOUR_S, "s")
                for other in event
            ):
                event.append(item)
                break
        else:
            events.append([item])
    merged = []
    for event in events:
        if len(event) == 1:
            merged.append(event[0])
            continue
        main = min(event, key=lambda a: (_KIND_RANK.get(a.kind, len(_KIND_RANK)), -a.score))
        evidence = dict(main.evidence)
        for other in event:
            if other is not main:
                key = f"merged_{other.kind}_{other.quantity}"
                evidence[key] = max(evidence.get(key, 0.0), other.score)
        evidence["merged_detections"] = float(len(event))
        quantities = {a.quantity for a in event}
        score = max(a.score for a in event)
        merged.append(
            Anomaly(
                kind=main.kind,
                quantity=main.quantity if len(quantities) == 1 else "both",
                start=min(a.start for a in event),
                end=max(a.end for a in event),
                score=score,
                severity=_severity(score),
                cause=main.cause,
                explanation_code=main.explanation_code,
                evidence=evidence,
            )
        )
    return sorted(merged, key=lambda a: (a.start, a.kind))


def _on_grid(
    name: str, series: tuple[ArrayLike, ArrayLike, ArrayLike] | None, hours: NDArray[np.int64]
) -> tuple[FloatArray, FloatArray] | None:
    if series is None:
        return None
    seconds = epoch_seconds(series[0])
    n = seconds.shape[0]
    t = gappy_series(f"{name}_t_c", series[1], n, rh=False)
    h = gappy_series(f"{name}_rh", series[2], n, rh=True)
    hourly = hourly_means(seconds, t, h)
    index = (hours - hourly.hours[0]) // HOUR_S
    inside = (index >= 0) & (index < hourly.hours.shape[0])
    out = []
    for values in hourly.values:
        grid = np.full(hours.shape[0], np.nan)
        grid[inside] = values[index[inside]]
        out.append(grid)
    return out[0], out[1]
