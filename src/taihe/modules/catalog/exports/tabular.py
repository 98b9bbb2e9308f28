"""Flat CSV and XLSX exports whose columns are the catalog import's field names.

An exported file can be edited in a spreadsheet and imported again: every column is one of
the import's documented fields, multi-valued fields are joined with ``"; "``, years are
historical (206 BCE is ``-206``), and texts are in the collection's working language with
English titles in ``title_en``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Final

from openpyxl import Workbook

from taihe.modules.catalog.exports import _shared as s
from taihe.modules.catalog.records import LangMap, ObjectRecord

ROW_FIELDS: Final[tuple[str, ...]] = (
    "object_number", "title", "title_en", "object_name", "object_type", "maker",
    "production_date", "period", "year_earliest", "year_latest", "medium", "materials",
    "dimensions", "description", "inscription", "credit_line", "acquisition_method",
    "acquisition_date", "grade", "status",
)

SEPARATOR = "; "


def _working_language(texts: LangMap) -> str:
    """The text in the working language: Chinese first, English only when nothing else."""
    return s.preferred_text(texts)


def _title(texts: LangMap) -> str:
    """The non-English title where there is one, else the English one."""
    others = {tag: text for tag, text in texts.items() if tag != "en"}
    return s.preferred_text(others) or texts.get("en", "").strip()


def _dimensions(record: ObjectRecord) -> str:
    text = _working_language(record.dimensions_text)
    if text:
        return text
    # No display text: write the structured values the way the import's dimension parser
    # reads them ("height 30.5 cm; width 20 cm").
    return SEPARATOR.join(
        f"{d.kind} {s.decimal_text(d.value)} {d.unit}" for d in record.dimensions
    )


def row(record: ObjectRecord) -> dict[str, str]:
    """One record as ``{field: text}`` over :data:`ROW_FIELDS` (missing values are "")."""
    return {
        "object_number": record.object_number,
        "title": _title(record.title),
        "title_en": record.title.get("en", "").strip(),
        "object_name": _working_language(record.object_name),
        "object_type": _working_language(record.object_type.label) if record.object_type else "",
        "maker": SEPARATOR.join(
            name for name in (_working_language(m.name) for m in record.makers) if name
        ),
        "production_date": record.production_date.strip(),
        "period": _working_language(record.period),
        "year_earliest": "" if record.year_earliest is None else str(record.year_earliest),
        "year_latest": "" if record.year_latest is None else str(record.year_latest),
        "medium": _working_language(record.medium),
        "materials": SEPARATOR.join(
            label for label in (_working_language(m.label) or m.code for m in record.materials)
        ),
        "dimensions": _dimensions(record),
        "description": _working_language(record.description),
        "inscription": SEPARATOR.join(
            text for text in (_working_language(i.text) for i in record.inscriptions) if text
        ),
        "credit_line": _working_language(record.credit_line),
        "acquisition_method": record.acquisition_method,
        "acquisition_date": record.acquisition_date.isoformat() if record.acquisition_date else "",
        "grade": record.grade,
        "status": record.status,
    }


def rows(records: Iterable[ObjectRecord]) -> Iterator[dict[str, str]]:
    """Each record flattened by :func:`row`, lazily, so a large export streams."""
    for record in records:
        yield row(record)


def write_csv(records: Iterable[ObjectRecord], stream: IO[str]) -> int:
    """Write a header and one row per record to a text stream; returns the number of rows.

    Open files with ``newline=""`` (the csv module's rule) and ``encoding="utf-8-sig"`` if
    the file is for Excel, which needs the BOM to read UTF-8. Raises ``OSError`` from the
    stream.
    """
    writer = csv.DictWriter(stream, fieldnames=ROW_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    count = 0
    for values in rows(records):
        writer.writerow(values)
        count += 1
    return count


def write_xlsx(records: Iterable[ObjectRecord], path_or_stream: str | Path | IO[bytes]) -> int:
    """Write an XLSX workbook (one sheet, header row first); returns the number of rows.

    Uses openpyxl's write-only mode, which streams rows instead of holding the sheet in
    memory. Every cell is text, so object numbers like ``00012`` keep their zeros. Raises
    ``OSError`` from the target.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("objects")
    sheet.append(list(ROW_FIELDS))
    count = 0
    for values in rows(records):
        sheet.append([values[name] for name in ROW_FIELDS])
        count += 1
    workbook.save(path_or_stream)
    return count
