"""Work calendars: statutory data from chinese-calendar 1.11.0, group rest days, closures,
make-up working days, and HR's CSV import of a State Council notice."""

from collections.abc import Mapping
from datetime import date

import pytest

from taihe.modules.attendance.rules.calendar import (
    MONDAY,
    CalendarDataMissing,
    CsvError,
    CsvErrorCode,
    CsvField,
    DayKind,
    WorkCalendar,
    covered_years,
    fixed_statutory_dates,
    parse_holiday_csv,
    statutory_days,
)

D = date


def office_calendar(year: int) -> WorkCalendar:
    """Saturday/Sunday rest with the year's national data."""
    data = statutory_days(year)
    return WorkCalendar().with_year_data(
        holidays=data.holidays,
        adjusted_workdays=data.adjusted_workdays,
        rest_days_in_lieu=data.rest_days_in_lieu,
    )


def museum_calendar(
    year: int,
    *,
    closures: Mapping[date, str] | None = None,
    events: Mapping[date, str] | None = None,
) -> WorkCalendar:
    """Front of house: rests on Mondays only, with the year's national data."""
    data = statutory_days(year)
    return WorkCalendar(
        rest_weekdays=frozenset({MONDAY}),
        holidays=data.holidays,
        adjusted_workdays=data.adjusted_workdays,
        rest_days_in_lieu=data.rest_days_in_lieu,
        closures=closures or {},
        events=events or {},
    )


# --- What the package says (chinese-calendar 1.11.0, checked against its data) ------------


def test_package_covers_2004_to_2026() -> None:
    assert covered_years() == (2004, 2026)


@pytest.mark.parametrize(
    ("year", "first", "last", "break_name", "expected_holidays", "expected_in_lieu"),
    [
        pytest.param(
            2025,
            D(2025, 1, 28),
            D(2025, 2, 4),
            "Spring Festival",
            [D(2025, 1, 28), D(2025, 1, 29), D(2025, 1, 30), D(2025, 1, 31), D(2025, 2, 1),
             D(2025, 2, 2)],
            [D(2025, 2, 3), D(2025, 2, 4)],
            id="2025-spring-festival",
        ),
        pytest.param(
            2025,
            D(2025, 10, 1),
            D(2025, 10, 8),
            "National Day",
            # the weekend inside the break (4-5 Oct) is no statutory day: weekly rest decides
            [D(2025, 10, 1), D(2025, 10, 2), D(2025, 10, 3), D(2025, 10, 6)],
            [D(2025, 10, 7), D(2025, 10, 8)],
            id="2025-national-day-with-mid-autumn",
        ),
        pytest.param(
            2026,
            D(2026, 2, 15),
            D(2026, 2, 23),
            "Spring Festival",
            [D(2026, 2, 15), D(2026, 2, 16), D(2026, 2, 17), D(2026, 2, 18), D(2026, 2, 19),
             D(2026, 2, 21), D(2026, 2, 22)],
            [D(2026, 2, 20), D(2026, 2, 23)],
            id="2026-spring-festival",
        ),
        pytest.param(
            2026,
            D(2026, 10, 1),
            D(2026, 10, 7),
            "National Day",
            # statutory 1-3 Oct; Monday 5 Oct is a day in lieu, Sunday 4 Oct a weekend
            [D(2026, 10, 1), D(2026, 10, 2), D(2026, 10, 3)],
            [D(2026, 10, 5), D(2026, 10, 6), D(2026, 10, 7)],
            id="2026-national-day",
        ),
    ],
)  # fmt: skip
def test_statutory_breaks(
    year: int,
    first: date,
    last: date,
    break_name: str,
    expected_holidays: list[date],
    expected_in_lieu: list[date],
) -> None:
    data = statutory_days(year)
    in_break = [day for day in data.holidays if first <= day <= last]
    assert in_break == expected_holidays
    assert [day for day in data.rest_days_in_lieu if first <= day <= last] == expected_in_lieu
    assert data.holidays[first] == break_name
    # Every day of the break is off for the office.
    calendar = office_calendar(year)
    assert calendar.count_working_days(first, last) == 0


