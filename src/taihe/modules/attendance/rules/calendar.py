"""Work calendars: which local dates are working days, rest days or statutory holidays.

China moves working days around every year (调休): the State Council notice turns a few
weekdays into rest days "in lieu" and makes a few Saturdays or Sundays working days, so a
holiday calendar is yearly data, not a rule. ``WorkCalendar`` holds that data for one
attendance group next to the group's own weekly rest days (a museum's front of house rests on
Mondays, its offices on Saturday and Sunday) and the museum's own closures and special
openings. ``statutory_days`` seeds a year from the ``chinese-calendar`` package and
``parse_holiday_csv`` reads HR's import of the notice for years the package does not know.

The difference between a statutory holiday and a rest day matters for pay: work on a
statutory holiday is paid at 300 %, on a rest day at 200 % or given back as time off (PRC
Labour Law art. 44), so days taken "in lieu" are rest days here, never holidays.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import Enum, StrEnum
from types import MappingProxyType
from typing import NamedTuple

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)
SATURDAY_AND_SUNDAY = frozenset({SATURDAY, SUNDAY})
"""Weekday numbers as ``date.weekday()`` gives them; the standard office week rests on these
(State Council Provisions on Working Hours of Employees art. 7: Saturday and Sunday)."""


class DayKind(Enum):
    """What a date is for one attendance group."""

    WORKDAY = "workday"
    REST_DAY = "rest_day"
    HOLIDAY = "holiday"
    """A statutory public holiday (全国年节及纪念日放假办法); 300 % when worked."""


def _frozen_mapping(values: Mapping[date, str]) -> Mapping[date, str]:
    return MappingProxyType(dict(values))


@dataclass(frozen=True)
class WorkCalendar:
    """One group's calendar: weekly rest days plus dated exceptions.

    Precedence in ``kind`` (first match wins) and why:

    1. ``holidays``: a statutory holiday is a holiday for everyone, even a group whose
       museum is open that day (the open day is overtime at the holiday rate, not a workday).
    2. ``closures``: the museum is shut (e.g. for installation), so this group rests, even on
       a make-up working day.
    3. ``events``: an extra working day the museum decided on (a special opening).
    4. ``adjusted_workdays``: a 调休 make-up working day is worked even on a rest weekday.
    5. ``rest_days_in_lieu``: a 调休 weekday given off in exchange for a make-up day.
    6. ``rest_weekdays``: the group's weekly rest.
    """

    rest_weekdays: frozenset[int] = SATURDAY_AND_SUNDAY
    holidays: Mapping[date, str] = field(default_factory=dict)
    adjusted_workdays: frozenset[date] = frozenset()
    closures: Mapping[date, str] = field(default_factory=dict)
    events: Mapping[date, str] = field(default_factory=dict)
    rest_days_in_lieu: Mapping[date, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if any(not MONDAY <= weekday <= SUNDAY for weekday in self.rest_weekdays):
            raise ValueError("rest_weekdays must hold date.weekday() numbers 0..6")
        # Freeze the mappings so a calendar shared between computations cannot drift.
        object.__setattr__(self, "rest_weekdays", frozenset(self.rest_weekdays))
        object.__setattr__(self, "adjusted_workdays", frozenset(self.adjusted_workdays))
        for name in ("holidays", "closures", "events", "rest_days_in_lieu"):
            object.__setattr__(self, name, _frozen_mapping(getattr(self, name)))

    def kind(self, day: date) -> DayKind:
        """Whether ``day`` is a workday, a rest day or a statutory holiday for this group."""
        if day in self.holidays:
            return DayKind.HOLIDAY
        if day in self.closures:
            return DayKind.REST_DAY
        if day in self.events or day in self.adjusted_workdays:
            return DayKind.WORKDAY
        if day in self.rest_days_in_lieu or day.weekday() in self.rest_weekdays:
            return DayKind.REST_DAY
        return DayKind.WORKDAY

    def is_working_day(self, day: date) -> bool:
        """Whether the group is expected at work on ``day``."""
        return self.kind(day) is DayKind.WORKDAY

    def working_days(self, start: date, end: date) -> list[date]:
        """The working days from ``start`` to ``end``, both included (empty if end < start)."""
        return [day for day in dates_between(start, end) if self.is_working_day(day)]

    def count_working_days(self, start: date, end: date) -> int:
        """How many working days ``working_days`` would list."""
        return sum(1 for day in dates_between(start, end) if self.is_working_day(day))

    def with_year_data(
        self,
        *,
        holidays: Mapping[date, str] | None = None,
        adjusted_workdays: frozenset[date] | None = None,
        rest_days_in_lieu: Mapping[date, str] | None = None,
    ) -> WorkCalendar:
        """A copy with one year's statutory data merged in (new entries win on a clash)."""
        return replace(
            self,
            holidays={**self.holidays, **(holidays or {})},
            adjusted_workdays=self.adjusted_workdays | (adjusted_workdays or frozenset()),
            rest_days_in_lieu={**self.rest_days_in_lieu, **(rest_days_in_lieu or {})},
        )


