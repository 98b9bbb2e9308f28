"""Leave: how long a request is, what the law grants, and a balance ledger.

Durations: ``leave_duration`` counts days between two dates against a ``WorkCalendar``
(rest days and holidays are not deducted, a make-up working day is) with half days at
either end; ``leave_hours`` does the same for leave taken by the hour.

Entitlements: ``statutory_annual_leave`` and ``annual_leave_for_year`` apply the
Regulations on Paid Annual Leave for Employees (职工带薪年休假条例) and the Implementing
Measures for Paid Annual Leave of Enterprise Employees (企业职工带薪年休假实施办法).

Balances: a ledger of plain entries. Approval deducts, cancellation restores the same
amount, the year end carries a capped amount forward with an expiry date. Nothing is
ever edited, so a balance can always be explained line by line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from types import MappingProxyType
from typing import Literal

from taihe.modules.attendance.rules.calendar import WorkCalendar, dates_between

HalfDay = Literal["am", "pm"]
HALF = Decimal("0.5")
ONE = Decimal(1)


class LeaveErrorCode(StrEnum):
    """Why a leave computation was refused."""

    END_BEFORE_START = "end_before_start"
    EMPTY_HALF_DAY = "empty_half_day"
    """A one-day leave from the afternoon to the morning covers nothing."""
    INVALID_HALF_DAY = "invalid_half_day"
    INVALID_HOURS = "invalid_hours"
    INVALID_AMOUNT = "invalid_amount"
    SERVICE_START_AFTER_JOINING = "service_start_after_year"


class LeaveError(ValueError):
    """A refused leave computation; ``code`` says why (the page turns it into words)."""

    def __init__(self, code: LeaveErrorCode) -> None:
        super().__init__(code.value)
        self.code = code


# --- Leave kinds ------------------------------------------------------------------------


class LeaveKind(StrEnum):
    """The leave types the issue names."""

    ANNUAL = "annual"
    SICK = "sick"
    PERSONAL = "personal"
    MARRIAGE = "marriage"
    MATERNITY = "maternity"
    PATERNITY = "paternity"
    BEREAVEMENT = "bereavement"
    COMP_TIME = "comp_time"


class DayCounting(StrEnum):
    """Whether a leave's length counts every calendar day or working days only."""

    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"


MATERNITY_BASE_DAYS = 98
"""Special Rules on the Labour Protection of Female Employees (女职工劳动保护特别规定) art. 7:
98 days, 15 of them before the birth; provinces add their own extension on top."""
MATERNITY_DIFFICULT_BIRTH_DAYS = 15
"""Same article: 15 more days for a difficult birth."""
MATERNITY_EACH_ADDITIONAL_BABY_DAYS = 15
"""Same article: 15 more days for each additional baby of a multiple birth."""


def leave_counting(
    kind: LeaveKind,
    *,
    marriage: DayCounting = DayCounting.WORKING_DAYS,
    bereavement: DayCounting = DayCounting.WORKING_DAYS,
    paternity: DayCounting = DayCounting.WORKING_DAYS,
) -> DayCounting:
    """How ``kind`` is counted. Maternity leave is a span of calendar days (Special Rules
    art. 7 grants "98 days", weekends and holidays inside it are not added back); annual
    leave excludes rest days and statutory holidays (Regulations art. 3 para. 2). Marriage,
    bereavement and paternity leave are set by provincial rules, which differ, so they are
    parameters that default to working days."""
    if kind is LeaveKind.MATERNITY:
        return DayCounting.CALENDAR_DAYS
    locally_set: Mapping[LeaveKind, DayCounting] = {
        LeaveKind.MARRIAGE: marriage,
        LeaveKind.BEREAVEMENT: bereavement,
        LeaveKind.PATERNITY: paternity,
    }
    return locally_set.get(kind, DayCounting.WORKING_DAYS)


def maternity_leave_days(
    *, difficult_birth: bool = False, additional_babies: int = 0, local_extension_days: int = 0
) -> int:
    """Calendar days of maternity leave: the national 98 days (Special Rules art. 7) plus 15
    for a difficult birth, 15 per additional baby, plus the province's extension."""
    if additional_babies < 0 or local_extension_days < 0:
        raise LeaveError(LeaveErrorCode.INVALID_AMOUNT)
    return (
        MATERNITY_BASE_DAYS
        + (MATERNITY_DIFFICULT_BIRTH_DAYS if difficult_birth else 0)
        + MATERNITY_EACH_ADDITIONAL_BABY_DAYS * additional_babies
        + local_extension_days
    )