def test_mid_autumn_keeps_its_name_inside_national_day_2025() -> None:
    assert statutory_days(2025).holidays[D(2025, 10, 6)] == "Mid-autumn Festival"


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        pytest.param(
            2025,
            {D(2025, 1, 26), D(2025, 2, 8), D(2025, 4, 27), D(2025, 9, 28), D(2025, 10, 11)},
            id="2025",
        ),
        pytest.param(
            2026,
            {D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20),
             D(2026, 10, 10)},
            id="2026",
        ),
    ],
)  # fmt: skip
def test_make_up_workdays(year: int, expected: set[date]) -> None:
    data = statutory_days(year)
    assert data.adjusted_workdays == frozenset(expected)
    # Each is a Saturday or Sunday that the office works.
    calendar = office_calendar(year)
    for day in expected:
        assert day.weekday() >= 5
        assert calendar.kind(day) is DayKind.WORKDAY


@pytest.mark.parametrize("year", [2003, 2027, 2030], ids=["before", "next-year", "later"])
def test_year_beyond_the_package_asks_for_an_import(year: int) -> None:
    with pytest.raises(CalendarDataMissing) as raised:
        statutory_days(year)
    assert raised.value.year == year
    assert raised.value.covered == (2004, 2026)


# --- Day kinds for the office and for a Monday-closed museum group ----------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(D(2025, 1, 27), DayKind.WORKDAY, id="monday-before-break"),
        pytest.param(D(2025, 1, 26), DayKind.WORKDAY, id="make-up-sunday"),
        pytest.param(D(2025, 1, 28), DayKind.HOLIDAY, id="new-years-eve"),
        pytest.param(D(2025, 2, 3), DayKind.REST_DAY, id="monday-in-lieu"),
        pytest.param(D(2025, 2, 8), DayKind.WORKDAY, id="make-up-saturday"),
        pytest.param(D(2025, 2, 9), DayKind.REST_DAY, id="ordinary-sunday"),
        pytest.param(D(2025, 10, 8), DayKind.REST_DAY, id="wednesday-in-lieu"),
        pytest.param(D(2025, 10, 9), DayKind.WORKDAY, id="thursday-after-break"),
    ],
)
def test_office_day_kinds_2025(day: date, expected: DayKind) -> None:
    assert office_calendar(2025).kind(day) is expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(D(2025, 3, 3), DayKind.REST_DAY, id="monday-rest"),
        pytest.param(D(2025, 3, 8), DayKind.WORKDAY, id="saturday-open"),
        pytest.param(D(2025, 3, 9), DayKind.WORKDAY, id="sunday-open"),
        pytest.param(D(2025, 10, 1), DayKind.HOLIDAY, id="national-day-is-a-holiday-open-or-not"),
        pytest.param(D(2025, 9, 29), DayKind.REST_DAY, id="monday-before-national-day"),
        pytest.param(D(2025, 4, 14), DayKind.REST_DAY, id="closure-on-monday"),
        pytest.param(D(2025, 4, 15), DayKind.REST_DAY, id="closure-on-tuesday"),
        pytest.param(D(2025, 4, 16), DayKind.WORKDAY, id="after-closure"),
        pytest.param(D(2025, 5, 12), DayKind.WORKDAY, id="special-opening-on-monday"),
    ],
)
def test_museum_group_day_kinds(day: date, expected: DayKind) -> None:
    calendar = museum_calendar(
        2025,
        closures={D(2025, 4, 14): "installation", D(2025, 4, 15): "installation"},
        events={D(2025, 5, 12): "International Museum Day eve"},
    )
    assert calendar.kind(day) is expected


def test_adjusted_workday_on_the_groups_rest_weekday() -> None:
    # A group resting on Saturdays and Sundays works the make-up Sunday 28 September 2025.
    calendar = office_calendar(2025)
    assert calendar.kind(D(2025, 9, 28)) is DayKind.WORKDAY
    # A group that rests on Sundays only, with a make-up day on a Sunday it would rest.
    sunday_group = WorkCalendar(
        rest_weekdays=frozenset({6}), adjusted_workdays=frozenset({D(2025, 9, 28)})
    )
    assert sunday_group.is_working_day(D(2025, 9, 28))
    assert not sunday_group.is_working_day(D(2025, 10, 12))


