"""Any CSV/XLSX with a time column and value columns: driven by a column mapping, or guessed.

The mapping is what the upload dialog produces from :func:`guess_columns`::

    {"time": "Timestamp" | ["Date", "Time"],
     "columns": {"Temp (F)": {"quantity": "temperature", "unit": "°F"}, ...},
     "sensor": "Logger" | ["Receiver", "Transmitter"],      # optional
     "date_order": "DMY" | "MDY" | "YMD"}                    # optional
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from taihe.modules.conservation.ingest.errors import LoggerFileError
from taihe.modules.conservation.ingest.formats.base import (
    Channel,
    Document,
    Layout,
    LoggerFormat,
    Options,
    cell,
    channel_for,
    find_row,
    ignored_columns_warning,
)
from taihe.modules.conservation.ingest.formats.registry import register
from taihe.modules.conservation.ingest.timestamps import DateOrder, zone_from_header
from taihe.modules.conservation.ingest.units import explicit_quantity

# Header keywords for the time column (heritage.md §4.3 item 3), several languages.
_TIME_WORDS = re.compile(r"date|time|timestamp|zeit|datum|fecha|heure|日期|时间|時間|时刻", re.I)
_DATE_ONLY = re.compile(r"^(date|datum|fecha|日期)$", re.I)
_CLOCK_ONLY = re.compile(r"^(time|zeit|heure|uhrzeit|时间|時間)$", re.I)
_SENSOR_WORDS = re.compile(
    r"^(sensor|logger|serial|serial number|device|transmitter|receiver|channel|location|"
    r"sensor id|传感器|设备|位置)$",
    re.I,
)
_INDEX_WORDS = re.compile(r"^(#|no\.?|index|vario|id|row|序号)$", re.I)
_CLOCK_VALUE = re.compile(r"^\s*\d{1,2}:\d{2}(:\d{2})?\s*\S*\s*$")
# Excel serial day numbers 10000–99999 are the years 1927–2173: any logger's range.
_EXCEL_SERIAL = re.compile(r"^\d{5}(\.\d+)?$")
_DATE_VALUE = re.compile(r"\d{1,4}[/.\-年]\s*(\d{1,2}|[^\W\d_]{3,9})\.?\s*[/.\-月]\s*\d{1,4}")


@dataclass(frozen=True, slots=True)
class DetectedColumn:
    """A column as the mapping dialog shows it, with the role the parser guesses.

    ``role`` is one of ``time`` (date and time together), ``date``, ``clock`` (time of day
    only), ``sensor``, ``quantity``, ``index`` or ``unknown``.
    """

    index: int
    name: str
    role: str
    quantity: str | None
    unit: str | None
    sample: str


def _is_header(row: list[str]) -> bool:
    return any(_TIME_WORDS.search(text) for text in row if len(text) < 80) and len(row) > 1


def guess_columns(document: Document) -> tuple[int, list[DetectedColumn]]:
    """Find the header row by keyword and guess each column's role from its name and a sample.

    Raises LoggerFileError when no header row names a date or time in the first 30 lines.
    """
    header_index = find_row(document.rows, _is_header)
    if header_index is None:
        raise LoggerFileError(
            _("No header row naming a date or time column in the first 30 lines.")
        )
    header = document.rows[header_index]
    sample_row = next((row for row in document.rows[header_index + 1 :] if any(row)), [])
    columns: list[DetectedColumn] = []
    for index, text in enumerate(header):
        name = text.strip()
        sample = cell(sample_row, index).strip()
        quantity = unit = None
        if _INDEX_WORDS.match(name):
            role = "index"
        elif _DATE_ONLY.match(name):
            role = "date"
        elif _CLOCK_ONLY.match(name) and _CLOCK_VALUE.match(sample):
            role = "clock"
        elif _TIME_WORDS.search(name) and (
            _DATE_VALUE.search(sample) or _EXCEL_SERIAL.match(sample) or not sample
        ):
            role = "time"
        elif _SENSOR_WORDS.match(name):
            role = "sensor"
        else:
            channel = channel_for(index, name)
            if channel is not None:
                role, quantity, unit = "quantity", channel.quantity.quantity, channel.quantity.unit
            else:
                role = "unknown"
        columns.append(DetectedColumn(index, name, role, quantity, unit, sample))
    return header_index, columns


def _names(value: Any, what: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence) and value and all(isinstance(v, str) for v in value):
        return list(value)
    raise LoggerFileError(
        _("The column mapping's %(what)s must be a column name or a list of names.")
        % {"what": what}
    )


def _index_of(header: list[str], name: str) -> int:
    stripped = [text.strip() for text in header]
    if name.strip() not in stripped:
        raise LoggerFileError(
            _("The column %(name)r named in the column mapping is not in the header row.")
            % {"name": name}
        )
    return stripped.index(name.strip())


@register
class GenericTable(LoggerFormat):
    """Any table: a column mapping from the upload dialog, or the guessed roles."""

    name = "generic"
    label = "CSV/XLSX with a column mapping"
    signature = "a header row naming a date/time column and columns with known quantities"
    convention = None

    def detect(self, document: Document) -> float:
        try:
            _index, columns = guess_columns(document)
        except LoggerFileError:
            return 0.0
        roles = {column.role for column in columns}
        # Below every vendor signature: the generic reading is the fallback.
        return 0.3 if "quantity" in roles and roles & {"time", "date"} else 0.0

    def layout(self, document: Document, options: Options) -> Layout:
        if options.column_mapping is not None:
            return self._mapped_layout(document, options.column_mapping)
        header_index, columns = guess_columns(document)
        header = document.rows[header_index]
        time_columns = tuple(c.index for c in columns if c.role == "time")[:1] or tuple(
            c.index for c in columns if c.role in {"date", "clock"}
        )
        if not time_columns:
            raise LoggerFileError(_("No date or time column was recognised."))
        channels = [
            channel
            for c in columns
            if c.role == "quantity" and (channel := channel_for(c.index, c.name)) is not None
        ]
        ignored = [c.name for c in columns if c.role == "unknown" and c.name]
        return Layout(
            data_start=header_index + 1,
            time_columns=time_columns,
            time_header=", ".join(header[i].strip() for i in time_columns),
            channels=channels,
            sensor_columns=tuple(c.index for c in columns if c.role == "sensor"),
            zone=zone_from_header(" ".join(header[i] for i in time_columns)),
            warnings=[ignored_columns_warning(ignored)] if ignored else [],
        )

    def _mapped_layout(self, document: Document, mapping: Mapping[str, Any]) -> Layout:
        if "time" not in mapping or not isinstance(mapping.get("columns"), Mapping):
            raise LoggerFileError(
                _('The column mapping needs "time" and "columns" (column → quantity and unit).')
            )
        time_names = _names(mapping["time"], "time")
        wanted = {name.strip() for name in time_names}
        header_index = find_row(
            document.rows, lambda row: wanted <= {text.strip() for text in row}, limit=100
        )
        if header_index is None:
            raise LoggerFileError(
                _("No header row in the first 100 lines has the time column(s) %(names)s.")
                % {"names": ", ".join(time_names)}
            )
        header = document.rows[header_index]
        channels: list[Channel] = []
        for name, spec in mapping["columns"].items():
            quantity_code = spec.get("quantity") if isinstance(spec, Mapping) else None
            unit = spec.get("unit", "") if isinstance(spec, Mapping) else None
            if not isinstance(quantity_code, str) or not isinstance(unit, str):
                raise LoggerFileError(
                    _("The mapping for column %(name)r needs a quantity and a unit.")
                    % {"name": name}
                )
            quantity = explicit_quantity(quantity_code, unit)
            if quantity is None:
                raise LoggerFileError(
                    _("Column %(name)r: %(unit)r is not a unit for the quantity %(quantity)r.")
                    % {"name": name, "unit": unit, "quantity": quantity_code}
                )
            channels.append(Channel(_index_of(header, str(name)), str(name), quantity))
        sensor_names = _names(mapping["sensor"], "sensor") if mapping.get("sensor") else []
        order_text = mapping.get("date_order")
        try:
            order = DateOrder(order_text) if order_text else None
        except ValueError as exc:
            raise LoggerFileError(
                _("The date order must be DMY, MDY or YMD, not %(order)r.") % {"order": order_text}
            ) from exc
        time_columns = tuple(_index_of(header, name) for name in time_names)
        return Layout(
            data_start=header_index + 1,
            time_columns=time_columns,
            time_header=", ".join(time_names),
            channels=channels,
            sensor_columns=tuple(_index_of(header, name) for name in sensor_names),
            zone=zone_from_header(" ".join(header[i] for i in time_columns)),
            date_order=order,
        )
