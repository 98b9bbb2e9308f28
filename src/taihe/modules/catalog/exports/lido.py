"""LIDO 1.1 XML (ICOM-CIDOC, http://www.lido-schema.org) for catalog objects.

Element order follows the sequences of ``lido-v1.1.xsd`` (vendored under ``schemas/``). One
``descriptiveMetadata`` and one ``administrativeMetadata`` block carry the record's main
language in ``xml:lang``; every text inside carries its own ``xml:lang``, so Chinese and
English appear side by side. Mandatory elements (LIDO Primer; NFDI4Culture "Pflichtangaben"):
lidoRecID, category, objectWorkType, titleSet/appellationValue, recordID, recordType,
recordSource.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from lxml import etree

from taihe.modules.catalog.exports import _shared as s
from taihe.modules.catalog.records import ImageRecord, LangMap, ObjectRecord, TermRecord

LIDO_NS = "http://www.lido-schema.org"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = "http://www.lido-schema.org http://www.lido-schema.org/schema/v1.1/lido-v1.1.xsd"

# CIDOC-CRM classes used as LIDO category and event type (LIDO 1.1 terminology recommends the
# CRM class URI for category; the production event is CRM E12).
CATEGORY_URI = "http://www.cidoc-crm.org/cidoc-crm/E22_Human-Made_Object"
PRODUCTION_URI = "http://www.cidoc-crm.org/cidoc-crm/E12_Production"

GROUP_ROLES = frozenset({"kiln", "workshop", "studio", "manufactory", "factory"})


def _q(name: str) -> str:
    return f"{{{LIDO_NS}}}{name}"


def _sub(parent: etree._Element, name: str, text: str | None = None,
         **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, _q(name))
    for key, value in attributes.items():
        element.set(XML_LANG if key == "lang" else _q(key), value)
    if text is not None:
        element.text = text
    return element


def _lang_attrs(tag: str) -> dict[str, str]:
    return {} if tag == s.NO_LANGUAGE else {"lang": tag}


def _texts(parent: etree._Element, name: str, texts: LangMap, **attributes: str) -> None:
    for tag, text in s.ordered(texts):
        _sub(parent, name, text, **attributes, **_lang_attrs(tag))


def _has(texts: LangMap) -> bool:
    return bool(s.ordered(texts))


def _concept(parent: etree._Element, name: str, term: TermRecord | None, base_url: str,
             *, fallback: LangMap | None = None, **attributes: str) -> etree._Element:
    element = _sub(parent, name, **attributes)
    if term is not None:
        source = "AAT" if term.aat_id else term.scheme
        _sub(element, "conceptID", s.term_uri(term, base_url), type="URI", source=source)
        _texts(element, "term", term.label)
    elif fallback:
        _texts(element, "term", fallback)
    return element


def _uri_concept(parent: etree._Element, name: str, uri: str, label_en: str,
                 **attributes: str) -> etree._Element:
    element = _sub(parent, name, **attributes)
    _sub(element, "conceptID", uri, type="URI")
    _sub(element, "term", label_en, lang="en")
    return element


def main_language(record: ObjectRecord) -> str:
    """The language of the record's blocks: that of its preferred title, else ``zh-Hans``."""
    used = s.languages_used([s.display_name(record), record.description])
    return used[0] if used else "zh-Hans"


def lido_record(record: ObjectRecord, *, base_url: str,
                institution: Mapping[str, str] | None = None) -> etree._Element:
    """One ``lido:lido`` element for ``record`` (the root OAI-PMH serves per record).

    ``institution`` is the holding institution's name as a language map; the object records
    do not carry it (it is the same for every record). Raises nothing for well-formed
    records.
    """
    root = etree.Element(_q("lido"), nsmap={"lido": LIDO_NS})
    _fill(root, record, base_url, institution or {})
    return root