def dates_between(start: date, end: date) -> Iterator[date]:
    """Every date from ``start`` to ``end``, both included."""
    for offset in range((end - start).days + 1):
        yield start + timedelta(days=offset)


# --- Seeding from the chinese-calendar package -------------------------------------------


class CalendarDataMissing(LookupError):
    """The ``chinese-calendar`` package has no data for ``year``: HR must import that year's
    State Council notice (``parse_holiday_csv``). ``covered`` is the package's year range."""

    def __init__(self, year: int, covered: tuple[int, int]) -> None:
        super().__init__(year, covered)
        self.year = year
        self.covered = covered


class StatutoryYear(NamedTuple):
    """One year's national data, in the three shapes ``WorkCalendar`` takes."""

    holidays: dict[date, str]
    adjusted_workdays: frozenset[date]
    rest_days_in_lieu: dict[date, str]


def covered_years() -> tuple[int, int]:
    """The first and last year the installed ``chinese-calendar`` has data for (1.11.0:
    2004–2026); each release adds the year whose notice has just been published."""
    import chinese_calendar

    holiday_dates: Mapping[date, str] = chinese_calendar.holidays
    return min(holiday_dates).year, max(holiday_dates).year


def fixed_statutory_dates(year: int) -> dict[str, frozenset[date]]:
    """The statutory days of the festivals with fixed dates, by the package's English name
    (全国年节及纪念日放假办法: 1999, 2007, 2013 and 2024 revisions; the 2024 one, in force
    from 2025, gives Labour Day two days). Qingming is the solar term's day (from 2008)."""
    import chinese_calendar

    labour_days = 3 if year < 2008 else 1 if year < 2025 else 2
    found = {
        "New Year's Day": frozenset({date(year, 1, 1)}),
        "Labour Day": frozenset(date(year, 5, day) for day in range(1, labour_days + 1)),
        "National Day": frozenset(date(year, 10, day) for day in (1, 2, 3)),
    }
    if year >= 2008:
        terms = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10))
        found["Tomb-sweeping Day"] = frozenset(day for day, name in terms if name == "清明")
    return found


def statutory_days(year: int) -> StatutoryYear:
    """The holidays (date → English name from the package, e.g. "Spring Festival"), the
    make-up working days and the rest days in lieu of ``year`` from ``chinese-calendar``.

    The package lists every day off of each break and flags some of those taken in lieu
    (``in_lieu_days``). Which days of a break are the statutory ones matters for pay (300 %
    against 200 %, Labour Law art. 44), so for festivals with fixed dates only the
    statutory dates are holidays (``fixed_statutory_dates``): the break's other weekdays are
    rest days in lieu and its weekend days follow the group's weekly rest days. For the
    lunar festivals (Spring Festival, Dragon Boat, Mid-Autumn) the package cannot tell which
    days are statutory, so every day of their breaks not taken in lieu counts as a holiday:
    pay errs towards the employee there, and HR's CSV (``parse_holiday_csv``, kind ``rest``)
    gives the exact list.

    Raises ``CalendarDataMissing`` for a year outside the package's range.
    """
    import chinese_calendar

    first, last = covered_years()
    if not first <= year <= last:
        raise CalendarDataMissing(year, (first, last))
    all_holidays: Mapping[date, str] = chinese_calendar.holidays
    all_workdays: Mapping[date, str] = chinese_calendar.workdays
    all_in_lieu: Mapping[date, str] = chinese_calendar.in_lieu_days
    in_lieu = {day: name for day, name in all_in_lieu.items() if day.year == year}
    fixed = fixed_statutory_dates(year)
    holidays: dict[date, str] = {}
    for day, name in sorted(all_holidays.items()):
        if day.year != year or day in in_lieu:
            continue
        if name in fixed and day not in fixed[name]:
            if day.weekday() < 5:
                in_lieu[day] = name  # a weekday off in the break is a day in lieu
            continue
        holidays[day] = name
    workdays = frozenset(day for day in all_workdays if day.year == year)
    return StatutoryYear(holidays, workdays, dict(sorted(in_lieu.items())))


