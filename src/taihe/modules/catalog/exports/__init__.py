"""Standard exports of catalog records: Linked Art, LIDO 1.1, Dublin Core, OAI-PMH, CSV/XLSX.

Every exporter is a pure function over the frozen records of ``catalog.records``; none reads
the database. ``schemas/`` holds the standards' schemas (see ``schemas/SOURCES.md``) so that
documents can be validated offline.
"""

from taihe.modules.catalog.exports.dublin_core import oai_dc
from taihe.modules.catalog.exports.lido import lido, lido_record
from taihe.modules.catalog.exports.linked_art import linked_art
from taihe.modules.catalog.exports.oai_pmh import (
    METADATA_FORMATS,
    Header,
    IdentifyInfo,
    OaiRepository,
    OaiSet,
    handle,
)
from taihe.modules.catalog.exports.tabular import ROW_FIELDS, rows, write_csv, write_xlsx

__all__ = [
    "METADATA_FORMATS",
    "ROW_FIELDS",
    "Header",
    "IdentifyInfo",
    "OaiRepository",
    "OaiSet",
    "handle",
    "lido",
    "lido_record",
    "linked_art",
    "oai_dc",
    "rows",
    "write_csv",
    "write_xlsx",
]
