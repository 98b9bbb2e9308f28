"""Simple Dublin Core (DCMES 1.1) in the OAI-PMH ``oai_dc`` container.

The 15 elements are written only where the record has data, each language variant as its own
element with ``xml:lang`` (DCMI "Expressing Dublin Core metadata using XML", 2003, §3.6).
Element order follows DCMES (title … rights); ``oai_dc.xsd`` allows any order.
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

from taihe.modules.catalog.exports import _shared as s
from taihe.modules.catalog.records import LangMap, ObjectRecord

OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SCHEMA_LOCATION = f"{OAI_DC_NS} http://www.openarchives.org/OAI/2.0/oai_dc.xsd"

# DCMI Type Vocabulary term for a museum object (https://purl.org/dc/dcmitype/PhysicalObject).
PHYSICAL_OBJECT = "PhysicalObject"


def oai_dc(record: ObjectRecord, *, base_url: str | None = None,
           publisher: Mapping[str, str] | None = None) -> etree._Element:
    """The ``oai_dc:dc`` element describing ``record``.

    ``base_url`` adds the object's Linked Art URI as an identifier and its images and IIIF
    manifest as relations; ``publisher`` is the holding institution's name as a language map
    (the records do not carry it). Raises nothing for well-formed records.
    """
    root = etree.Element(
        f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS}
    )
    root.set(f"{{{XSI_NS}}}schemaLocation", SCHEMA_LOCATION)
    _texts(root, "title", s.display_name(record))
    for maker in record.makers:
        _texts(root, "creator", maker.name)
    if record.object_type is not None:
        _texts(root, "subject", record.object_type.label)
    _texts(root, "description", record.description)
    for inscription in record.inscriptions:
        _texts(root, "description", inscription.text)
    _texts(root, "publisher", dict(publisher or {}))
    if record.production_date.strip():
        _element(root, "date", record.production_date.strip())
    if record.year_earliest is not None and record.year_latest is not None:
        # W3CDTF has no BCE years, so the range is written as an ISO 8601 interval of years.
        interval = f"{s.iso_year(record.year_earliest)}/{s.iso_year(record.year_latest)}"
        _element(root, "date", interval)
    _element(root, "type", PHYSICAL_OBJECT)
    if record.object_type is not None:
        _texts(root, "type", record.object_type.label)
    _texts(root, "format", record.medium)
    _texts(root, "format", record.dimensions_text)
    _element(root, "identifier", record.object_number)
    for number, _kind in record.other_numbers:
        _element(root, "identifier", number)
    if base_url:
        _element(root, "identifier", s.object_uri(record, base_url))
    languages = s.languages_used([inscription.text for inscription in record.inscriptions])
    for tag in languages:
        # dc:language is the language of the resource itself: here, of the text it carries.
        _element(root, "language", tag)
    if base_url and record.images:
        _element(root, "relation", s.manifest_uri(record, base_url))
        for image in sorted(record.images, key=lambda image: not image.is_primary):
            _element(root, "relation", s.full_image(image, base_url))
    _texts(root, "coverage", record.period)
    if record.rights:
        _element(root, "rights", record.rights)
    _texts(root, "rights", record.credit_line)
    return root


def _element(parent: etree._Element, name: str, text: str, language: str | None = None) -> None:
    element = etree.SubElement(parent, f"{{{DC_NS}}}{name}")
    element.text = text
    if language and language != s.NO_LANGUAGE:
        element.set(XML_LANG, language)


def _texts(parent: etree._Element, name: str, texts: LangMap) -> None:
    for tag, text in s.ordered(texts):
        _element(parent, name, text, tag)

