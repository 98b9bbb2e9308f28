"""API shapes of attendance. Outputs are built in ``http.py`` from the selectors, so a day,
balance or summary the caller may not see never reaches them.

Times are ISO 8601 with their zone (UTC, ``Z``); dates are the museum's local dates.
Amounts of leave, balances and hours are decimal strings (``"1.50"``) so that nothing is
lost to binary floating point on the way to payroll. Months are written ``YYYY-MM``.

Names are prefixed where a plain name (``ErrorOut``, ``PersonRefOut``) is already taken or
likely to be taken by another module: OpenAPI components share one namespace.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import Field


class AttendanceErrorOut(Schema):
    """The error envelope every failure answers with."""

    detail: str
    """What went wrong, for a person to read."""
    code: str
    """A stable code: ``invalid``, ``not_authenticated``, ``permission_denied``,
    ``not_found``, ``no_group``, ``outside_site``, ``unverified``, ``month_open``,
    ``month_not_over``, ``closed``, ..."""
    fields: dict[str, str] | None = None
    """Bad input: a message for each field (``location``, ``month``, ``row 7, time``)."""
    request_id: str | None = None
    """Quote it when reporting a problem."""


class AttendancePersonOut(Schema):
    id: int
    name: str


# --- punching -----------------------------------------------------------------------------


class PunchIn(Schema):
    """Everything is optional: a punch from the museum network needs no position, one from
    a registered device only its key."""

    latitude: float | None = Field(default=None, ge=-90, le=90)
    """WGS 84 degrees, from the browser's geolocation."""
    longitude: float | None = Field(default=None, ge=-180, le=180)
    accuracy: float | None = Field(default=None, ge=0, le=100_000)
    """The fix's accuracy radius in metres, as the browser reports it."""
    device_key: str | None = Field(default=None, max_length=200)
    """The key this browser or phone received when it was registered."""


class SiteRefOut(Schema):
    id: int
    name: str


class PunchOut(Schema):
    id: int
    at: datetime
    verification: str
    """``geofence``, ``network``, ``device`` or ``unverified`` (accepted, marked for the
    manager's review, where the group allows it)."""
    site: SiteRefOut | None
    """The site the punch was proven at (none for a device or unverified punch)."""


# --- days ---------------------------------------------------------------------------------


class ReasonOut(Schema):
    """One piece of evidence behind a day's status."""

    code: str
    """For example ``late``, ``late_within_grace``, ``left_early``, ``no_punches``,
    ``missing_punch_in``, ``leave``, ``business_trip``, ``worked_off_day``."""
    segment: int | None = None
    """Which working segment of a split shift (0 first)."""
    minutes: int | None = None
    at: datetime | None = None


class DayOut(Schema):
    date: date
    status: str
    """``on_time``, ``late``, ``left_early``, ``late_and_left_early``, ``absent``,
    ``missing_punch_in``, ``missing_punch_out``, ``on_leave``, ``partial_leave``,
    ``business_trip``, ``rest`` or ``holiday``; on a day not over yet, ``upcoming`` (no
    punch so far) or ``in_progress`` (clocked in, the clock-out still to come)."""
    shift_code: str
    """The shift the person was scheduled for that day (``rest`` when none)."""
    day_kind: str
    """``workday``, ``rest_day`` or ``holiday`` in the person's calendar."""
    late_minutes: int
    early_minutes: int
    worked_minutes: int
    overtime_minutes: int
    overtime_class: str
    """``workday``, ``rest_day`` or ``holiday`` (Labour Law art. 44); empty without
    overtime."""
    overtime_settlement: str
    """``pay`` or ``comp_time``; empty without overtime."""
    leave_type: str
    """The leave type's code, empty without leave."""
    leave_days: str
    trip_minutes: int
    missing_punches: int
    check_in: datetime | None
    check_out: datetime | None
    reasons: list[ReasonOut]


