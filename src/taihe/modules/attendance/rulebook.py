"""The stored rules as the pure ``rules`` objects, loaded in a few queries for many people.

Computing a day needs the person's group, its calendar, the shift (from the group, its
rotating cycle or a roster-grid cell) and the kind of day. A ``Rulebook`` holds all of that
for a date range, so a month close of thousands of people runs on a handful of queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from taihe.modules.attendance.models import (
    REST_CODE,
    Calendar,
    CalendarDay,
    Group,
    Membership,
    RosterCell,
    Shift,
)
from taihe.modules.attendance.rules.calendar import DayKind, WorkCalendar
from taihe.modules.attendance.rules.daily import DailyPolicy
from taihe.modules.attendance.rules.overtime import OvertimePolicy, SettlementMode
from taihe.modules.attendance.rules.shifts import (
    AnyShift,
    FixedShift,
    FlexibleShift,
    RestDay,
    Segment,
)


def _time(text: str) -> time:
    return time.fromisoformat(text)


def shift_rules(shift: Shift) -> FixedShift | FlexibleShift:
    """A stored shift as its rules object (raises ValueError on an inconsistent row)."""
    core = (Segment(shift.core_start, shift.core_end)
            if shift.core_start is not None and shift.core_end is not None else None)
    if shift.kind == Shift.Kind.FLEXIBLE:
        if shift.target_minutes is None or shift.earliest_start is None \
                or shift.latest_end is None:
            raise ValueError("a flexible shift needs a target and a window")
        return FlexibleShift(shift.code, shift.target_minutes, shift.earliest_start,
                             shift.latest_end, core)
    return FixedShift(
        shift.code,
        tuple(Segment(_time(start), _time(end)) for start, end in shift.segments),
        late_grace_minutes=shift.late_grace_minutes,
        early_leave_grace_minutes=shift.early_leave_grace_minutes,
        serious_late_minutes=shift.serious_late_minutes,
        absent_if_late_minutes=shift.absent_if_late_minutes,
        core_hours=core,
    )


def work_calendar(calendar: Calendar, days: Iterable[CalendarDay]) -> WorkCalendar:
    """One calendar with its own dated rows and (when it follows them) the national ones."""
    holidays: dict[date, str] = {}
    adjusted: set[date] = set()
    in_lieu: dict[date, str] = {}
    closures: dict[date, str] = {}
    events: dict[date, str] = {}
    for day in days:
        if day.calendar_id is None and not calendar.follows_statutory \
                and day.kind in _STATUTORY_KINDS:
            continue
        if day.calendar_id not in (None, calendar.pk):
            continue
        if day.kind == CalendarDay.Kind.HOLIDAY:
            holidays[day.date] = day.name
        elif day.kind == CalendarDay.Kind.ADJUSTED_WORKDAY:
            adjusted.add(day.date)
        elif day.kind == CalendarDay.Kind.REST_IN_LIEU:
            in_lieu[day.date] = day.name
        elif day.kind == CalendarDay.Kind.CLOSURE:
            closures[day.date] = day.name
        elif day.kind == CalendarDay.Kind.EVENT:
            events[day.date] = day.name
    return WorkCalendar(rest_weekdays=frozenset(calendar.rest_weekdays), holidays=holidays,
                        adjusted_workdays=frozenset(adjusted), closures=closures,
                        events=events, rest_days_in_lieu=in_lieu)


_STATUTORY_KINDS = {CalendarDay.Kind.HOLIDAY, CalendarDay.Kind.ADJUSTED_WORKDAY,
                    CalendarDay.Kind.REST_IN_LIEU}


def _settlement(value: str) -> SettlementMode:
    return SettlementMode.COMP_TIME if value == Group.Settlement.COMP_TIME else SettlementMode.PAY


@dataclass(frozen=True)
class GroupRules:
    id: int
    name: str
    calendar_id: int
    schedule: str
    shift_code: str | None
    cycle: tuple[str, ...]
    anchor: date | None
    overtime_basis: str
    daily_policy: DailyPolicy
    overtime_policy: OvertimePolicy


@dataclass
class Rulebook:
    """Everything needed to judge days of some people between two dates."""

    calendars: dict[int, WorkCalendar] = field(default_factory=dict)
    shifts: dict[str, AnyShift] = field(default_factory=dict)
    groups: dict[int, GroupRules] = field(default_factory=dict)
    memberships: dict[int, tuple[int, int]] = field(default_factory=dict)
    cells: dict[tuple[int, date], str] = field(default_factory=dict)
    joined: dict[int, date] = field(default_factory=dict)
    """When each person joined their group: earlier days are not this group's to judge."""

    def group_of(self, person_id: int) -> GroupRules | None:
        found = self.memberships.get(person_id)
        return self.groups.get(found[0]) if found else None

    def calendar_of(self, group: GroupRules) -> WorkCalendar:
        return self.calendars[group.calendar_id]

    def shift_code(self, person_id: int, day: date) -> str:
        """The person's shift code on ``day``: a roster cell, else the cycle or the group's
        shift on the calendar's working days. ``rest`` when nothing is scheduled."""
        cell = self.cells.get((person_id, day))
        if cell is not None:
            return cell
        group = self.group_of(person_id)
        if group is None:
            return REST_CODE
        if group.schedule == Group.Schedule.ROSTER and group.cycle and group.anchor:
            offset = self.memberships[person_id][1]
            position = ((day - group.anchor).days + offset) % len(group.cycle)
            return group.cycle[position]
        if self.calendar_of(group).is_working_day(day) and group.shift_code:
            return group.shift_code
        return REST_CODE

    def shift(self, person_id: int, day: date) -> AnyShift:
        code = self.shift_code(person_id, day)
        return self.shifts.get(code, RestDay(code))

    def works_on(self, person_id: int, day: date) -> bool:
        """Whether the person is scheduled to work ``day``: what leave costs and what an
        approval form counts as a working day (the roster or grid cell decides, as it does
        for the day's judgement)."""
        return self.day_kind(person_id, day) is DayKind.WORKDAY and \
            self.shift(person_id, day).is_working

    def day_kind(self, person_id: int, day: date) -> DayKind:
        """The person's own kind of day. A statutory holiday is a holiday for everyone; on a
        rotating roster the roster decides work and rest, otherwise the calendar does."""
        group = self.group_of(person_id)
        if group is None:
            return DayKind.REST_DAY
        calendar_kind = self.calendar_of(group).kind(day)
        if calendar_kind is DayKind.HOLIDAY or group.schedule != Group.Schedule.ROSTER:
            return calendar_kind
        return DayKind.WORKDAY if self.shift(person_id, day).is_working else DayKind.REST_DAY


