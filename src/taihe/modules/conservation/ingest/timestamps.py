"""Timestamps in logger files: layouts, day/month order, 12-hour clocks, zones, Excel serials.

One :class:`TimestampParser` is built per file from the *whole* time column, so the day/month
order is decided once from every value (a first or second field above 12 settles it), and
each row then costs one precompiled regex match and one ``datetime`` construction; no per-row
``dateutil`` (heritage.md §4.3 item 5).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext as _

from taihe.modules.conservation.ingest.errors import LoggerFileError


class DateOrder(enum.Enum):
    """Order of the fields in a numeric date."""

    DAY_FIRST = "DMY"
    MONTH_FIRST = "MDY"
    YEAR_FIRST = "YMD"


# Afternoon/morning markers in the locales logger software is run in: English, Swedish
# (fm/em, jkall/qgis-midvatten-plugin fixtures), German, Chinese, Japanese, Korean, Spanish.
_MORNING = ("am", "a.m.", "a. m.", "fm", "f.m.", "vorm.", "上午", "午前", "오전")
_AFTERNOON = ("pm", "p.m.", "p. m.", "em", "e.m.", "nachm.", "下午", "午後", "오후")
_MARKERS = dict.fromkeys(_MORNING, False) | dict.fromkeys(_AFTERNOON, True)
_MARKER_RE = "|".join(re.escape(m) for m in sorted(_MARKERS, key=len, reverse=True))

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january", "jän", "janv"),
            ("feb", "february", "fév", "févr"),
            ("mar", "march", "mär", "mars"),
            ("apr", "april", "avr"),
            ("may", "mai"),
            ("jun", "june", "juin"),
            ("jul", "july", "juil"),
            ("aug", "august", "aoû"),
            ("sep", "sept", "september"),
            ("oct", "october", "okt"),
            ("nov", "november"),
            ("dec", "december", "dez", "déc"),
        ),
        start=1,
    )
    for name in names
}

_TIME = (
    rf"(?:(?P<m1>{_MARKER_RE})\s*)?(?P<H>\d{{1,2}})[:.](?P<M>\d{{2}})(?:[:.](?P<S>\d{{2}})"
    rf"(?:[.,](?P<f>\d{{1,6}}))?)?\s*(?P<m2>{_MARKER_RE})?"
)
_DATE = (
    r"(?P<a>\d{1,4})\s*[/.\-年]\s*(?P<b>\d{1,2}|[^\W\d_]{3,9})\.?\s*[/.\-月]\s*"
    r"(?P<c>\d{1,4})日?"
)
_ZONE = r"(?P<z>Z|UTC|GMT|[+-]\d{2}:?\d{2})?"
# Date first ("07/29/16 10:26:34 AM", "2021-08-21T08:06:00+08:00") or time first (Hanwell
# "00:00:00 21/Nov/2025"); a lone date means midnight.
_DATE_FIRST = re.compile(rf"^\s*{_DATE}(?:(?:\s+|T|,\s*){_TIME})?\s*{_ZONE}\s*$", re.IGNORECASE)
_TIME_FIRST = re.compile(rf"^\s*{_TIME}\s+{_DATE}\s*{_ZONE}\s*$", re.IGNORECASE)
_EXCEL_SERIAL = re.compile(r"^\s*\d{4,5}(?:\.\d+)?\s*$")
# Excel's 1900 date system counts days from 1899-12-30 once past its phantom 1900-02-29
# (ECMA-376 Part 1, §18.17.4.1); loggers post-date 1900-03-01, so the simple epoch holds.
_EXCEL_EPOCH = datetime(1899, 12, 30)  # noqa: DTZ001 - naive on purpose: wall-clock serial


def _year(text: str) -> int:
    year = int(text)
    # POSIX strptime %y pivot: 69–99 → 1900s, 00–68 → 2000s.
    if len(text) <= 2:
        year += 1900 if year >= 69 else 2000
    return year


class TimestampParser:
    """Parse one file's timestamps into naive wall-clock datetimes (zone applied afterwards).

    Build it with :meth:`for_values`; call :meth:`parse` per row (raises ValueError for a value
    that does not fit the layout the column was recognised as).
    """

    def __init__(self, kind: str, order: DateOrder) -> None:
        self.kind = kind
        self.order = order
        self._pattern = _DATE_FIRST if kind == "date_first" else _TIME_FIRST
        self._groups = ("a", "b", "c", "H", "M", "S", "f", "m1", "m2", "z")
        # Parsed (year, month, day) per distinct date text: a day's rows share one.
        self._dates: dict[tuple[str, str, str], tuple[int, int, int]] = {}
        # A year of 5-minute rows has 365 distinct date texts and 288 distinct time texts:
        # each value is split where its time part starts (or ends, time first) and both halves
        # are remembered, so most rows are two dictionary lookups instead of a regex match.
        self._split = 0
        self._date_parts: dict[str, tuple[int, int, int]] = {}
        self._time_parts: dict[str, tuple[int, int, int, int, tzinfo | None]] = {}

    @classmethod
    def for_values(
        cls, values: Sequence[str], *, convention: DateOrder | None
    ) -> tuple[TimestampParser, list[str]]:
        """Choose layout and day/month order from every value of the column.

        ``convention`` is the vendor's (or the locale's) order, used when the column never
        shows a field above 12. Returns the parser and warnings. Raises LoggerFileError when no
        value looks like a timestamp or when the column contradicts itself (both orders seen).
        """
        warnings: list[str] = []
        kind = ""
        first_over_12 = second_over_12 = 0
        year_first = False
        # Dates repeat (288 five-minute rows a day): only the first row of each distinct date
        # token is matched, which keeps this whole-column decision cheap on a year of data.
        seen_dates: set[str] = set()
        for value in values:
            tokens = value.split()
            if not tokens:
                continue
            date_token = tokens[0] if kind != "time_first" else tokens[-1]
            if date_token in seen_dates:
                continue
            seen_dates.add(date_token)
            match = _DATE_FIRST.match(value)
            this_kind = "date_first"
            if match is None:
                match = _TIME_FIRST.match(value)
                this_kind = "time_first"
            if match is None:
                if _EXCEL_SERIAL.match(value) and kind in ("", "excel"):
                    kind = "excel"
                continue
            if kind in ("", "excel"):
                kind = this_kind
            a, b = match.group("a"), match.group("b")
            if len(a) == 4:
                year_first = True
            elif b.isdigit():
                # A row with both fields above 12 fits no order; it is rejected later.
                first_over_12 += int(a) > 12 >= int(b)
                second_over_12 += int(b) > 12 >= int(a)
        if not kind:
            raise LoggerFileError(_("No value in the time column looks like a date and time."))
        if kind == "excel" or year_first:
            return cls(kind, DateOrder.YEAR_FIRST), warnings
        if first_over_12 and second_over_12:
            if first_over_12 == second_over_12:
                raise LoggerFileError(
                    _("The time column mixes day-first and month-first dates; it cannot be read.")
                )
            # A few broken rows must not decide the file: the majority does, and the rows that
            # do not fit it are rejected one by one.
            warnings.append(
                _("Some dates contradict the file's day/month order; those rows are rejected.")
            )
            if first_over_12 > second_over_12:
                second_over_12 = 0
            else:
                first_over_12 = 0
        if first_over_12:
            order = DateOrder.DAY_FIRST
        elif second_over_12:
            order = DateOrder.MONTH_FIRST
        else:
            order = convention or DateOrder.DAY_FIRST
            warnings.append(
                _(
                    "Every date in the file could be day-first or month-first; read as "
                    "%(order)s (the format's convention or the locale given)."
                )
                % {"order": order.value}
            )
        return cls(kind, order), warnings

    def parse(self, text: str) -> tuple[datetime, tzinfo | None]:
        """Parse one value into (naive wall-clock datetime, zone written in the value or None).

        Raises ValueError when the value does not fit.
        """
        if self.kind == "excel":
            days = float(text)
            if not 1.0 <= days <= 2958465.0:  # 9999-12-31, Excel's last date
                raise ValueError(text)
            # Round to the millisecond: serials carry binary fractions of a day.
            return _EXCEL_EPOCH + timedelta(milliseconds=round(days * 86_400_000)), None
        split = self._split
        if split:
            date_text, time_text = ((text[:split], text[split:]) if self.kind == "date_first"
                                    else (text[split:], text[:split]))
            ymd = self._date_parts.get(date_text)
            clock = self._time_parts.get(time_text) if ymd is not None else None
            if ymd is not None and clock is not None:
                return datetime(*ymd, *clock[:4]), clock[4]  # noqa: DTZ001 - wall clock
        match = self._pattern.match(text)
        if match is None:
            raise ValueError(text)
        a, b, c, hour_text, minute_text, second_text, fraction, m1, m2, zone_text = match.group(
            *self._groups
        )
        date_key = (a, b, c)
        ymd = self._dates.get(date_key)
        if ymd is None:
            ymd = self._dates[date_key] = self._date(a, b, c, text)
        year, month, day = ymd
        hour = int(hour_text) if hour_text else 0
        marker = m1 or m2
        if marker:
            afternoon = _MARKERS[marker.lower()]
            if not 1 <= hour <= 12:
                raise ValueError(text)
            # 12-hour clock: 12 AM is midnight, 12 PM is noon.
            hour = hour % 12 + (12 if afternoon else 0)
        clock = (hour, int(minute_text) if minute_text else 0,
                 int(second_text) if second_text else 0,
                 int(fraction.ljust(6, "0")) if fraction else 0,
                 zone_from_value(zone_text) if zone_text else None)
        moment = datetime(year, month, day, *clock[:4])  # noqa: DTZ001 - wall clock
        if hour_text:
            if self.kind == "date_first":
                split = match.start("m1") if m1 else match.start("H")
                self._date_parts[text[:split]] = ymd
                self._time_parts[text[split:]] = clock
            else:
                split = match.start("a")
                self._date_parts[text[split:]] = ymd
                self._time_parts[text[:split]] = clock
            self._split = split
        return moment, clock[4]

    def _date(self, a: str, b: str, c: str, text: str) -> tuple[int, int, int]:
        if not b.isdigit():
            month = _MONTHS.get(b.lower())
            if month is None or len(a) == 4:
                raise ValueError(text)
            return _year(c), month, int(a)
        if self.order is DateOrder.YEAR_FIRST or len(a) == 4:
            if len(a) != 4:
                raise ValueError(text)
            return int(a), int(b), int(c)
        if self.order is DateOrder.DAY_FIRST:
            return _year(c), int(b), int(a)
        return _year(c), int(a), int(b)


def zone_from_value(text: str) -> tzinfo:
    """The zone of an ISO 8601 suffix (``Z``, ``+08:00``, ``-0500``)."""
    if text.upper() in {"Z", "UTC", "GMT"}:
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


# Abbreviations and Windows zone names seen in HOBOconnect headers (heritage.md §4.2 (b)).
# An abbreviation names a region that observes DST, so map it to that region's IANA zone and
# let zoneinfo apply the rules, rather than a fixed offset.
_ZONE_NAMES = {
    "est": "America/New_York",
    "edt": "America/New_York",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "akst": "America/Anchorage",
    "akdt": "America/Anchorage",
    "hst": "Pacific/Honolulu",
    "bst": "Europe/London",
    "cet": "Europe/Berlin",
    "cest": "Europe/Berlin",
    "eet": "Europe/Athens",
    "eest": "Europe/Athens",
    "aest": "Australia/Sydney",
    "aedt": "Australia/Sydney",
    "brazil standard time": "America/Sao_Paulo",
    "china standard time": "Asia/Shanghai",
    "eastern standard time": "America/New_York",
    "pacific standard time": "America/Los_Angeles",
    "central european standard time": "Europe/Berlin",
    "gmt standard time": "Europe/London",
}
_OFFSET_IN_HEADER = re.compile(r"(?:GMT|UTC)\s?([-+])\s?(\d{1,2})(?::?(\d{2}))?", re.IGNORECASE)
_NAME_IN_PARENS = re.compile(r"\(([^()]+)\)")


def zone_from_header(text: str) -> tzinfo | None:
    """The zone a time-column header states: ``GMT-05:00``, ``(EDT)``, ``(CET/CEST)``, or None."""
    match = _OFFSET_IN_HEADER.search(text)
    if match:
        sign = -1 if match.group(1) == "-" else 1
        hours, minutes = int(match.group(2)), int(match.group(3) or 0)
        if hours > 14 or minutes > 59:
            return None
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    for inside in _NAME_IN_PARENS.findall(text):
        for part in inside.split("/"):
            key = part.strip().lower()
            if key in _ZONE_NAMES:
                return ZoneInfo(_ZONE_NAMES[key])
            if key in {"utc", "gmt"}:
                return UTC
    return None


def zone_from_argument(name: str) -> tzinfo:
    """An IANA zone name or a fixed offset given by the person importing.

    Raises LoggerFileError when the name is unknown.
    """
    offset = zone_from_header(f"({name})") or zone_from_header(name)
    if offset is not None:
        return offset
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise LoggerFileError(
            _("Unknown time zone %(zone)r: give an IANA name such as Asia/Shanghai.")
            % {"zone": name}
        ) from exc


def is_fixed(zone: tzinfo) -> bool:
    """A zone without DST rules (offset never changes)."""
    return isinstance(zone, timezone)


class NonexistentLocalTime(ValueError):
    """A wall-clock time skipped when daylight-saving time began."""


class LocalToUtc:
    """Convert wall-clock times of one sensor to UTC, resolving DST folds and gaps.

    In the repeated hour after DST ends, a logger that writes local time goes back by an hour;
    the second pass is the later instant (``fold=1``, PEP 495). A time inside the spring gap
    does not exist on a local clock and raises ValueError.
    """

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone
        self.fixed = is_fixed(zone)
        self.offset = zone.utcoffset(None) if self.fixed else None
        self.previous: datetime | None = None
        self.second_pass = False

    def __call__(self, local: datetime) -> datetime:
        if self.offset is not None:
            return (local - self.offset).replace(tzinfo=UTC)
        first = local.replace(tzinfo=self.zone, fold=0)
        second = local.replace(tzinfo=self.zone, fold=1)
        offset_first, offset_second = first.utcoffset(), second.utcoffset()
        previous, self.previous = self.previous, local
        if offset_first == offset_second:
            self.second_pass = False
            return first.astimezone(UTC)
        if offset_first is None or offset_second is None:  # a tzinfo without offsets
            raise ValueError(local.isoformat())
        if offset_first < offset_second:
            # Spring forward: the wall-clock time was skipped.
            raise NonexistentLocalTime(local.isoformat())
        if previous is not None and local < previous:
            self.second_pass = True
        return (second if self.second_pass else first).astimezone(UTC)
