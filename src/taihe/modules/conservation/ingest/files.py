"""Entry point: bytes of an uploaded logger file in, readings out.

    result = parse_file(data, filename="gallery-3.csv", timezone="Asia/Shanghai")

Decoding (heritage.md §4.3 items 1–2): a BOM decides; otherwise strict UTF-8; otherwise a file
whose non-ASCII bytes all stand alone is a single-byte Windows code page (cp1252: 60 of 116
HOBO files in the Catalina Marine Society set), and only runs of high bytes (Chinese,
Japanese) go to charset-normalizer.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from django.utils.translation import gettext as _

from taihe.modules.conservation.ingest.errors import LoggerFileError
from taihe.modules.conservation.ingest.formats import FORMATS
from taihe.modules.conservation.ingest.formats.base import HEAD_LINES, Document, Options
from taihe.modules.conservation.ingest.formats.generic import DetectedColumn, guess_columns
from taihe.modules.conservation.ingest.readings import ParseResult
from taihe.modules.conservation.ingest.timestamps import DateOrder, zone_from_argument

MINIMUM_CONFIDENCE = 0.3
"""Below this, auto-detection gives up and says what it looked for."""

_HIGH_BYTE_RUN = re.compile(rb"[\x80-\xff]{2,}")
_DELIMITERS = (",", ";", "\t")
_ZIP_MAGIC = b"PK\x03\x04"
# charset-normalizer only chooses among encodings logger software actually writes.
_MULTIBYTE_CANDIDATES = ["gb18030", "big5", "shift_jis", "euc_kr", "cp1252", "mac_roman"]


def decode(data: bytes) -> tuple[str, str]:
    """Decode file bytes to text; return (text, encoding name). Never raises."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if _HIGH_BYTE_RUN.search(data[:65536]) is None:
        return data.decode("cp1252", errors="replace"), "cp1252"
    from charset_normalizer import from_bytes  # imported late: only odd files need it

    best = from_bytes(data[:65536], cp_isolation=_MULTIBYTE_CANDIDATES).best()
    encoding = best.encoding if best is not None else "cp1252"
    return data.decode(encoding, errors="replace"), encoding


def _delimiter(lines: list[str]) -> str:
    """The delimiter giving the most fields over the last head lines (data are the best guide)."""
    sample = [line for line in lines[:HEAD_LINES] if line.strip()][-10:]
    best, best_fields = ",", 0
    for delimiter in _DELIMITERS:
        fields = sum(len(row) for row in csv.reader(sample, delimiter=delimiter))
        if fields > best_fields:
            best, best_fields = delimiter, fields
    return best