def load_rulebook(person_ids: Iterable[int] | None, start: date, end: date) -> Rulebook:
    """The rules of ``person_ids`` (everyone in a group when None) from ``start`` to ``end``.

    The cycle and cells are loaded a day beyond each end, since a night shift's punches
    belong to the day before and roster checks look at neighbours.
    """
    book = Rulebook()
    margin = timedelta(days=1)
    days = list(CalendarDay.objects.filter(date__range=(start - margin, end + margin)))
    for calendar in Calendar.objects.all():
        book.calendars[calendar.pk] = work_calendar(calendar, days)
    for shift in Shift.objects.all():
        try:
            book.shifts[shift.code] = shift_rules(shift)
        except ValueError:
            continue  # an inconsistent shift judges nobody; the rules page says why
    for group in Group.objects.select_related("shift"):
        book.groups[group.pk] = group_rules(group)
    memberships = Membership.objects.all()
    cells = RosterCell.objects.filter(date__range=(start - margin, end + margin))
    if person_ids is not None:
        ids = list(person_ids)
        memberships = memberships.filter(person_id__in=ids)
        cells = cells.filter(person_id__in=ids)
    for person_id, group_id, offset, joined_on in memberships.values_list(
            "person_id", "group_id", "roster_offset", "joined_on"):
        book.memberships[person_id] = (group_id, offset)
        if joined_on is not None:
            book.joined[person_id] = joined_on
    for person_id, day, code in cells.values_list("person_id", "date", "shift_code"):
        book.cells[(person_id, day)] = code
    return book


def group_rules(group: Group) -> GroupRules:
    """A stored group as plain rules (``group.shift`` should be selected with it)."""
    return GroupRules(
        id=group.pk, name=group.name, calendar_id=group.calendar_id, schedule=group.schedule,
        shift_code=group.shift.code if group.shift is not None else None,
        cycle=tuple(group.cycle or ()), anchor=group.cycle_anchor,
        overtime_basis=group.overtime_basis,
        daily_policy=DailyPolicy(minimum_overtime_minutes=group.minimum_overtime_minutes),
        overtime_policy=OvertimePolicy(workday=_settlement(group.workday_overtime),
                                       rest_day=_settlement(group.rest_day_overtime)),
    )


def national_calendar(start: date, end: date) -> WorkCalendar:
    """A Monday-to-Friday week with the national statutory days: the calendar of someone
    in no attendance group (a volunteer, a contractor)."""
    days = CalendarDay.objects.filter(calendar__isnull=True, date__range=(start, end))
    return work_calendar(Calendar(name="", rest_weekdays=[5, 6], follows_statutory=True), days)