# --- HR's yearly CSV import ----------------------------------------------------------------


class CsvField(StrEnum):
    """The columns of the holiday CSV (``date,kind,name``)."""

    DATE = "date"
    KIND = "kind"
    NAME = "name"
    ROW = "row"


class CsvErrorCode(StrEnum):
    """Why a row of the holiday CSV was refused."""

    MISSING_HEADER = "missing_header"
    WRONG_COLUMN_COUNT = "wrong_column_count"
    INVALID_DATE = "invalid_date"
    WRONG_YEAR = "wrong_year"
    INVALID_KIND = "invalid_kind"
    MISSING_NAME = "missing_name"
    DUPLICATE_DATE = "duplicate_date"


class CsvError(NamedTuple):
    """A refused row: ``row`` counts lines as a spreadsheet does (the header is row 1)."""

    row: int
    field: CsvField
    code: CsvErrorCode


class HolidayImport(NamedTuple):
    """What ``parse_holiday_csv`` read; the valid rows are kept even when others failed."""

    holidays: dict[date, str]
    adjusted_workdays: frozenset[date]
    rest_days_in_lieu: dict[date, str]
    errors: list[CsvError]


class ImportKind(StrEnum):
    """Values of the ``kind`` column."""

    HOLIDAY = "holiday"
    """A statutory holiday (``DayKind.HOLIDAY``); a name is required."""
    WORKDAY = "workday"
    """A make-up working day (调休上班)."""
    REST = "rest"
    """A weekday given off in lieu (调休放假) or for a holiday that fell on a weekend."""


def _parse_date(text: str) -> date | None:
    """ISO ``2025-01-28``, or ``2025/1/28`` as spreadsheets in a Chinese locale write it."""
    parts = text.replace("/", "-").split("-")
    if len(parts) != 3 or not all(part.isdigit() for part in parts) or len(parts[0]) != 4:
        return None
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


HEADER = ("date", "kind", "name")


def parse_holiday_csv(text: str, *, year: int | None = None) -> HolidayImport:
    """Read HR's import of a State Council notice: a header ``date,kind,name`` then one row
    per date, kind ``holiday``, ``workday`` or ``rest``. Blank lines are skipped. With
    ``year``, dates of other years are refused (a file for 2027 must hold 2027 only).
    A date listed twice is refused on its second row; the first stands.
    """
    holidays: dict[date, str] = {}
    workdays: set[date] = set()
    rest_days: dict[date, str] = {}
    errors: list[CsvError] = []
    seen: set[date] = set()
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header_seen = False
    for row_number, row in enumerate(reader, start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if not header_seen:
            header_seen = True
            if tuple(cell.lower() for cell in cells) != HEADER:
                errors.append(CsvError(row_number, CsvField.ROW, CsvErrorCode.MISSING_HEADER))
                break
            continue
        if len(cells) != len(HEADER):
            errors.append(CsvError(row_number, CsvField.ROW, CsvErrorCode.WRONG_COLUMN_COUNT))
            continue
        date_text, kind_text, name = cells
        day = _parse_date(date_text)
        if day is None:
            errors.append(CsvError(row_number, CsvField.DATE, CsvErrorCode.INVALID_DATE))
            continue
        if year is not None and day.year != year:
            errors.append(CsvError(row_number, CsvField.DATE, CsvErrorCode.WRONG_YEAR))
            continue
        try:
            kind = ImportKind(kind_text.lower())
        except ValueError:
            errors.append(CsvError(row_number, CsvField.KIND, CsvErrorCode.INVALID_KIND))
            continue
        if kind is ImportKind.HOLIDAY and not name:
            errors.append(CsvError(row_number, CsvField.NAME, CsvErrorCode.MISSING_NAME))
            continue
        if day in seen:
            errors.append(CsvError(row_number, CsvField.DATE, CsvErrorCode.DUPLICATE_DATE))
            continue
        seen.add(day)
        if kind is ImportKind.HOLIDAY:
            holidays[day] = name
        elif kind is ImportKind.WORKDAY:
            workdays.add(day)
        else:
            rest_days[day] = name
    if not header_seen:
        errors.append(CsvError(1, CsvField.ROW, CsvErrorCode.MISSING_HEADER))
    return HolidayImport(holidays, frozenset(workdays), rest_days, errors)
