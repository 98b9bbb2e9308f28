"""A deterministic year of physically behaving museum climate for the demo museum.

The demo museum is a palace museum in Beijing (Asia/Shanghai). :func:`generate` returns a
sensor's 5-minute readings between two instants, as loggers would record them: aligned times,
values rounded to the logger's resolution, NaN where the logger recorded nothing (one battery
change per sensor, :func:`logger_gap`). Everything is pure numpy and vectorised; a year of one
sensor takes a few milliseconds.

Physics, from the outside in:

* **Outdoors** (:func:`outdoor_climate`): Beijing monthly normals fitted by annual harmonics,
  a skewed daily temperature cycle and smooth "weather" anomalies. RH is computed from the
  vapour pressure and the temperature with the science library's psychrometrics, so it is
  humid at dawn and dry in the afternoon, as outdoors.
* **Galleries**: HVAC holds T and RH on slowly drifting seasonal set points; visitors (open
  08:30–17:00, closed on Mondays) add heat and moisture that the plant removes with a lag.
* **Cases**: T follows the room closely; RH is buffered (conditioned silica gel) and leaks
  towards the room with an air-exchange time constant of days (Thomson; Michalski).
* **Stores**: very stable, dark except brief inspections; the dehumidifier holds the moisture
  content, so its failure is modelled on the vapour pressure, not on RH.
* **Labs**: comfort heating and cooling only, no humidity control: the moisture content comes
  from outdoors and people, and RH is whatever that vapour pressure gives at the room's
  temperature (heating dries, night setback moistens).

Weather and room-level noise are functions of absolute time (sums of random-phase cosines,
Shinozuka & Deodatis 1991), so every sensor of the museum sees the same weather at the same
instant, and a case with seed *s* sits in the room of the gallery sensor with seed *s* (the
lags start at equilibrium at ``start``, so generate both over the same range).
"""

from __future__ import annotations

import functools
import math
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal, get_args
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from .science.psychrometrics import saturation_vapour_pressure

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

Kind = Literal["gallery", "case", "store", "lab", "outdoor"]
Incident = Literal["none", "dehumidifier_failure", "slow_leak", "flatline", "lamp_left_on"]

TEMPERATURE: Final = "temperature"
RELATIVE_HUMIDITY: Final = "relative_humidity"
ILLUMINANCE: Final = "illuminance"
UV: Final = "uv"
QUANTITIES: Final = (TEMPERATURE, RELATIVE_HUMIDITY, ILLUMINANCE, UV)
"""Quantity names, as in ``live.readings``; units °C, %RH, lx, µW/lm."""

MUSEUM_ZONE: Final = ZoneInfo("Asia/Shanghai")
# China has kept UTC+8 without daylight saving since 1991, so local clock time is a constant
# shift of UTC for every date the demo can use; vectorised code relies on it.
_UTC_OFFSET_S: Final = 8 * 3600

OPENING_HOUR: Final = 8.5
CLOSING_HOUR: Final = 17.0
"""Palace Museum opening hours, local: 08:30–17:00 (its April–October hours; the 16:30 winter
closing is not modelled), closed on Mondays."""

_DAY_S: Final = 86_400.0
_HOUR_S: Final = 3_600.0
_YEAR_DAYS: Final = 365.2425
# 2000-01-01 00:00 local time, as local seconds (epoch + offset): origin of the annual phase.
_Y2K_LOCAL_S: Final = 946_684_800.0
# Epoch day 0 (1970-01-01) was a Thursday; weekday 0 is Monday.
_EPOCH_WEEKDAY: Final = 3
_MIN_GAP_SPAN: Final = timedelta(days=14)


@dataclass(frozen=True)
class SensorProfile:
    """A demo sensor: where it hangs, what it measures, what goes wrong with it.

    Attributes:
        code: the sensor's code; also salts the sensor's own noise, so two sensors in one room
            differ.
        kind: ``gallery``, ``case`` (a display case, inside the gallery with the same seed),
            ``store``, ``lab`` or ``outdoor``.
        quantities: any of ``temperature``, ``relative_humidity``, ``illuminance``, ``uv``
            (outdoor sensors measure temperature and relative humidity only).
        incident: what happens to it during the range (see :func:`incident_window`).
        seed: room seed; sensors with the same seed share one room's climate.
    """

    code: str
    kind: Kind
    quantities: tuple[str, ...]
    incident: Incident = "none"
    seed: int = 0


@dataclass(frozen=True)
class IncidentWindow:
    """When an incident shows in the readings (UTC-aware datetimes).

    Attributes:
        incident: the incident's name.
        start: first affected instant.
        end: first instant at which readings are normal again (or the end of the range, for
            incidents that never recover: a slow leak, a stuck sensor).
        repaired: for ``dehumidifier_failure``, when the dehumidifier runs again; RH is back
            within ±5 % of its set point by ``end``.
    """

    incident: str
    start: datetime
    end: datetime
    repaired: datetime | None = None


# --- Beijing outdoor climate ---------------------------------------------------------------

# China Meteorological Administration normals 1971–2000 for Beijing (station 54511), mean daily
# maximum and minimum, °C, January..December (as tabulated in English Wikipedia, "Geography of
# Beijing"). Daily mean January −3.3 °C, July 26.5 °C.
_BEIJING_T_MAX: Final = (1.8, 5.0, 11.6, 20.3, 26.0, 30.2, 30.9, 29.7, 25.8, 19.1, 10.1, 3.7)
_BEIJING_T_MIN: Final = (-8.4, -5.6, 0.4, 7.9, 13.6, 18.8, 22.0, 20.8, 14.8, 7.9, 0.0, -5.8)
# Monthly mean RH, %: APPROXIMATE (LOW confidence, not checked against a primary table): dry
# winter and spring near 40–45 %, monsoon July–August near 75 %, as CMA summaries describe.
_BEIJING_RH: Final = (43.0, 42.0, 41.0, 44.0, 50.0, 61.0, 74.0, 76.0, 69.0, 61.0, 56.0, 47.0)
_MID_MONTH_DAY: Final = (15.5, 45.0, 74.5, 105.0, 135.5, 166.0, 196.5, 227.5, 258.0, 288.5, 319.0,
                         349.5)  # fmt: skip

