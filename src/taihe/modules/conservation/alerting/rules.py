"""Alert rules as data (frozen dataclasses), evaluated by :mod:`.engine`.

Every threshold is the user's, stored with the rule; the defaults here only say "none".
Hysteresis is in the quantity's unit: an open alert clears only once the value is back past
the threshold by that margin, so one wobble around a limit is one alert, not ten.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal


def _check(name: str, value: float, *, positive: bool = False) -> None:
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        relation = "> 0" if positive else ">= 0"
        raise ValueError(f"{name} = {value!r} must be finite and {relation}")


@dataclass(frozen=True, slots=True)
class BandBreach:
    """Alert when ``quantity`` stays outside ``[low, high]`` for ``min_duration_minutes``.

    Clears once a reading is inside ``[low + hysteresis, high - hysteresis]``.
    """

    quantity: str
    low: float | None
    high: float | None
    min_duration_minutes: float = 0.0
    hysteresis: float = 0.0

    def __post_init__(self) -> None:
        if self.low is None and self.high is None:
            raise ValueError("a band needs low, high or both")
        _check("min_duration_minutes", self.min_duration_minutes)
        _check("hysteresis", self.hysteresis)
        both = self.low is not None and self.high is not None
        if both and self.low + 2 * self.hysteresis > self.high:  # type: ignore[operator]
            raise ValueError("low + 2 * hysteresis must not exceed high (nothing would clear)")


@dataclass(frozen=True, slots=True)
class RateOfChange:
    """Alert when ``quantity`` ranges (max − min) more than ``max_change`` within any
    ``window_minutes``; clears when the trailing window's range is back to
    ``max_change - hysteresis`` or less."""

    quantity: str
    max_change: float
    window_minutes: float
    hysteresis: float = 0.0

    def __post_init__(self) -> None:
        _check("max_change", self.max_change, positive=True)
        _check("window_minutes", self.window_minutes, positive=True)
        _check("hysteresis", self.hysteresis)


@dataclass(frozen=True, slots=True)
class Silence:
    """Alert when no reading has arrived for ``max_missing_intervals`` logging intervals
    (the sensor's interval is given to the engine); clears on the next reading."""

    max_missing_intervals: int

    def __post_init__(self) -> None:
        if isinstance(self.max_missing_intervals, bool) or self.max_missing_intervals < 1:
            raise ValueError("max_missing_intervals must be a whole number >= 1")


@dataclass(frozen=True, slots=True)
class BatteryLow:
    """Alert when a battery reading in ``unit`` (``V`` or ``%EL``) is below ``threshold``;
    clears at ``threshold + hysteresis`` or more (battery voltage sags in the cold)."""

    threshold: float
    unit: str = "V"
    hysteresis: float = 0.0

    def __post_init__(self) -> None:
        _check("threshold", self.threshold)
        _check("hysteresis", self.hysteresis)


Metric = Literal["dew_point_margin", "mould_index"]


@dataclass(frozen=True, slots=True)
class MetricThreshold:
    """Alert on a metric computed from paired temperature and RH readings.

    - ``dew_point_margin``: air temperature minus dew point (K); opens when it falls below
      ``threshold``, clears at ``threshold + hysteresis`` or more. A small margin means a
      surface a few kelvin colder than the air (an outside wall, a case base) gets condensation.
    - ``mould_index``: the VTT mould index (0–6, Hukka & Viitanen 1999 via the science
      library) over the last ``window_days`` of readings, started at M = 0; opens at
      ``threshold`` or more, clears below ``threshold - hysteresis``.
    """

    metric: Metric
    threshold: float
    hysteresis: float = 0.0
    window_days: float = 30.0

    def __post_init__(self) -> None:
        if self.metric not in ("dew_point_margin", "mould_index"):
            raise ValueError(f"unknown metric {self.metric!r}")
        _check("threshold", self.threshold)
        _check("hysteresis", self.hysteresis)
        _check("window_days", self.window_days, positive=True)


AlertRule = BandBreach | RateOfChange | Silence | BatteryLow | MetricThreshold