@pytest.mark.parametrize(
    ("calendar", "day", "expected"),
    [
        pytest.param(
            WorkCalendar(
                holidays={D(2025, 10, 1): "National Day"},
                adjusted_workdays=frozenset({D(2025, 10, 1)}),
            ),
            D(2025, 10, 1),
            DayKind.HOLIDAY,
            id="holiday-beats-adjusted-workday",
        ),
        pytest.param(
            WorkCalendar(
                holidays={D(2025, 10, 1): "National Day"}, events={D(2025, 10, 1): "open"}
            ),
            D(2025, 10, 1),
            DayKind.HOLIDAY,
            id="holiday-beats-special-opening",
        ),
        pytest.param(
            WorkCalendar(
                closures={D(2025, 9, 28): "flood"}, adjusted_workdays=frozenset({D(2025, 9, 28)})
            ),
            D(2025, 9, 28),
            DayKind.REST_DAY,
            id="closure-beats-make-up-day",
        ),
        pytest.param(
            WorkCalendar(closures={D(2025, 3, 4): "works"}),
            D(2025, 3, 4),
            DayKind.REST_DAY,
            id="closure-on-a-weekday",
        ),
    ],
)
def test_precedence(calendar: WorkCalendar, day: date, expected: DayKind) -> None:
    assert calendar.kind(day) is expected


@pytest.mark.parametrize(
    ("start", "end", "office", "museum"),
    [
        # the museum works the break's weekend (4-5 Oct): not statutory days
        pytest.param(D(2025, 9, 22), D(2025, 10, 12), 11, 13, id="around-national-day-2025"),
        pytest.param(D(2025, 1, 20), D(2025, 2, 9), 11, 11, id="around-spring-festival-2025"),
        pytest.param(D(2026, 2, 9), D(2026, 3, 1), 11, 11, id="around-spring-festival-2026"),
        pytest.param(D(2025, 3, 1), D(2025, 3, 31), 21, 26, id="ordinary-march"),
        pytest.param(D(2025, 3, 2), D(2025, 3, 1), 0, 0, id="end-before-start"),
    ],
)
def test_count_working_days(start: date, end: date, office: int, museum: int) -> None:
    assert office_calendar(start.year).count_working_days(start, end) == office
    assert museum_calendar(start.year).count_working_days(start, end) == museum
    assert len(office_calendar(start.year).working_days(start, end)) == office


def test_working_days_lists_make_up_days() -> None:
    days = office_calendar(2025).working_days(D(2025, 9, 27), D(2025, 10, 12))
    assert days == [
        D(2025, 9, 28),
        D(2025, 9, 29),
        D(2025, 9, 30),
        D(2025, 10, 9),
        D(2025, 10, 10),
        D(2025, 10, 11),
    ]


def test_calendar_is_immutable_and_checks_weekdays() -> None:
    holidays = {D(2025, 1, 1): "New Year's Day"}
    calendar = WorkCalendar(holidays=holidays)
    holidays[D(2025, 1, 2)] = "added later"
    assert calendar.kind(D(2025, 1, 2)) is DayKind.WORKDAY
    with pytest.raises(ValueError, match="rest_weekdays"):
        WorkCalendar(rest_weekdays=frozenset({7}))


# --- HR's CSV import -----------------------------------------------------------------


def test_csv_import_of_a_notice() -> None:
    text = (
        "\ufeffdate,kind,name\n"
        "2027-01-01,holiday,New Year's Day\n"
        "2027/2/6,holiday,Spring Festival\n"
        "\n"
        "2027-02-14,workday,\n"
        "2027-02-12,rest,Spring Festival\n"
    )
    result = parse_holiday_csv(text, year=2027)
    assert result.errors == []
    assert result.holidays == {D(2027, 1, 1): "New Year's Day", D(2027, 2, 6): "Spring Festival"}
    assert result.adjusted_workdays == frozenset({D(2027, 2, 14)})
    assert result.rest_days_in_lieu == {D(2027, 2, 12): "Spring Festival"}
    calendar = WorkCalendar().with_year_data(
        holidays=result.holidays,
        adjusted_workdays=result.adjusted_workdays,
        rest_days_in_lieu=result.rest_days_in_lieu,
    )
    assert calendar.kind(D(2027, 2, 14)) is DayKind.WORKDAY
    assert calendar.kind(D(2027, 2, 12)) is DayKind.REST_DAY


