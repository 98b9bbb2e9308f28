"""Lascar EasyLog USB export (heritage.md §4.2 (f)): serial number on the first data row."""

from __future__ import annotations

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
from taihe.modules.conservation.ingest.timestamps import DateOrder


def _lower(row: list[str]) -> list[str]:
    return [text.strip().lower() for text in row]


def _is_header(row: list[str]) -> bool:
    cells = _lower(row)
    return "time" in cells and "serial number" in cells


@register
class LascarEasyLog(LoggerFormat):
    """EasyLog USB CSV ("Vario,Time,Celsius(deg C),…,Serial Number")."""

    name = "lascar"
    label = "Lascar EasyLog CSV"
    signature = '"Vario,Time,Celsius(deg C),…,Serial Number" header'
    # "29/07/2010 12:58:03" in the geomagpy/magpy reader (heritage.md §4.2 (f)); UK vendor.
    convention = DateOrder.DAY_FIRST

    def detect(self, document: Document) -> float:
        index = find_row(document.rows, _is_header)
        if index is None:
            return 0.0
        return 0.95 if _lower(document.rows[index])[0] == "vario" else 0.75

    def layout(self, document: Document, options: Options) -> Layout:
        rows = document.rows
        header_index = find_row(rows, _is_header)
        if header_index is None:
            raise LoggerFileError(_('No "Time, …, Serial Number" header row.'))
        header = rows[header_index]
        names = _lower(header)
        time_column, serial_column = names.index("time"), names.index("serial number")
        first_data = next((row for row in rows[header_index + 1 :] if any(row)), [])
        serial = cell(first_data, serial_column).strip() or None
        channels: list[Channel] = []
        ignored: list[str] = []
        for index, text in enumerate(header):
            if index in {time_column, serial_column} or names[index] in {"vario", ""}:
                continue
            channel = channel_for(index, text, serial)
            if channel is None:
                ignored.append(text)
            else:
                channels.append(channel)
        return Layout(
            data_start=header_index + 1,
            time_columns=(time_column,),
            time_header=header[time_column].strip(),
            channels=channels,
            sensors=[serial] if serial else [],
            date_order=self.convention,
            warnings=[ignored_columns_warning(ignored)] if ignored else [],
        )