class PersonDaysOut(Schema):
    """A person's judged days of one month, oldest first. Days still to come, and days
    before the person joined a group, have no result."""

    person: AttendancePersonOut
    month: str
    closed: bool
    """The month is closed: its payroll summary is frozen and later changes to its days
    are paid as corrections in the next open month."""
    days: list[DayOut]


# --- balances and requests ----------------------------------------------------------------


class BalanceOut(Schema):
    leave_type: str
    name: str
    """In the caller's language."""
    unit: str
    """``day`` or ``hour``."""
    balance: str
    """What the ledger holds today."""
    pending: str
    """Asked for in requests still waiting for approval."""
    available: str
    """What a new request may still use: the balance less what is pending."""


class AbsenceOut(Schema):
    number: str
    """The approval request's number."""
    url: str
    """The request's page."""
    kind: str
    """``leave`` or ``trip``."""
    leave_type: str | None
    start: date
    end: date
    start_half: str
    """``pm``: starts at noon; empty: the whole first day."""
    end_half: str
    """``am``: ends at noon; empty: the whole last day."""
    amount: str
    """In the leave type's unit (working days counted by the person's calendar)."""
    unit: str
    status: str
    """``pending``, ``approved``, ``rejected``, ``withdrawn`` or ``cancelled``."""
    status_label: str


class OvertimeOut(Schema):
    number: str
    url: str
    work_date: date
    start: datetime
    end: datetime
    compensation: str
    """``pay`` or ``comp_time``."""
    status: str
    status_label: str


class PunchCorrectionOut(Schema):
    number: str
    url: str
    work_date: date
    at: datetime
    direction: str
    """``in`` or ``out``."""
    status: str
    status_label: str


class MyRequestsOut(Schema):
    """The caller's latest 50 of each kind, newest first."""

    absences: list[AbsenceOut]
    overtime: list[OvertimeOut]
    corrections: list[PunchCorrectionOut]


# --- team ---------------------------------------------------------------------------------


class TeamRowOut(Schema):
    person_id: int
    name: str
    status: str
    """A day status, or ``not_judged``: nothing is known of today yet (no punch, no
    leave)."""
    check_in: datetime | None
    check_out: datetime | None
    late_minutes: int


class TeamTodayOut(Schema):
    date: date
    counts: dict[str, int]
    """How many people have each status."""
    rows: list[TeamRowOut]


class ProblemDayOut(Schema):
    person_id: int
    name: str
    date: date
    status: str
    """``late``, ``left_early``, ``late_and_left_early``, ``absent``,
    ``missing_punch_in`` or ``missing_punch_out``."""
    late_minutes: int
    early_minutes: int
    missing_punches: int
    check_in: datetime | None
    check_out: datetime | None
    reasons: list[ReasonOut]


# --- months -------------------------------------------------------------------------------


class MonthOut(Schema):
    month: str
    first_day: date
    closed: bool
    closed_at: datetime | None
    closed_by: AttendancePersonOut | None
    people: int
    """People summarised when it closed (0 while open)."""


class MonthSummaryOut(Schema):
    """One person's frozen month, as payroll reads it."""

    person_id: int
    name: str
    department_id: int | None
    group_name: str
    scheduled_days: int
    worked_days: str
    late_count: int
    late_minutes: int
    early_count: int
    early_minutes: int
    absent_days: str
    missing_punches: int
    trip_days: str
    leave: dict[str, str]
    """Days of each leave type (by code)."""
    overtime: dict[str, str]
    """Paid overtime hours of each class (``workday``, ``rest_day``, ``holiday``)."""
    comp_time_hours: str
    """Overtime taken as time off, credited to the comp-time balance."""
    corrections: list[dict[str, Any]]
    """Changes to days of earlier closed months paid in this one:
    ``{"day", "before", "after"}``."""


# --- imports ------------------------------------------------------------------------------


class PunchImportOut(Schema):
    id: int
    rows: int
    added: int
    duplicates: int
    """Rows whose punch (same person, same time) was already stored, skipped."""
