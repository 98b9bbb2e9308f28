"""The format registry: one small class per vendor format, looked up by name (never if-ladders)."""

from __future__ import annotations

from typing import TypeVar

from taihe.modules.conservation.ingest.formats.base import LoggerFormat

FORMATS: dict[str, LoggerFormat] = {}

FormatClass = TypeVar("FormatClass", bound=type[LoggerFormat])


def register(cls: FormatClass) -> FormatClass:
    """Class decorator: add one instance of the format to :data:`FORMATS` under its name."""
    FORMATS[cls.name] = cls()
    return cls