# Weather anomalies: synoptic systems pass every few days (an Ornstein–Uhlenbeck spectrum with
# a 3-day time constant). Day-to-day spread of the daily mean temperature is larger in the
# winter monsoon (cold waves, about 3.5 K) than under the summer monsoon (about 1.5 K).
# Moisture anomalies are lognormal on the vapour pressure; warm air masses there are
# southerly and moist, so half of the temperature anomaly's Clausius–Clapeyron moisture change
# (about 7 %/K) is carried along.
_WEATHER_KEY: Final = 0x4265696A  # fixed: one weather for the whole museum
_WEATHER_T_SIGMA: Final = 2.5
_WEATHER_T_SEASONAL: Final = 0.4  # σ × (1 ± 0.4), largest in January
_WEATHER_T_TAU_S: Final = 3.0 * _DAY_S
_WEATHER_Q_SIGMA: Final = 0.25
_WEATHER_Q_SEASONAL: Final = 0.25
_WEATHER_Q_TAU_S: Final = 2.0 * _DAY_S
_WEATHER_Q_FROM_T: Final = 0.5 * 0.07
_COLDEST_DAY: Final = 20.0  # day of the year of the normal temperature minimum (late January)


def _fit_annual(values: tuple[float, ...]) -> FloatArray:
    """Least-squares mean and two annual harmonics through twelve mid-month values."""
    phase = 2.0 * np.pi * np.asarray(_MID_MONTH_DAY) / _YEAR_DAYS
    design = np.column_stack(
        [np.ones(12), np.cos(phase), np.sin(phase), np.cos(2 * phase), np.sin(2 * phase)]
    )
    coefficients, *_ = np.linalg.lstsq(design, np.asarray(values, dtype=np.float64), rcond=None)
    result: FloatArray = coefficients
    return result


def _diurnal_raw(hour: FloatArray) -> FloatArray:
    w = 2.0 * np.pi / 24.0
    result: FloatArray = np.cos(w * (hour - 15.25)) + 0.3 * np.cos(2.0 * w * (hour - 1.75))
    return result


_DIURNAL_GRID: Final = _diurnal_raw(np.linspace(0.0, 24.0, 2881))
_DIURNAL_SPAN: Final = float(_DIURNAL_GRID.max() - _DIURNAL_GRID.min())
# The daily temperature shape: zero mean, max − min = 1, peak 14:30, minimum near 05:30. Two
# harmonics give the observed asymmetry, a fast morning rise and a slow night cooling (the
# shape of Parton & Logan 1981, approximated; weight 0.3 and the phases put the extremes at
# those hours). As (k, hour, weight) terms: weight·cos(k·2π/24·(h − hour)).
_DIURNAL_TERMS: Final = ((1, 15.25, 1.0 / _DIURNAL_SPAN), (2, 1.75, 0.3 / _DIURNAL_SPAN))
_DIURNAL_MIN: Final = float(_DIURNAL_GRID.min()) / _DIURNAL_SPAN

_T_MEAN_FIT: Final = _fit_annual(
    tuple((a + b) / 2.0 for a, b in zip(_BEIJING_T_MAX, _BEIJING_T_MIN, strict=True))
)
_T_RANGE_FIT: Final = _fit_annual(
    tuple(a - b for a, b in zip(_BEIJING_T_MAX, _BEIJING_T_MIN, strict=True))
)


def _es(t_c: FloatArray) -> FloatArray:
    return np.asarray(saturation_vapour_pressure(t_c), dtype=np.float64)


def _monthly_vapour_pressure() -> tuple[float, ...]:
    """Mean vapour pressure per month that gives the normal mean RH.

    RH = e/e_s(T) and 1/e_s is convex, so the mean RH over a daily cycle and weather spread
    exceeds RH at the mean temperature; average 1/e_s over both instead.
    """
    hours = np.linspace(0.0, 24.0, 96, endpoint=False)
    shape = _diurnal_raw(hours) / _DIURNAL_SPAN
    # Four equiprobable points of a normal distribution with unit variance.
    spread = np.array([-1.5, -0.5, 0.5, 1.5]) / math.sqrt(1.25)
    out = []
    for month in range(12):
        season = -math.cos(2.0 * math.pi * (_MID_MONTH_DAY[month] - _COLDEST_DAY) / _YEAR_DAYS)
        sigma = _WEATHER_T_SIGMA * (1.0 - _WEATHER_T_SEASONAL * season)
        mean = (_BEIJING_T_MAX[month] + _BEIJING_T_MIN[month]) / 2.0
        span = _BEIJING_T_MAX[month] - _BEIJING_T_MIN[month]
        t = mean + span * shape[:, None] + sigma * spread[None, :]
        out.append(_BEIJING_RH[month] / 100.0 / float(np.mean(1.0 / _es(t))))
    return tuple(out)


_LOG_E_FIT: Final = _fit_annual(tuple(math.log(e) for e in _monthly_vapour_pressure()))


# --- clock and numerical building blocks ---------------------------------------------------------


@dataclass(frozen=True)
class _Clock:
    """Sample times and their local calendar; ``dt`` is set when the times are uniform."""

    times: IntArray
    t: FloatArray  # epoch seconds, float
    dt: float | None
    day: IntArray  # local day number since 1970-01-01
    hour: FloatArray  # local hour of the day
    weekday: IntArray  # 0 = Monday

    @classmethod
    def of(cls, times: IntArray, dt: float | None = None) -> _Clock:
        """A clock over ``times``; ``dt`` declares them uniform, else it is detected."""
        local = times + _UTC_OFFSET_S
        day = local // 86_400
        if dt is None and times.size > 1:
            steps = np.diff(times)
            if int(steps.min()) == int(steps.max()) > 0:
                dt = float(steps[0])
        return cls(
            times=times,
            t=times.astype(np.float64),
            dt=dt,
            day=day,
            hour=(local - day * 86_400).astype(np.float64) / _HOUR_S,
            weekday=(day + _EPOCH_WEEKDAY) % 7,
        )

    @property
    def step(self) -> float:
        if self.dt is None:
            raise ValueError("a lag needs uniformly spaced times")
        return self.dt

    def per_day(self, values: FloatArray) -> FloatArray:
        """Broadcast one value per local day (from ``day[0]``) to every sample."""
        result: FloatArray = values[self.day - self.day[0]]
        return result

    def days(self) -> IntArray:
        return np.arange(int(self.day[0]), int(self.day[-1]) + 1, dtype=np.int64)


