"""T&D Graph export (TR-7x, ThermoRecorder) (heritage.md §4.2 (g)).

Three header rows: channel number, channel name, unit. Column 1 is the text time, column 2
the same instant as an Excel serial; the text one is used.
"""

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
    ignored_columns_warning,
)
from taihe.modules.conservation.ingest.formats.registry import register
from taihe.modules.conservation.ingest.timestamps import DateOrder
from taihe.modules.conservation.ingest.units import ColumnQuantity, column_quantity


def _is_first_header(row: list[str]) -> bool:
    return len(row) >= 3 and row[0].strip() == "Date/Time" and row[1].strip() == "Date/Time"


@register
class TandDCsv(LoggerFormat):
    """T&D Graph "Save as CSV"."""

    name = "tandd"
    label = "T&D Graph CSV"
    signature = '"Date/Time","Date/Time","No.1",… then channel-name and unit rows'
    convention = DateOrder.YEAR_FIRST

    def detect(self, document: Document) -> float:
        rows = document.rows
        if rows and _is_first_header(rows[0]):
            return 0.95
        return 0.0

    def layout(self, document: Document, options: Options) -> Layout:
        rows = document.rows
        if len(rows) < 3 or not _is_first_header(rows[0]):
            raise LoggerFileError(_('The first line is not "Date/Time","Date/Time",….'))
        names, units = rows[1], rows[2]
        channels: list[Channel] = []
        ignored: list[str] = []
        for index in range(2, len(rows[0])):
            name, unit = cell(names, index).strip(), cell(units, index).strip()
            quantity: ColumnQuantity | None = column_quantity(name, unit)
            if quantity is None and unit == "%":
                # T&D's only "%" channel is relative humidity (TR-72/74 series).
                quantity = column_quantity("RH", unit)
            header = f"{rows[0][index].strip()} {name} ({unit})"
            if quantity is None:
                ignored.append(header)
            else:
                channels.append(Channel(index, header, quantity))
        return Layout(
            data_start=3,
            time_columns=(0,),
            time_header=rows[0][0].strip(),
            channels=channels,
            date_order=self.convention,
            warnings=[ignored_columns_warning(ignored)] if ignored else [],
        )
