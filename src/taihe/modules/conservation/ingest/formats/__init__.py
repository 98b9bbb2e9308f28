"""Data-logger file formats. Importing this package registers every format in FORMATS."""

from taihe.modules.conservation.ingest.formats import (  # noqa: F401 - imported to register
    generic,
    hanwell,
    hobo,
    lascar,
    meaco,
    rotronic,
    tandd,
    tinytag,
)
from taihe.modules.conservation.ingest.formats.registry import FORMATS, register

__all__ = ["FORMATS", "register"]
