"""Gemini Tinytag Explorer CSV export (heritage.md §4.2 (c)).

Five metadata rows (header, S/N, Type, Description, Property) precede the data, and the unit
is written inside every value (``13.1 °C``, ``56.3 %RH``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _

from taihe.modules.conservation.ingest.errors import LoggerFileError
from taihe.modules.conservation.ingest.formats.base import (
    Channel,
    Document,
    Layout,
    LoggerFormat,
    Options,
    cell,
    find_row,
    ignored_columns_warning,
)
from taihe.modules.conservation.ingest.formats.registry import register
from taihe.modules.conservation.ingest.timestamps import DateOrder
from taihe.modules.conservation.ingest.units import column_quantity, value_suffix_unit


def _first_cell_is(name: str) -> Callable[[list[str]], bool]:
    return lambda row: bool(row) and row[0].strip().lower() == name


@register
class TinytagCsv(LoggerFormat):
    """Tinytag Explorer "Export to CSV"."""

    name = "tinytag"
    label = "Tinytag Explorer CSV"
    signature = '"S/N,," and "Property,," rows above the data'
    # Gemini is a UK vendor; other exports use "%d/%m/%Y %H:%M:%S" (heritage.md §4.2 (c)).
    convention = DateOrder.DAY_FIRST

    def detect(self, document: Document) -> float:
        serial = find_row(document.rows, _first_cell_is("s/n"))
        prop = find_row(document.rows, _first_cell_is("property"))
        if serial is not None and prop is not None:
            return 0.95
        return 0.4 if serial is not None else 0.0

    def layout(self, document: Document, options: Options) -> Layout:
        rows = document.rows
        prop_index = find_row(rows, _first_cell_is("property"))
        if prop_index is None:
            raise LoggerFileError(_('No "Property" row in the first 30 lines.'))
        meta = {
            row[0].strip().lower(): row for row in rows[: prop_index + 1] if row and row[0].strip()
        }
        header = rows[0]
        time_column = next(
            (i for i, text in enumerate(header) if text.strip().lower() == "time"), 1
        )
        data_start = prop_index + 1
        channels: list[Channel] = []
        sensors: list[str] = []
        labels: dict[str, str] = {}
        ignored: list[str] = []
        prop = rows[prop_index]
        for index in range(time_column + 1, len(prop)):
            name = prop[index].strip()
            if not name:
                continue
            sensor = cell(meta.get("s/n", []), index).strip() or None
            if sensor and sensor not in sensors:
                sensors.append(sensor)
            description = cell(meta.get("description", []), index).strip()
            if sensor and description:
                labels[sensor] = description
            sample = next(
                (
                    cell(row, index)
                    for row in rows[data_start : data_start + 50]
                    if cell(row, index)
                ),
                "",
            )
            quantity = column_quantity(name, value_suffix_unit(sample))
            if quantity is None:
                ignored.append(name)
                continue
            channels.append(Channel(index, name, quantity, sensor))
        models = {cell(meta.get("type", []), c.index).strip() for c in channels} - {""}
        return Layout(
            data_start=data_start,
            time_columns=(time_column,),
            time_header=header[time_column].strip() if time_column < len(header) else "Time",
            channels=channels,
            sensors=sensors,
            date_order=self.convention,
            metadata={"labels": labels, "models": sorted(models)},
            warnings=[ignored_columns_warning(ignored)] if ignored else [],
        )
