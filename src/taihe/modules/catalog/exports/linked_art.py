"""Linked Art (CIDOC-CRM JSON-LD) for one catalog object.

The shape follows the Linked Art API 1.0 object endpoint (https://linked.art/api/1.0/,
schema ``object.json``, vendored under ``schemas/linked-art``) and the model pages for names,
identifiers, statements, dimensions, production and digital images. The dictionaries are built
by hand rather than with ``cromulent``: that library keeps its base URL and id counters in
module-global state, so its output depends on what ran before and on other threads, while this
function must return the same document for the same record every time.
"""

from __future__ import annotations

from typing import Any

from taihe.modules.catalog.exports import _shared as s
from taihe.modules.catalog.records import (
    DimensionRecord,
    ImageRecord,
    LangMap,
    MakerRecord,
    ObjectRecord,
    TermRecord,
)

CONTEXT = "https://linked.art/ns/v1/linked-art.json"

JsonDict = dict[str, Any]

# A maker whose role names a body of people is a Group (CIDOC-CRM E74), anyone else a Person.
GROUP_ROLES = frozenset({"kiln", "workshop", "studio", "manufactory", "factory"})


def linked_art(record: ObjectRecord, *, base_url: str) -> JsonDict:
    """The Linked Art ``HumanMadeObject`` document of ``record``.

    ``base_url`` is the public base of the site (``https://museum.example``); the object's id is
    ``{base_url}/catalog/linked-art/object/{record.id}``. Pure: reads only its arguments.
    Raises nothing for well-formed records; dimensions with a unit that has no AAT id are left
    out of ``dimension`` (their text stays in the dimension statement).
    """
    uri = s.object_uri(record, base_url)
    document: JsonDict = {
        "@context": CONTEXT,
        "id": uri,
        "type": "HumanMadeObject",
        "_label": s.english_or_preferred(s.display_name(record)) or record.object_number,
    }
    _put(document, "identified_by", _identifiers(record))
    _put(document, "classified_as", _object_types(record, base_url))
    _put(document, "referred_to_by", _statements(record))
    _put(document, "dimension", [d for d in map(_dimension, record.dimensions) if d])
    _put(document, "made_of", [_material(m, base_url) for m in record.materials])
    production = _production(record, uri, base_url)
    if production:
        document["produced_by"] = production
    _put(document, "representation", [_visual_item(i, base_url) for i in _images(record)])
    if record.images:
        document["subject_of"] = [_manifest_reference(record, base_url)]
    return document


def _put(document: JsonDict, key: str, values: list[JsonDict]) -> None:
    if values:
        document[key] = values


def _type(aat: tuple[str, str], *, meta: tuple[str, str] | None = None) -> JsonDict:
    concept: JsonDict = {"id": s.aat_uri(aat[0]), "type": "Type", "_label": aat[1]}
    if meta:
        concept["classified_as"] = [_type(meta)]
    return concept


def _language(tag: str) -> list[JsonDict]:
    known = s.language_of(tag)
    if not known:
        return []
    return [{"id": s.aat_uri(known[0]), "type": "Language", "_label": known[1]}]


def _names(texts: LangMap, kind: tuple[str, str]) -> list[JsonDict]:
    names = []
    for tag, text in s.ordered(texts):
        name: JsonDict = {"type": "Name", "content": text, "classified_as": [_type(kind)]}
        _put(name, "language", _language(tag))
        names.append(name)
    return names


def _statements_of(texts: LangMap, kind: tuple[str, str]) -> list[JsonDict]:
    """One LinguisticObject per language, classified as ``kind`` + Brief Text (Linked Art
    "statements about a resource")."""
    statements = []
    for tag, text in s.ordered(texts):
        statement: JsonDict = {
            "type": "LinguisticObject",
            "content": text,
            "classified_as": [_type(kind, meta=s.BRIEF_TEXT)],
        }
        _put(statement, "language", _language(tag))
        statements.append(statement)
    return statements


def _identifiers(record: ObjectRecord) -> list[JsonDict]:
    names = _names(s.display_name(record), s.PRIMARY_NAME)
    if record.title and record.object_name and record.object_name != record.title:
        names += _names(record.object_name, s.ALTERNATE_NAME)
    identifiers: list[JsonDict] = [
        {
            "type": "Identifier",
            "content": record.object_number,
            "classified_as": [_type(s.ACCESSION_NUMBER)],
        }
    ]
    for number, kind in record.other_numbers:
        identifier: JsonDict = {
            "type": "Identifier",
            "content": number,
            "classified_as": [_type(s.OWNER_ASSIGNED_NUMBER)],
        }
        if kind:
            identifier["_label"] = kind
        identifiers.append(identifier)
    return names + identifiers


def _concept(term: TermRecord, base_url: str, kind: str = "Type") -> JsonDict:
    return {
        "id": s.term_uri(term, base_url),
        "type": kind,
        "_label": s.english_or_preferred(term.label) or term.code,
    }