def _cos_sum_uniform(
    t0: float, dt: float, n: int, omega: FloatArray, phase: FloatArray, amplitude: FloatArray
) -> FloatArray:
    """``Σ_k a_k·cos(ω_k·t + φ_k)`` at ``t = t0 + i·dt``, ``i < n``.

    With ``i = q·W + r``, ``cos(A + B) = cos A cos B − sin A sin B`` turns the sum into
    products of √n coarse and √n fine angles: about 2√n·K cosines instead of n·K.
    """
    if n == 0:
        return np.empty(0)
    width = math.isqrt(n - 1) + 1
    rows = -(-n // width)
    coarse = np.outer(t0 + np.arange(rows) * (width * dt), omega) + phase
    fine = np.outer(np.arange(width) * dt, omega)
    cos_a, sin_a = np.cos(coarse) * amplitude, np.sin(coarse) * amplitude
    cos_b, sin_b = np.cos(fine), np.sin(fine)
    if omega.size <= 4:
        grid = np.zeros((rows, width))
        for k in range(omega.size):
            grid += np.outer(cos_a[:, k], cos_b[:, k])
            grid -= np.outer(sin_a[:, k], sin_b[:, k])
    else:
        grid = cos_a @ cos_b.T - sin_a @ sin_b.T
    result: FloatArray = grid.ravel()[:n]
    return result


def _cos_at(
    t: FloatArray, omega: FloatArray, phase: FloatArray, amplitude: FloatArray
) -> FloatArray:
    """``Σ_k a_k·cos(ω_k·t + φ_k)`` at arbitrary instants, directly (in chunks)."""
    out = np.empty(t.size)
    for i in range(0, t.size, 8192):
        out[i : i + 8192] = np.cos(np.outer(t[i : i + 8192], omega) + phase) @ amplitude
    return out


def _cos_sum(
    clock: _Clock, omega: FloatArray, phase: FloatArray, amplitude: FloatArray
) -> FloatArray:
    """``Σ_k a_k·cos(ω_k·t + φ_k)`` at the clock's sample times."""
    if clock.dt is not None:
        return _cos_sum_uniform(float(clock.t[0]), clock.dt, clock.t.size, omega, phase, amplitude)
    return _cos_at(clock.t, omega, phase, amplitude)


_YEAR_OMEGA: Final = 2.0 * math.pi / (_YEAR_DAYS * _DAY_S)
_DAY_OMEGA: Final = 2.0 * math.pi / _DAY_S
# Annual phase origin: 1 January 2000, 00:00 local.
_YEAR_ORIGIN: Final = _YEAR_OMEGA * (_UTC_OFFSET_S - _Y2K_LOCAL_S)


def _annual(clock: _Clock, coefficients: FloatArray) -> FloatArray:
    """Evaluate a :func:`_fit_annual` fit (mean and two harmonics) at the sample times."""
    c = coefficients
    k = np.array([1.0, 2.0])
    amplitude = np.array([math.hypot(c[1], c[2]), math.hypot(c[3], c[4])])
    lag = np.array([math.atan2(c[2], c[1]), math.atan2(c[4], c[3])])
    return c[0] + _cos_sum(clock, k * _YEAR_OMEGA, k * _YEAR_ORIGIN - lag, amplitude)


def _seasonal(clock: _Clock, day_of_minimum: float) -> FloatArray:
    """−1 on the given day of the year, +1 half a year later (annual cosine)."""
    phase = _YEAR_ORIGIN - 2.0 * np.pi * day_of_minimum / _YEAR_DAYS + np.pi
    return _cos_sum(clock, np.array([_YEAR_OMEGA]), np.array([phase]), np.array([1.0]))


def _diurnal(clock: _Clock) -> FloatArray:
    """The daily temperature shape (:data:`_DIURNAL_TERMS`) at the sample times."""
    k = np.array([float(term[0]) for term in _DIURNAL_TERMS])
    peak = np.array([term[1] for term in _DIURNAL_TERMS])
    weight = np.array([term[2] for term in _DIURNAL_TERMS])
    phase = k * (_DAY_OMEGA * _UTC_OFFSET_S - 2.0 * np.pi * peak / 24.0)
    return _cos_sum(clock, k * _DAY_OMEGA, phase, weight)


def _red_noise(
    clock: _Clock, key: tuple[int, ...], sigma: float, tau_s: float, shortest_s: float
) -> FloatArray:
    """Smooth noise with the spectrum of an AR(1) process, as a function of absolute time.

    Spectral representation (Shinozuka & Deodatis 1991): 48 random-phase cosines on
    log-spaced, jittered frequencies from 1/120 d to ``1/shortest_s``, amplitudes from the
    Ornstein–Uhlenbeck one-sided density ``4σ²τ/(1 + (2πfτ)²)``, rescaled to variance σ².
    Evaluated on absolute hours and interpolated, so the value at an instant never depends
    on the range asked for.
    """
    rng = np.random.default_rng(key)
    count = 48
    edges = np.geomspace(1.0 / (120.0 * _DAY_S), 1.0 / shortest_s, count + 1)
    freq = edges[:-1] * (edges[1:] / edges[:-1]) ** rng.random(count)
    density = 4.0 * tau_s / (1.0 + (2.0 * np.pi * freq * tau_s) ** 2)
    amplitude = np.sqrt(2.0 * density * np.diff(edges))
    amplitude *= sigma / math.sqrt(float(np.sum(amplitude**2)) / 2.0)
    phase = rng.uniform(0.0, 2.0 * np.pi, count)
    omega = 2.0 * np.pi * freq
    # Evaluated on absolute whole hours and interpolated (the shortest period is 12 h).
    first = math.floor(float(clock.t.min()) / _HOUR_S) * _HOUR_S
    hours = int(math.ceil(float(clock.t.max()) / _HOUR_S) - first / _HOUR_S) + 1
    if hours > 4 * clock.t.size + 16:
        # Sparse instants: the same hourly values, computed only around each instant.
        below = np.floor(clock.t / _HOUR_S) * _HOUR_S
        weight = (clock.t - below) / _HOUR_S
        at_below = _cos_at(below, omega, phase, amplitude)
        at_above = _cos_at(below + _HOUR_S, omega, phase, amplitude)
        sparse: FloatArray = at_below * (1.0 - weight) + at_above * weight
        return sparse
    values = _cos_sum_uniform(first, _HOUR_S, hours, omega, phase, amplitude)
    result: FloatArray = np.interp(clock.t, first + _HOUR_S * np.arange(hours), values)
    return result


def _blocks(n: int, steepest: float) -> tuple[int, int]:
    # Blocks short enough that the running product of a stays above e^-600 (1/P finite).
    length = int(min(4096, max(1, 600.0 / steepest))) if steepest > 0 else 4096
    return length, -(-n // length)


def _carry(y_last: FloatArray, decay_last: FloatArray, x0: float) -> FloatArray:
    carry = np.empty(y_last.size)
    state = x0
    for i in range(y_last.size):
        carry[i] = state
        state = float(y_last[i] + decay_last[i] * state)
    return carry


def _linear_recursion(a: float | FloatArray, b: FloatArray, x0: float) -> FloatArray:
    """``x[n] = a[n]·x[n−1] + b[n]`` with ``x[−1] = x0`` and ``0 < a ≤ 1``, vectorised.

    Within a block, ``x = P·cumsum(b/P)`` with ``P`` the running product of ``a``; only the
    carry between blocks (a few dozen for a year) runs in Python.
    """
    n = b.size
    if n == 0:
        return np.empty(0)
    if np.ndim(a) == 0:
        log_a = math.log(float(a))
        length, count = _blocks(n, -log_a)
        bb = np.concatenate([b, np.zeros(count * length - n)]).reshape(count, length)
        decay_row = np.exp(log_a * np.arange(1, length + 1))
        y = np.cumsum(bb / decay_row, axis=1) * decay_row
        carry = _carry(y[:, -1], np.full(count, decay_row[-1]), x0)
        result: FloatArray = (y + np.outer(carry, decay_row)).ravel()[:n]
        return result
    logs = np.log(np.asarray(a, dtype=np.float64))
    length, count = _blocks(n, float(-logs.min()))
    pad = count * length - n
    c = np.cumsum(np.concatenate([logs, np.zeros(pad)]).reshape(count, length), axis=1)
    bb = np.concatenate([b, np.zeros(pad)]).reshape(count, length)
    decay = np.exp(c)
    y = decay * np.cumsum(bb * np.exp(-c), axis=1)
    carry = _carry(y[:, -1], decay[:, -1], x0)
    varying: FloatArray = (y + decay * carry[:, None]).ravel()[:n]
    return varying


def _lag(
    u: FloatArray, tau_s: float | FloatArray, dt_s: float, x0: float | None = None
) -> FloatArray:
    """First-order lag ``τ·dx/dt = u − x``, exact for input held over each interval.

    Starts at ``x0`` (default: the first input, i.e. at equilibrium).
    """
    if u.size == 0:
        return u.copy()
    start = float(u[0]) if x0 is None else x0
    if np.ndim(tau_s) == 0:
        a = math.exp(-dt_s / float(tau_s))
        return _linear_recursion(a, (1.0 - a) * u, start)
    factors = np.exp(-dt_s / np.asarray(tau_s, dtype=np.float64))
    return _linear_recursion(factors, (1.0 - factors) * u, start)


_MASK64: Final = (1 << 64) - 1


def _hash_uniform(keys: IntArray, *salt: int) -> FloatArray:
    """Uniform [0, 1) per integer key (SplitMix64 finaliser), stateless and vectorised."""
    x = keys.astype(np.uint64)
    for s in salt:
        x = x ^ np.uint64(s & _MASK64)
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    result: FloatArray = (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    return result


def _smooth_min(a: FloatArray, b: float | FloatArray, softness: float) -> FloatArray:
    result: FloatArray = -softness * np.logaddexp(-a / softness, -np.asarray(b) / softness)
    return result


def _cap_rh(rh: FloatArray) -> FloatArray:
    """Saturate RH smoothly: a hygrometer in fog or in a saturated room reads 95–100 %."""
    capped: FloatArray = np.maximum(rh, 0.0)
    high = capped > 90.0
    capped[high] = 100.0 - 10.0 * np.exp((90.0 - capped[high]) / 10.0)
    return capped


def _rh_from_vapour(e_pa: FloatArray, t_c: FloatArray) -> FloatArray:
    return _cap_rh(100.0 * e_pa / _es(t_c))


# --- outdoors ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Outdoor:
    t_c: FloatArray
    rh: FloatArray
    e_pa: FloatArray
    t_normal: FloatArray  # climatological daily mean
    t_anomaly: FloatArray  # departure from the climatological daily mean, daily cycle included
    q_anomaly: FloatArray  # log vapour pressure departure


def _outdoor_uncached(clock: _Clock) -> _Outdoor:
    season = _seasonal(clock, _COLDEST_DAY)
    t_normal = _annual(clock, _T_MEAN_FIT)
    t_range = _annual(clock, _T_RANGE_FIT)
    weather_t = _red_noise(
        clock, (_WEATHER_KEY, 1), _WEATHER_T_SIGMA, _WEATHER_T_TAU_S, 0.5 * _DAY_S
    ) * (1.0 - _WEATHER_T_SEASONAL * season)
    t_c = t_normal + t_range * _diurnal(clock) + weather_t
    q = (
        _red_noise(clock, (_WEATHER_KEY, 2), _WEATHER_Q_SIGMA, _WEATHER_Q_TAU_S, 0.5 * _DAY_S)
        * (1.0 - _WEATHER_Q_SEASONAL * season)
        + _WEATHER_Q_FROM_T * weather_t
    )
    log_e_normal = _annual(clock, _LOG_E_FIT)
    # Dew and fog remove water once the dew point reaches the night's minimum temperature,
    # so the dew point stays at most about 1 K above that minimum.
    e_ceiling = _es(t_normal + weather_t + t_range * _DIURNAL_MIN + 1.0)
    e_pa = _smooth_min(np.exp(log_e_normal + q), e_ceiling, 40.0)
    climate = _Outdoor(
        t_c=t_c,
        rh=_rh_from_vapour(e_pa, t_c),
        e_pa=e_pa,
        t_normal=t_normal,
        t_anomaly=t_c - t_normal,
        q_anomaly=np.log(e_pa) - log_e_normal,
    )
    # Shared through the cache below: nobody may write into them.
    for array in vars(climate).values():
        array.flags.writeable = False
    return climate


@functools.lru_cache(maxsize=4)
def _outdoor_on_grid(first: int, step: int, count: int) -> _Outdoor:
    return _outdoor_uncached(_Clock.of(first + step * np.arange(count, dtype=np.int64), step))


def _outdoor(clock: _Clock) -> _Outdoor:
    """The outdoor climate at the clock's times; shared between sensors on the same grid."""
    if clock.dt is None:
        return _outdoor_uncached(clock)
    return _outdoor_on_grid(int(clock.times[0]), int(clock.dt), int(clock.times.size))


def outdoor_climate(times: NDArray[np.int64]) -> tuple[FloatArray, FloatArray]:
    """Beijing outdoor air temperature (°C) and RH (%) at the given epoch seconds (UTC).

    Monthly normals (CMA 1971–2000 for T; approximate monthly RH) through mean + two annual
    harmonics, a daily cycle with the month's normal range, and weather anomalies that are a
    fixed function of time: the same instant always gets the same weather, so every sensor of
    the museum sees one sky. RH comes from the vapour pressure and the temperature (Magnus,
    ``science.saturation_vapour_pressure``), so it peaks at dawn and dips in the afternoon.
    Not rounded. Any order of times is accepted; uniform, increasing times are fastest.
    """
    stamps = np.asarray(times, dtype=np.int64)
    if stamps.ndim != 1:
        raise ValueError("times must be a one-dimensional array of epoch seconds")
    if stamps.size == 0:
        return np.empty(0), np.empty(0)
    climate = _outdoor(_Clock.of(stamps))
    return climate.t_c.copy(), climate.rh.copy()


# --- rooms --------------------------------------------------------------------------------------

_ROOM_SALT: Final = 0x524F4F4D
_SENSOR_SALT: Final = 0x53454E53
_KINDS: Final[tuple[str, ...]] = get_args(Kind)
_INCIDENTS: Final[tuple[str, ...]] = get_args(Incident)


def _seed64(seed: int) -> int:
    return seed & _MASK64


def _open(clock: _Clock) -> NDArray[np.bool_]:
    result: NDArray[np.bool_] = (
        (clock.weekday != 0) & (clock.hour >= OPENING_HOUR) & (clock.hour < CLOSING_HOUR)
    )
    return result


def _visitor_load(clock: _Clock, seed: int) -> FloatArray:
    """Relative crowd in the room, 0 (closed) to about 1.5 (Golden Week afternoon).

    Tuesday–Friday about two thirds of a weekend day; school summer holidays (July–August) and
    the National Day week (1–7 October) busier.
    """
    days = clock.days()
    calendar = days.astype("datetime64[D]")
    month = calendar.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day_of_month = (calendar - calendar.astype("datetime64[M]")).astype(np.int64) + 1
    weekday = (days + _EPOCH_WEEKDAY) % 7
    factor = np.where(weekday >= 5, 1.0, 0.65)
    factor = factor * np.where((month == 7) | (month == 8), 1.15, 1.0)
    factor = factor * np.where((month == 10) & (day_of_month <= 7), 1.3, 1.0)
    factor = factor * (0.85 + 0.3 * _hash_uniform(days, _seed64(seed), _ROOM_SALT, 1))
    within = np.clip((clock.hour - OPENING_HOUR) / (CLOSING_HOUR - OPENING_HOUR), 0.0, 1.0)
    # Entries peak in the morning and the crowd thins towards closing.
    shape = np.sin(np.pi * within) ** 0.6
    result: FloatArray = np.where(_open(clock), clock.per_day(factor) * shape, 0.0)
    return result


@dataclass(frozen=True)
class _Room:
    t_c: FloatArray
    rh: FloatArray


def _gallery_room(clock: _Clock, outdoor: _Outdoor, seed: int) -> _Room:
    """An HVAC-controlled gallery.

    Set points drift with the season: 20 °C in late January to 24 °C in late July (ASHRAE
    class A allows a seasonal T adjustment of −10/+5 K), RH 46 % to 54 % (humidifiers cannot
    hold 50 % in Beijing's dry winter cheaply; class As/A1 allows ±10 %). Visitors add about
    0.8 K and 3 % RH at a full crowd, removed by the plant with a lag of an hour or two; the
    massive envelope passes 4 % of the outdoor temperature anomaly with a 12-hour lag.
    """
    s = _seed64(seed)
    load = _visitor_load(clock, seed)
    t_set = 22.0 + 2.0 * _seasonal(clock, 20.0)
    rh_set = 50.0 + 4.0 * _seasonal(clock, 25.0)
    t_c = (
        t_set
        + 0.8 * _lag(load, _HOUR_S, clock.step, 0.0)
        + 0.04 * _lag(outdoor.t_anomaly, 12 * _HOUR_S, clock.step)
        + _red_noise(clock, (s, _ROOM_SALT, 1), 0.15, _DAY_S, 12 * _HOUR_S)
    )
    rh = (
        rh_set
        + 3.0 * _lag(load, 1.5 * _HOUR_S, clock.step, 0.0)
        + 3.0 * _lag(outdoor.q_anomaly, 12 * _HOUR_S, clock.step)
        + _red_noise(clock, (s, _ROOM_SALT, 2), 0.6, _DAY_S, 12 * _HOUR_S)
    )
    return _Room(t_c=t_c, rh=rh)


# --- incidents and gaps ---------------------------------------------------------------------

_DEHUMIDIFIER_DOWN: Final = timedelta(days=11)  # ~4 days climbing, then a week on the plateau
_DEHUMIDIFIER_RECOVERY: Final = timedelta(days=3)  # six recovery time constants
_DEHUMIDIFIER_RISE_TAU_S: Final = 1.2 * _DAY_S
_DEHUMIDIFIER_FALL_TAU_S: Final = 0.5 * _DAY_S
_DEHUMIDIFIER_PLATEAU_RH: Final = 68.0
_LEAK_TAU_END_S: Final = 0.2 * _DAY_S
_LAMP_LUX: Final = 300.0
# An unfiltered tungsten-halogen work lamp: far more UV than filtered LEDs, still under the
# traditional 75 µW/lm ceiling (Thomson 1986; conservation.md §5).
_LAMP_UV: Final = 60.0


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _check_range(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware datetimes")
    if end <= start:
        raise ValueError(f"end {end.isoformat()} is not after start {start.isoformat()}")


def incident_window(incident: str, start: datetime, end: datetime) -> IncidentWindow | None:
    """When ``incident`` happens in readings generated from ``start`` to ``end``.

    Dates are chosen relative to ``start`` (museum local time):

    * ``dehumidifier_failure``: the first 12 July 02:40 on or after ``start`` (summer, when
      Beijing air is wettest); repaired 11 days later; normal 3 days after the repair. If
      that does not fit before ``end``, it starts at 45 % of the range.
    * ``slow_leak``: from 15 % of the range to ``end``; the case's air-exchange time constant
      shortens steadily (geometrically) to 0.2 days.
    * ``flatline``: from 14:37 local on the day at 60 % of the range to ``end``.
    * ``lamp_left_on``: a work lamp switched on at 16:50 on the first Friday at or after 35 %
      of the range and found at 09:05 the next Tuesday: four nights lit.
    * ``none``: ``None``.

    Returns:
        the window, clipped to the range; ``None`` for ``none``.

    Raises:
        ValueError: unknown incident, naive datetimes, or ``end`` not after ``start``.
    """
    if incident not in _INCIDENTS:
        raise ValueError(f"unknown incident {incident!r}; expected one of {', '.join(_INCIDENTS)}")
    _check_range(start, end)
    span = end - start
    local_start = start.astimezone(MUSEUM_ZONE)

    def local_day(moment: datetime, hour: int, minute: int) -> datetime:
        day = moment.astimezone(MUSEUM_ZONE).date()
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=MUSEUM_ZONE)

    def window(
        begin: datetime, finish: datetime, repaired: datetime | None = None
    ) -> IncidentWindow:
        return IncidentWindow(
            incident=incident,
            start=_utc(max(begin, start)),
            end=_utc(min(finish, end)),
            repaired=None if repaired is None else _utc(min(repaired, end)),
        )

    if incident == "dehumidifier_failure":
        onset = datetime(local_start.year, 7, 12, 2, 40, tzinfo=MUSEUM_ZONE)
        if onset < local_start:
            onset = onset.replace(year=local_start.year + 1)
        if onset + _DEHUMIDIFIER_DOWN + _DEHUMIDIFIER_RECOVERY > end:
            onset = local_day(start + span * 0.45, 2, 40)
        repaired = onset + _DEHUMIDIFIER_DOWN
        return window(onset, repaired + _DEHUMIDIFIER_RECOVERY, repaired)
    if incident == "slow_leak":
        return window(start + span * 0.15, end)
    if incident == "flatline":
        return window(local_day(start + span * 0.6, 14, 37), end)
    if incident == "lamp_left_on":
        base = local_day(start + span * 0.35, 16, 50)
        friday = base + timedelta(days=(4 - base.weekday()) % 7)
        return window(friday, local_day(friday + timedelta(days=4), 9, 5))
    return None


def logger_gap(
    profile: SensorProfile, start: datetime, end: datetime
) -> tuple[datetime, datetime] | None:
    """The battery change during which ``profile``'s logger records nothing (UTC datetimes).

    One gap of 2–5 hours starting between 10:00 and 15:00 local, on a day in the first third
    of the range chosen from the sensor's seed and code, kept clear of its incident window.
    Ranges shorter than 14 days have no gap.
    """
    _check_range(start, end)
    if end - start < _MIN_GAP_SPAN:
        return None
    u = _hash_uniform(np.array([0, 1, 2], dtype=np.int64), _seed64(profile.seed),
                      zlib.crc32(profile.code.encode()), 0x474150)  # fmt: skip
    span_days = (end - start) / timedelta(days=1)
    day = (start + timedelta(days=1 + float(u[0]) * (span_days * 0.3))).astimezone(MUSEUM_ZONE)
    begin = datetime(day.year, day.month, day.day, 10, tzinfo=MUSEUM_ZONE) + timedelta(
        minutes=int(u[1] * 300) // 5 * 5
    )
    finish = begin + timedelta(minutes=120 + int(u[2] * 180) // 5 * 5)
    incident = incident_window(profile.incident, start, end)
    if incident is not None and profile.incident != "slow_leak":
        margin = timedelta(days=1)
        if begin < incident.end + margin and finish > incident.start - margin:
            shift = incident.start - margin - finish - timedelta(days=2)
            begin, finish = begin + shift, finish + shift
            if begin < start:
                return None
    return _utc(begin), _utc(min(finish, end))


# --- sensors ----------------------------------------------------------------------------------


def _store_inspections(clock: _Clock, seed: int) -> NDArray[np.bool_]:
    """Brief inspections: on about a quarter of weekdays, one visit of 20–60 min from 10:00."""
    days = clock.days()
    weekday = (days + _EPOCH_WEEKDAY) % 7
    s = _seed64(seed)
    visit = (weekday < 5) & (_hash_uniform(days, s, _ROOM_SALT, 3) < 0.25)
    begin = 10.0 + 4.0 * _hash_uniform(days, s, _ROOM_SALT, 4)
    length = (20.0 + 40.0 * _hash_uniform(days, s, _ROOM_SALT, 5)) / 60.0
    b = clock.per_day(begin)
    result: NDArray[np.bool_] = (
        clock.per_day(visit.astype(np.float64)).astype(bool)
        & (clock.hour >= b)
        & (clock.hour < b + clock.per_day(length))
    )
    return result


def _mask(clock: _Clock, begin: datetime, finish: datetime) -> NDArray[np.bool_]:
    result: NDArray[np.bool_] = (clock.t >= begin.timestamp()) & (clock.t < finish.timestamp())
    return result


def _validate(profile: SensorProfile, interval_seconds: int) -> None:
    if profile.kind not in _KINDS:
        raise ValueError(f"unknown kind {profile.kind!r}; expected one of {', '.join(_KINDS)}")
    if profile.incident not in _INCIDENTS:
        raise ValueError(
            f"unknown incident {profile.incident!r}; expected one of {', '.join(_INCIDENTS)}"
        )
    if not profile.quantities or len(set(profile.quantities)) != len(profile.quantities):
        raise ValueError("quantities must be a non-empty tuple without repeats")
    unknown = [q for q in profile.quantities if q not in QUANTITIES]
    if unknown:
        raise ValueError(f"unknown quantities {unknown}; expected some of {', '.join(QUANTITIES)}")
    if profile.kind == "outdoor" and not set(profile.quantities) <= {
        TEMPERATURE,
        RELATIVE_HUMIDITY,
    }:
        raise ValueError("outdoor sensors measure temperature and relative_humidity only")
    needs = {"dehumidifier_failure": ("store",), "slow_leak": ("case",)}
    if profile.incident in needs and profile.kind not in needs[profile.incident]:
        raise ValueError(f"{profile.incident} happens in a {needs[profile.incident][0]}, "
                         f"not in a {profile.kind}")  # fmt: skip
    if profile.incident == "lamp_left_on" and (
        profile.kind == "outdoor" or ILLUMINANCE not in profile.quantities
    ):
        raise ValueError("lamp_left_on needs an indoor sensor that measures illuminance")
    if isinstance(interval_seconds, bool) or not isinstance(interval_seconds, int):
        raise ValueError("interval_seconds must be an integer")
    if interval_seconds <= 0:
        raise ValueError(f"interval_seconds must be positive, got {interval_seconds}")


def _times(start: datetime, end: datetime, interval: int) -> IntArray:
    first = math.ceil(start.timestamp() / interval) * interval
    stop = end.timestamp()
    count = max(0, math.ceil((stop - first) / interval))
    return first + interval * np.arange(count, dtype=np.int64)


def generate(
    profile: SensorProfile, start: datetime, end: datetime, interval_seconds: int = 300
) -> dict[str, FloatArray | IntArray]:
    """A sensor's readings from ``start`` (inclusive) to ``end`` (exclusive).

    Args:
        profile: the sensor.
        start, end: timezone-aware datetimes.
        interval_seconds: logging interval; times are multiples of it in epoch seconds.

    Returns:
        ``{"time": int64 epoch seconds (UTC), <quantity>: float64}`` for each quantity of the
        profile. Rounded like a logger: T 0.01 °C, RH 0.1 %, illuminance 1 lx, UV 1 µW/lm.
        NaN during the logger's gap (:func:`logger_gap`), and for UV wherever illuminance is
        below 10 lx (a UV/lumen ratio needs light to measure). Deterministic in the profile,
        range and interval.

    Raises:
        ValueError: naive datetimes, ``end`` not after ``start``, an unknown kind, quantity or
            incident, or an incident that cannot happen to this kind of sensor.
    """
    _check_range(start, end)
    _validate(profile, interval_seconds)
    times = _times(start, end, interval_seconds)
    result: dict[str, FloatArray | IntArray] = {"time": times}
    if times.size == 0:
        for quantity in profile.quantities:
            result[quantity] = np.empty(0)
        return result
    clock = _Clock.of(times, float(interval_seconds))
    rng = np.random.default_rng(
        [_seed64(profile.seed), zlib.crc32(profile.code.encode()), _SENSOR_SALT,
         _KINDS.index(profile.kind)]
    )  # fmt: skip
    # Fixed per-sensor traits, drawn first so that they do not depend on the range's length.
    trait = rng.random(8)
    window = incident_window(profile.incident, start, end)
    climate = _sensor_climate(clock, profile, window, trait)
    values = _log(climate, profile, window, trait, clock, rng)
    gap = logger_gap(profile, start, end)
    if gap is not None:
        missing = _mask(clock, gap[0], gap[1])
        for quantity in values:
            values[quantity][missing] = np.nan
    if profile.incident == "flatline" and window is not None:
        frozen_from = int(np.searchsorted(clock.t, window.start.timestamp()))
        if frozen_from < times.size:
            source = max(frozen_from - 1, 0)
            for quantity in values:
                values[quantity][frozen_from:] = values[quantity][source]
    for quantity in profile.quantities:
        result[quantity] = values[quantity]
    return result


@dataclass(frozen=True)
class _SensorClimate:
    t_c: FloatArray
    rh: FloatArray
    t_noise: float  # white measurement noise, K
    rh_noise: float  # white measurement noise, % RH


def _sensor_climate(
    clock: _Clock, profile: SensorProfile, window: IncidentWindow | None, trait: FloatArray
) -> _SensorClimate:
    if profile.kind == "store":
        t_c, rh = _store(clock, profile, window)
        return _SensorClimate(t_c, rh, 0.02, 0.1)
    outdoor = _outdoor(clock)
    if profile.kind == "outdoor":
        # A screened station reads a little warm in sunshine; a fixed offset stands for that.
        return _SensorClimate(outdoor.t_c + (trait[0] - 0.5) * 0.4, outdoor.rh, 0.05, 0.5)
    if profile.kind == "lab":
        t_c, rh = _lab(clock, outdoor, profile.seed)
        return _SensorClimate(t_c, rh, 0.03, 0.2)
    room = _gallery_room(clock, outdoor, profile.seed)
    if profile.kind == "case":
        t_c, rh = _case(clock, room, profile, window, trait)
        return _SensorClimate(t_c, rh, 0.03, 0.1)
    # Where a gallery sensor hangs shifts its reading a little from the room's mean.
    return _SensorClimate(
        room.t_c + (trait[0] - 0.5) * 0.6, room.rh + (trait[1] - 0.5) * 2.0, 0.03, 0.2
    )


def _lighting(clock: _Clock, profile: SensorProfile, trait: FloatArray) -> tuple[FloatArray, float]:
    """Illuminance (lx) and its UV content (µW/lm) from the room's normal lighting.

    Galleries about 150 lx, cases 50 lx for works on paper and textiles (CIE 157:2004 and
    JGJ 66: at most 50 lx for highly light-sensitive objects), both during opening hours only;
    stores 200 lx during inspections; labs 500 lx for bench work on weekdays (EN 12464-1 /
    GB 50034 task illuminance). Filtered LEDs give 5–15 µW/lm (CCI achievable target
    10 µW/lm, traditional limit 75 µW/lm; conservation.md §5).
    """
    if profile.kind == "store":
        on, level = _store_inspections(clock, profile.seed), 200.0
    elif profile.kind == "lab":
        on = (clock.weekday < 5) & (clock.hour >= 8.5) & (clock.hour < 17.5)
        level = 500.0
    else:
        on, level = _open(clock), 50.0 if profile.kind == "case" else 150.0
    lux: FloatArray = np.where(on, level * (0.9 + 0.2 * trait[2]), 0.0)
    return lux, 5.0 + 10.0 * float(trait[3])


def _rounded(values: FloatArray, decimals: int) -> FloatArray:
    return np.asarray(np.round(values, decimals), dtype=np.float64)


def _log(
    climate: _SensorClimate,
    profile: SensorProfile,
    window: IncidentWindow | None,
    trait: FloatArray,
    clock: _Clock,
    rng: np.random.Generator,
) -> dict[str, FloatArray]:
    """What the logger records: measurement noise, then rounding to its resolution."""
    n = clock.t.size
    values: dict[str, FloatArray] = {}
    if TEMPERATURE in profile.quantities:
        values[TEMPERATURE] = _rounded(climate.t_c + rng.normal(0.0, climate.t_noise, n), 2)
    if RELATIVE_HUMIDITY in profile.quantities:
        noisy = climate.rh + rng.normal(0.0, climate.rh_noise, n)
        values[RELATIVE_HUMIDITY] = _rounded(np.clip(noisy, 0.0, 100.0), 1)
    if ILLUMINANCE not in profile.quantities and UV not in profile.quantities:
        return values
    lux, uv_ratio = _lighting(clock, profile, trait)
    uv = np.full(n, uv_ratio)
    if profile.incident == "lamp_left_on" and window is not None:
        lamp = np.where(
            _mask(clock, window.start, window.end), _LAMP_LUX * (0.95 + 0.1 * trait[4]), 0.0
        )
        total = lux + lamp
        # UV per lumen of mixed light is the lumen-weighted mean of the sources' ratios.
        uv = np.where(total > 0.0, (lux * uv_ratio + lamp * _LAMP_UV) / np.maximum(total, 1.0), uv)
        lux = total
    # Photometers: about 0.5 % reading noise plus half a lux while lit; 0 in the dark.
    spread = np.where(lux > 0.0, np.hypot(0.005 * lux, 0.5), 0.0)
    measured = _rounded(np.maximum(lux + spread * rng.standard_normal(n), 0.0), 0)
    if ILLUMINANCE in profile.quantities:
        values[ILLUMINANCE] = measured
    if UV in profile.quantities:
        uv_measured = _rounded(np.maximum(uv + rng.normal(0.0, 0.5, n), 0.0), 0)
        values[UV] = np.where(measured >= 10.0, uv_measured, np.nan)
    return values


def _case(
    clock: _Clock,
    room: _Room,
    profile: SensorProfile,
    window: IncidentWindow | None,
    trait: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """A buffered display case in the gallery whose sensor has the same seed.

    RH relaxes towards the room through air exchange (time constant ``τ_L``, 6–14 days for a
    well-sealed case, about 0.1 air changes a day; Michalski 1994, "Leakage prediction for
    buildings, cases, bags and bottles") and towards conditioned silica gel at 50 % (coupling
    time ``τ_B`` = 2 days; Thomson 1977, "Stabilization of RH in exhibition cases: hygrometric
    half-time"). The case therefore sits at ``(RH_room/τ_L + 50/τ_B)/(1/τ_L + 1/τ_B)`` with a
    time constant ``1/(1/τ_L + 1/τ_B)``: daily swings vanish and only a quarter to an eighth
    of the seasonal swing comes through. A leak shortens ``τ_L`` and the case follows the room
    more and more. Case T follows the room within the hour; case lighting adds about 0.3 K
    while lit.
    """
    tau_normal = (6.0 + 8.0 * float(trait[5])) * _DAY_S
    tau_leak: float | FloatArray = tau_normal
    if profile.incident == "slow_leak" and window is not None:
        t0, t1 = window.start.timestamp(), window.end.timestamp()
        progress = np.clip((clock.t - t0) / max(t1 - t0, 1.0), 0.0, 1.0)
        tau_leak = tau_normal * (_LEAK_TAU_END_S / tau_normal) ** progress
    tau_buffer = 2.0 * _DAY_S
    exchange = 1.0 / tau_leak + 1.0 / tau_buffer
    target = (room.rh / tau_leak + 50.0 / tau_buffer) / exchange
    rh = _lag(target, 1.0 / exchange, clock.step)
    lit = _open(clock).astype(np.float64)
    t_c = _lag(room.t_c, _HOUR_S, clock.step) + 0.3 * _lag(lit, 1.5 * _HOUR_S, clock.step, 0.0)
    return t_c, rh


def _store(
    clock: _Clock, profile: SensorProfile, window: IncidentWindow | None
) -> tuple[FloatArray, FloatArray]:
    """A deep store: 18 °C ± 0.5 K following the ground with a lag, 50 % ± 2 % RH.

    The dehumidifier controls the moisture content. When it fails in summer, the vapour
    pressure relaxes (τ = 1.2 days) towards the level that infiltration of humid monsoon air
    balances against the buffering of the store's paper and wood: 68 % RH at store
    temperature (a modelling choice). After the repair the plant pulls it down with τ = 0.5 d.
    """
    s = _seed64(profile.seed)
    t_c = (
        18.0
        + 0.3 * _seasonal(clock, 60.0)
        + _red_noise(clock, (s, _ROOM_SALT, 6), 0.08, 2 * _DAY_S, 12 * _HOUR_S)
    )
    es = _es(t_c)
    rh_set = (
        50.0
        + 0.5 * _seasonal(clock, 40.0)
        + _red_noise(clock, (s, _ROOM_SALT, 7), 0.35, _DAY_S, 12 * _HOUR_S)
    )
    e_controlled = rh_set / 100.0 * es
    if profile.incident != "dehumidifier_failure" or window is None or window.repaired is None:
        return t_c, rh_set
    failed = _mask(clock, window.start, window.repaired)
    recovering = _mask(clock, window.repaired, window.end)
    target = np.where(failed, _DEHUMIDIFIER_PLATEAU_RH / 100.0 * es, e_controlled)
    tau = np.where(
        failed, _DEHUMIDIFIER_RISE_TAU_S, np.where(recovering, _DEHUMIDIFIER_FALL_TAU_S, clock.step)
    )
    e = _lag(target, tau, clock.step, float(e_controlled[0]))
    return t_c, _rh_from_vapour(e, t_c)


def _lab(clock: _Clock, outdoor: _Outdoor, seed: int) -> tuple[FloatArray, FloatArray]:
    """A conservation lab with comfort heating and cooling but no humidity control.

    Occupied (weekdays 08:00–18:00) at 21 °C in winter and 25 °C in summer (GB 50736-2012
    comfort ranges: 18–24 °C heating, 22–28 °C cooling); at night the heating sets back 4 K in
    winter and the cooling is off in summer. Moisture: outdoor air by ventilation (τ = 3 h) plus
    people and wet work; in the cooling season the coil condenses water down towards a 12 °C
    dew point while the plant runs. RH = e/e_s(T): the morning warm-up dries the air.
    """
    s = _seed64(seed)
    occupied = ((clock.weekday < 5) & (clock.hour >= 8.0) & (clock.hour < 18.0)).astype(np.float64)
    season = _seasonal(clock, 20.0)
    t_occupied = 23.0 + 2.0 * season
    setback = -0.5 + 3.5 * season  # −4 K in winter, +3 K in summer
    t_target = t_occupied + (1.0 - occupied) * setback + 0.08 * outdoor.t_anomaly
    t_c = _lag(t_target, 2.0 * _HOUR_S, clock.step) + _red_noise(
        clock, (s, _ROOM_SALT, 8), 0.2, _DAY_S, 12 * _HOUR_S
    )
    gains = 40.0 + 60.0 * _lag(occupied, 2.0 * _HOUR_S, clock.step, 0.0)
    e_free = outdoor.e_pa + gains
    cooling = np.clip((outdoor.t_normal - 18.0) / 6.0, 0.0, 1.0) * occupied
    coil = float(_es(np.array([12.0]))[0])
    e_target = e_free + cooling * (_smooth_min(e_free, coil, 60.0) - e_free)
    e = _lag(e_target, 3.0 * _HOUR_S, clock.step)
    return t_c, _rh_from_vapour(e, t_c)
