"""What every format shares: the decoded document, the column layout, and the row engine.

A format class only reads headers and says which column holds what (a :class:`Layout`); the
engine turns rows into readings the same way for all of them, so quality rules (ranges,
duplicates, clock resets, DST) are written once.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, ClassVar

from django.utils.translation import gettext as _

from taihe.modules.conservation.ingest.errors import LoggerFileError
from taihe.modules.conservation.ingest.readings import (
    QUANTITIES,
    LoggerEvent,
    ParseResult,
    Reading,
    RejectedRow,
)
from taihe.modules.conservation.ingest.timestamps import (
    DateOrder,
    LocalToUtc,
    NonexistentLocalTime,
    TimestampParser,
    is_fixed,
)
from taihe.modules.conservation.ingest.units import (
    ColumnQuantity,
    column_quantity,
    decimal_comma_in,
    parse_number,
    split_header,
)

HEAD_LINES = 30
"""Vendor fingerprints are looked for in the first 30 lines (heritage.md §4.3 item 3)."""


@dataclass(slots=True)
class Document:
    """A decoded file as rows of text cells (CSV/TXT) or cell strings (XLSX)."""

    rows: list[list[str]]
    filename: str
    spreadsheet: bool = False

    @property
    def head(self) -> list[list[str]]:
        return self.rows[:HEAD_LINES]

    def head_text(self) -> str:
        return "\n".join(",".join(row) for row in self.head)


@dataclass(frozen=True, slots=True)
class Options:
    """What the person importing told us."""

    zone: tzinfo | None = None
    date_order: DateOrder | None = None
    column_mapping: Mapping[str, Any] | None = None


@dataclass(slots=True)
class Channel:
    """A data column: where it is, what it measures, which sensor it belongs to."""

    index: int
    header: str
    quantity: ColumnQuantity
    sensor: str | None = None


@dataclass(slots=True)
class EventColumn:
    """A column whose non-empty cells are logger events (HOBO ``Logged``)."""

    index: int
    name: str
    sensor: str | None = None


@dataclass(slots=True)
class Layout:
    """Where the data are in a document. Row indexes are 0-based into ``Document.rows``."""

    data_start: int
    time_columns: tuple[int, ...]
    time_header: str
    channels: list[Channel]
    events: list[EventColumn] = field(default_factory=list)
    sensor_columns: tuple[int, ...] = ()
    sensors: list[str] = field(default_factory=list)
    zone: tzinfo | None = None
    date_order: DateOrder | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class LoggerFormat(ABC):
    """One vendor format. Subclasses set the class attributes and implement both methods."""

    name: ClassVar[str]
    label: ClassVar[str]
    signature: ClassVar[str]
    """What the detector looks for, shown in the "unknown file" error."""
    convention: ClassVar[DateOrder | None] = None
    """The vendor's date order, used when every date in a file is ambiguous."""

    @abstractmethod
    def detect(self, document: Document) -> float:
        """Confidence 0–1 that the document is in this format."""

    @abstractmethod
    def layout(self, document: Document, options: Options) -> Layout:
        """Read the headers. Raises LoggerFileError when a required header is missing."""

    def parse(self, document: Document, options: Options) -> ParseResult:
        """Parse the document into readings (see :func:`read_rows`)."""
        layout = self.layout(document, options)
        return read_rows(document, layout, options, format_name=self.name)


def find_row(rows: list[list[str]], predicate: Any, *, limit: int = HEAD_LINES) -> int | None:
    """Index of the first row (within ``limit``) for which ``predicate(row)`` is true."""
    for index, row in enumerate(rows[:limit]):
        if predicate(row):
            return index
    return None


def cell(row: list[str], index: int) -> str:
    return row[index] if index < len(row) else ""


def channel_for(index: int, header: str, sensor: str | None = None) -> Channel | None:
    """A channel for a header like ``Temp, °F (…)`` or ``Humidity (RH(%))``; None if unknown."""
    name, unit_text = split_header(header)
    quantity = column_quantity(name, unit_text)
    if quantity is None:
        return None
    return Channel(index, header.strip(), quantity, sensor)


def ignored_columns_warning(headers: list[str]) -> str:
    """Warning naming columns that were not understood and therefore not imported."""
    return _("Columns not imported (quantity or unit not recognised): %(columns)s.") % {
        "columns": ", ".join(repr(header) for header in headers)
    }