def _object_types(record: ObjectRecord, base_url: str) -> list[JsonDict]:
    if record.object_type is None:
        return []
    concept = _concept(record.object_type, base_url)
    # Linked Art marks the object's own type with the meta-type "Type of Work".
    concept["classified_as"] = [_type(s.TYPE_OF_WORK)]
    return [concept]


def _material(term: TermRecord, base_url: str) -> JsonDict:
    return _concept(term, base_url, "Material")


def _statements(record: ObjectRecord) -> list[JsonDict]:
    statements = _statements_of(record.description, s.DESCRIPTION)
    for inscription in record.inscriptions:
        kind = s.INSCRIPTION_KIND.get(inscription.kind, s.INSCRIPTION_STATEMENT)
        statements += _statements_of(inscription.text, kind)
    statements += _statements_of(record.medium, s.MATERIAL_STATEMENT)
    statements += _statements_of(record.dimensions_text, s.DIMENSION_STATEMENT)
    statements += _statements_of(record.period, s.PERIOD_STATEMENT)
    statements += _statements_of(record.culture, s.CULTURE_STATEMENT)
    statements += _statements_of(record.credit_line, s.CREDIT_STATEMENT)
    return statements


def _dimension(dimension: DimensionRecord) -> JsonDict | None:
    unit = s.UNIT.get(dimension.unit)
    if unit is None:
        return None
    value = float(dimension.value)
    result: JsonDict = {
        "type": "Dimension",
        "value": int(value) if value.is_integer() else value,
        "unit": {"id": s.aat_uri(unit[0]), "type": "MeasurementUnit", "_label": unit[1]},
    }
    kind = s.DIMENSION_KIND.get(dimension.kind)
    if kind:
        result["classified_as"] = [_type(kind)]
    return result


def _maker_reference(maker: MakerRecord, index: int, object_uri: str) -> JsonDict:
    # MakerRecord carries no authority id, so the maker gets a fragment URI inside this
    # document: stable for the record, and never mistaken for a ULAN or Wikidata identity.
    kind = "Group" if maker.role.strip().lower() in GROUP_ROLES else "Person"
    return {
        "id": f"{object_uri}#maker-{index}",
        "type": kind,
        "_label": s.english_or_preferred(maker.name),
    }


def _maker_statement(record: ObjectRecord) -> LangMap:
    """Per language, "name (role); name (role)" for the production statement."""
    statement: dict[str, str] = {}
    for tag in [*s.languages_used([m.name for m in record.makers]), s.NO_LANGUAGE]:
        parts = []
        for maker in record.makers:
            name = maker.name.get(tag, "").strip()
            if name:
                parts.append(f"{name} ({maker.role})" if maker.role else name)
        if parts:
            statement[tag] = "; ".join(parts)
    return statement


def _production(record: ObjectRecord, object_uri: str, base_url: str) -> JsonDict | None:
    production: JsonDict = {"type": "Production"}
    _put(
        production,
        "carried_out_by",
        [_maker_reference(m, i, object_uri) for i, m in enumerate(record.makers, start=1)],
    )
    _put(production, "technique", [_concept(t, base_url) for t in record.techniques])
    _put(production, "referred_to_by", _statements_of(_maker_statement(record),
                                                       s.PRODUCTION_STATEMENT))
    timespan: JsonDict = {"type": "TimeSpan"}
    if record.production_date.strip():
        timespan["identified_by"] = [{"type": "Name", "content": record.production_date.strip()}]
    if record.year_earliest is not None:
        timespan["begin_of_the_begin"] = s.iso_year_start(record.year_earliest)
    if record.year_latest is not None:
        timespan["end_of_the_end"] = s.iso_year_end(record.year_latest)
    if len(timespan) > 1:
        production["timespan"] = timespan
    return production if len(production) > 1 else None


def _images(record: ObjectRecord) -> list[ImageRecord]:
    # The primary image first; otherwise keep the catalog's order.
    return sorted(record.images, key=lambda image: not image.is_primary)


def _visual_item(image: ImageRecord, base_url: str) -> JsonDict:
    digital: JsonDict = {
        "type": "DigitalObject",
        "classified_as": [_type(s.DIGITAL_IMAGE)],
        "format": "image/jpeg",
        "access_point": [{"id": s.full_image(image, base_url), "type": "DigitalObject"}],
        "conforms_to": [{"id": s.IIIF_IMAGE_API, "type": "InformationObject"}],
    }
    item: JsonDict = {"type": "VisualItem", "digitally_shown_by": [digital]}
    _put(item, "identified_by", [
        {key: value for key, value in name.items() if key != "classified_as"}
        for name in _names(image.caption, s.PRIMARY_NAME)
    ])
    return item


def _manifest_reference(record: ObjectRecord, base_url: str) -> JsonDict:
    return {
        "type": "LinguisticObject",
        "digitally_carried_by": [
            {
                "type": "DigitalObject",
                "format": 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"',
                "access_point": [{"id": s.manifest_uri(record, base_url), "type": "DigitalObject"}],
                "conforms_to": [{"id": s.IIIF_PRESENTATION_API, "type": "InformationObject"}],
            }
        ],
    }
