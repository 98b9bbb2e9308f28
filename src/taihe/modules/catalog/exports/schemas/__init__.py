"""Offline copies of the export standards' schemas and loaders for them.

Validation never touches the network: every ``schemaLocation`` inside these files is a
relative path to a file in this folder, and the OAI-PMH response schema is assembled here from
the local OAI-PMH, oai_dc and LIDO schemas. Origins and licences: ``SOURCES.md``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

SCHEMA_DIR = Path(__file__).resolve().parent

_FILES = {
    "lido": "lido-v1.1.xsd",
    "oai_dc": "oai_dc.xsd",
    "oai_pmh": "OAI-PMH.xsd",
}


def _parse(path: Path) -> etree._ElementTree:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.parse(str(path), parser)


@cache
def xml_schema(name: str) -> etree.XMLSchema:
    """The compiled XSD for ``"lido"``, ``"oai_dc"``, ``"oai_pmh"`` (the OAI-PMH envelope
    with oai_dc and LIDO metadata). Raises ``KeyError`` for another name and
    ``lxml.etree.XMLSchemaParseError`` if a file here is broken."""
    if name == "oai_pmh":
        # OAI-PMH's metadata element is <any processContents="strict">, so the metadata
        # formats' schemas must be known too: a small driver schema imports all three.
        driver = (
            '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
            '<xs:import namespace="http://www.openarchives.org/OAI/2.0/" '
            f'schemaLocation="{(SCHEMA_DIR / _FILES["oai_pmh"]).as_uri()}"/>'
            '<xs:import namespace="http://www.openarchives.org/OAI/2.0/oai_dc/" '
            f'schemaLocation="{(SCHEMA_DIR / _FILES["oai_dc"]).as_uri()}"/>'
            '<xs:import namespace="http://www.lido-schema.org" '
            f'schemaLocation="{(SCHEMA_DIR / _FILES["lido"]).as_uri()}"/>'
            "</xs:schema>"
        )
        return etree.XMLSchema(etree.fromstring(driver.encode()))
    return etree.XMLSchema(_parse(SCHEMA_DIR / _FILES[name]))


@cache
def linked_art_schemas() -> dict[str, dict[str, Any]]:
    """The Linked Art API 1.0 JSON Schemas ``object.json`` and ``core.json``, by ``$id``."""
    loaded = {}
    for name in ("object.json", "core.json"):
        document = json.loads((SCHEMA_DIR / "linked-art" / name).read_text(encoding="utf-8"))
        loaded[document["$id"]] = document
    return loaded
