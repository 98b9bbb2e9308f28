"""Hanwell stand-alone logger export (heritage.md §4.2 (d)): ``key:,value`` metadata, time first."""

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


def _is_header(row: list[str]) -> bool:
    return bool(row) and row[0].strip().lower() == "time" and len(row) > 1


@register
class HanwellCsv(LoggerFormat):
    """Hanwell logger CSV ("Database Valid", "Serial No:", "Time, Temperature (C),…")."""

    name = "hanwell"
    label = "Hanwell CSV"
    signature = '"Database Valid" line, "Serial No:," and "Data Starts:," metadata'
    # UK vendor; "00:00:00 21/Nov/2025" (heritage.md §4.2 (d)).
    convention = DateOrder.DAY_FIRST

    def detect(self, document: Document) -> float:
        text = document.head_text()
        if "Database Valid" in text:
            return 0.95
        return 0.8 if "Serial No:" in text and "Data Starts:" in text else 0.0

    def layout(self, document: Document, options: Options) -> Layout:
        rows = document.rows
        header_index = find_row(rows, _is_header)
        if header_index is None:
            raise LoggerFileError(_('No "Time, …" header row in the first 30 lines.'))
        metadata: dict[str, str] = {}
        for row in rows[:header_index]:
            if len(row) >= 2 and row[0].strip().endswith(":"):
                metadata[row[0].strip().rstrip(":")] = row[1].strip()
        serial = metadata.get("Serial No") or None
        header = rows[header_index]
        channels: list[Channel] = []
        ignored: list[str] = []
        for index, text in enumerate(header[1:], start=1):
            if not text.strip():
                continue  # the trailing comma
            channel = channel_for(index, text, serial)
            if channel is None:
                ignored.append(text)
            else:
                channels.append(channel)
        return Layout(
            data_start=header_index + 1,
            time_columns=(0,),
            time_header=header[0].strip(),
            channels=channels,
            sensors=[serial] if serial else [],
            date_order=self.convention,
            metadata={"header": metadata},
            warnings=[ignored_columns_warning(ignored)] if ignored else [],
        )