# --- Durations ----------------------------------------------------------------------------


def _check_period(
    start: date, end: date, start_half: HalfDay | None, end_half: HalfDay | None
) -> None:
    if end < start:
        raise LeaveError(LeaveErrorCode.END_BEFORE_START)
    if start_half not in (None, "am", "pm") or end_half not in (None, "am", "pm"):
        raise LeaveError(LeaveErrorCode.INVALID_HALF_DAY)
    if start == end and start_half == "pm" and end_half == "am":
        raise LeaveError(LeaveErrorCode.EMPTY_HALF_DAY)


def _day_fraction(
    day: date, start: date, end: date, start_half: HalfDay | None, end_half: HalfDay | None
) -> Decimal:
    """How much of ``day`` the leave covers: a leave starting in the afternoon takes only the
    afternoon of its first day, one ending in the morning only the morning of its last."""
    starts_at_noon = day == start and start_half == "pm"
    ends_at_noon = day == end and end_half == "am"
    if starts_at_noon or ends_at_noon:
        return HALF
    return ONE


def leave_duration(
    start: date,
    end: date,
    calendar: WorkCalendar,
    *,
    start_half: HalfDay | None = None,
    end_half: HalfDay | None = None,
    counting: DayCounting = DayCounting.WORKING_DAYS,
) -> Decimal:
    """Days of leave from ``start`` to ``end`` (both included).

    With working-day counting, rest days and holidays inside the span are not deducted (a
    leave over National Day costs only the working days around it) and a make-up working
    day is. ``start_half="pm"`` starts the leave at noon and ``end_half="am"`` ends it at
    noon; ``"am"`` at the start and ``"pm"`` at the end are the whole day, like ``None``.
    A one-day leave ``am``–``am`` or ``pm``–``pm`` is half a day.
    """
    _check_period(start, end, start_half, end_half)
    total = Decimal(0)
    for day in dates_between(start, end):
        if _counts(day, calendar, counting):
            total += _day_fraction(day, start, end, start_half, end_half)
    return total


def _counts(day: date, calendar: WorkCalendar, counting: DayCounting) -> bool:
    return counting is DayCounting.CALENDAR_DAYS or calendar.is_working_day(day)


def leave_hours(
    start: date,
    end: date,
    calendar: WorkCalendar,
    scheduled_hours: Decimal | Callable[[date], Decimal],
    *,
    first_day_hours: Decimal | None = None,
    last_day_hours: Decimal | None = None,
) -> Decimal:
    """Hours of leave from ``start`` to ``end`` for leave taken by the hour.

    Each working day costs its scheduled hours (a fixed number, or a function of the date
    for groups whose days differ); ``first_day_hours`` and ``last_day_hours`` are the hours
    actually taken on the first and last day, capped at that day's schedule. Rest days and
    holidays cost nothing.
    """
    if end < start:
        raise LeaveError(LeaveErrorCode.END_BEFORE_START)
    for hours in (first_day_hours, last_day_hours):
        if hours is not None and hours < 0:
            raise LeaveError(LeaveErrorCode.INVALID_HOURS)

    def hours_on(day: date) -> Decimal:
        return scheduled_hours(day) if callable(scheduled_hours) else scheduled_hours

    total = Decimal(0)
    for day in dates_between(start, end):
        if not calendar.is_working_day(day):
            continue
        day_hours = hours_on(day)
        if day_hours < 0:
            raise LeaveError(LeaveErrorCode.INVALID_HOURS)
        taken = day_hours
        if day == start and first_day_hours is not None:
            taken = min(taken, first_day_hours)
        if day == end and last_day_hours is not None:
            taken = min(taken, last_day_hours)
        total += taken
    return total


# --- Statutory annual leave ------------------------------------------------------------


