"""Rotronic HW4 / HygroLog CSV (heritage.md §4.2 (h)): INI-like sections ``[#I]``…``[#D]``."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from taihe.modules.conservation.ingest.errors import LoggerFileError
from taihe.modules.conservation.ingest.formats.base import (
    Channel,
    Document,
    Layout,
    LoggerFormat,
    Options,
    ignored_columns_warning,
)
from taihe.modules.conservation.ingest.formats.registry import register
from taihe.modules.conservation.ingest.timestamps import DateOrder
from taihe.modules.conservation.ingest.units import column_quantity

# The [#D] data section may start far down when a logger has many channels.
_SECTION_SCAN = 500


_SECTION = re.compile(r"^\s*(\[#\w+\])")


def _section(row: list[str]) -> str | None:
    """``"[#S]Device Information"`` → ``"[#S]"``; None for a row that opens no section."""
    match = _SECTION.match(row[0]) if row else None
    return match.group(1) if match else None


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


@register
class RotronicCsv(LoggerFormat):
    """HW4 "Export to CSV" of a HygroLog logger."""

    name = "rotronic"
    label = "Rotronic HW4 CSV"
    signature = "sections [#I] [#S] [#1] [#H] [#D]"
    convention = DateOrder.DAY_FIRST  # Swiss vendor; "24/01/2020" in the sample

    def detect(self, document: Document) -> float:
        sections = {_section(row) for row in document.head}
        if "[#I]" in sections or "[#S]" in sections:
            return 0.95
        return 0.0

    def layout(self, document: Document, options: Options) -> Layout:
        rows = document.rows
        section = ""
        serial: str | None = None
        units: dict[str, str] = {}
        alarms: dict[str, dict[str, float]] = {}
        channel_name = ""
        header: list[str] | None = None
        data_start: int | None = None
        for index, row in enumerate(rows[:_SECTION_SCAN]):
            name = _section(row)
            if name is not None:
                section, channel_name = name, ""
                if section == "[#D]":
                    data_start = index + 1
                    break
                continue
            first = row[0].strip() if row else ""
            if not first:
                continue
            key, _sep, value = (part.strip() for part in first.partition("="))
            if section == "[#S]" and key == "Serial Number":
                serial = value
            elif section == "[#H]" and header is None:
                header = row
            elif section[2:-1].isdigit() and _sep:
                if not channel_name:
                    channel_name, units[key] = key, value
                else:
                    # "Low/High Alarm Threshold": the logger's own alarm band.
                    bound = _number(value)
                    if bound is not None and "Alarm" in key:
                        alarms.setdefault(channel_name, {})["low" if "Low" in key else "high"] = (
                            bound
                        )
        if header is None or data_start is None:
            raise LoggerFileError(_("The [#H] header or [#D] data section is missing."))
        lowered = [text.strip().lower() for text in header]
        if "date" not in lowered or "time" not in lowered:
            raise LoggerFileError(_('The [#H] header has no "Date" and "Time" columns.'))
        channels: list[Channel] = []
        ignored: list[str] = []
        thresholds: dict[str, dict[str, float]] = {}
        for index, text in enumerate(header):
            name = text.strip()
            if lowered[index] in {"date", "time", ""}:
                continue
            quantity = column_quantity(name, units.get(name, ""))
            if quantity is None:
                ignored.append(name)
                continue
            channels.append(Channel(index, name, quantity, serial))
            if name in alarms:
                thresholds[quantity.quantity] = alarms[name]
        return Layout(
            data_start=data_start,
            time_columns=(lowered.index("date"), lowered.index("time")),
            time_header="Date, Time",
            channels=channels,
            sensors=[serial] if serial else [],
            date_order=self.convention,
            metadata={"alarm_thresholds": thresholds},
            warnings=[ignored_columns_warning(ignored)] if ignored else [],
        )