def lido(records: Iterable[ObjectRecord], *, base_url: str,
         institution: Mapping[str, str] | None = None) -> bytes:
    """A LIDO 1.1 ``lido:lidoWrap`` document (UTF-8 bytes) holding one ``lido:lido`` per record.

    See :func:`lido_record` for ``institution``. Raises nothing for well-formed records.
    """
    wrap = etree.Element(_q("lidoWrap"), nsmap={"lido": LIDO_NS, "xsi": XSI_NS})
    wrap.set(f"{{{XSI_NS}}}schemaLocation", SCHEMA_LOCATION)
    for record in records:
        _fill(_sub(wrap, "lido"), record, base_url, institution or {})
    return etree.tostring(wrap, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _fill(root: etree._Element, record: ObjectRecord, base_url: str,
          institution: Mapping[str, str]) -> None:
    site = s.base(base_url)
    _sub(root, "lidoRecID", site + s.LIDO_RECORD_PATH.format(id=record.id), type="URI",
         source=site)
    _sub(root, "objectPublishedID", s.object_uri(record, base_url), type="URI", pref="preferred")
    _uri_concept(root, "category", CATEGORY_URI, "Human-Made Object")
    language = main_language(record)
    descriptive = _sub(root, "descriptiveMetadata", lang=language)
    _classification(descriptive, record, base_url)
    _identification(descriptive, record, base_url, institution)
    _events(descriptive, record, base_url)
    administrative = _sub(root, "administrativeMetadata", lang=language)
    _administration(administrative, record, base_url, institution)


def _classification(parent: etree._Element, record: ObjectRecord, base_url: str) -> None:
    wrap = _sub(parent, "objectClassificationWrap")
    types = _sub(wrap, "objectWorkTypeWrap")
    # objectWorkType is mandatory: without a controlled type, index the object name; without
    # either, the generic English word, so the record stays valid and harvestable.
    fallback = record.object_name if _has(record.object_name) else {"en": "object"}
    _concept(types, "objectWorkType", record.object_type, base_url, fallback=fallback)
    if record.grade:
        classifications = _sub(wrap, "classificationWrap")
        classification = _sub(classifications, "classification", type="grade")
        _sub(classification, "term", record.grade)


def _identification(parent: etree._Element, record: ObjectRecord, base_url: str,
                    institution: Mapping[str, str]) -> None:
    wrap = _sub(parent, "objectIdentificationWrap")
    titles = _sub(wrap, "titleWrap")
    title_set = _sub(titles, "titleSet", pref="preferred")
    name = s.display_name(record)
    if _has(name):
        _texts(title_set, "appellationValue", name, pref="preferred")
    else:
        _sub(title_set, "appellationValue", record.object_number)
    if _has(record.title) and _has(record.object_name) and record.object_name != record.title:
        _texts(_sub(titles, "titleSet", type="object name", pref="alternative"),
               "appellationValue", record.object_name)
    if record.inscriptions:
        inscriptions = _sub(wrap, "inscriptionsWrap")
        for inscription in record.inscriptions:
            element = _sub(inscriptions, "inscriptions", type=inscription.kind)
            _texts(element, "inscriptionTranscription", inscription.text)
            if inscription.position.strip():
                note = _sub(element, "inscriptionDescription", type="position")
                _sub(note, "descriptiveNoteValue", inscription.position.strip())
    repository = _sub(_sub(wrap, "repositoryWrap"), "repositorySet", type="current")
    _legal_body(repository, "repositoryName", institution, base_url)
    _sub(repository, "workID", record.object_number, type="inventory number")
    for number, kind in record.other_numbers:
        _sub(repository, "workID", number, type=kind or "other number")
    if _has(record.description):
        descriptions = _sub(wrap, "objectDescriptionWrap")
        note = _sub(descriptions, "objectDescriptionSet", type="description")
        _texts(note, "descriptiveNoteValue", record.description)
    if record.dimensions or _has(record.dimensions_text):
        _measurements(wrap, record)
    if record.materials or record.techniques or _has(record.medium):
        techniques = _sub(_sub(wrap, "objectMaterialsTechWrap"), "objectMaterialsTechSet")
        _texts(techniques, "displayMaterialsTech", record.medium)
        if record.materials or record.techniques:
            materials = _sub(techniques, "materialsTech")
            for term in record.materials:
                _concept(materials, "termMaterialsTech", term, base_url, type="material")
            for term in record.techniques:
                _concept(materials, "termMaterialsTech", term, base_url, type="technique")


def _legal_body(parent: etree._Element, name: str, institution: Mapping[str, str],
                base_url: str) -> None:
    body = _sub(parent, name)
    if _has(dict(institution)):
        _texts(_sub(body, "legalBodyName"), "appellationValue", dict(institution))
    _sub(body, "legalBodyWeblink", s.base(base_url))


def _measurements(parent: etree._Element, record: ObjectRecord) -> None:
    measurement_set = _sub(_sub(parent, "objectMeasurementsWrap"), "objectMeasurementsSet")
    _texts(measurement_set, "displayObjectMeasurements", record.dimensions_text)
    if not record.dimensions:
        return
    measurements = _sub(measurement_set, "objectMeasurements")
    for dimension in record.dimensions:
        entry = _sub(measurements, "measurementsSet")
        kind = s.DIMENSION_KIND.get(dimension.kind)
        if kind:
            _uri_concept(entry, "measurementType", s.aat_uri(kind[0]), dimension.kind)
        else:
            _sub(entry, "measurementType", dimension.kind, lang="en")
        unit = s.UNIT.get(dimension.unit)
        if unit:
            _uri_concept(entry, "measurementUnit", s.aat_uri(unit[0]), dimension.unit)
        else:
            _sub(entry, "measurementUnit", dimension.unit, lang="en")
        _sub(entry, "measurementValue", s.decimal_text(dimension.value))


def _events(parent: etree._Element, record: ObjectRecord, base_url: str) -> None:
    has_dates = (record.year_earliest is not None or record.year_latest is not None
                 or record.production_date.strip())
    if not (record.makers or has_dates or _has(record.culture) or _has(record.period)):
        return
    event_set = _sub(_sub(parent, "eventWrap"), "eventSet")
    event = _sub(event_set, "event")
    _uri_concept(event, "eventType", PRODUCTION_URI, "Production")
    for maker in record.makers:
        actor_set = _sub(event, "eventActor")
        for tag, text in s.ordered(maker.name):
            display = f"{text} ({maker.role})" if maker.role else text
            _sub(actor_set, "displayActorInRole", display, **_lang_attrs(tag))
        in_role = _sub(actor_set, "actorInRole")
        kind = "group" if maker.role.strip().lower() in GROUP_ROLES else "person"
        actor = _sub(in_role, "actor", type=kind)
        _texts(_sub(actor, "nameActorSet"), "appellationValue", maker.name)
        if maker.role:
            _sub(_sub(in_role, "roleActor"), "term", maker.role)
    if _has(record.culture):
        _texts(_sub(event, "culture"), "term", record.culture)
    if has_dates:
        event_date = _sub(event, "eventDate")
        if record.production_date.strip():
            _sub(event_date, "displayDate", record.production_date.strip())
        if record.year_earliest is not None or record.year_latest is not None:
            date = _sub(event_date, "date")
            if record.year_earliest is not None:
                _sub(date, "earliestDate", s.iso_year(record.year_earliest))
            if record.year_latest is not None:
                _sub(date, "latestDate", s.iso_year(record.year_latest))
    if _has(record.period):
        _texts(_sub(event, "periodName"), "term", record.period)



def _administration(parent: etree._Element, record: ObjectRecord, base_url: str,
                    institution: Mapping[str, str]) -> None:
    if record.rights or _has(record.credit_line):
        rights = _sub(_sub(parent, "rightsWorkWrap"), "rightsWorkSet")
        if record.rights:
            _sub(_sub(rights, "rightsType"), "conceptID", record.rights, type="URI")
        _texts(rights, "creditLine", record.credit_line)
    record_wrap = _sub(parent, "recordWrap")
    _sub(record_wrap, "recordID", str(record.id), type="local")
    _sub(_sub(record_wrap, "recordType"), "term", "item", lang="en")
    _legal_body(record_wrap, "recordSource", institution, base_url)
    info = _sub(record_wrap, "recordInfoSet")
    _sub(info, "recordInfoLink", s.object_uri(record, base_url),
         formatResource="application/ld+json")
    _sub(info, "recordMetadataDate", s.utc_timestamp(record.updated_at), type="modified")
    if record.images:
        resources = _sub(parent, "resourceWrap")
        ordered = sorted(record.images, key=lambda image: not image.is_primary)
        for position, image in enumerate(ordered, start=1):
            _resource(resources, image, position, base_url)


def _resource(parent: etree._Element, image: ImageRecord, position: int, base_url: str) -> None:
    resource = _sub(parent, "resourceSet", sortorder=str(position))
    _sub(resource, "resourceID", str(image.media_id), type="local")
    representation = _sub(resource, "resourceRepresentation", type="image_master")
    _sub(representation, "linkResource", s.full_image(image, base_url),
         formatResource="image/jpeg")
    for kind, value in (("width", image.width), ("height", image.height)):
        measurement = _sub(representation, "resourceMeasurementsSet")
        _sub(measurement, "measurementType", kind, lang="en")
        _sub(measurement, "measurementUnit", "pixel", lang="en")
        _sub(measurement, "measurementValue", str(value))
    _uri_concept(resource, "resourceType", s.aat_uri(s.DIGITAL_IMAGE[0]), "digital image")
    _texts(resource, "resourceDescription", image.caption)
    if image.rights:
        _sub(_sub(_sub(resource, "rightsResource"), "rightsType"), "conceptID", image.rights,
             type="URI")