def statutory_annual_leave(total_service_years: int | Decimal) -> int:
    """Days of annual leave for a whole year at ``total_service_years`` of cumulative work
    (with any employer). Regulations on Paid Annual Leave art. 3: at least 1 and under 10
    years, 5 days; at least 10 and under 20, 10 days; 20 or more, 15 days. Under one year
    there is none (art. 2 requires 12 months of continuous work)."""
    if total_service_years < 0:
        raise LeaveError(LeaveErrorCode.INVALID_AMOUNT)
    if total_service_years >= 20:
        return 15
    if total_service_years >= 10:
        return 10
    if total_service_years >= 1:
        return 5
    return 0


def _anniversary(start: date, years: int) -> date:
    """The date ``years`` full years after ``start``. A 29 February start completes its year
    on 1 March in a common year (Civil Code art. 202: a period with no corresponding day ends
    on the last day of the month, so the new entitlement runs from the day after)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return date(start.year + years, 3, 1)


def completed_service_years(cumulative_service_start: date, on: date) -> int:
    """Whole years of cumulative service completed on ``on``."""
    years = on.year - cumulative_service_start.year
    if years > 0 and _anniversary(cumulative_service_start, years) > on:
        years -= 1
    return max(years, 0)


DAYS_IN_PRORATION_YEAR = 365
"""Implementing Measures art. 5 divides by 365 whatever the year's length."""


def annual_leave_for_year(
    year: int,
    cumulative_service_start: date,
    joined_this_employer: date,
    *,
    left_this_employer: date | None = None,
    excluded_under_article_4: bool = False,
) -> int:
    """Whole days of annual leave due from this employer for ``year``.

    The year is cut where the person joins (Implementing Measures art. 5), leaves (art. 12)
    or crosses 1, 10 or 20 years of cumulative service; each stretch earns
    ``calendar days / 365 × that stretch's entitlement``, and the fraction of a day left in
    the total is not granted (art. 5: "折算后不足1整天的部分不享受年休假"). The Measures
    prorate only joining and leaving; crossing a threshold mid-year is prorated the same way
    here, a common practice rather than a rule of the Measures (a provincial rule may differ).
    A whole year at one level gets exactly that level.

    ``excluded_under_article_4`` is the caller's finding that one of the cases of
    Regulations art. 4 applies (long sick or unpaid personal leave, longer school holidays):
    then nothing is due. This function does not judge those cases itself.
    """
    if excluded_under_article_4:
        return 0
    if cumulative_service_start > joined_this_employer:
        # Working here is cumulative service, so it cannot start before that service.
        raise LeaveError(LeaveErrorCode.SERVICE_START_AFTER_JOINING)
    year_start, year_end = date(year, 1, 1), date(year, 12, 31)
    first = max(year_start, joined_this_employer)
    last = min(year_end, left_this_employer) if left_this_employer else year_end
    if last < first:
        return 0
    # The dates inside the stretch where the entitlement level changes.
    cuts = sorted(
        {
            anniversary
            for years in (1, 10, 20)
            if first < (anniversary := _anniversary(cumulative_service_start, years)) <= last
        }
    )
    bounds = [first, *cuts, last + timedelta(days=1)]
    levels: list[tuple[int, int]] = []
    for stretch_start, next_start in pairwise(bounds):
        days = (next_start - stretch_start).days
        level = statutory_annual_leave(
            completed_service_years(cumulative_service_start, stretch_start)
        )
        levels.append((days, level))
    # A whole leap year earns 366/365 of a level; the cap keeps it at the level itself.
    earned = sum(days * level for days, level in levels) // DAYS_IN_PRORATION_YEAR
    return min(earned, max(level for _, level in levels))


# --- Balance ledger -------------------------------------------------------------------


class EntryKind(StrEnum):
    """What a ledger entry records; grants add days, deductions and expiries take them."""

    GRANT = "grant"
    ACCRUAL = "accrual"
    DEDUCTION = "deduction"
    RESTORATION = "restoration"
    CARRY_OVER = "carry_over"
    EXPIRY = "expiry"


