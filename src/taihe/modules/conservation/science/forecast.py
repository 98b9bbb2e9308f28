"""Short-range forecasts of room climate (T, RH), breach warnings and projected mould risk.

Model (backtested by rolling origin on the demo museum's year, ``benchmarks/prediction.py``):
readings are resampled to hourly means over the last 28 days. Four candidate forecasts:

* ``profile_ar``: an hour-of-week profile (hour-of-day means weighted towards recent days,
  half-life 3 days, plus the weekday deviations, half-life 7 days, shrunk per hour of day by
  how far they stand out of their own noise) and an AR(2) with a constant on the
  deseasonalised remainder of the last 7 days (ordinary least squares), which starts from the
  current deviation and reverts to the recent level. The weekly part carries the lab's
  weekday heating and the galleries' closed Mondays; the shrinkage takes it towards zero where
  the weekdays differ by no more than their noise (stores).
* ``daily_profile_ar``: the same AR(2) on a plain 28-day hour-of-day mean (steadier for slow
  series with a weak daily cycle: store T, case RH).
* ``weekly_naive``: yesterday's hourly means, corrected by the weekday profile's difference
  between the target day and the day before (Saturday after a working Friday).
* ``seasonal_naive``: yesterday's hourly means repeated, uncorrected (the baseline itself, so
  the combination can fall back on it where nothing beats it: the lab's 07:00 local at the
  end of its night setback, whose level follows the last nights).

The combination is chosen inside the training window only: from each validation origin (every
24 h, from 14 days after the window start to 72 h before its end, so each lead falls at the hour
of day it will have), every candidate is refitted on the data before that origin and its
forecast compared with what followed. Per lead, the ten weightings (each candidate alone and
each equal pair) are averaged with weights proportional to 1/MSE⁴ of that lead's validation
errors, pooled from 24 h on with the leads 24 h before and after it, which have the same hour of
day (forecast combination; Bates & Granger 1969; the pairs because equal weights are hard
to beat with few errors, Smith & Wallis 2009). The intervals are the empirical quantiles of the
combined validation errors per lead (split conformal; Vovk et al. 2005), never narrowing with
lead; beyond 72 h they widen with √lead.

Backtest (origins every 3 days, model/seasonal-naive MAE at 6/24/72 h; the current table is in
``benchmarks/prediction.py``'s output): with three candidates and squared errors pooled over
leads within ±10 % (at least ±2 h), 19 of 24 cells won; lab T lost at 24 and 72 h (1.26,
1.16), case RH (1.04, 1.01) and store T at 72 h (1.01). Adding ``seasonal_naive`` (with its
pairs): 19 (lab T 1.22, 1.11; case RH 1.02, 1.01; store T 72 h 1.00). Scoring each lead on its
own errors: 20 (lab T 24 h 1.14). Pooling, from 24 h on, the leads a day apart (same hour of
day): 20, the current model; lab T (1.13, 1.11) and case RH (1.01, 1.01) lose at 24 and 72 h,
store T at 72 h wins (0.997); intervals cover 76–80 % (80 %) and 91–95 % (95 %). Lab T
still loses because its validation prefers yesterday on average (MAE 0.23 against the
profile's 0.29 at 24 h) but picks the better candidate at only a third of the
origins, and the weights still give the profile a share. Tried and not kept: validation from
day 7 (19 origins: 22 cells won, case RH and lab T a little better, but see
``VALIDATION_FIRST_H``; its 95 % intervals also over-covered T at 97–99 %); with it, 1/MSE or
1/MSE² weights (softer: lab T at 24 h 1.17 and 1.14, at 72 h 1.15 and 1.12) and a fifth,
level-only candidate (last 24 h mean plus the daily profile's shape, for the slow series: no
cell better, lab T 72 h 1.11); weights from absolute errors (1/MAE⁸, day-14 validation: lab T
1.14 and 1.12); pooling the same
hour of day from the first lead (6 h forecasts of slow series worse: store T 0.49 → 0.55 ×
naive, case RH 0.77 → 0.81).

Alternatives that backtested worse earlier: an AR(2) on the day-to-day differences
extrapolated trends (store 72 h MAE 1.3 × seasonal naive); one shrinkage factor for the whole
weekly profile let weekday noise into the night hours (lab T at 24 h 1.4 × naive); a weekly
drift term and picking the single best weighting were noisier. Earlier: SARIMAX(1,0,0) with
daily Fourier terms lost to seasonal naive at 24 and 72 h at 0.5–0.9 s a fit; AutoReg with lags
24 and 168 accumulated errors. Without the validation (fewer than 4 origins: under 20 days of
data) the forecast is the average of ``profile_ar`` and ``weekly_naive`` with intervals
from day-to-day differences.

Outdoor weather (optional) enters the AR parts as an exogenous regressor (outdoor T anomaly for
T, outdoor vapour-pressure anomaly for RH, both through a 12-hour exponential lag for the
building envelope); for forecast hours it does not cover, the anomaly is set to zero (the
training mean), so a weather forecast is only used as far as it reaches.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import norm

from ._hourly import HOUR_S, epoch_seconds, fill_gaps, gappy_series, hourly_means
from ._results import JSONResult, JSONValue, to_jsonable
from ._validation import FloatArray
from .mould import Sensitivity, vtt_mould_index
from .psychrometrics import saturation_vapour_pressure

Quantity = Literal["temperature", "relative_humidity"]

TRAINING_DAYS = 28
"""Hourly means used (four weeks: four of each weekday for the weekly profile)."""
AR_DAYS = 7
"""Hours of deseasonalised remainder the AR model is fitted on (recent level)."""
MIN_TRAINING_HOURS = 48
"""Fewer hourly means than this in the training window raise ``ValueError``."""
FULL_MODEL_HOURS = 168
"""Below this many hourly means the forecast falls back to seasonal naive."""
AR_LAGS = (1, 2)
DAILY_HALF_LIFE_DAYS = 3.0
"""Age at which an hour's weight in the hour-of-day profile halves: the daily amplitude drifts
with the season (the lab's night setback moves ~0.4 K a week in spring), so recent days count
most."""
WEEKLY_HALF_LIFE_DAYS = 7.0
"""The same for the day-of-week deviations, which need several weeks per cell."""
VALIDATION_FIRST_H = 336
"""Validation origins inside the training window start once 14 days lie before them: two of
each weekday, the fewest the weekday deviations are estimated from, so the validated
candidates are the ones forecasting. Starting at day 7 (19 origins instead of 12) won 22
backtest cells instead of 20, but its first origins have no weekday deviations, so on a
noise-free weekday schedule yesterday took a share on Sunday's working hours (0.45 K off)."""
VALIDATION_STEP_H = 24
"""Whole days, so every validation origin has the forecast origin's hour of day."""
VALIDATION_LEAD_H = 72
"""Leads validated; longer forecasts keep the last lead's weights."""
MIN_VALIDATION_ORIGINS = 4
"""Fewer validation origins than this: a fixed average and day-to-day-difference intervals."""
LEAD_WINDOW = 0.25
"""Interval errors are pooled over leads within ±25 % (at least ±3 h) of each lead."""
ENVELOPE_LAG_H = 12.0  # outdoor anomalies reach a massive building with ~12 h lag
FLAT_TOLERANCE = 1e-9
MODEL_NAME = "daily_profile_ar2_naive_blend"
CANDIDATES = ("profile_ar", "daily_profile_ar", "weekly_naive", "seasonal_naive")
COMBINATIONS = np.vstack(
    [
        np.eye(len(CANDIDATES)),
        *(
            0.5 * (np.eye(len(CANDIDATES))[i] + np.eye(len(CANDIDATES))[j])
            for i in range(len(CANDIDATES))
            for j in range(i + 1, len(CANDIDATES))
        ),
    ]
)
"""The weightings of the four candidates the validation chooses from, per lead: each alone
and each equal pair (equal weights are hard to beat with few validation errors; Smith &
Wallis 2009, the forecast combination puzzle)."""
COMBINATION_POWER = 4.0
POOL_FROM_LEAD_H = 24
"""From this lead on, the combination weights pool each lead's validation errors with those
24 h before and after it (same hour of day, twice the errors per weight; pooling from the first
lead made the 6 h forecasts of slow series worse, store T 0.49 → 0.55 × naive)."""
"""Weights ∝ 1/MSE⁴: sharper than Bates–Granger's 1/MSE, because the candidates' errors are
strongly correlated (all start from the same last hours), so soft weights barely move away
from the worse candidate."""


def _iso(times: NDArray[np.datetime64]) -> list[JSONValue]:
    return [str(t) + "Z" for t in times.astype("datetime64[s]")]


@dataclass(frozen=True)
class QuantityForecast(JSONResult):
    """The forecast of one quantity.

    Attributes:
        quantity: ``temperature`` (°C) or ``relative_humidity`` (%).
        mean: expected hourly mean per forecast hour.
        lower, upper: interval bounds per level, keyed ``"0.8"``, ``"0.95"`` (central
            intervals; RH clipped to 0–100).
        model: the model used (``daily_profile_ar2_naive_blend``: the validated combination of
            the module docstring, name kept from its first version; ``seasonal_naive`` or
            ``constant``).
        fallback: why a simpler model was used (``short_series``, ``flat_series``) or ``None``.
        parameters: fitted parameters and fit statistics (the ``profile_ar`` candidate's AR
            coefficients and outdoor coefficient, its residual standard deviation, number of
            hourly means used, profile amplitude, ``weekly_weight`` (mean shrinkage factor of
            the weekday deviations, 0–1), ``validation_origins`` and each candidate's
            combination weight at 24 h, ``weight_<candidate>_24h``).
    """

    quantity: str
    mean: FloatArray
    lower: dict[str, FloatArray]
    upper: dict[str, FloatArray]
    model: str
    fallback: str | None
    parameters: dict[str, float]


@dataclass(frozen=True)
class ClimateForecast(JSONResult):
    """Hourly forecast of T and RH.

    Attributes:
        times: start of each forecast hour (``datetime64[s]``, UTC); values are hourly means.
        temperature, relative_humidity: the forecasts.
        levels: the interval levels.
        training_start, training_end: the training window (first hour, end of last hour).
        outdoor_hours: forecast hours covered by the outdoor regressor (0 without one).
    """

    times: NDArray[np.datetime64]
    temperature: QuantityForecast
    relative_humidity: QuantityForecast
    levels: tuple[float, ...]
    training_start: np.datetime64
    training_end: np.datetime64
    outdoor_hours: int = 0

    def quantity(self, name: str) -> QuantityForecast:
        """The forecast of ``temperature`` or ``relative_humidity``."""
        if name == "temperature":
            return self.temperature
        if name == "relative_humidity":
            return self.relative_humidity
        raise ValueError(f"quantity = {name!r} must be temperature or relative_humidity")

    def to_dict(self) -> dict[str, JSONValue]:
        """Plain JSON; times as ISO 8601 UTC strings."""
        data = {
            "times": _iso(self.times),
            "temperature": self.temperature.to_dict(),
            "relative_humidity": self.relative_humidity.to_dict(),
            "levels": list(self.levels),
            "training_start": _iso(np.array([self.training_start]))[0],
            "training_end": _iso(np.array([self.training_end]))[0],
            "outdoor_hours": self.outdoor_hours,
        }
        return data  # type: ignore[return-value]


def _level_key(level: float) -> str:
    return f"{level:g}"


def _check_levels(levels: Sequence[float]) -> tuple[float, ...]:
    out = tuple(float(x) for x in levels)
    if not out:
        raise ValueError("levels must hold at least one level")
    for i, level in enumerate(out):
        if not (0.0 < level < 1.0):
            raise ValueError(f"levels[{i}] = {level!r} must be between 0 and 1")
    return out


def seasonal_naive(
    times: ArrayLike, values: ArrayLike, horizon_hours: int, season_hours: int = 24
) -> tuple[NDArray[np.datetime64], FloatArray]:
    """Seasonal-naive forecast: the last ``season_hours`` hourly means, repeated.

    The baseline every forecast is measured against. Hours without data in the last season
    take the most recent hourly mean before them (linear fill).

    Returns:
        ``(times, values)``: start of each forecast hour (``datetime64[s]``) and the forecast.

    Raises:
        ValueError: invalid times, non-numeric or infinite values, horizon or season < 1, or
            fewer than ``season_hours`` hours of history.
    """
    seconds = epoch_seconds(times)
    y = v_series("values", values, seconds.shape[0])
    horizon = _positive_int("horizon_hours", horizon_hours)
    season = _positive_int("season_hours", season_hours)
    hourly = hourly_means(seconds, y)
    if hourly.hours.shape[0] < season:
        raise ValueError(
            f"values span {hourly.hours.shape[0]} hours; seasonal naive needs {season}"
        )
    last = fill_gaps(hourly.values[0])[-season:]
    forecast = np.resize(last, horizon).astype(np.float64)
    return _future(hourly.hours, horizon), forecast


def v_series(name: str, values: ArrayLike, n: int) -> FloatArray:
    """A numeric series with NaN allowed, no ±inf."""
    a = np.asarray(values, dtype=np.float64) if not isinstance(values, np.ndarray) else values
    try:
        a = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from None
    if a.ndim != 1 or a.shape[0] != n:
        raise ValueError(f"mismatched lengths: {name} has shape {a.shape} but times has {n}")
    if np.isinf(a).any():
        i = int(np.flatnonzero(np.isinf(a))[0])
        raise ValueError(f"{name}[{i}] = {a[i]!r} is not finite")
    return a


def _positive_int(name: str, value: int) -> int:
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise ValueError(f"{name} = {value!r} must be a positive integer")
    return int(value)


def _future(hours: NDArray[np.int64], horizon: int) -> NDArray[np.datetime64]:
    start = int(hours[-1]) + HOUR_S
    return (start + HOUR_S * np.arange(horizon, dtype=np.int64)).astype("datetime64[s]")


def _envelope_lag(x: FloatArray) -> FloatArray:
    alpha = 1.0 - math.exp(-1.0 / ENVELOPE_LAG_H)
    out = np.empty_like(x)
    acc = x[0]
    for i, value in enumerate(x):
        acc += alpha * (value - acc)
        out[i] = acc
    return out


@dataclass(frozen=True)
class _Components:
    """What one origin's candidates need: the seasonal profile and both AR fits."""

    seasons: tuple[FloatArray, FloatArray]  # 168 hour-of-week values: weekly, plain daily
    weekly_weight: float
    ars: tuple[FloatArray, FloatArray]  # per season: constant, lag 1, lag 2[, outdoor]
    ar_lasts: tuple[FloatArray, FloatArray]  # per season: the last two remainders
    base: FloatArray  # the last 24 hourly means (gaps filled)
    residual_sd: float


def _weighted_means(
    slots: NDArray[np.int64], values: FloatArray, weights: FloatArray, size: int
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    sums = np.bincount(slots, weights * values, size).astype(np.float64)
    totals = np.bincount(slots, weights, size).astype(np.float64)
    squares = np.bincount(slots, weights * values * values, size).astype(np.float64)
    weight_squares = np.bincount(slots, weights * weights, size).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / totals
    return means, totals, squares, weight_squares


def _season(slot_week: NDArray[np.int64], y: FloatArray) -> tuple[FloatArray, float]:
    """Hour-of-week profile: recency-weighted hour-of-day means plus, per hour of day, the
    weekday deviations shrunk by how far they stand out of their own noise (positive-part
    James–Stein: weight 1 − noise variance / spread of the seven deviations)."""
    present = ~np.isnan(y)
    slots, values = slot_week[present], y[present]
    age_days = (y.shape[0] - 1 - np.flatnonzero(present)) / 24.0
    daily_weights = 0.5 ** (age_days / DAILY_HALF_LIFE_DAYS)
    daily, _, _, _ = _weighted_means(slots % 24, values, daily_weights, 24)
    daily = fill_gaps(daily)
    daily = daily - daily.mean()
    season = daily[np.arange(168) % 24]
    counts = np.bincount(slots, None, 168)
    if counts.min() < 2:
        return season, 0.0
    weekly_weights = 0.5 ** (age_days / WEEKLY_HALF_LIFE_DAYS)
    residual = values - daily[slots % 24]
    means, totals, squares, weight_squares = _weighted_means(slots, residual, weekly_weights, 168)
    # Weighted within-cell variance (reliability weights) and the variance of each cell mean.
    effective = weight_squares / totals**2
    within = np.maximum(squares / totals - means**2, 0.0) / np.maximum(1.0 - effective, 1e-9)
    deviation = (means - means.mean()).reshape(7, 24)
    noise = (within * effective).reshape(7, 24).mean(axis=0)
    spread = (deviation**2).mean(axis=0)
    shrink = np.where(spread > 0.0, np.clip(1.0 - noise / np.maximum(spread, 1e-300), 0, 1), 0)
    return season + (shrink * deviation).reshape(168), float(shrink.mean())


def _least_squares(design: FloatArray, target: FloatArray) -> FloatArray:
    coefficients, *_ = np.linalg.lstsq(design, target, rcond=None)
    return np.asarray(coefficients, dtype=np.float64)


def _components(
    slot_week: NDArray[np.int64],
    y: FloatArray,
    filled: FloatArray,
    end: int,
    exog: FloatArray | None,
) -> _Components:
    start = max(0, end - TRAINING_DAYS * 24)
    season, weekly_weight = _season(slot_week[start:end], y[start:end])
    ar_start = max(0, end - AR_DAYS * 24)
    remainder = fill_gaps(y[ar_start:end] - season[slot_week[ar_start:end]])
    columns = [np.ones(remainder.shape[0] - 2), remainder[1:-1], remainder[:-2]]
    if exog is not None:
        columns.append(exog[ar_start + 2 : end])
    design = np.column_stack(columns)
    ar = _least_squares(design, remainder[2:])
    residual = remainder[2:] - design @ ar
    # The plain 28-day hour-of-day mean: steadier for slow series with a weak daily cycle.
    hour = slot_week[start:end] % 24
    present = ~np.isnan(y[start:end])
    totals = np.bincount(hour[present], y[start:end][present], 24)
    counts = np.bincount(hour[present], None, 24)
    with np.errstate(invalid="ignore", divide="ignore"):
        daily = fill_gaps(totals / counts)
    daily_season = (daily - daily.mean())[np.arange(168) % 24]
    daily_remainder = fill_gaps(y[ar_start:end] - daily_season[slot_week[ar_start:end]])
    design[:, 1], design[:, 2] = daily_remainder[1:-1], daily_remainder[:-2]
    daily_ar = _least_squares(design, daily_remainder[2:])
    return _Components(
        seasons=(season, daily_season),
        weekly_weight=weekly_weight,
        ars=(ar, daily_ar),
        ar_lasts=(remainder[-2:], daily_remainder[-2:]),
        base=filled[end - 24 : end],
        residual_sd=float(np.sqrt(np.mean(residual**2))),
    )


def _paths(
    parts: list[_Components],
    first_slots: NDArray[np.int64],
    horizon: int,
    exog_future: FloatArray | None,
) -> FloatArray:
    """Candidate forecasts, shape (origins, 4, horizon), in the order of ``CANDIDATES``: the
    weekly and the plain daily profile + AR(2), the weekly naive one (yesterday corrected by the
    weekday profile) and yesterday repeated."""
    origins = len(parts)
    lead = np.arange(horizon)
    future_slots = (first_slots[:, None] + lead[None, :]) % 168
    rows = np.arange(origins)[:, None]
    profiles = []
    for variant in (0, 1):
        season = np.stack([p.seasons[variant] for p in parts])
        ar = np.stack([p.ars[variant] for p in parts])
        r1, r2 = (np.array([p.ar_lasts[variant][k] for p in parts]) for k in (1, 0))
        remainder = np.empty((origins, horizon))
        for h in range(horizon):
            r = ar[:, 0] + ar[:, 1] * r1 + ar[:, 2] * r2
            if exog_future is not None:
                r = r + ar[:, 3] * exog_future[:, h]
            remainder[:, h] = r
            r1, r2 = r, r1
        profiles.append(season[rows, future_slots] + remainder)
    season = np.stack([p.seasons[0] for p in parts])
    future_season = season[rows, future_slots]
    past_season = season[rows, (first_slots[:, None] - 24 + np.arange(24)[None, :]) % 168]
    profile_ar, daily_profile_ar = profiles
    extended = np.concatenate([np.stack([p.base for p in parts]), np.empty((origins, horizon))], 1)
    extended_season = np.concatenate([past_season, future_season], axis=1)
    for h in range(horizon):
        extended[:, 24 + h] = extended[:, h] + extended_season[:, 24 + h] - extended_season[:, h]
    weekly_naive = extended[:, 24:]
    plain_naive = extended[:, np.arange(horizon) % 24]
    return np.stack([profile_ar, daily_profile_ar, weekly_naive, plain_naive], axis=1)


def _combination(error: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Inverse-MSE weights per lead (Bates & Granger 1969).

    The validation origins lie whole days before the forecast origin, so each lead's errors
    are at the hour of day that lead will have: the weights follow the daily cycle (the lab's
    night hours favour yesterday, its working hours the profile). Each lead is scored on the
    errors at its own hour of day only (from 24 h on, also the leads a day before and after):
    pooling neighbouring leads (±2 h) let the lab's heating ramp at 08:00 local pull the 07:00
    lead towards the profile, where yesterday is better.

    Args:
        error: validation errors, shape (origins, candidates, leads), NaN where no actual.

    Returns:
        ``(weights, combined)``: weights (candidates, leads) and the combined validation
        errors (origins, leads).
    """
    options = np.einsum("okh,ck->och", error, COMBINATIONS)
    valid = ~np.isnan(options)
    squares = np.where(valid, options**2, 0.0).sum(axis=0)
    hits = valid.sum(axis=0).astype(np.float64)
    # From 24 h on, a lead also takes the errors of the leads a day before and after it: the
    # same hour of day, so the same regime (night setback, working hours), twice the errors.
    pooled_squares, pooled_hits = squares.copy(), hits.copy()
    lead = np.arange(squares.shape[-1])
    for shift in (-24, 24):
        other = lead + shift
        pooled = (lead >= POOL_FROM_LEAD_H - 1) & (other >= POOL_FROM_LEAD_H - 1)
        pooled &= other < lead.size
        pooled_squares[:, pooled] += squares[:, other[pooled]]
        pooled_hits[:, pooled] += hits[:, other[pooled]]
    mse = pooled_squares / np.maximum(pooled_hits, 1.0)
    share = 1.0 / np.maximum(mse, 1e-12) ** COMBINATION_POWER
    share /= share.sum(axis=0, keepdims=True)
    weights: FloatArray = COMBINATIONS.T @ share
    combined = np.einsum("okh,kh->oh", error, weights)
    return weights, combined


def _interval_halves(combined: FloatArray, levels: tuple[float, ...]) -> dict[float, FloatArray]:
    """Empirical quantiles of the absolute validation errors per lead, pooled over the lead
    window, at the conformal rank ⌈(n + 1)·level⌉ of n errors (split conformal prediction;
    Vovk, Gammerman & Shafer 2005), never narrowing with the lead."""
    leads = combined.shape[1]
    lead = np.arange(leads)
    half = np.maximum(3, (LEAD_WINDOW * (lead + 1)).astype(np.int64))
    offsets = np.arange(-int(half.max()), int(half.max()) + 1)
    columns = lead[:, None] + offsets[None, :]
    inside = (np.abs(offsets)[None, :] <= half[:, None]) & (columns >= 0) & (columns < leads)
    magnitude = np.abs(combined)[:, np.clip(columns, 0, leads - 1)]  # (origins, leads, window)
    magnitude = np.where(inside[None] & ~np.isnan(magnitude), magnitude, np.inf)
    pooled = np.sort(magnitude.transpose(1, 0, 2).reshape(leads, -1), axis=1)
    count = np.isfinite(pooled).sum(axis=1)
    out = {}
    for level in levels:
        rank = np.minimum(np.ceil((count + 1) * level).astype(np.int64), count)
        value = np.where(count > 0, pooled[lead, np.maximum(rank - 1, 0)], np.nan)
        out[level] = np.maximum.accumulate(fill_gaps(value))
    return out


def _fit(
    name: str,
    hours: NDArray[np.int64],
    y: FloatArray,
    horizon: int,
    levels: tuple[float, ...],
    exog: FloatArray | None,
    exog_future: FloatArray | None,
) -> QuantityForecast:
    present = ~np.isnan(y)
    count = int(present.sum())
    if count < MIN_TRAINING_HOURS:
        raise ValueError(
            f"{name} has {count} hourly means in the last {TRAINING_DAYS} days; "
            f"at least {MIN_TRAINING_HOURS} are needed"
        )
    quantiles = {level: float(norm.ppf(0.5 + level / 2.0)) for level in levels}
    steps = np.arange(1, horizon + 1, dtype=np.float64)
    filled = fill_gaps(y)
    naive = np.resize(filled[-24:], horizon).astype(np.float64)
    spread = float(np.nanmax(y) - np.nanmin(y))
    if spread <= FLAT_TOLERANCE:
        value = float(np.nanmean(y))
        mean = np.full(horizon, value)
        return QuantityForecast(
            quantity=name,
            mean=mean,
            lower={_level_key(k): mean.copy() for k in levels},
            upper={_level_key(k): mean.copy() for k in levels},
            model="constant",
            fallback="flat_series",
            parameters={"value": value, "hourly_means": float(count)},
        )
    if count < FULL_MODEL_HOURS:
        # Day-to-day differences give the naive error; it grows with the days ahead.
        diffs = filled[24:] - filled[:-24]
        sigma = float(np.std(diffs)) if diffs.size else float(np.nanstd(y))
        scale = sigma * np.sqrt(np.ceil(steps / 24.0))
        return QuantityForecast(
            quantity=name,
            mean=naive,
            lower={_level_key(k): naive - z * scale for k, z in quantiles.items()},
            upper={_level_key(k): naive + z * scale for k, z in quantiles.items()},
            model="seasonal_naive",
            fallback="short_series",
            parameters={"residual_sd": sigma, "hourly_means": float(count)},
        )
    slot_week = ((hours // HOUR_S) % 168).astype(np.int64)
    n = y.shape[0]
    leads = min(horizon, VALIDATION_LEAD_H)
    # Whole days before the end, so each validation lead has the hour of day it will have.
    last_end = n - 24 * math.ceil(leads / 24)
    ends = np.arange(last_end, VALIDATION_FIRST_H - 1, -VALIDATION_STEP_H)[::-1]
    final = _components(slot_week, y, filled, n, exog)
    next_slot = np.array([(int(slot_week[-1]) + 1) % 168], dtype=np.int64)
    future_x = None if exog_future is None else exog_future[None, :]
    paths = _paths([final], next_slot, horizon, future_x)[0]
    if ends.size >= MIN_VALIDATION_ORIGINS:
        parts = [_components(slot_week, y, filled, int(e), exog) for e in ends]
        first_slots = (slot_week[ends - 1] + 1) % 168
        past_x = None if exog is None else np.stack([exog[e : e + leads] for e in ends])
        candidates = _paths(parts, first_slots, leads, past_x)
        actual = np.stack([y[e : e + leads] for e in ends])
        weights, combined = _combination(candidates - actual[:, None, :])
        column = np.minimum(np.arange(horizon), leads - 1)
        mean = np.einsum("kh,kh->h", weights[:, column], paths)
        halves = _interval_halves(combined, levels)
        growth = np.sqrt(np.maximum(np.arange(1, horizon + 1) / leads, 1.0))
        width = {level: q[column] * growth for level, q in halves.items()}
        lead_24 = min(24, leads) - 1
        weight_parameters = {
            f"weight_{name}_{lead_24 + 1}h": float(weights[k, lead_24])
            for k, name in enumerate(CANDIDATES)
        }
    else:
        # Too short to validate: the average of the two, with the naive fallback's intervals.
        mean = 0.5 * (paths[0] + paths[2])
        diffs = filled[24:] - filled[:-24]
        sigma = float(np.std(diffs)) if diffs.size else float(np.nanstd(y))
        scale = sigma * np.sqrt(np.ceil(steps / 24.0))
        width = {level: z * scale for level, z in quantiles.items()}
        weight_parameters = {
            f"weight_{name}_24h": 0.5 * float(k in (0, 2)) for k, name in enumerate(CANDIDATES)
        }
    labels = ["constant", *(f"ar_lag_{k}" for k in AR_LAGS), "outdoor"]
    parameters = {
        **{label: float(x) for label, x in zip(labels, final.ars[0], strict=False)},
        "residual_sd": final.residual_sd,
        "hourly_means": float(count),
        "profile_amplitude": float(final.seasons[0].max() - final.seasons[0].min()),
        "weekly_weight": final.weekly_weight,
        "validation_origins": float(ends.size),
        **weight_parameters,
    }
    return QuantityForecast(
        quantity=name,
        mean=mean,
        lower={_level_key(k): mean - width[k] for k in levels},
        upper={_level_key(k): mean + width[k] for k in levels},
        model=MODEL_NAME,
        fallback=None,
        parameters=parameters,
    )


def _clip_rh(forecast: QuantityForecast) -> QuantityForecast:
    def clip(a: FloatArray) -> FloatArray:
        return np.clip(a, 0.0, 100.0)

    return QuantityForecast(
        quantity=forecast.quantity,
        mean=clip(forecast.mean),
        lower={k: clip(a) for k, a in forecast.lower.items()},
        upper={k: clip(a) for k, a in forecast.upper.items()},
        model=forecast.model,
        fallback=forecast.fallback,
        parameters=forecast.parameters,
    )


def forecast_climate(
    times: ArrayLike,
    t_c: ArrayLike,
    rh: ArrayLike,
    *,
    horizon_hours: int = 72,
    outdoor_t_c: ArrayLike | None = None,
    outdoor_rh: ArrayLike | None = None,
    outdoor_times: ArrayLike | None = None,
    levels: Sequence[float] = (0.8, 0.95),
) -> ClimateForecast:
    """Hourly forecast of T and RH for the next ``horizon_hours`` after the last reading.

    Fitted on the hourly means of the last 28 days (see the module docstring for the model and
    why). NaN readings are gaps. With fewer than 168 hourly means the forecast is seasonal
    naive with intervals from day-to-day differences (``fallback="short_series"``); a series
    without variation is forecast as constant (``fallback="flat_series"``).

    Args:
        times: reading times (``datetime64`` or POSIX seconds), sorted and unique.
        t_c, rh: readings (°C, %), NaN where missing.
        horizon_hours: hours to forecast (1–720).
        outdoor_t_c, outdoor_rh, outdoor_times: optional outdoor readings (observed plus a
            weather forecast) covering the training window; used as a regressor for the
            forecast hours they cover. All three or none.
        levels: central interval levels, each in (0, 1).

    Returns:
        a :class:`ClimateForecast`.

    Raises:
        ValueError: invalid times or values, fewer than 48 hourly means of either quantity in
            the last 28 days, a bad horizon or level, or incomplete outdoor arguments.
    """
    seconds = epoch_seconds(times)
    n = seconds.shape[0]
    t = gappy_series("t_c", t_c, n, rh=False)
    h = gappy_series("rh", rh, n, rh=True)
    horizon = _positive_int("horizon_hours", horizon_hours)
    if horizon > 720:
        raise ValueError(f"horizon_hours = {horizon_hours!r} must be at most 720 (30 days)")
    level_values = _check_levels(levels)
    hourly = hourly_means(seconds, t, h)
    keep = slice(-TRAINING_DAYS * 24, None)
    hours = hourly.hours[keep]
    t_hourly, rh_hourly = (x[keep] for x in hourly.values)
    exogenous = _outdoor_regressors(hours, horizon, outdoor_times, outdoor_t_c, outdoor_rh)
    covered = 0
    if exogenous is None:
        t_forecast = _fit("t_c", hours, t_hourly, horizon, level_values, None, None)
        rh_forecast = _fit("rh", hours, rh_hourly, horizon, level_values, None, None)
    else:
        t_x, t_future, e_x, e_future, covered = exogenous
        t_forecast = _fit("t_c", hours, t_hourly, horizon, level_values, t_x, t_future)
        rh_forecast = _fit("rh", hours, rh_hourly, horizon, level_values, e_x, e_future)
    return ClimateForecast(
        times=_future(hours, horizon),
        temperature=t_forecast,
        relative_humidity=_clip_rh(rh_forecast),
        levels=level_values,
        training_start=np.datetime64(int(hours[0]), "s"),
        training_end=np.datetime64(int(hours[-1]) + HOUR_S, "s"),
        outdoor_hours=covered,
    )


def _outdoor_regressors(
    hours: NDArray[np.int64],
    horizon: int,
    outdoor_times: ArrayLike | None,
    outdoor_t_c: ArrayLike | None,
    outdoor_rh: ArrayLike | None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, int] | None:
    given = [x is not None for x in (outdoor_times, outdoor_t_c, outdoor_rh)]
    if not any(given):
        return None
    if not all(given):
        raise ValueError("outdoor_times, outdoor_t_c and outdoor_rh must be given together")
    assert outdoor_times is not None
    assert outdoor_t_c is not None
    assert outdoor_rh is not None
    seconds = epoch_seconds(outdoor_times)
    n = seconds.shape[0]
    t_out = gappy_series("outdoor_t_c", outdoor_t_c, n, rh=False)
    rh_out = gappy_series("outdoor_rh", outdoor_rh, n, rh=True)
    e_out = rh_out / 100.0 * np.asarray(saturation_vapour_pressure(t_out))
    hourly = hourly_means(seconds, t_out, e_out)
    grid = np.concatenate([hours, int(hours[-1]) + HOUR_S * np.arange(1, horizon + 1)])
    index = (grid - hourly.hours[0]) // HOUR_S
    inside = (index >= 0) & (index < hourly.hours.shape[0])
    out = []
    for values in hourly.values:
        on_grid = np.full(grid.shape[0], np.nan)
        on_grid[inside] = values[index[inside]]
        out.append(on_grid)
    past = slice(0, hours.shape[0])
    if np.isnan(out[0][past]).mean() > 0.5:
        raise ValueError("outdoor readings cover less than half of the training window")
    future_ok = ~np.isnan(out[0][hours.shape[0] :])
    covered = int(np.argmin(future_ok)) if not future_ok.all() else horizon
    result: list[FloatArray] = []
    for series in out:
        mean = float(np.nanmean(series[past]))
        anomaly = np.where(np.isnan(series), mean, series) - mean
        anomaly[hours.shape[0] + covered :] = 0.0
        lagged = _envelope_lag(anomaly)
        lagged[hours.shape[0] + covered :] = 0.0
        result.extend([lagged[past], lagged[hours.shape[0] :]])
    return result[0], result[1], result[2], result[3], covered


@dataclass(frozen=True)
class Breach(JSONResult):
    """A specification limit the forecast crosses.

    Attributes:
        quantity: ``temperature`` or ``relative_humidity``.
        side: ``above`` (the maximum) or ``below`` (the minimum).
        limit: the limit crossed.
        expected_at: first forecast hour whose mean crosses it (``None`` if the mean stays
            inside within the horizon).
        earliest_at: first forecast hour whose interval bound (at ``probability_level``)
            crosses it.
        hours_until_expected, hours_until_earliest: hours from the end of the data to the
            end of those forecast hours (1 for the first forecast hour).
        expected_value: the forecast mean at ``expected_at`` (or at ``earliest_at`` when the
            mean never crosses).
        probability_level: the interval level used.
    """

    quantity: str
    side: str
    limit: float
    expected_at: np.datetime64 | None
    earliest_at: np.datetime64 | None
    hours_until_expected: int | None
    hours_until_earliest: int | None
    expected_value: float
    probability_level: float

    def to_dict(self) -> dict[str, JSONValue]:
        """Plain JSON; times as ISO 8601 UTC strings."""
        data = {
            f.name: getattr(self, f.name)
            for f in self.__dataclass_fields__.values()
            if f.name not in ("expected_at", "earliest_at")
        }
        for name in ("expected_at", "earliest_at"):
            moment = getattr(self, name)
            data[name] = None if moment is None else _iso(np.array([moment]))[0]
        return data


def _first(mask: NDArray[np.bool_]) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None


def predict_breach(
    forecast: ClimateForecast,
    *,
    t_min: float | None = None,
    t_max: float | None = None,
    rh_min: float | None = None,
    rh_max: float | None = None,
    probability_level: float = 0.8,
) -> list[Breach]:
    """The limits the forecast is expected to cross, and when.

    For each limit given: the first hour the forecast mean crosses it (expected) and the first
    hour the bound of the central ``probability_level`` interval crosses it (earliest: at
    least (1 − level)/2 probability under the model). A limit is listed when either happens.

    Returns:
        breaches ordered by earliest hour.

    Raises:
        ValueError: ``probability_level`` not one of the forecast's levels, a non-finite
            limit, or a minimum above its maximum.
    """
    key = _level_key(float(probability_level))
    if key not in forecast.temperature.lower:
        raise ValueError(
            f"probability_level = {probability_level!r} is not one of the forecast's levels "
            f"{list(forecast.levels)}"
        )
    limits = {"t_min": t_min, "t_max": t_max, "rh_min": rh_min, "rh_max": rh_max}
    for name, value in limits.items():
        if value is not None and not math.isfinite(float(value)):
            raise ValueError(f"{name} = {value!r} must be finite")
    for low, high in (("t_min", "t_max"), ("rh_min", "rh_max")):
        lo, hi = limits[low], limits[high]
        if lo is not None and hi is not None and float(lo) > float(hi):
            raise ValueError(f"{low} = {lo!r} is above {high} = {hi!r}")
    out: list[Breach] = []
    plan = (
        ("temperature", "below", t_min),
        ("temperature", "above", t_max),
        ("relative_humidity", "below", rh_min),
        ("relative_humidity", "above", rh_max),
    )
    for quantity, side, limit in plan:
        if limit is None:
            continue
        q = forecast.quantity(quantity)
        bound = float(limit)
        if side == "above":
            expected = _first(q.mean > bound)
            earliest = _first(q.upper[key] > bound)
        else:
            expected = _first(q.mean < bound)
            earliest = _first(q.lower[key] < bound)
        if earliest is None and expected is None:
            continue
        if earliest is None or (expected is not None and expected < earliest):
            earliest = expected
        at = expected if expected is not None else earliest
        assert at is not None
        out.append(
            Breach(
                quantity=quantity,
                side=side,
                limit=bound,
                expected_at=None if expected is None else forecast.times[expected],
                earliest_at=None if earliest is None else forecast.times[earliest],
                hours_until_expected=None if expected is None else expected + 1,
                hours_until_earliest=None if earliest is None else earliest + 1,
                expected_value=float(q.mean[at]),
                probability_level=float(probability_level),
            )
        )
    out.sort(key=lambda b: b.hours_until_earliest or 0)
    return out


@dataclass(frozen=True)
class MouldProjection(JSONResult):
    """The VTT mould index now and along the forecast.

    Attributes:
        current_index: M after the last reading (history from M = 0 at the first reading).
        times: forecast hours (as in the forecast).
        mean_index: M along the forecast mean (T and RH).
        wet_index: M along the wet bound (the upper RH bound at ``level``, mean T).
        hours_to_1, hours_to_3: forecast hours until M reaches 1 (microscopic growth) and 3
            (visible growth) along the mean; 0 if already reached; ``None`` if not within the
            horizon.
        wet_hours_to_1, wet_hours_to_3: the same along the wet bound.
        sensitivity: the Ojanen sensitivity class.
        level: the interval level of the wet bound.
    """

    current_index: float
    times: NDArray[np.datetime64] = field(repr=False)
    mean_index: FloatArray
    wet_index: FloatArray
    hours_to_1: int | None
    hours_to_3: int | None
    wet_hours_to_1: int | None
    wet_hours_to_3: int | None
    sensitivity: str
    level: float

    def to_dict(self) -> dict[str, JSONValue]:
        """Plain JSON; times as ISO 8601 UTC strings."""
        data = {
            f.name: getattr(self, f.name)
            for f in self.__dataclass_fields__.values()
            if f.name != "times"
        }
        plain = to_jsonable(data)
        assert isinstance(plain, dict)
        plain["times"] = _iso(self.times)
        return plain


def _hours_to(index: FloatArray, current: float, threshold: float) -> int | None:
    if current >= threshold:
        return 0
    hit = _first(index >= threshold)
    return None if hit is None else hit + 1


def predict_mould(
    times: ArrayLike,
    t_c: ArrayLike,
    rh: ArrayLike,
    forecast: ClimateForecast,
    *,
    sensitivity: Sensitivity = "very_sensitive",
    level: float | None = None,
) -> MouldProjection:
    """Current VTT mould index and its projection over the forecast.

    The history (readings without NaN) is integrated from M = 0 with
    :func:`~taihe.modules.conservation.science.mould.vtt_mould_index`, then continued through
    the forecast hours, once along the mean and once along the wet bound (upper RH at
    ``level``, default the widest level of the forecast). Gaps of up to 2 hours are bridged.

    Returns:
        a :class:`MouldProjection`.

    Raises:
        ValueError: invalid readings, an unknown class, or a level not in the forecast.
    """
    seconds = epoch_seconds(times)
    n = seconds.shape[0]
    t = gappy_series("t_c", t_c, n, rh=False)
    h = gappy_series("rh", rh, n, rh=True)
    chosen = max(forecast.levels) if level is None else float(level)
    key = _level_key(chosen)
    if key not in forecast.relative_humidity.upper:
        raise ValueError(f"level = {level!r} is not one of the forecast's levels")
    ok = ~(np.isnan(t) | np.isnan(h))
    history_s = seconds[ok].astype(np.float64)
    future_s = forecast.times.astype("datetime64[s]").astype(np.int64).astype(np.float64)
    if history_s.size and future_s[0] <= history_s[-1]:
        raise ValueError("the forecast must start after the last reading")
    all_s = np.concatenate([history_s, future_s])
    max_gap = 2.0 * HOUR_S
    paths = {}
    for name, future_rh in (
        ("mean", forecast.relative_humidity.mean),
        ("wet", forecast.relative_humidity.upper[key]),
    ):
        index = vtt_mould_index(
            all_s,
            np.concatenate([t[ok], forecast.temperature.mean]),
            np.concatenate([h[ok], np.clip(future_rh, 0.0, 100.0)]),
            sensitivity=sensitivity,
            max_gap=max_gap,
        )
        paths[name] = index
    current = float(paths["mean"][history_s.size - 1]) if history_s.size else 0.0
    mean_path = paths["mean"][history_s.size :]
    wet_path = paths["wet"][history_s.size :]
    return MouldProjection(
        current_index=current,
        times=forecast.times,
        mean_index=mean_path,
        wet_index=wet_path,
        hours_to_1=_hours_to(mean_path, current, 1.0),
        hours_to_3=_hours_to(mean_path, current, 3.0),
        wet_hours_to_1=_hours_to(wet_path, current, 1.0),
        wet_hours_to_3=_hours_to(wet_path, current, 3.0),
        sensitivity=sensitivity,
        level=chosen,
    )
