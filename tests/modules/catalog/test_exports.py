"""Standard exports of catalog records: Linked Art, LIDO 1.1, Dublin Core, CSV/XLSX.

Documents are validated against the vendored schemas (``exports/schemas``) and checked value
by value. The sample records (also used by ``test_oai_pmh``) are a Shang bronze ding, a Qing
porcelain vase and a Ming painting on silk with a seal.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import replace
from decimal import Decimal
from functools import cache
from typing import Any

import jsonschema
import referencing
from lxml import etree
from openpyxl import load_workbook
from referencing.jsonschema import DRAFT202012

from taihe.modules.catalog.exports import (
    ROW_FIELDS,
    lido,
    lido_record,
    linked_art,
    oai_dc,
    rows,
    write_csv,
    write_xlsx,
)
from taihe.modules.catalog.exports.schemas import linked_art_schemas, xml_schema
from taihe.modules.catalog.records import (
    DimensionRecord,
    ImageRecord,
    InscriptionRecord,
    MakerRecord,
    ObjectRecord,
    TermRecord,
)

BASE = "https://museum.example"
PALACE = {"zh-Hans": "故宫博物院", "en": "The Palace Museum"}
AAT = "http://vocab.getty.edu/aat/"
NS = {"lido": "http://www.lido-schema.org", "dc": "http://purl.org/dc/elements/1.1/"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"


# --- sample records -----------------------------------------------------------------------


def bronze_ding(**changes: Any) -> ObjectRecord:
    """A Shang bronze ding (c. 1600–1046 BCE) with a two-character inscription."""
    record = ObjectRecord(
        id=1,
        object_number="故00012345",
        other_numbers=[("普0001", "census number")],
        object_name={"zh-Hans": "鼎", "en": "ding"},
        object_type=TermRecord("object-type", "ding", {"zh-Hans": "鼎", "en": "ding (vessel)"}),
        title={"zh-Hans": "兽面纹鼎", "en": "Ding with taotie mask"},
        makers=[],
        culture={"zh-Hans": "商文化", "en": "Shang culture"},
        period={"zh-Hans": "商", "en": "Shang dynasty"},
        year_earliest=-1600,
        year_latest=-1046,
        production_date="商代",
        materials=[TermRecord("material", "bronze", {"zh-Hans": "青铜", "en": "bronze"},
                              "300010957")],
        medium={"zh-Hans": "青铜", "en": "bronze"},
        techniques=[TermRecord("technique", "casting", {"zh-Hans": "铸造", "en": "casting"})],
        dimensions=[DimensionRecord("height", Decimal("30.5"), "cm"),
                    DimensionRecord("diameter", Decimal("24.0"), "cm")],
        dimensions_text={"zh-Hans": "通高30.5厘米，口径24厘米"},
        inscriptions=[InscriptionRecord({"zh-Hans": "父乙"}, "inscription", "inside wall")],
        description={"zh-Hans": "立耳，深腹，三柱足。",
                     "en": "Upright handles, deep belly, three legs."},
        acquisition_method="transfer",
        acquisition_date=dt.date(1959, 5, 1),
        acquisition_source={},
        credit_line={"zh-Hans": "1959年调拨", "en": "Transferred, 1959"},
        grade="grade-1",
        status="in-store",
        images=[ImageRecord(101, 4000, 3000, "image/tiff", {"en": "Front view"}, True, CC_BY)],
        updated_at=dt.datetime(2025, 3, 1, 8, 30, tzinfo=dt.UTC),
    )
    return replace(record, **changes)


def qing_vase(**changes: Any) -> ObjectRecord:
    """A Qianlong-period porcelain vase from the imperial kiln at Jingdezhen."""
    record = ObjectRecord(
        id=2,
        object_number="故00020001",
        other_numbers=[],
        object_name={"zh-Hans": "粉彩花卉纹瓶", "en": "Vase with flowers"},
        object_type=TermRecord("object-type", "vase", {"zh-Hans": "瓶", "en": "vase"},
                               "300132254"),
        title={},
        makers=[MakerRecord({"zh-Hans": "景德镇御窑厂", "en": "Imperial kiln, Jingdezhen"},
                            "kiln")],
        culture={},
        period={"zh-Hans": "清乾隆", "en": "Qing dynasty, Qianlong reign"},
        year_earliest=1736,
        year_latest=1795,
        production_date="1736-1795",
        materials=[TermRecord("material", "porcelain", {"zh-Hans": "瓷", "en": "porcelain"},
                              "300010662")],
        medium={"zh-Hans": "瓷"},
        techniques=[],
        dimensions=[DimensionRecord("height", Decimal("41"), "cm"),
                    DimensionRecord("weight", Decimal("2.5"), "kg")],
        dimensions_text={},
        inscriptions=[InscriptionRecord({"zh-Hans": "大清乾隆年制"}, "mark", "base")],
        description={},
        acquisition_method="purchase",
        acquisition_date=None,
        acquisition_source={},
        credit_line={},
        grade="grade-2",
        status="on-display",
        images=[],
        updated_at=dt.datetime(2025, 3, 2, 9, 0, tzinfo=dt.UTC),
    )
    return replace(record, **changes)


def silk_painting(**changes: Any) -> ObjectRecord:
    """A Ming hanging scroll, ink and colour on silk, signed and sealed by the painter."""
    record = ObjectRecord(
        id=3,
        object_number="故00030003",
        other_numbers=[("新12345", "old inventory number")],
        object_name={"zh-Hans": "轴"},
        object_type=TermRecord("object-type", "painting", {"zh-Hans": "绘画", "en": "painting"},
                               "300033618"),
        title={"zh-Hans": "秋山图", "en": "Autumn Mountains"},
        makers=[MakerRecord({"zh-Hans": "文徵明", "en": "Wen Zhengming"}, "artist")],
        culture={},
        period={"zh-Hans": "明", "en": "Ming dynasty"},
        year_earliest=1530,
        year_latest=1559,
        production_date="16th century",
        materials=[TermRecord("material", "silk", {"zh-Hans": "绢", "en": "silk"}, "300243428"),
                   TermRecord("material", "ink", {"zh-Hans": "墨", "en": "ink"}, "300015012")],
        medium={"zh-Hans": "绢本设色", "en": "ink and colour on silk"},
        techniques=[],
        dimensions=[DimensionRecord("height", Decimal("120.3"), "cm"),
                    DimensionRecord("width", Decimal("45"), "cm")],
        dimensions_text={"zh-Hans": "纵120.3厘米，横45厘米"},
        inscriptions=[InscriptionRecord({"zh-Hans": "徵明"}, "seal", "lower right")],
        description={"en": "A scholar walks among autumn trees."},
        acquisition_method="gift",
        acquisition_date=dt.date(1953, 10, 1),
        acquisition_source={},
        credit_line={"en": "Gift of a private collector, 1953"},
        grade="grade-1",
        status="in-store",
        images=[
            ImageRecord(301, 2000, 6000, "image/jpeg", {"zh-Hans": "局部"}, False, ""),
            ImageRecord(300, 3000, 9000, "image/tiff", {"en": "Whole scroll"}, True, CC_BY),
        ],
        updated_at=dt.datetime(2025, 3, 3, 10, 15, tzinfo=dt.UTC),
        rights="http://rightsstatements.org/vocab/NoC-NC/1.0/",
    )
    return replace(record, **changes)


# --- Linked Art ---------------------------------------------------------------------------

# ISO 8601 / xsd:dateTime with a signed year of four or more digits. The jsonschema
# "date-time" check is RFC 3339, which has no years before 0000 and so rejects every BCE
# date; Linked Art timespans are xsd:dateTime values, which allow them.
_XSD_DATE_TIME = re.compile(r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$")


def _format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker(formats=())
    checker.checks("date-time")(lambda value: bool(_XSD_DATE_TIME.match(str(value))))
    checker.checks("uri")(lambda value: bool(_URI.match(str(value))))
    return checker


@cache
def linked_art_validator() -> jsonschema.Draft202012Validator:
    schemas = linked_art_schemas()
    registry: referencing.Registry[Any] = referencing.Registry().with_resources(
        (uri, referencing.Resource.from_contents(doc, default_specification=DRAFT202012))
        for uri, doc in schemas.items()
    )
    return jsonschema.Draft202012Validator(
        schemas["https://linked.art/api/1.0/schema/object.json"],
        registry=registry,
        format_checker=_format_checker(),
    )


def linked_art_errors(document: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in linked_art_validator().iter_errors(document)
    ]


def aat(number: str, label: str, **extra: Any) -> dict[str, Any]:
    return {"id": AAT + number, "type": "Type", "_label": label, **extra}


CHINESE = [{"id": AAT + "300388113", "type": "Language", "_label": "Chinese"}]
ENGLISH = [{"id": AAT + "300388277", "type": "Language", "_label": "English"}]
BRIEF = [aat("300418049", "Brief Text")]


def test_linked_art_ding_validates_against_the_object_schema() -> None:
    # Given the bronze ding; When it is exported; Then the Linked Art schema accepts it.
    assert linked_art_errors(linked_art(bronze_ding(), base_url=BASE + "/")) == []


def test_linked_art_validator_rejects_a_broken_document() -> None:
    # Given a valid document with its required _label removed and a Name without content
    document = linked_art(bronze_ding(), base_url=BASE)
    del document["_label"]
    document["identified_by"][0].pop("content")
    # Then the validator reports both, so the passing tests above mean something.
    errors = linked_art_errors(document)
    assert len(errors) == 2
    assert "'_label' is a required property" in errors[0] + errors[1]


def test_linked_art_ding_identity_names_and_numbers() -> None:
    document = linked_art(bronze_ding(), base_url=BASE)
    assert document["@context"] == "https://linked.art/ns/v1/linked-art.json"
    assert document["id"] == "https://museum.example/catalog/linked-art/object/1"
    assert document["type"] == "HumanMadeObject"
    assert document["_label"] == "Ding with taotie mask"
    primary = [aat("300404670", "Primary Name")]
    alternate = [aat("300264273", "Alternate Name")]
    assert document["identified_by"] == [
        {"type": "Name", "content": "兽面纹鼎", "classified_as": primary, "language": CHINESE},
        {"type": "Name", "content": "Ding with taotie mask", "classified_as": primary,
         "language": ENGLISH},
        {"type": "Name", "content": "鼎", "classified_as": alternate, "language": CHINESE},
        {"type": "Name", "content": "ding", "classified_as": alternate, "language": ENGLISH},
        {"type": "Identifier", "content": "故00012345",
         "classified_as": [aat("300312355", "Accession Number")]},
        {"type": "Identifier", "content": "普0001", "_label": "census number",
         "classified_as": [aat("300404621", "Owner-Assigned Number")]},
    ]


def test_linked_art_ding_type_materials_dimensions() -> None:
    document = linked_art(bronze_ding(), base_url=BASE)
    # An object type without an AAT id gets a local term URI, still marked "Type of Work".
    assert document["classified_as"] == [{
        "id": "https://museum.example/catalog/terms/object-type/ding", "type": "Type",
        "_label": "ding (vessel)", "classified_as": [aat("300435443", "Type of Work")],
    }]
    assert document["made_of"] == [
        {"id": AAT + "300010957", "type": "Material", "_label": "bronze"}
    ]
    centimetres = {"id": AAT + "300379098", "type": "MeasurementUnit", "_label": "centimeters"}
    assert document["dimension"] == [
        {"type": "Dimension", "value": 30.5, "unit": centimetres,
         "classified_as": [aat("300055644", "Height")]},
        {"type": "Dimension", "value": 24, "unit": centimetres,
         "classified_as": [aat("300055624", "Diameter")]},
    ]


def test_linked_art_ding_production_uses_iso_years_for_bce_dates() -> None:
    document = linked_art(bronze_ding(), base_url=BASE)
    # 1600 BCE is ISO 8601 year -1599 (year 0000 is 1 BCE); 1046 BCE ends in -1045.
    assert document["produced_by"] == {
        "type": "Production",
        "technique": [{"id": "https://museum.example/catalog/terms/technique/casting",
                       "type": "Type", "_label": "casting"}],
        "timespan": {
            "type": "TimeSpan",
            "identified_by": [{"type": "Name", "content": "商代"}],
            "begin_of_the_begin": "-1599-01-01T00:00:00Z",
            "end_of_the_end": "-1045-12-31T23:59:59Z",
        },
    }


def test_linked_art_ding_statements_in_order() -> None:
    document = linked_art(bronze_ding(), base_url=BASE)
    summary = [(s["classified_as"][0]["_label"], s["content"], s.get("language"))
               for s in document["referred_to_by"]]
    assert summary == [
        ("Description", "立耳，深腹，三柱足。", CHINESE),
        ("Description", "Upright handles, deep belly, three legs.", ENGLISH),
        ("Inscription", "父乙", CHINESE),
        ("Material Statement", "青铜", CHINESE),
        ("Material Statement", "bronze", ENGLISH),
        ("Dimension Statement", "通高30.5厘米，口径24厘米", CHINESE),
        ("Period Statement", "商", CHINESE),
        ("Period Statement", "Shang dynasty", ENGLISH),
        ("Culture Statement", "商文化", CHINESE),
        ("Culture Statement", "Shang culture", ENGLISH),
        ("Credit Statement", "1959年调拨", CHINESE),
        ("Credit Statement", "Transferred, 1959", ENGLISH),
    ]
    assert document["referred_to_by"][0]["classified_as"] == [
        aat("300435416", "Description", classified_as=BRIEF)
    ]


def test_linked_art_ding_image_links_the_iiif_service_and_manifest() -> None:
    document = linked_art(bronze_ding(), base_url=BASE)
    assert document["representation"] == [{
        "type": "VisualItem",
        "digitally_shown_by": [{
            "type": "DigitalObject",
            "classified_as": [aat("300215302", "Digital Image")],
            "format": "image/jpeg",
            "access_point": [{
                "id": "https://museum.example/catalog/iiif/image/101/full/max/0/default.jpg",
                "type": "DigitalObject"}],
            "conforms_to": [{"id": "http://iiif.io/api/image", "type": "InformationObject"}],
        }],
        "identified_by": [{"type": "Name", "content": "Front view", "language": ENGLISH}],
    }]
    manifest = document["subject_of"][0]["digitally_carried_by"][0]
    assert manifest["access_point"] == [{
        "id": "https://museum.example/catalog/iiif/object/1/manifest", "type": "DigitalObject"}]
    assert manifest["conforms_to"] == [
        {"id": "http://iiif.io/api/presentation", "type": "InformationObject"}
    ]


def test_linked_art_makers_are_people_or_groups_with_a_production_statement() -> None:
    painting = linked_art(silk_painting(), base_url=BASE)
    vase = linked_art(qing_vase(), base_url=BASE)
    assert linked_art_errors(painting) == []
    assert linked_art_errors(vase) == []
    assert painting["produced_by"]["carried_out_by"] == [{
        "id": "https://museum.example/catalog/linked-art/object/3#maker-1",
        "type": "Person", "_label": "Wen Zhengming"}]
    assert vase["produced_by"]["carried_out_by"] == [{
        "id": "https://museum.example/catalog/linked-art/object/2#maker-1",
        "type": "Group", "_label": "Imperial kiln, Jingdezhen"}]
    statements = [(s["content"], s.get("language"))
                  for s in painting["produced_by"]["referred_to_by"]]
    assert statements == [("文徵明 (artist)", CHINESE), ("Wen Zhengming (artist)", ENGLISH)]
    assert painting["produced_by"]["timespan"]["begin_of_the_begin"] == "1530-01-01T00:00:00Z"
    assert painting["produced_by"]["timespan"]["end_of_the_end"] == "1559-12-31T23:59:59Z"


def test_linked_art_seal_and_mark_are_classified_by_kind() -> None:
    painting = linked_art(silk_painting(), base_url=BASE)
    vase = linked_art(qing_vase(), base_url=BASE)
    assert [(s["classified_as"][0]["id"], s["content"]) for s in painting["referred_to_by"]
            if s["content"] == "徵明"] == [(AAT + "300435414", "徵明")]
    assert [(s["classified_as"][0]["id"], s["content"]) for s in vase["referred_to_by"]
            if s["content"] == "大清乾隆年制"] == [(AAT + "300435420", "大清乾隆年制")]


def test_linked_art_vase_without_title_is_named_by_object_name_and_weighs_in_kilograms() -> None:
    vase = linked_art(qing_vase(), base_url=BASE)
    assert vase["_label"] == "Vase with flowers"
    assert [n["content"] for n in vase["identified_by"] if n["type"] == "Name"] == [
        "粉彩花卉纹瓶", "Vase with flowers"]
    assert vase["classified_as"][0]["id"] == AAT + "300132254"
    assert vase["dimension"][1] == {
        "type": "Dimension", "value": 2.5,
        "unit": {"id": AAT + "300379226", "type": "MeasurementUnit", "_label": "kilograms"},
        "classified_as": [aat("300056240", "Weight")]}
    assert "representation" not in vase
    assert "subject_of" not in vase


def test_linked_art_drops_dimensions_whose_unit_has_no_aat_id() -> None:
    record = bronze_ding(dimensions=[DimensionRecord("height", Decimal("3"), "chi")])
    document = linked_art(record, base_url=BASE)
    assert "dimension" not in document
    assert linked_art_errors(document) == []


def test_linked_art_primary_image_comes_first() -> None:
    document = linked_art(silk_painting(), base_url=BASE)
    assert [r["digitally_shown_by"][0]["access_point"][0]["id"]
            for r in document["representation"]] == [
        "https://museum.example/catalog/iiif/image/300/full/max/0/default.jpg",
        "https://museum.example/catalog/iiif/image/301/full/max/0/default.jpg",
    ]


# --- LIDO ---------------------------------------------------------------------------------


def lido_tree(*records: ObjectRecord) -> etree._Element:
    return etree.fromstring(lido(list(records), base_url=BASE, institution=PALACE))


def texts(element: etree._Element, path: str) -> list[tuple[str | None, str]]:
    return [(e.get(XML_LANG), e.text or "") for e in element.xpath(path, namespaces=NS)]


def test_lido_wrap_of_three_records_validates_against_lido_1_1() -> None:
    schema = xml_schema("lido")
    tree = lido_tree(bronze_ding(), qing_vase(), silk_painting())
    assert schema.validate(tree), schema.error_log
    assert len(tree.xpath("/lido:lidoWrap/lido:lido", namespaces=NS)) == 3


def test_lido_schema_rejects_a_record_without_its_title() -> None:
    schema = xml_schema("lido")
    tree = lido_tree(bronze_ding())
    title = tree.xpath("//lido:titleWrap", namespaces=NS)[0]
    title.getparent().remove(title)
    assert not schema.validate(tree)


def test_lido_mandatory_elements_of_the_ding() -> None:
    record = lido_tree(bronze_ding()).xpath("/lido:lidoWrap/lido:lido", namespaces=NS)[0]
    assert texts(record, "lido:lidoRecID") == [
        (None, "https://museum.example/catalog/lido/object/1")]
    assert texts(record, "lido:objectPublishedID") == [
        (None, "https://museum.example/catalog/linked-art/object/1")]
    assert texts(record, "lido:category/lido:conceptID") == [
        (None, "http://www.cidoc-crm.org/cidoc-crm/E22_Human-Made_Object")]
    assert record.xpath("lido:descriptiveMetadata/@xml:lang", namespaces=NS) == ["zh-Hans"]
    work_type = "lido:descriptiveMetadata//lido:objectWorkType"
    assert texts(record, f"{work_type}/lido:conceptID") == [
        (None, "https://museum.example/catalog/terms/object-type/ding")]
    assert texts(record, f"{work_type}/lido:term") == [
        ("zh-Hans", "鼎"), ("en", "ding (vessel)")]
    assert texts(record, "//lido:titleSet[@lido:pref='preferred']/lido:appellationValue") == [
        ("zh-Hans", "兽面纹鼎"), ("en", "Ding with taotie mask")]
    assert texts(record, "//lido:titleSet[@lido:type='object name']/lido:appellationValue") == [
        ("zh-Hans", "鼎"), ("en", "ding")]
    assert texts(record, "//lido:repositorySet/lido:workID") == [
        (None, "故00012345"), (None, "普0001")]
    assert record.xpath("//lido:repositorySet/lido:workID/@lido:type", namespaces=NS) == [
        "inventory number", "census number"]
    assert texts(record, "//lido:repositoryName/lido:legalBodyName/lido:appellationValue") == [
        ("zh-Hans", "故宫博物院"), ("en", "The Palace Museum")]
    assert texts(record, "//lido:recordWrap/lido:recordID") == [(None, "1")]
    assert texts(record, "//lido:recordWrap/lido:recordType/lido:term") == [("en", "item")]
    assert texts(record, "//lido:recordSource/lido:legalBodyWeblink") == [
        (None, "https://museum.example")]
    assert texts(record, "//lido:recordMetadataDate") == [(None, "2025-03-01T08:30:00Z")]


def test_lido_ding_measurements_materials_inscription_and_description() -> None:
    record = lido_tree(bronze_ding())
    sets = record.xpath("//lido:measurementsSet", namespaces=NS)
    assert [(texts(m, "lido:measurementType/lido:conceptID")[0][1],
             texts(m, "lido:measurementUnit/lido:term")[0][1],
             texts(m, "lido:measurementValue")[0][1]) for m in sets] == [
        (AAT + "300055644", "cm", "30.5"), (AAT + "300055624", "cm", "24")]
    assert texts(record, "//lido:displayObjectMeasurements") == [
        ("zh-Hans", "通高30.5厘米，口径24厘米")]
    assert texts(record, "//lido:termMaterialsTech[@lido:type='material']/lido:conceptID") == [
        (None, AAT + "300010957")]
    assert texts(record, "//lido:termMaterialsTech[@lido:type='technique']/lido:term") == [
        ("zh-Hans", "铸造"), ("en", "casting")]
    assert texts(record, "//lido:displayMaterialsTech") == [("zh-Hans", "青铜"), ("en", "bronze")]
    assert texts(record, "//lido:inscriptions[@lido:type='inscription']/"
                         "lido:inscriptionTranscription") == [("zh-Hans", "父乙")]
    assert texts(record, "//lido:inscriptionDescription/lido:descriptiveNoteValue") == [
        (None, "inside wall")]
    assert texts(record, "//lido:objectDescriptionSet/lido:descriptiveNoteValue") == [
        ("zh-Hans", "立耳，深腹，三柱足。"), ("en", "Upright handles, deep belly, three legs.")]
    assert texts(record, "//lido:classification[@lido:type='grade']/lido:term") == [
        (None, "grade-1")]


def test_lido_production_event_dates_actors_period() -> None:
    ding = lido_tree(bronze_ding())
    assert texts(ding, "//lido:event/lido:eventType/lido:conceptID") == [
        (None, "http://www.cidoc-crm.org/cidoc-crm/E12_Production")]
    assert texts(ding, "//lido:eventDate/lido:displayDate") == [(None, "商代")]
    assert texts(ding, "//lido:eventDate/lido:date/lido:earliestDate") == [(None, "-1599")]
    assert texts(ding, "//lido:eventDate/lido:date/lido:latestDate") == [(None, "-1045")]
    assert texts(ding, "//lido:event/lido:periodName/lido:term") == [
        ("zh-Hans", "商"), ("en", "Shang dynasty")]
    assert texts(ding, "//lido:event/lido:culture/lido:term") == [
        ("zh-Hans", "商文化"), ("en", "Shang culture")]
    painting = lido_tree(silk_painting())
    assert texts(painting, "//lido:eventActor/lido:displayActorInRole") == [
        ("zh-Hans", "文徵明 (artist)"), ("en", "Wen Zhengming (artist)")]
    assert painting.xpath("//lido:actorInRole/lido:actor/@lido:type", namespaces=NS) == [
        "person"]
    assert texts(painting, "//lido:nameActorSet/lido:appellationValue") == [
        ("zh-Hans", "文徵明"), ("en", "Wen Zhengming")]
    assert texts(painting, "//lido:roleActor/lido:term") == [(None, "artist")]
    vase = lido_tree(qing_vase())
    assert vase.xpath("//lido:actorInRole/lido:actor/@lido:type", namespaces=NS) == ["group"]


def test_lido_painting_rights_seal_and_images_primary_first() -> None:
    painting = lido_tree(silk_painting())
    assert texts(painting, "//lido:inscriptions[@lido:type='seal']/"
                           "lido:inscriptionTranscription") == [("zh-Hans", "徵明")]
    assert texts(painting, "//lido:rightsWorkSet/lido:rightsType/lido:conceptID") == [
        (None, "http://rightsstatements.org/vocab/NoC-NC/1.0/")]
    assert texts(painting, "//lido:rightsWorkSet/lido:creditLine") == [
        ("en", "Gift of a private collector, 1953")]
    resources = painting.xpath("//lido:resourceSet", namespaces=NS)
    assert [r.get("{http://www.lido-schema.org}sortorder") for r in resources] == ["1", "2"]
    assert [texts(r, "lido:resourceID")[0][1] for r in resources] == ["300", "301"]
    assert texts(resources[0], "lido:resourceRepresentation/lido:linkResource") == [
        (None, "https://museum.example/catalog/iiif/image/300/full/max/0/default.jpg")]
    assert texts(resources[0], "lido:resourceRepresentation/lido:resourceMeasurementsSet/"
                               "lido:measurementValue") == [(None, "3000"), (None, "9000")]
    assert texts(resources[0], "lido:resourceDescription") == [("en", "Whole scroll")]
    assert texts(resources[0], "lido:rightsResource/lido:rightsType/lido:conceptID") == [
        (None, CC_BY)]
    assert texts(resources[1], "lido:rightsResource/lido:rightsType/lido:conceptID") == []


def test_lido_record_without_type_or_names_falls_back_and_stays_valid() -> None:
    record = qing_vase(object_type=None, object_name={}, makers=[], period={},
                       year_earliest=None, year_latest=None, production_date="")
    element = lido_record(record, base_url=BASE)
    assert xml_schema("lido").validate(element), xml_schema("lido").error_log
    assert texts(element, "//lido:objectWorkType/lido:term") == [("en", "object")]
    assert texts(element, "//lido:titleSet/lido:appellationValue") == [(None, "故00020001")]
    assert element.xpath("//lido:eventWrap", namespaces=NS) == []
    assert element.xpath("//lido:legalBodyName", namespaces=NS) == []


# --- Dublin Core --------------------------------------------------------------------------


def dc_elements(element: etree._Element) -> list[tuple[str, str | None, str]]:
    return [(etree.QName(child).localname, child.get(XML_LANG), child.text or "")
            for child in element]


def test_oai_dc_of_the_vase_has_each_element_with_data() -> None:
    element = oai_dc(qing_vase(), base_url=BASE, publisher=PALACE)
    assert xml_schema("oai_dc").validate(element), xml_schema("oai_dc").error_log
    assert dc_elements(element) == [
        ("title", "zh-Hans", "粉彩花卉纹瓶"),
        ("title", "en", "Vase with flowers"),
        ("creator", "zh-Hans", "景德镇御窑厂"),
        ("creator", "en", "Imperial kiln, Jingdezhen"),
        ("subject", "zh-Hans", "瓶"),
        ("subject", "en", "vase"),
        ("description", "zh-Hans", "大清乾隆年制"),
        ("publisher", "zh-Hans", "故宫博物院"),
        ("publisher", "en", "The Palace Museum"),
        ("date", None, "1736-1795"),
        ("date", None, "1736/1795"),
        ("type", None, "PhysicalObject"),
        ("type", "zh-Hans", "瓶"),
        ("type", "en", "vase"),
        ("format", "zh-Hans", "瓷"),
        ("identifier", None, "故00020001"),
        ("identifier", None, "https://museum.example/catalog/linked-art/object/2"),
        ("language", None, "zh-Hans"),
        ("coverage", "zh-Hans", "清乾隆"),
        ("coverage", "en", "Qing dynasty, Qianlong reign"),
    ]


def test_oai_dc_of_the_painting_has_rights_relations_and_bce_free_dates() -> None:
    element = oai_dc(silk_painting(), base_url=BASE)
    assert xml_schema("oai_dc").validate(element), xml_schema("oai_dc").error_log
    found = dc_elements(element)
    assert [e for e in found if e[0] in ("relation", "rights", "date", "creator")] == [
        ("creator", "zh-Hans", "文徵明"),
        ("creator", "en", "Wen Zhengming"),
        ("date", None, "16th century"),
        ("date", None, "1530/1559"),
        ("relation", None, "https://museum.example/catalog/iiif/object/3/manifest"),
        ("relation", None, "https://museum.example/catalog/iiif/image/300/full/max/0/default.jpg"),
        ("relation", None, "https://museum.example/catalog/iiif/image/301/full/max/0/default.jpg"),
        ("rights", None, "http://rightsstatements.org/vocab/NoC-NC/1.0/"),
        ("rights", "en", "Gift of a private collector, 1953"),
    ]


def test_oai_dc_without_base_url_has_no_uris_and_ding_dates_are_iso_years() -> None:
    found = dc_elements(oai_dc(bronze_ding()))
    assert [e for e in found if e[0] in ("identifier", "relation", "date")] == [
        ("date", None, "商代"),
        ("date", None, "-1599/-1045"),
        ("identifier", None, "故00012345"),
        ("identifier", None, "普0001"),
    ]


# --- CSV / XLSX ---------------------------------------------------------------------------

DING_ROW = {
    "object_number": "故00012345",
    "title": "兽面纹鼎",
    "title_en": "Ding with taotie mask",
    "object_name": "鼎",
    "object_type": "鼎",
    "maker": "",
    "production_date": "商代",
    "period": "商",
    "year_earliest": "-1600",
    "year_latest": "-1046",
    "medium": "青铜",
    "materials": "青铜",
    "dimensions": "通高30.5厘米，口径24厘米",
    "description": "立耳，深腹，三柱足。",
    "inscription": "父乙",
    "credit_line": "1959年调拨",
    "acquisition_method": "transfer",
    "acquisition_date": "1959-05-01",
    "grade": "grade-1",
    "status": "in-store",
}


def test_rows_flatten_to_the_import_field_names() -> None:
    exported = list(rows([bronze_ding(), qing_vase(), silk_painting()]))
    assert list(exported[0]) == list(ROW_FIELDS)
    assert exported[0] == DING_ROW
    assert exported[1]["title"] == ""
    assert exported[1]["maker"] == "景德镇御窑厂"
    # Historical years are kept as the import reads them (not ISO 8601).
    assert (exported[1]["year_earliest"], exported[1]["year_latest"]) == ("1736", "1795")
    # Without a display text the structured dimensions are written out.
    assert exported[1]["dimensions"] == "height 41 cm; weight 2.5 kg"
    assert exported[1]["acquisition_date"] == ""
    assert exported[2]["materials"] == "绢; 墨"
    assert exported[2]["description"] == "A scholar walks among autumn trees."
    assert exported[2]["credit_line"] == "Gift of a private collector, 1953"


def test_title_falls_back_to_english_when_there_is_no_other_language() -> None:
    (exported,) = rows([bronze_ding(title={"en": "Ding"})])
    assert (exported["title"], exported["title_en"]) == ("Ding", "Ding")


def test_write_csv_round_trips_through_the_csv_reader() -> None:
    stream = io.StringIO(newline="")
    count = write_csv([bronze_ding(), silk_painting()], stream)
    assert count == 2
    stream.seek(0)
    read = list(csv.DictReader(stream))
    assert read == list(rows([bronze_ding(), silk_painting()]))
    assert stream.getvalue().splitlines()[0] == ",".join(ROW_FIELDS)


def test_write_xlsx_round_trips_through_openpyxl() -> None:
    stream = io.BytesIO()
    count = write_xlsx([bronze_ding(), qing_vase()], stream)
    assert count == 2
    stream.seek(0)
    sheet = load_workbook(stream, read_only=True)["objects"]
    values = [[cell if cell is not None else "" for cell in row]
              for row in sheet.iter_rows(values_only=True)]
    assert values[0] == list(ROW_FIELDS)
    assert values[1] == [DING_ROW[name] for name in ROW_FIELDS]
    assert len(values) == 3
