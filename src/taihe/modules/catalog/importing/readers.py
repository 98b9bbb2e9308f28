"""Rows of an uploaded CSV, XLSX or JSON Lines file, streamed one at a time.

A row's number is the number a person sees: the spreadsheet row (the header is row 1 when it
is the first row; blank rows are counted but not returned), or the line of a JSON Lines file.

CSV encodings: a byte-order mark decides; otherwise UTF-8 if the first 64 KiB decode as
UTF-8, else GB18030 (what Excel writes for "CSV" in a Chinese locale) or cp1252 (Western
Windows), chosen by charset-normalizer on that sample. The delimiter is the one of comma,
semicolon or tab that occurs most often in the header line (some locales' spreadsheets write
semicolons).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import re
import shutil
import tempfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

from taihe.kernel.errors import ValidationFailed

SAMPLE_BYTES = 64 * 1024
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)*")
EXTENSIONS = ("csv", "tsv", "xlsx", "jsonl", "ndjson")


class ImportFileError(ValidationFailed):
    """The file as a whole cannot be read: nothing in it is imported."""

    code = "import_file_invalid"


@dataclass(frozen=True)
class SourceRow:
    number: int
    values: dict[str, str]
    error: str = ""
    """Set when this row (only) could not be read, e.g. a JSON Lines line that is not an
    object; ``values`` is then empty."""


def _file_error(message: str) -> ImportFileError:
    return ImportFileError(message, fields={"file": message})


def _extension(filename: str) -> str:
    name = Path(filename).name
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _open_binary(source: str | Path | IO[bytes]) -> tuple[IO[bytes], bool]:
    if isinstance(source, str | Path):
        return open(source, "rb"), True
    return source, False


class _Prefixed(io.RawIOBase):
    """A stream that yields ``prefix`` and then the rest of ``stream``: lets us sniff the
    first bytes of an unseekable upload without reading the whole file."""

    def __init__(self, prefix: bytes, stream: IO[bytes]) -> None:
        self._prefix = prefix
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._prefix:
            size = min(len(buffer), len(self._prefix))
            buffer[:size] = self._prefix[:size]
            self._prefix = self._prefix[size:]
            return size
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def detect_encoding(sample: bytes) -> str:
    """The text encoding of a CSV file judged from its first bytes (see module docstring).
    Raises ImportFileError for UTF-16 files that are really binary."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        # Not final: the sample may end in the middle of a multi-byte character.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(sample, cp_isolation=["gb18030", "cp1252"]).best()
    if best is not None:
        return "gb18030" if best.encoding == "gb18030" else "cp1252"
    for encoding in ("gb18030", "cp1252"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
            return encoding
        except UnicodeDecodeError:
            continue
    raise _file_error(_("The file is not UTF-8, GB18030 or Windows-1252 text. Save it as "
                        "CSV UTF-8."))


def _delimiter(header_line: str, extension: str) -> str:
    if extension == "tsv":
        return "\t"
    counts = dict.fromkeys((",", ";", "\t"), 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _header(cells: list[str]) -> list[str]:
    names = [cell.strip() for cell in cells]
    seen: set[str] = set()
    duplicates = []
    for name in names:
        if name and name in seen and name not in duplicates:
            duplicates.append(name)
        seen.add(name)
    if duplicates:
        message = _("The header row names these columns more than once: %(columns)s.") % {
            "columns": ", ".join(duplicates)}
        raise _file_error(message)
    if all(_NUMBER.fullmatch(name) for name in names if name):
        # Column names are words; a first row of nothing but numbers is data.
        raise _file_error(_("The file has no header row: its first row holds values, not "
                            "column names."))
    return names


def _rows_from_table(table: Iterator[tuple[int, list[str]]]) -> Iterator[SourceRow]:
    header: list[str] | None = None
    for number, cells in table:
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header = _header(cells)
            continue
        values: dict[str, str] = {}
        error = ""
        for index, cell in enumerate(cells):
            text = cell.strip()
            if index < len(header) and header[index]:
                values[header[index]] = text
            elif text:
                error = _("Row %(row)s has a value in column %(column)s, which has no header.") \
                    % {"row": number, "column": index + 1}
        for name in header[len(cells):]:
            if name:
                values[name] = ""
        yield SourceRow(number, {} if error else values, error)
    if header is None:
        raise _file_error(_("The file is empty."))


def _csv_table(stream: IO[bytes], extension: str) -> Iterator[tuple[int, list[str]]]:
    sample = stream.read(SAMPLE_BYTES)
    if not sample.strip():
        raise _file_error(_("The file is empty."))
    if sample.startswith(b"PK\x03\x04"):
        raise _file_error(_("This file is an Excel workbook, not CSV text: upload it with the "
                            ".xlsx extension."))
    encoding = detect_encoding(sample)
    text = io.TextIOWrapper(io.BufferedReader(_Prefixed(sample, stream)), encoding=encoding,
                            newline="", errors="strict")
    preview = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample)
    first_line = next((line for line in preview.lstrip("\ufeff").splitlines() if line.strip()),
                      "")
    reader = csv.reader(text, delimiter=_delimiter(first_line, extension))
    try:
        for cells in reader:
            # A spreadsheet row is a CSV record, even one whose quoted cells hold line breaks.
            if reader.line_num == 1 and cells:
                cells[0] = cells[0].lstrip("\ufeff")
            yield reader.line_num, cells
    except UnicodeDecodeError as error:
        raise _file_error(_("The file is not valid %(encoding)s text near byte %(position)s.")
                          % {"encoding": encoding, "position": error.start}) from error
    except csv.Error as error:
        raise _file_error(_("The CSV file could not be read near line %(line)s: %(error)s")
                          % {"line": reader.line_num, "error": error}) from error


def _record_numbers(table: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    """csv's line_num counts physical lines; spreadsheets count records."""
    for record, (_line, cells) in enumerate(table, start=1):
        yield record, cells


def cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a person sees: dates in ISO 8601, whole numbers without
    a trailing ".0", booleans as true/false, empty cells as ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value).strip()


def _xlsx_table(stream: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    if not stream.seekable():
        # A workbook is a zip archive, read from its end: spool an unseekable upload first.
        spooled = tempfile.SpooledTemporaryFile(max_size=SAMPLE_BYTES * 16)  # noqa: SIM115
        shutil.copyfileobj(stream, spooled)
        spooled.seek(0)
        stream = spooled
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged workbook
        raise _file_error(_("This file could not be read as an Excel (.xlsx) workbook.")) \
            from error
    try:
        if not workbook.worksheets:
            raise _file_error(_("The file is empty."))
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # read-only sheets may carry a wrong size
        for row in sheet.iter_rows(min_row=1):
            cells = list(row)
            number = next((cell.row for cell in cells if getattr(cell, "row", None)), None)
            if number is None:
                continue  # an empty row: openpyxl gives only EmptyCell objects
            yield number, [cell_text(cell.value) for cell in cells]
    finally:
        workbook.close()


def _jsonl_rows(stream: IO[bytes]) -> Iterator[SourceRow]:
    seen_any = False
    for number, raw in enumerate(stream, start=1):
        line = raw.decode("utf-8-sig" if number == 1 else "utf-8", errors="replace").strip()
        if not line:
            continue
        seen_any = True
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            yield SourceRow(number, {}, _("Line %(line)s is not valid JSON: %(error)s")
                            % {"line": number, "error": error.msg})
            continue
        if not isinstance(record, dict):
            yield SourceRow(number, {}, _("Line %(line)s is not a JSON object.")
                            % {"line": number})
            continue
        values = {}
        for key, value in record.items():
            if value is None:
                values[str(key)] = ""
            elif isinstance(value, str):
                values[str(key)] = value.strip()
            elif isinstance(value, bool | int | float):
                values[str(key)] = cell_text(value)
            else:
                values[str(key)] = json.dumps(value, ensure_ascii=False)
        yield SourceRow(number, values)
    if not seen_any:
        raise _file_error(_("The file is empty."))


def _check_extension(filename: str) -> str:
    extension = _extension(filename)
    if extension == "xls":
        raise _file_error(_("The old Excel .xls format is not supported: save the file as "
                            ".xlsx or CSV."))
    if extension not in EXTENSIONS:
        raise _file_error(_("Files of type “%(extension)s” cannot be imported: use .csv, .xlsx "
                            "or .jsonl.") % {"extension": extension or filename})
    return extension


def _table(stream: IO[bytes], extension: str) -> Iterator[tuple[int, list[str]]]:
    if extension == "xlsx":
        return _xlsx_table(stream)
    return _record_numbers(_csv_table(stream, extension))


def read_rows(source: str | Path | IO[bytes], *, filename: str) -> Generator[SourceRow]:
    """The data rows of a .csv/.tsv, .xlsx or .jsonl/.ndjson file, one at a time (a large file
    is never held in memory). ``filename`` decides the format. Raises ImportFileError (field
    ``file``) for an unknown extension, an empty file, a file without a header row, duplicate
    column names, or text in an unknown encoding; an unreadable JSON Lines line is returned
    as a row with ``error`` set instead."""
    extension = _check_extension(filename)
    stream, owned = _open_binary(source)
    try:
        if extension in ("jsonl", "ndjson"):
            yield from _jsonl_rows(stream)
        else:
            yield from _rows_from_table(_table(stream, extension))
    finally:
        if owned:
            stream.close()


def read_columns(source: str | Path | IO[bytes], *, filename: str) -> list[str]:
    """The column names of a file: its header row, or for JSON Lines the keys of the first
    readable object. Raises ImportFileError like :func:`read_rows`."""
    extension = _check_extension(filename)
    if extension in ("jsonl", "ndjson"):
        rows = read_rows(source, filename=filename)
        try:
            for row in rows:
                if not row.error:
                    return list(row.values)
        finally:
            rows.close()
        return []
    stream, owned = _open_binary(source)
    try:
        for _number, cells in _table(stream, extension):
            if any(cell.strip() for cell in cells):
                return [name for name in _header(cells) if name]
        raise _file_error(_("The file is empty."))
    finally:
        if owned:
            stream.close()