def test_csv_errors_carry_row_numbers() -> None:
    text = (
        "date,kind,name\n"  # row 1
        "2027-01-01,holiday,New Year's Day\n"  # 2 ok
        "2027-02-30,holiday,Spring Festival\n"  # 3 no such date
        "2027-02-07,vacation,Spring Festival\n"  # 4 bad kind
        "2027-01-01,rest,New Year's Day\n"  # 5 duplicate of row 2
        "2026-12-31,rest,New Year's Day\n"  # 6 wrong year
        "2027-02-08,holiday,\n"  # 7 holiday without a name
        "2027-02-09,holiday\n"  # 8 two columns
        "next week,workday,\n"  # 9 not a date
        "2027-02-20,WORKDAY,\n"  # 10 ok, case-insensitive
    )
    result = parse_holiday_csv(text, year=2027)
    assert result.errors == [
        CsvError(3, CsvField.DATE, CsvErrorCode.INVALID_DATE),
        CsvError(4, CsvField.KIND, CsvErrorCode.INVALID_KIND),
        CsvError(5, CsvField.DATE, CsvErrorCode.DUPLICATE_DATE),
        CsvError(6, CsvField.DATE, CsvErrorCode.WRONG_YEAR),
        CsvError(7, CsvField.NAME, CsvErrorCode.MISSING_NAME),
        CsvError(8, CsvField.ROW, CsvErrorCode.WRONG_COLUMN_COUNT),
        CsvError(9, CsvField.DATE, CsvErrorCode.INVALID_DATE),
    ]
    # Errors are plain tuples: (row, field, code).
    assert result.errors[0] == (3, "date", "invalid_date")
    assert result.holidays == {D(2027, 1, 1): "New Year's Day"}
    assert result.adjusted_workdays == frozenset({D(2027, 2, 20)})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", [CsvError(1, CsvField.ROW, CsvErrorCode.MISSING_HEADER)], id="empty"),
        pytest.param(
            "day,type,label\n2027-01-01,holiday,x\n",
            [CsvError(1, CsvField.ROW, CsvErrorCode.MISSING_HEADER)],
            id="wrong-header",
        ),
        pytest.param("date,kind,name\n", [], id="header-only"),
    ],
)
def test_csv_header(text: str, expected: list[CsvError]) -> None:
    result = parse_holiday_csv(text)
    assert result.errors == expected
    assert result.holidays == {}


@pytest.mark.parametrize(
    ("year", "labour_day", "qingming"),
    [
        pytest.param(2007, [D(2007, 5, 1), D(2007, 5, 2), D(2007, 5, 3)], None,
                     id="1999-rules-three-labour-days-no-qingming"),
        pytest.param(2019, [D(2019, 5, 1)], D(2019, 4, 5), id="2008-rules-one-labour-day"),
        pytest.param(2025, [D(2025, 5, 1), D(2025, 5, 2)], D(2025, 4, 4),
                     id="2024-rules-two-labour-days"),
    ],
)
def test_fixed_statutory_dates_follow_the_revisions(
    year: int, labour_day: list[date], qingming: date | None
) -> None:
    fixed = fixed_statutory_dates(year)
    assert sorted(fixed["Labour Day"]) == labour_day
    assert sorted(fixed["National Day"]) == [D(year, 10, 1), D(year, 10, 2), D(year, 10, 3)]
    assert sorted(fixed["New Year's Day"]) == [D(year, 1, 1)]
    assert sorted(fixed.get("Tomb-sweeping Day", ())) == ([qingming] if qingming else [])


def test_only_statutory_days_of_a_fixed_date_break_pay_as_holidays() -> None:
    # 2025 Labour Day break 1-5 May: 1-2 statutory (300 %), 3-4 a weekend (200 % for an
    # office, a normal day for a museum open at weekends), 5 a day in lieu.
    year = statutory_days(2025)
    may = [D(2025, 5, day) for day in range(1, 6)]
    assert [day in year.holidays for day in may] == [True, True, False, False, False]
    assert [day in year.rest_days_in_lieu for day in may] == [False, False, False, False, True]
    office, museum = office_calendar(2025), museum_calendar(2025)
    assert [office.kind(day) for day in may] == [
        DayKind.HOLIDAY, DayKind.HOLIDAY, DayKind.REST_DAY, DayKind.REST_DAY, DayKind.REST_DAY]
    assert [museum.kind(day) for day in may] == [
        DayKind.HOLIDAY, DayKind.HOLIDAY, DayKind.WORKDAY, DayKind.WORKDAY, DayKind.REST_DAY]
