"""Onset HOBO exports: HOBOware desktop CSV and HOBOconnect/HOBOlink CSV (heritage.md §4.2 a, b)."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from taihe.modules.conservation.ingest.errors import LoggerFileError
from taihe.modules.conservation.ingest.formats.base import (
    Channel,
    Document,
    EventColumn,
    Layout,
    LoggerFormat,
    Options,
    channel_for,
    find_row,
    ignored_columns_warning,
)
from taihe.modules.conservation.ingest.formats.registry import register
from taihe.modules.conservation.ingest.timestamps import DateOrder, zone_from_header

# HOBOware serial and label (heritage.md §4.2 (a)): the sensor serial identifies the channel's
# logger; with no "SEN S/N" the logger serial does.
_SENSOR_SERIAL = re.compile(r"SEN S/N:\s*([^,)]+)")
_LOGGER_SERIAL = re.compile(r"(?:LGR S/N|Serial Number):\s*([^,)]+)")
_LABEL = re.compile(r"LBL:\s*(.+?)\)")
# Events HOBOware writes as columns whose cells hold "Logged" (heritage.md §4.2 (a)).
_EVENTS = (
    "coupler detached",
    "coupler attached",
    "host connected",
    "stopped",
    "end of file",
    "button down",
    "button up",
    "good battery",
    "bad battery",
    "sensor data error",
    "started",
    "chan 1",
)


def _serial(header: str) -> str | None:
    match = _SENSOR_SERIAL.search(header) or _LOGGER_SERIAL.search(header)
    return match.group(1).strip() if match else None


def _event_name(header: str) -> str | None:
    name = header.split("(", 1)[0].strip()
    return name if name.lower() in _EVENTS else None


def _hobo_columns(
    header: list[str], time_column: int, *, default_sensor: str | None
) -> tuple[list[Channel], list[EventColumn], list[str], dict[str, str], list[str]]:
    channels: list[Channel] = []
    events: list[EventColumn] = []
    sensors: list[str] = []
    labels: dict[str, str] = {}
    ignored: list[str] = []
    for index, text in enumerate(header):
        if index == time_column or text.strip() in {"#", ""}:
            continue
        sensor = _serial(text) or default_sensor
        if sensor is not None and sensor not in sensors:
            sensors.append(sensor)
        label = _LABEL.search(text)
        if label and sensor:
            labels[sensor] = label.group(1).strip()
        event = _event_name(text)
        if event is not None:
            events.append(EventColumn(index, event, sensor))
            continue
        channel = channel_for(index, text, sensor)
        if channel is None:
            ignored.append(text)
        else:
            channels.append(channel)
    return channels, events, sensors, labels, ignored


@register
class HobowareCsv(LoggerFormat):
    """HOBOware "Export Table Data" CSV/TXT."""

    name = "hoboware"
    label = "HOBOware CSV"
    signature = '"Date Time, GMT±hh:mm" column, optional "Plot Title:" line, "LGR S/N" headers'
    # HOBOware's default "%m/%d/%y %I:%M:%S %p" (heritage.md §4.2 (a)).
    convention = DateOrder.MONTH_FIRST

    def detect(self, document: Document) -> float:
        header = find_row(document.rows, _has_date_time)
        if header is None:
            return 0.0
        text = ",".join(document.rows[header])
        if "LGR S/N" in text or any("Plot Title" in ",".join(r) for r in document.rows[:header]):
            return 0.95
        return 0.7 if "GMT" in text else 0.5

    def layout(self, document: Document, options: Options) -> Layout:
        header_index = find_row(document.rows, _has_date_time)
        if header_index is None:
            raise LoggerFileError(_('No "Date Time" column header in the first 30 lines.'))
        header = document.rows[header_index]
        time_column = next(i for i, text in enumerate(header) if _is_date_time(text))
        title = next(
            (
                ",".join(row).split("Plot Title:", 1)[1].strip(' "')
                for row in document.rows[:header_index]
                if "Plot Title:" in ",".join(row)
            ),
            None,
        )
        channels, events, sensors, labels, ignored = _hobo_columns(
            header, time_column, default_sensor=None
        )
        warnings = [ignored_columns_warning(ignored)] if ignored else []
        metadata: dict[str, object] = {"labels": labels}
        if title:
            metadata["title"] = title
        return Layout(
            data_start=header_index + 1,
            time_columns=(time_column,),
            time_header=header[time_column].strip(),
            channels=channels,
            events=events,
            sensors=sensors,
            zone=zone_from_header(header[time_column]),
            date_order=self.convention,
            metadata=metadata,
            warnings=warnings,
        )


def _is_date_time(text: str) -> bool:
    return text.strip().lower().startswith("date time")


def _has_date_time(row: list[str]) -> bool:
    return any(_is_date_time(text) for text in row)


def _is_connect_time(text: str) -> bool:
    lowered = text.strip().lower()
    return lowered.startswith("date-time") or lowered == "date time"


def _has_connect_time(row: list[str]) -> bool:
    return any(_is_connect_time(text) for text in row)


# "BSR-H1 2025-03-19 12_50_32 EDT.xlsx": logger name, then the export time (heritage.md §4.2 b).
_EXPORT_SUFFIX = re.compile(r"\s+\d{4}-\d{2}-\d{2}\s+\d{2}_\d{2}_\d{2}(?:\s+\S+)?$")


def logger_name_from_filename(filename: str) -> str | None:
    """The HOBOconnect logger name in an export file name, or None when the name is empty."""
    stem = filename.replace("\\", "/").rsplit("/", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    stem = _EXPORT_SUFFIX.sub("", stem).strip()
    return stem or None


@register
class HoboconnectCsv(LoggerFormat):
    """HOBOconnect / HOBOlink export (MX series), CSV or XLSX sheet "Data"."""

    name = "hoboconnect"
    label = "HOBOconnect CSV/XLSX"
    signature = '"Date-Time (EDT)" column, "Temperature , °C" or "Ch:1 - Temperature (°C)"'
    # US app writing "05/15/2026 12:00:00".
    convention = DateOrder.MONTH_FIRST

    def detect(self, document: Document) -> float:
        index = find_row(document.rows, _has_connect_time)
        if index is None:
            return 0.0
        text = ",".join(document.rows[index])
        if "Date-Time" in text:
            return 0.95
        return 0.85 if "Ch:" in text or " , " in text else 0.0

    def layout(self, document: Document, options: Options) -> Layout:
        header_index = find_row(document.rows, _has_connect_time)
        if header_index is None:
            raise LoggerFileError(_('No "Date-Time" column header in the first 30 lines.'))
        header = document.rows[header_index]
        time_column = next(i for i, text in enumerate(header) if _is_connect_time(text))
        name = logger_name_from_filename(document.filename)
        channels, events, sensors, _labels, ignored = _hobo_columns(
            header, time_column, default_sensor=name
        )
        if name and name not in sensors:
            sensors.insert(0, name)
        return Layout(
            data_start=header_index + 1,
            time_columns=(time_column,),
            time_header=header[time_column].strip(),
            channels=channels,
            events=events,
            sensors=sensors,
            zone=zone_from_header(header[time_column]),
            date_order=self.convention,
            warnings=[ignored_columns_warning(ignored)] if ignored else [],
        )
