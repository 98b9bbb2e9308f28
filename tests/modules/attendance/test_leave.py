"""Leave rules: durations against the 2025 calendar, statutory annual leave and its
proration, maternity leave, and the balance ledger."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from taihe.modules.attendance.rules.calendar import MONDAY, WorkCalendar, statutory_days
from taihe.modules.attendance.rules.leave import (
    DayCounting,
    EntryKind,
    HalfDay,
    LeaveError,
    LeaveErrorCode,
    LeaveKind,
    LedgerEntry,
    annual_leave_for_year,
    balance,
    carry_over,
    completed_service_years,
    deduct,
    expire_carried_over,
    leave_counting,
    leave_duration,
    leave_hours,
    maternity_leave_days,
    restore,
    statutory_annual_leave,
)

D = date
DEC = Decimal


def national_2025(rest_weekdays: frozenset[int] = frozenset({5, 6})) -> WorkCalendar:
    data = statutory_days(2025)
    return WorkCalendar(
        rest_weekdays=rest_weekdays,
        holidays=data.holidays,
        adjusted_workdays=data.adjusted_workdays,
        rest_days_in_lieu=data.rest_days_in_lieu,
    )


OFFICE = national_2025()
MUSEUM = national_2025(frozenset({MONDAY}))


# --- Durations ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "start_half", "end_half", "expected"),
    [
        pytest.param(D(2025, 9, 29), D(2025, 10, 10), None, None, "4", id="across-national-day"),
        pytest.param(D(2025, 10, 1), D(2025, 10, 8), None, None, "0", id="inside-national-day"),
        pytest.param(D(2025, 1, 27), D(2025, 2, 7), None, None, "4", id="across-spring-festival"),
        pytest.param(D(2025, 10, 10), D(2025, 10, 13), None, None, "3", id="over-make-up-saturday"),
        pytest.param(D(2025, 9, 26), D(2025, 9, 30), None, None, "4", id="over-make-up-sunday"),
        pytest.param(D(2025, 3, 3), D(2025, 3, 5), "pm", None, "2.5", id="starts-afternoon"),
        pytest.param(D(2025, 3, 3), D(2025, 3, 5), None, "am", "2.5", id="ends-at-noon"),
        pytest.param(D(2025, 3, 3), D(2025, 3, 5), "pm", "am", "2", id="noon-to-noon"),
        pytest.param(D(2025, 3, 3), D(2025, 3, 5), "am", "pm", "3", id="explicit-whole-days"),
        pytest.param(D(2025, 3, 3), D(2025, 3, 3), "am", "am", "0.5", id="one-morning"),
        pytest.param(D(2025, 3, 3), D(2025, 3, 3), "pm", "pm", "0.5", id="one-afternoon"),
        pytest.param(D(2025, 3, 3), D(2025, 3, 3), "pm", None, "0.5", id="afternoon-only"),
        pytest.param(D(2025, 3, 3), D(2025, 3, 3), None, None, "1", id="one-day"),
        pytest.param(D(2025, 3, 8), D(2025, 3, 10), "pm", None, "1", id="half-on-a-saturday"),
        pytest.param(D(2025, 9, 30), D(2025, 10, 9), "pm", "am", "1", id="halves-around-holiday"),
        pytest.param(D(2025, 3, 8), D(2025, 3, 9), None, None, "0", id="weekend-only"),
    ],
)
def test_leave_duration_office(
    start: date,
    end: date,
    start_half: HalfDay | None,
    end_half: HalfDay | None,
    expected: str,
) -> None:
    duration = leave_duration(start, end, OFFICE, start_half=start_half, end_half=end_half)
    assert duration == DEC(expected)


@pytest.mark.parametrize(
    ("calendar", "start", "end", "expected"),
    [
        pytest.param(OFFICE, D(2025, 3, 4), D(2025, 3, 9), "4", id="office-tue-to-sun"),
        pytest.param(MUSEUM, D(2025, 3, 4), D(2025, 3, 9), "6", id="museum-tue-to-sun"),
        pytest.param(MUSEUM, D(2025, 3, 9), D(2025, 3, 11), "2", id="museum-over-monday"),
        pytest.param(MUSEUM, D(2025, 9, 30), D(2025, 10, 12), "7", id="museum-national-day"),
    ],
)
def test_leave_duration_per_group(
    calendar: WorkCalendar, start: date, end: date, expected: str
) -> None:
    assert leave_duration(start, end, calendar) == DEC(expected)


@pytest.mark.parametrize(
    ("start", "end", "start_half", "end_half", "code"),
    [
        pytest.param(D(2025, 3, 5), D(2025, 3, 3), None, None, LeaveErrorCode.END_BEFORE_START),
        pytest.param(D(2025, 3, 3), D(2025, 3, 3), "pm", "am", LeaveErrorCode.EMPTY_HALF_DAY),
        pytest.param(D(2025, 3, 3), D(2025, 3, 4), "noon", None, LeaveErrorCode.INVALID_HALF_DAY),
    ],
)
def test_leave_duration_refusals(
    start: date, end: date, start_half: HalfDay | None, end_half: HalfDay | None, code: str
) -> None:
    with pytest.raises(LeaveError) as raised:
        leave_duration(start, end, OFFICE, start_half=start_half, end_half=end_half)
    assert raised.value.code == code


def test_maternity_leave_counts_calendar_days_across_holidays() -> None:
    start = D(2025, 9, 15)
    end = start + timedelta(days=maternity_leave_days() - 1)
    assert end == D(2025, 12, 21)
    counting = leave_counting(LeaveKind.MATERNITY)
    assert counting is DayCounting.CALENDAR_DAYS
    assert leave_duration(start, end, OFFICE, counting=counting) == DEC(98)
    # The same span counted in working days would be far shorter: National Day is inside.
    assert leave_duration(start, end, OFFICE) == DEC(66)


@pytest.mark.parametrize(
    ("difficult_birth", "additional_babies", "local_extension_days", "expected"),
    [
        pytest.param(False, 0, 0, 98, id="national-base"),
        pytest.param(True, 0, 0, 113, id="difficult-birth"),
        pytest.param(False, 1, 0, 113, id="twins"),
        pytest.param(True, 2, 0, 143, id="difficult-triplets"),
        pytest.param(False, 0, 60, 158, id="local-extension-60"),
    ],
)
def test_maternity_leave_days(
    difficult_birth: bool, additional_babies: int, local_extension_days: int, expected: int
) -> None:
    days = maternity_leave_days(
        difficult_birth=difficult_birth,
        additional_babies=additional_babies,
        local_extension_days=local_extension_days,
    )
    assert days == expected


@pytest.mark.parametrize(
    ("kind", "options", "expected"),
    [
        pytest.param(LeaveKind.ANNUAL, {}, DayCounting.WORKING_DAYS, id="annual"),
        pytest.param(LeaveKind.SICK, {}, DayCounting.WORKING_DAYS, id="sick"),
        pytest.param(LeaveKind.PERSONAL, {}, DayCounting.WORKING_DAYS, id="personal"),
        pytest.param(LeaveKind.COMP_TIME, {}, DayCounting.WORKING_DAYS, id="comp-time"),
        pytest.param(LeaveKind.MATERNITY, {}, DayCounting.CALENDAR_DAYS, id="maternity"),
        pytest.param(
            LeaveKind.MATERNITY,
            {"marriage": DayCounting.WORKING_DAYS},
            DayCounting.CALENDAR_DAYS,
            id="maternity-not-configurable",
        ),
        pytest.param(LeaveKind.MARRIAGE, {}, DayCounting.WORKING_DAYS, id="marriage-default"),
        pytest.param(
            LeaveKind.MARRIAGE,
            {"marriage": DayCounting.CALENDAR_DAYS},
            DayCounting.CALENDAR_DAYS,
            id="marriage-local-calendar-days",
        ),
        pytest.param(
            LeaveKind.BEREAVEMENT,
            {"bereavement": DayCounting.CALENDAR_DAYS},
            DayCounting.CALENDAR_DAYS,
            id="bereavement-local-calendar-days",
        ),
        pytest.param(LeaveKind.PATERNITY, {}, DayCounting.WORKING_DAYS, id="paternity-default"),
    ],
)
def test_leave_counting(
    kind: LeaveKind, options: dict[str, DayCounting], expected: DayCounting
) -> None:
    assert leave_counting(kind, **options) is expected


def friday_short(day: date) -> Decimal:
    """A group working 8 hours Monday to Thursday and 6 on Friday."""
    return DEC(6) if day.weekday() == 4 else DEC(8)


@pytest.mark.parametrize(
    ("start", "end", "scheduled", "first", "last", "expected"),
    [
        pytest.param(D(2025, 9, 29), D(2025, 10, 9), DEC(8), None, None, "24", id="across-holiday"),
        pytest.param(D(2025, 9, 29), D(2025, 10, 9), DEC(8), DEC(3), None, "19", id="first-3h"),
        pytest.param(D(2025, 9, 29), D(2025, 10, 9), DEC(8), DEC(3), DEC(2), "13", id="both-ends"),
        pytest.param(D(2025, 3, 3), D(2025, 3, 3), DEC(8), DEC("2.5"), None, "2.5", id="one-day"),
        pytest.param(D(2025, 3, 3), D(2025, 3, 3), DEC(8), DEC(10), None, "8", id="capped"),
        pytest.param(D(2025, 3, 3), D(2025, 3, 9), friday_short, None, None, "38", id="by-day"),
        pytest.param(D(2025, 10, 1), D(2025, 10, 3), DEC(8), None, None, "0", id="holiday-only"),
        pytest.param(D(2025, 10, 11), D(2025, 10, 11), DEC(8), None, None, "8", id="make-up-day"),
    ],
)
def test_leave_hours(
    start: date,
    end: date,
    scheduled: Decimal,
    first: Decimal | None,
    last: Decimal | None,
    expected: str,
) -> None:
    hours = leave_hours(start, end, OFFICE, scheduled, first_day_hours=first, last_day_hours=last)
    assert hours == DEC(expected)


@pytest.mark.parametrize(
    ("start", "end", "first", "code"),
    [
        pytest.param(D(2025, 3, 4), D(2025, 3, 3), None, LeaveErrorCode.END_BEFORE_START),
        pytest.param(D(2025, 3, 3), D(2025, 3, 4), DEC(-1), LeaveErrorCode.INVALID_HOURS),
    ],
)
def test_leave_hours_refusals(start: date, end: date, first: Decimal | None, code: str) -> None:
    with pytest.raises(LeaveError) as raised:
        leave_hours(start, end, OFFICE, DEC(8), first_day_hours=first)
    assert raised.value.code == code


# --- Statutory annual leave -------------------------------------------------------------


@pytest.mark.parametrize(
    ("years", "expected"),
    [
        pytest.param(0, 0, id="none"),
        pytest.param(DEC("0.99"), 0, id="just-under-1"),
        pytest.param(1, 5, id="exactly-1"),
        pytest.param(9, 5, id="9"),
        pytest.param(DEC("9.99"), 5, id="just-under-10"),
        pytest.param(10, 10, id="exactly-10"),
        pytest.param(19, 10, id="19"),
        pytest.param(20, 15, id="exactly-20"),
        pytest.param(35, 15, id="35"),
    ],
)
def test_statutory_annual_leave(years: int | Decimal, expected: int) -> None:
    assert statutory_annual_leave(years) == expected


def test_statutory_annual_leave_refuses_negative_service() -> None:
    with pytest.raises(LeaveError):
        statutory_annual_leave(-1)


@pytest.mark.parametrize(
    ("start", "on", "expected"),
    [
        pytest.param(D(2015, 7, 1), D(2025, 6, 30), 9, id="day-before-anniversary"),
        pytest.param(D(2015, 7, 1), D(2025, 7, 1), 10, id="anniversary"),
        pytest.param(D(2004, 2, 29), D(2025, 2, 28), 20, id="leap-start-feb-28"),
        pytest.param(D(2004, 2, 29), D(2025, 3, 1), 21, id="leap-start-mar-1"),
        pytest.param(D(2004, 2, 29), D(2024, 2, 29), 20, id="leap-start-leap-year"),
        pytest.param(D(2025, 7, 1), D(2025, 1, 1), 0, id="not-started"),
    ],
)
def test_completed_service_years(start: date, on: date, expected: int) -> None:
    assert completed_service_years(start, on) == expected


@pytest.mark.parametrize(
    ("year", "service_start", "joined", "left", "expected"),
    [
        # Whole years at one level.
        pytest.param(2025, D(2018, 3, 1), D(2020, 1, 1), None, 5, id="whole-year-5"),
        pytest.param(2024, D(2000, 1, 1), D(2000, 1, 1), None, 15, id="whole-leap-year-15"),
        pytest.param(2025, D(2024, 1, 1), D(2024, 1, 1), None, 5, id="reaches-1-on-jan-1"),
        # Joining mid-year (art. 5): 184 days left from 1 July; 184/365 × 10 = 5.04 → 5.
        pytest.param(2025, D(2010, 1, 1), D(2025, 7, 1), None, 5, id="joins-july-level-10"),
        # 306 days from 1 March; 306/365 × 5 = 4.19 → 4.
        pytest.param(2025, D(2022, 3, 1), D(2025, 3, 1), None, 4, id="joins-march-level-5"),
        # Reaching 1 year on 1 July: 184/365 × 5 = 2.52 → 2.
        pytest.param(2025, D(2024, 7, 1), D(2024, 7, 1), None, 2, id="reaches-1-in-july"),
        # Reaching 1 year on 2 January: 364/365 × 5 = 4.99 → 4 (fractions are not granted).
        pytest.param(2025, D(2024, 1, 2), D(2024, 1, 2), None, 4, id="reaches-1-on-jan-2"),
        # Reaching 10 years on 1 July: (181 × 5 + 184 × 10) / 365 = 7.52 → 7.
        pytest.param(2025, D(2015, 7, 1), D(2020, 1, 1), None, 7, id="reaches-10-in-july"),
        # Leap year: (182 × 5 + 184 × 10) / 365 = 7.53 → 7.
        pytest.param(2024, D(2014, 7, 1), D(2020, 1, 1), None, 7, id="reaches-10-leap-year"),
        # Reaching 20 years on 1 March: (59 × 10 + 306 × 15) / 365 = 14.19 → 14.
        pytest.param(2025, D(2005, 3, 1), D(2020, 1, 1), None, 14, id="reaches-20-in-march"),
        # Leaving (art. 12): 181 days to 30 June; 181/365 × 5 = 2.48 → 2.
        pytest.param(2025, D(2018, 3, 1), D(2020, 1, 1), D(2025, 6, 30), 2, id="leaves-june"),
        # Joining 1 April and reaching 10 years on 1 October:
        # (183 × 5 + 92 × 10) / 365 = 5.03 → 5.
        pytest.param(2025, D(2015, 10, 1), D(2025, 4, 1), None, 5, id="joins-then-reaches-10"),
        pytest.param(2025, D(2024, 12, 31), D(2024, 12, 31), None, 0, id="reaches-1-dec-31"),
        pytest.param(2025, D(2025, 2, 1), D(2025, 2, 1), None, 0, id="first-job-this-year"),
        pytest.param(2025, D(2010, 1, 1), D(2026, 1, 5), None, 0, id="joins-next-year"),
    ],
)
def test_annual_leave_for_year(
    year: int, service_start: date, joined: date, left: date | None, expected: int
) -> None:
    days = annual_leave_for_year(year, service_start, joined, left_this_employer=left)
    assert days == expected


def test_annual_leave_article_4_exclusion_is_a_flag() -> None:
    days = annual_leave_for_year(2025, D(2000, 1, 1), D(2000, 1, 1), excluded_under_article_4=True)
    assert days == 0


def test_annual_leave_refuses_service_starting_after_joining() -> None:
    with pytest.raises(LeaveError) as raised:
        annual_leave_for_year(2025, D(2021, 1, 1), D(2020, 1, 1))
    assert raised.value.code is LeaveErrorCode.SERVICE_START_AFTER_JOINING


# --- Ledger --------------------------------------------------------------------------


def grant(on: date, amount: str) -> LedgerEntry:
    return LedgerEntry(EntryKind.GRANT, on, DEC(amount), f"grant:{on.year}")


def test_deduction_then_restoration_returns_the_balance() -> None:
    entries = [grant(D(2025, 1, 1), "10"), deduct(D(2025, 3, 3), DEC("2.5"), "request-7")]
    assert balance(entries, D(2025, 3, 2)) == DEC(10)
    assert balance(entries, D(2025, 3, 3)) == DEC("7.5")
    restoration = restore(entries, "request-7", D(2025, 3, 10))
    assert restoration == LedgerEntry(
        EntryKind.RESTORATION, D(2025, 3, 10), DEC("2.5"), "request-7"
    )
    entries.append(restoration)
    assert balance(entries, D(2025, 3, 10)) == DEC(10)
    # A second cancellation restores nothing; another request is untouched.
    assert restore(entries, "request-7", D(2025, 3, 11)) is None
    assert restore(entries, "request-8", D(2025, 3, 11)) is None


def test_restoration_covers_every_deduction_of_the_request() -> None:
    entries = [
        grant(D(2025, 1, 1), "10"),
        deduct(D(2025, 5, 6), DEC(1), "request-9"),
        deduct(D(2025, 5, 7), DEC("0.5"), "request-9"),
        deduct(D(2025, 5, 8), DEC(2), "request-10"),
    ]
    restoration = restore(entries, "request-9", D(2025, 5, 9))
    assert restoration is not None
    assert restoration.amount == DEC("1.5")
    assert balance([*entries, restoration], D(2025, 5, 9)) == DEC(8)


@pytest.mark.parametrize(
    ("used", "cap", "expected"),
    [
        pytest.param("3", "5", [(EntryKind.EXPIRY, "7"), (EntryKind.CARRY_OVER, "5")], id="capped"),
        pytest.param("7", "5", [(EntryKind.EXPIRY, "3"), (EntryKind.CARRY_OVER, "3")], id="under"),
        pytest.param("3", "0", [(EntryKind.EXPIRY, "7")], id="no-carry-over"),
        pytest.param("10", "5", [], id="nothing-left"),
    ],
)
def test_carry_over(used: str, cap: str, expected: list[tuple[EntryKind, str]]) -> None:
    entries = [grant(D(2025, 1, 1), "10"), deduct(D(2025, 8, 4), DEC(used), "request-1")]
    closing = carry_over(entries, D(2025, 12, 31), DEC(cap), D(2026, 3, 31))
    assert [(entry.kind, entry.amount) for entry in closing] == [
        (kind, DEC(amount)) for kind, amount in expected
    ]
    for entry in closing:
        assert entry.on == D(2026, 1, 1)
        assert entry.reference == "carry-over:2025-12-31"
    # The old year is closed: only the carried days remain on 1 January.
    carried = sum((entry.amount for entry in closing if entry.kind is EntryKind.CARRY_OVER), DEC(0))
    assert balance([*entries, *closing], D(2026, 1, 1)) == carried
    # And the balance on 31 December still shows what could be taken that day.
    assert balance([*entries, *closing], D(2025, 12, 31)) == DEC(10) - DEC(used)


def full_year() -> list[LedgerEntry]:
    """2025: 10 granted, 3 taken; 5 of the 7 left carried into 2026 until 31 March."""
    entries = [grant(D(2025, 1, 1), "10"), deduct(D(2025, 8, 4), DEC(3), "request-1")]
    entries += carry_over(entries, D(2025, 12, 31), DEC(5), D(2026, 3, 31))
    entries.append(grant(D(2026, 1, 1), "10"))
    return entries


def carried_entry(entries: list[LedgerEntry]) -> LedgerEntry:
    return next(entry for entry in entries if entry.kind is EntryKind.CARRY_OVER)


@pytest.mark.parametrize(
    ("taken", "expected_expiry", "balance_on_april_1"),
    [
        pytest.param([], "5", "10", id="none-used"),
        pytest.param([(D(2026, 2, 10), "2", "r2")], "3", "10", id="two-used"),
        pytest.param([(D(2026, 3, 31), "5", "r2")], None, "10", id="all-used-on-last-day"),
        pytest.param([(D(2026, 2, 10), "7", "r2")], None, "8", id="more-than-carried"),
        pytest.param([(D(2026, 4, 1), "2", "r2")], "5", "8", id="used-after-expiry"),
    ],
)
def test_carried_days_expire(
    taken: list[tuple[date, str, str]], expected_expiry: str | None, balance_on_april_1: str
) -> None:
    entries = full_year()
    entries += [deduct(on, DEC(amount), reference) for on, amount, reference in taken]
    expiry = expire_carried_over(entries, carried_entry(entries))
    if expected_expiry is None:
        assert expiry is None
    else:
        assert expiry == LedgerEntry(
            EntryKind.EXPIRY, D(2026, 4, 1), DEC(expected_expiry), "carry-over:2025-12-31"
        )
        entries.append(expiry)
    assert balance(entries, D(2026, 4, 1)) == DEC(balance_on_april_1)


def test_cancelled_leave_in_the_window_gives_carried_days_back() -> None:
    entries = full_year()
    entries.append(deduct(D(2026, 2, 10), DEC(2), "r2"))
    restoration = restore(entries, "r2", D(2026, 2, 20))
    assert restoration is not None
    entries.append(restoration)
    expiry = expire_carried_over(entries, carried_entry(entries))
    assert expiry is not None
    assert expiry.amount == DEC(5)


@pytest.mark.parametrize("amount", [DEC(0), DEC(-1)], ids=["zero", "negative"])
def test_ledger_amounts_are_positive(amount: Decimal) -> None:
    with pytest.raises(LeaveError) as raised:
        LedgerEntry(EntryKind.GRANT, D(2025, 1, 1), amount)
    assert raised.value.code is LeaveErrorCode.INVALID_AMOUNT
