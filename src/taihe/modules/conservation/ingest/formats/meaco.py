"""Meaco receiver exports (heritage.md §4.2 (e)): long format keyed by receiver + transmitter,
and the newer one-sensor file with a title line."""

from __future__ import annotations

from django.utils.translation import gettext as _

from taihe.modules.conservation.ingest.errors import LoggerFileError
from taihe.modules.conservation.ingest.formats.base import (
    Channel,
    Document,
    Layout,
    LoggerFormat,
    Options,
    channel_for,
    find_row,
    ignored_columns_warning,
)
from taihe.modules.conservation.ingest.formats.registry import register
from taihe.modules.conservation.ingest.timestamps import DateOrder


def _upper(row: list[str]) -> list[str]:
    return [text.strip().upper() for text in row]


def _is_long_header(row: list[str]) -> bool:
    cells = _upper(row)
    return "RECEIVER" in cells and "TRANSMITTER" in cells and "DATE" in cells


def _is_new_header(row: list[str]) -> bool:
    return bool(row) and row[0].strip().lower() == "timestamp"


def _channels(
    header: list[str], skip: set[int], sensor: str | None
) -> tuple[list[Channel], list[str]]:
    channels: list[Channel] = []
    ignored: list[str] = []
    for index, text in enumerate(header):
        if index in skip or not text.strip():
            continue
        # Meaco writes bare names; units are the vendor's fixed ones (°C, %, lx, µW/lm).
        channel = channel_for(index, text, sensor)
        if channel is None:
            ignored.append(text)
        else:
            channels.append(channel)
    return channels, ignored


@register
class MeacoCsv(LoggerFormat):
    """Meaco CSV, both layouts."""

    name = "meaco"
    label = "Meaco CSV"
    signature = '"RECEIVER,TRANSMITTER,DATE" header, or a "… - ID: nn" title then "Timestamp"'
    # UK vendor; the newer files write "31/12/2025 00:04" (heritage.md §4.2 (e)).
    convention = DateOrder.DAY_FIRST

    def detect(self, document: Document) -> float:
        if find_row(document.rows, _is_long_header) is not None:
            return 0.95
        rows = document.rows
        if len(rows) >= 2 and rows[0] and "ID:" in rows[0][0] and _is_new_header(rows[1]):
            return 0.9
        return 0.0

    def layout(self, document: Document, options: Options) -> Layout:
        rows = document.rows
        long_index = find_row(rows, _is_long_header)
        if long_index is not None:
            header = _upper(rows[long_index])
            receiver, transmitter, date = (
                header.index("RECEIVER"),
                header.index("TRANSMITTER"),
                header.index("DATE"),
            )
            channels, ignored = _channels(rows[long_index], {receiver, transmitter, date}, None)
            return Layout(
                data_start=long_index + 1,
                time_columns=(date,),
                time_header=rows[long_index][date].strip(),
                channels=channels,
                sensor_columns=(receiver, transmitter),
                date_order=self.convention,
                warnings=[ignored_columns_warning(ignored)] if ignored else [],
            )
        header_index = find_row(rows, _is_new_header)
        if header_index is None:
            raise LoggerFileError(_('No "RECEIVER,TRANSMITTER,DATE" or "Timestamp" header row.'))
        title = rows[0][0].strip() if header_index > 0 and rows[0] else ""
        sensor = title or None
        channels, ignored = _channels(rows[header_index], {0}, sensor)
        return Layout(
            data_start=header_index + 1,
            time_columns=(0,),
            time_header=rows[header_index][0].strip(),
            channels=channels,
            sensors=[sensor] if sensor else [],
            date_order=self.convention,
            warnings=[ignored_columns_warning(ignored)] if ignored else [],
        )
