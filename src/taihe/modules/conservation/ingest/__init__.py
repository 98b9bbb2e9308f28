"""Data-logger file parsing for environmental monitoring: pure Python, nothing stored.

Public surface: :func:`parse_file`, :func:`detect_columns`, the records in ``readings`` and
:class:`LoggerFileError`. Formats are a registry (``formats.FORMATS``).
"""

from taihe.modules.conservation.ingest.errors import LoggerFileError
from taihe.modules.conservation.ingest.files import detect_columns, parse_file
from taihe.modules.conservation.ingest.formats import FORMATS
from taihe.modules.conservation.ingest.formats.generic import DetectedColumn
from taihe.modules.conservation.ingest.readings import (
    QUANTITIES,
    LoggerEvent,
    ParseResult,
    Quantity,
    Reading,
    RejectedRow,
    register_quantity,
)

__all__ = [
    "FORMATS",
    "QUANTITIES",
    "DetectedColumn",
    "LoggerEvent",
    "LoggerFileError",
    "ParseResult",
    "Quantity",
    "Reading",
    "RejectedRow",
    "detect_columns",
    "parse_file",
    "register_quantity",
]