def _reject_reason(value: float, quantity: str, unit: str) -> str:
    if math.isnan(value):
        return _("The value is not a number (NaN).")
    spec = QUANTITIES[quantity]
    if math.isinf(spec.maximum) and value < spec.minimum:
        return _("%(value)g %(unit)s is impossible: the value cannot be below %(low)g.") % {
            "value": value,
            "unit": unit,
            "low": spec.minimum,
        }
    return _("%(value)g %(unit)s is outside the possible range %(low)g to %(high)g %(unit)s.") % {
        "value": value,
        "unit": unit,
        "low": spec.minimum,
        "high": spec.maximum,
    }


def read_rows(
    document: Document, layout: Layout, options: Options, *, format_name: str
) -> ParseResult:
    """Turn the data rows of ``layout`` into readings, rejected rows, events and warnings.

    Rows with no time and no values (blank, trailing, separator rows) are skipped silently.
    Raises LoggerFileError when the time column cannot be read at all or no zone is known.
    """
    rows = document.rows
    result = ParseResult(format=format_name, metadata=dict(layout.metadata))
    result.warnings.extend(layout.warnings)
    time_columns = layout.time_columns
    single_time = time_columns[0] if len(time_columns) == 1 else -1

    def time_text(row: list[str]) -> str:
        if single_time >= 0:
            return row[single_time].strip() if single_time < len(row) else ""
        return " ".join(cell(row, i).strip() for i in time_columns).strip()

    data_rows = range(layout.data_start, len(rows))
    parser, warnings = TimestampParser.for_values(
        [time_text(rows[i]) for i in data_rows if rows[i]],
        convention=options.date_order or layout.date_order,
    )
    result.warnings.extend(warnings)
    zone = layout.zone or options.zone
    if (
        layout.zone is not None
        and options.zone is not None
        and str(layout.zone) != str(options.zone)
    ):
        result.warnings.append(
            _("The file states its own time zone; the time zone given for the import was not used.")
        )
    converters: dict[str | None, LocalToUtc] = {}
    # A fixed offset (HOBOware "GMT-05:00") needs no per-sensor DST state: subtract it inline.
    fixed_offset = zone.utcoffset(None) if zone is not None and is_fixed(zone) else None
    channels = [
        (
            channel.index,
            channel.header,
            channel.quantity.quantity,
            channel.quantity.unit,
            channel.quantity.source_unit
            if channel.quantity.source_unit != channel.quantity.unit
            else "",
            channel.quantity.scale,
            channel.quantity.offset,
            QUANTITIES[channel.quantity.quantity].minimum,
            QUANTITIES[channel.quantity.quantity].maximum,
            channel.sensor,
            decimal_comma_in(cell(rows[i], channel.index) for i in data_rows[:500] if rows[i]),
        )
        for channel in layout.channels
    ]
    sensors: dict[str, None] = dict.fromkeys(layout.sensors)
    readings = result.readings
    append = readings.append
    new_reading = tuple.__new__
    rejected = result.rejected
    highest_time: dict[str | None, datetime] = {}
    backwards_rows: list[int] = []
    monotonic = True
    sensor_columns = layout.sensor_columns
    utc = UTC
    for index in data_rows:
        row = rows[index]
        if not any(row):
            continue
        row_number = index + 1
        if single_time >= 0:
            text = row[single_time] if single_time < len(row) else ""
            if text[:1].isspace() or text[-1:].isspace():
                text = text.strip()
        else:
            text = time_text(row)
        if not text:
            if any(cell(row, c[0]).strip() for c in channels):
                rejected.append(
                    RejectedRow(row_number, layout.time_header, _("The time is empty."))
                )
            continue
        row_sensor: str | None = None
        if sensor_columns:
            row_sensor = " - ".join(cell(row, i).strip() for i in sensor_columns) or None
            if row_sensor is not None and row_sensor not in sensors:
                sensors[row_sensor] = None
        try:
            local, value_zone = parser.parse(text)
            if value_zone is not None:
                moment = local.replace(tzinfo=value_zone).astimezone(utc)
            elif fixed_offset is not None:
                moment = (local - fixed_offset).replace(tzinfo=utc)
            else:
                converter = converters.get(row_sensor)
                if converter is None:
                    if zone is None:
                        raise LoggerFileError(
                            _(
                                "The file does not say which time zone its times are in "
                                "(row %(row)d, column %(field)s); give the time zone."
                            )
                            % {"row": row_number, "field": layout.time_header}
                        )
                    converter = converters[row_sensor] = LocalToUtc(zone)
                moment = converter(local)
        except NonexistentLocalTime:
            rejected.append(
                RejectedRow(
                    row_number,
                    layout.time_header,
                    _(
                        "%(value)r does not exist in the time zone %(zone)s: the clocks went "
                        "forward then (daylight-saving time)."
                    )
                    % {"value": text, "zone": str(zone)},
                )
            )
            continue
        except (ValueError, OverflowError):
            rejected.append(
                RejectedRow(
                    row_number,
                    layout.time_header,
                    _("%(value)r is not a valid time in this file's layout.") % {"value": text},
                )
            )
            continue
        flags: tuple[str, ...] = ()
        highest = highest_time.get(row_sensor)
        if highest is None or moment > highest:
            highest_time[row_sensor] = moment
        else:
            monotonic = False
            if moment < highest:
                # Behind the latest time already seen: the logger clock was reset (Rotronic,
                # heritage.md §4.2 (h)) or rows were re-ordered. Keep the data, flag it, say where.
                flags = ("clock_reset",)
                backwards_rows.append(row_number)
        for (
            column,
            header,
            quantity,
            unit,
            source_unit,
            scale,
            offset,
            low,
            high,
            channel_sensor,
            decimal_comma,
        ) in channels:
            raw = row[column] if column < len(row) else ""
            if not raw:
                continue
            try:
                value = float(raw)
            except ValueError:
                if not raw.strip():
                    continue
                try:
                    value = parse_number(raw, decimal_comma=decimal_comma)
                except ValueError:
                    rejected.append(
                        RejectedRow(
                            row_number,
                            header,
                            _("%(value)r is not a number.") % {"value": raw},
                        )
                    )
                    continue
            if scale != 1.0 or offset:
                value = value * scale + offset
            if not low <= value <= high:
                rejected.append(
                    RejectedRow(row_number, header, _reject_reason(value, quantity, unit))
                )
                continue
            # tuple.__new__ directly: the NamedTuple constructor's Python-level wrapper cost
            # more than everything else per reading (a year of 5-minute data is 210,000).
            append(
                new_reading(
                    Reading,
                    (
                        channel_sensor or row_sensor,
                        quantity,
                        moment,
                        value,
                        unit,
                        row_number,
                        source_unit,
                        flags,
                    ),
                )
            )
        for event in layout.events:
            if cell(row, event.index).strip():
                result.events.append(
                    LoggerEvent(event.sensor or row_sensor, event.name, moment, row_number)
                )
    result.sensors = list(sensors)
    if backwards_rows:
        result.warnings.append(
            _(
                "Time goes backwards at %(count)d row(s), first at row %(row)d (logger clock "
                "reset?); those readings are flagged clock_reset."
            )
            % {"count": len(backwards_rows), "row": backwards_rows[0]}
        )
    if not monotonic:
        _collapse_duplicates(result)
    if not result.readings and not result.rejected and not result.events:
        result.warnings.append(_("The file has headers but no data rows."))
    return result


def _collapse_duplicates(result: ParseResult) -> None:
    """Keep the first reading per (sensor, quantity, time); sort by time; warn with counts."""
    seen: dict[tuple[str | None, str, datetime], float] = {}
    kept: list[Reading] = []
    duplicates = conflicting = 0
    for reading in result.readings:
        key = (reading.sensor, reading.quantity, reading.time)
        if key in seen:
            duplicates += 1
            conflicting += seen[key] != reading.value
            continue
        seen[key] = reading.value
        kept.append(reading)
    kept.sort(key=lambda reading: reading.time)
    result.readings = kept
    if duplicates:
        result.warnings.append(
            _(
                "%(count)d duplicate reading(s) (same sensor, quantity and time) were collapsed "
                "to the first; %(conflicting)d of them had a different value."
            )
            % {"count": duplicates, "conflicting": conflicting}
        )