def _text_rows(text: str) -> list[list[str]]:
    text = text.replace("\x00", "")
    lines = text.splitlines()
    delimiter = _delimiter(lines)
    # Lines are pre-split, so a quoted field never spans lines: row index = line number − 1.
    return list(csv.reader(lines, delimiter=delimiter))


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _sheet_rows(data: bytes) -> tuple[list[list[str]], str]:
    """Rows of the "Data" sheet (HOBOconnect) or the first sheet, as text cells.

    Raises LoggerFileError when the file is not a readable XLSX workbook.
    """
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    # openpyxl raises whatever its zip/XML layers raise on a damaged file (BadZipFile,
    # KeyError, ValueError, lxml errors…); all mean the same thing to the person uploading.
    except Exception as exc:
        raise LoggerFileError(
            _("The file looks like an Excel workbook but cannot be opened: %(error)s")
            % {"error": exc.__class__.__name__}
        ) from exc
    try:
        sheet = workbook["Data"] if "Data" in workbook.sheetnames else workbook.worksheets[0]
        rows = [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
        name = sheet.title
    except Exception as exc:
        raise LoggerFileError(
            _("The Excel workbook cannot be read: %(error)s") % {"error": exc.__class__.__name__}
        ) from exc
    finally:
        workbook.close()
    while rows and not any(rows[-1]):
        rows.pop()
    return rows, name


def read_document(data: bytes, filename: str) -> tuple[Document, dict[str, Any]]:
    """Decode CSV/TXT or open XLSX into rows; return the document and file metadata.

    Raises LoggerFileError for an empty file, an unreadable workbook or a legacy .xls file.
    """
    if not data.strip():
        raise LoggerFileError(_("The file %(name)s is empty.") % {"name": filename})
    if data.startswith(_ZIP_MAGIC) or filename.lower().endswith((".xlsx", ".xlsm")):
        if not zipfile.is_zipfile(io.BytesIO(data)):
            raise LoggerFileError(
                _("The file %(name)s is named like an Excel workbook but is not one.")
                % {"name": filename}
            )
        rows, sheet = _sheet_rows(data)
        return Document(rows, filename, spreadsheet=True), {"sheet": sheet}
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise LoggerFileError(
            _("%(name)s is an old Excel .xls file; save it as .xlsx or CSV and upload again.")
            % {"name": filename}
        )
    text, encoding = decode(data)
    return Document(_text_rows(text), filename), {"encoding": encoding}


def _detect(document: Document) -> tuple[str, float]:
    scores = {name: fmt.detect(document) for name, fmt in FORMATS.items()}
    name = max(scores, key=lambda key: scores[key])
    if scores[name] < MINIMUM_CONFIDENCE:
        expected = "; ".join(f"{fmt.label}: {fmt.signature}" for fmt in FORMATS.values())
        raise LoggerFileError(
            _(
                "%(file)s is not a data-logger file this importer knows. Expected one of: "
                "%(expected)s. Or choose the columns with a column mapping."
            )
            % {"file": document.filename, "expected": expected}
        )
    return name, scores[name]


def parse_file(
    data: bytes,
    *,
    filename: str,
    format: str = "auto",
    timezone: str | None = None,
    column_mapping: Mapping[str, Any] | None = None,
    date_order: str | None = None,
) -> ParseResult:
    """Parse a data-logger export into readings, rejected rows, events and warnings.

    ``format`` is ``"auto"`` or a name in :data:`FORMATS`; a ``column_mapping`` implies
    ``"generic"``. ``timezone`` (IANA name or ``UTC+08:00``) is used when the file states none.
    ``date_order`` (``DMY``/``MDY``/``YMD``) is the locale hint for files whose every date is
    ambiguous. Nothing is stored here.

    Raises LoggerFileError when the file is empty or unreadable, the format is unknown or not
    recognised, a mapping is wrong, or no time zone is known for times without one.
    """
    if format == "auto" and column_mapping is not None:
        format = "generic"
    if format != "auto" and format not in FORMATS:
        raise LoggerFileError(
            _("Unknown format %(name)r; known formats: %(known)s.")
            % {"name": format, "known": ", ".join(sorted(FORMATS))}
        )
    try:
        order = DateOrder(date_order) if date_order else None
    except ValueError as exc:
        raise LoggerFileError(
            _("The date order must be DMY, MDY or YMD, not %(order)r.") % {"order": date_order}
        ) from exc
    options = Options(
        zone=zone_from_argument(timezone) if timezone else None,
        date_order=order,
        column_mapping=column_mapping,
    )
    document, file_metadata = read_document(data, filename)
    if format == "auto":
        format, confidence = _detect(document)
    else:
        confidence = 1.0
    result = FORMATS[format].parse(document, options)
    result.confidence = confidence
    result.metadata.update(file_metadata)
    return result


def detect_columns(data: bytes, filename: str) -> list[DetectedColumn]:
    """Columns of an arbitrary CSV/XLSX with guessed roles, for the column-mapping dialog.

    Raises LoggerFileError when the file cannot be read or has no date/time header row.
    """
    document, _metadata = read_document(data, filename)
    _index, columns = guess_columns(document)
    return columns
