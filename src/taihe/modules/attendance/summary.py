"""Monthly summaries: what each judged day adds to a person's month.

The same ``add_day`` sums a month from its day results and turns a closed month's
correction into a delta (the day's new contribution minus its old one), so a payroll
figure and its later correction can never disagree on the arithmetic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from taihe.modules.attendance.computing import ONE, PRESENT, SUMMARY_FIELDS

HOURS = Decimal(60)
NOT_SCHEDULED = {"rest", "holiday"}


@dataclass
class Tally:
    """One person's month in numbers (minutes for overtime until ``as_row``)."""

    scheduled_days: int = 0
    worked_days: Decimal = Decimal(0)
    late_count: int = 0
    late_minutes: int = 0
    early_count: int = 0
    early_minutes: int = 0
    absent_days: Decimal = Decimal(0)
    missing_punches: int = 0
    trip_days: Decimal = Decimal(0)
    leave: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    overtime_minutes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    comp_time_minutes: int = 0
    corrections: list[dict[str, Any]] = field(default_factory=list)

    def add_day(self, values: Mapping[str, Any], sign: int = 1) -> None:
        """Add (or with ``sign=-1`` take away) one day given by its summary fields."""
        status = values.get("status") or "rest"
        leave_days = Decimal(str(values.get("leave_days") or 0))
        if status not in NOT_SCHEDULED:
            self.scheduled_days += sign
        # A day is split between work (or absence) and leave: absent in the afternoon after
        # a morning of leave is half a day absent, not a whole one on top of the leave.
        # Part of a day on a business trip is the trip's (counted below), not worked twice.
        trip_part = Decimal("0.5") if status != "business_trip" and values.get(
            "trip_minutes") else Decimal(0)
        if status in PRESENT:
            self.worked_days += sign * max(ONE - min(leave_days, ONE) - trip_part, Decimal(0))
        if status == "absent":
            self.absent_days += sign * (ONE - min(leave_days, ONE))
        late, early = values.get("late_minutes") or 0, values.get("early_minutes") or 0
        if late:
            self.late_count += sign
            self.late_minutes += sign * late
        if early:
            self.early_count += sign
            self.early_minutes += sign * early
        self.missing_punches += sign * (values.get("missing_punches") or 0)
        if status == "business_trip":
            self.trip_days += sign
        elif values.get("trip_minutes"):
            self.trip_days += sign * Decimal("0.5")
        if leave_days and values.get("leave_type"):
            self.leave[values["leave_type"]] += sign * leave_days
        minutes = values.get("overtime_minutes") or 0
        if minutes and values.get("overtime_class"):
            if values.get("overtime_settlement") == "comp_time":
                self.comp_time_minutes += sign * minutes
            else:
                self.overtime_minutes[values["overtime_class"]] += sign * minutes

    def add_correction(self, day: date, changes: Mapping[str, Any]) -> None:
        """Apply a closed month's correction: the day's old contribution out (when it had
        been judged), the new one in."""
        if changes.get("before"):
            self.add_day(changes["before"], -1)
        self.add_day(changes["after"], 1)
        self.corrections.append({"day": day.isoformat(), **dict(changes)})

    def overtime_hours(self) -> dict[str, str]:
        return {kind: str((Decimal(minutes) / HOURS).quantize(Decimal("0.01")))
                for kind, minutes in sorted(self.overtime_minutes.items()) if minutes}

    def leave_days(self) -> dict[str, str]:
        return {kind: str(days) for kind, days in sorted(self.leave.items()) if days}

    def comp_time_hours(self) -> Decimal:
        return (Decimal(self.comp_time_minutes) / HOURS).quantize(Decimal("0.01"))


def day_values(row: Any) -> dict[str, Any]:
    """The summary fields of a stored day result (a model or a ``values()`` dict)."""
    if isinstance(row, Mapping):
        return {name: row.get(name) for name in SUMMARY_FIELDS}
    return {name: getattr(row, name) for name in SUMMARY_FIELDS}


def tally_days(rows: Iterable[Mapping[str, Any]]) -> dict[int, Tally]:
    """Tallies by person from ``values()`` rows that carry ``person_id``."""
    tallies: dict[int, Tally] = defaultdict(Tally)
    for row in rows:
        tallies[row["person_id"]].add_day(row)
    return tallies