ENTRY_SIGN: Mapping[EntryKind, int] = MappingProxyType(
    {
        EntryKind.GRANT: 1,
        EntryKind.ACCRUAL: 1,
        EntryKind.RESTORATION: 1,
        EntryKind.CARRY_OVER: 1,
        EntryKind.DEDUCTION: -1,
        EntryKind.EXPIRY: -1,
    }
)


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One line of one person's balance for one leave kind. ``amount`` is positive (days
    or hours, as the leave kind is kept); ``kind`` gives the sign. ``reference`` ties
    entries together: a request's deduction and its restoration, a carry-over and its
    expiry. ``expires_on`` is the last day a carried-over amount can be used."""

    kind: EntryKind
    on: date
    amount: Decimal
    reference: str = ""
    expires_on: date | None = None

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise LeaveError(LeaveErrorCode.INVALID_AMOUNT)

    @property
    def signed_amount(self) -> Decimal:
        """The amount with the sign of its effect on the balance."""
        return self.amount * ENTRY_SIGN[self.kind]


def balance(entries: Iterable[LedgerEntry], on: date) -> Decimal:
    """The balance at the end of ``on``: every entry dated on or before it, summed."""
    return sum((entry.signed_amount for entry in entries if entry.on <= on), Decimal(0))


def deduct(on: date, amount: Decimal, reference: str) -> LedgerEntry:
    """The entry an approved leave request of ``amount`` makes."""
    return LedgerEntry(EntryKind.DEDUCTION, on, amount, reference)


def restore(entries: Iterable[LedgerEntry], reference: str, on: date) -> LedgerEntry | None:
    """The entry cancelling the request ``reference`` makes: exactly what its deductions took
    minus what was already restored, so a second cancellation restores nothing (``None``)."""
    outstanding = Decimal(0)
    for entry in entries:
        if entry.reference != reference:
            continue
        if entry.kind is EntryKind.DEDUCTION:
            outstanding += entry.amount
        elif entry.kind is EntryKind.RESTORATION:
            outstanding -= entry.amount
    if outstanding <= 0:
        return None
    return LedgerEntry(EntryKind.RESTORATION, on, outstanding, reference)


def carry_over_reference(year_end: date) -> str:
    """The reference a carry-over made at ``year_end`` and its later expiry share."""
    return f"carry-over:{year_end.isoformat()}"


def carry_over(
    entries: Iterable[LedgerEntry], year_end: date, cap: Decimal, expires_on: date
) -> list[LedgerEntry]:
    """Close the leave year ending ``year_end``: the whole remaining balance expires and at
    most ``cap`` of it comes back as a carry-over usable until ``expires_on``, both dated the
    day after ``year_end``. Written as two lines so the ledger shows both what lapsed and
    what was carried. Cap and expiry are the employer's policy; the Regulations art. 5 only
    allow leave to be moved into the next year at most.
    """
    if cap < 0:
        raise LeaveError(LeaveErrorCode.INVALID_AMOUNT)
    remaining = balance(entries, year_end)
    if remaining <= 0:
        return []
    next_day = year_end + timedelta(days=1)
    reference = carry_over_reference(year_end)
    closing = [LedgerEntry(EntryKind.EXPIRY, next_day, remaining, reference)]
    carried = min(remaining, cap)
    if carried > 0:
        closing.append(LedgerEntry(EntryKind.CARRY_OVER, next_day, carried, reference, expires_on))
    return closing


def expire_carried_over(entries: Iterable[LedgerEntry], carried: LedgerEntry) -> LedgerEntry | None:
    """The expiry of what is left of ``carried`` after its ``expires_on``, dated the day after.

    Leave taken while a carry-over is valid uses the carried days first (the oldest days go
    first, which is what lets them be used at all): the unused part is the carried amount
    less the net deductions dated from the carry-over to the expiry date. ``None`` when all
    was used.
    """
    if carried.kind is not EntryKind.CARRY_OVER or carried.expires_on is None:
        raise LeaveError(LeaveErrorCode.INVALID_AMOUNT)
    in_window = [entry for entry in entries if carried.on <= entry.on <= carried.expires_on]
    deducted_references = {
        entry.reference for entry in in_window if entry.kind is EntryKind.DEDUCTION
    }
    used = Decimal(0)
    for entry in in_window:
        if entry.kind is EntryKind.DEDUCTION:
            used += entry.amount
        elif entry.kind is EntryKind.RESTORATION and entry.reference in deducted_references:
            # Only cancellations of leave taken in the window give carried days back.
            used -= entry.amount
    unused = carried.amount - min(max(used, Decimal(0)), carried.amount)
    if unused <= 0:
        return None
    return LedgerEntry(
        EntryKind.EXPIRY,
        carried.expires_on + timedelta(days=1),
        unused,
        carried.reference,
    )
