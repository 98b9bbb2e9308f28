"""Alerting: rules as data and a pure, incremental evaluation engine (no Django models)."""

from .engine import AlertCleared, AlertEvent, AlertOpened, AlertState, ReadingIgnored, evaluate
from .rules import AlertRule, BandBreach, BatteryLow, MetricThreshold, RateOfChange, Silence

__all__ = [
    "AlertCleared",
    "AlertEvent",
    "AlertOpened",
    "AlertRule",
    "AlertState",
    "BandBreach",
    "BatteryLow",
    "MetricThreshold",
    "RateOfChange",
    "ReadingIgnored",
    "Silence",
    "evaluate",
]
