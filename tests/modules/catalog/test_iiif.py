"""IIIF Presentation 3.0 manifests and collections, checked against the IIIF validator's
schema (``iiif_schemas/iiif_3_0.json``, validated as the validator does, with Draft 7)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from dataclasses import replace
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from django.utils.translation import gettext, override

from taihe.modules.catalog import iiif
from taihe.modules.catalog.records import (
    DimensionRecord,
    ImageRecord,
    MakerRecord,
    ObjectRecord,
    TermRecord,
)

SCHEMA_PATH = Path(iiif.__file__).parent / "iiif_schemas" / "iiif_3_0.json"
SITE = "https://museum.example"
SERVICES = "https://museum.example/media/iiif"
MANIFEST_ID = "https://museum.example/iiif/objects/17/manifest"


@cache
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


def schema_errors(document: dict[str, Any]) -> list[str]:
    return [error.message for error in validator().iter_errors(document)]


def vase(**changes: Any) -> ObjectRecord:
    record = ObjectRecord(
        id=17,
        object_number="故00012345",
        other_numbers=[("新00098765", "old")],
        object_name={"zh-Hans": "青花缠枝莲纹梅瓶", "en": "Meiping vase"},
        object_type=TermRecord("object-type", "vase", {"zh-Hans": "瓶", "en": "vase"},
                               "300132254"),
        title={"zh-Hans": "青花缠枝莲纹梅瓶", "en": "Blue-and-white meiping with lotus scroll"},
        makers=[MakerRecord({"zh-Hans": "景德镇御窑厂", "en": "Imperial kiln, Jingdezhen"},
                            "kiln")],
        culture={"en": "Chinese"},
        period={"zh-Hans": "明永乐", "en": "Ming dynasty, Yongle reign"},
        year_earliest=1403,
        year_latest=1424,
        production_date="1403-1424",
        materials=[TermRecord("material", "porcelain", {"zh-Hans": "瓷", "en": "porcelain"},
                              "300010662"),
                   TermRecord("material", "cobalt", {"en": "cobalt blue"})],
        medium={},
        techniques=[],
        dimensions=[DimensionRecord("height", Decimal("29.50"), "cm"),
                    DimensionRecord("diameter", Decimal("1E+1"), "cm")],
        dimensions_text={},
        inscriptions=[],
        description={"en": "A tall vase painted in underglaze cobalt blue."},
        acquisition_method="transfer",
        acquisition_date=None,
        acquisition_source={},
        credit_line={"zh-Hans": "清宫旧藏", "en": "Qing court collection"},
        grade="grade-1",
        status="in-store",
        images=[
            ImageRecord(31, 4000, 6000, "image/jpeg", {"en": "Side view"}, False),
            ImageRecord(30, 6000, 4000, "image/jpeg", {}, True,
                        "https://creativecommons.org/licenses/by/4.0/"),
        ],
        updated_at=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        rights="",
    )
    return replace(record, **changes)


def build(record: ObjectRecord | None = None, **options: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "base_url": SITE + "/",
        "image_service_base": SERVICES,
        "manifest_id": MANIFEST_ID,
        "homepage": "https://museum.example/collection/17",
        "see_also": [{"id": "https://museum.example/linked-art/object/17", "type": "Dataset",
                      "format": "application/ld+json",
                      "profile": "https://linked.art/ns/v1/linked-art.json"}],
        "provider": iiif.Provider(
            id="https://museum.example/about",
            label={"zh-Hans": "示例博物馆", "en": "Example Museum"},
            homepage="https://museum.example/", logo="https://museum.example/logo.png"),
    }
    arguments.update(options)
    return iiif.manifest(record or vase(), **arguments)


def test_a_full_manifest_is_valid_presentation_3() -> None:
    # when
    document = build()
    # then
    assert schema_errors(document) == []
    assert document["@context"] == "http://iiif.io/api/presentation/3/context.json"
    assert document["type"] == "Manifest"
    assert document["id"] == MANIFEST_ID


def test_the_label_is_the_title_else_the_object_name_else_the_number() -> None:
    assert build()["label"] == {"zh-Hans": ["青花缠枝莲纹梅瓶"],
                                "en": ["Blue-and-white meiping with lotus scroll"]}
    assert build(vase(title={}))["label"] == {"zh-Hans": ["青花缠枝莲纹梅瓶"],
                                              "en": ["Meiping vase"]}
    assert build(vase(title={"en": "  "}, object_name={}))["label"] == {
        "none": ["故00012345"]}


def test_one_canvas_per_image_primary_first_painted_from_its_level0_service() -> None:
    # when
    canvases = build(image_identifiers={30: "a1b2", 31: "c3d4"})["items"]
    # then
    assert [canvas["id"] for canvas in canvases] == [
        "https://museum.example/iiif/objects/17/canvas/a1b2",
        "https://museum.example/iiif/objects/17/canvas/c3d4",
    ]
    first = canvases[0]
    assert (first["width"], first["height"]) == (6000, 4000)
    assert first["label"] == {"none": ["1"]}
    assert canvases[1]["label"] == {"en": ["Side view"]}
    page = first["items"][0]
    assert page["id"] == "https://museum.example/iiif/objects/17/page/a1b2"
    assert page["type"] == "AnnotationPage"
    annotation = page["items"][0]
    assert annotation == {
        "id": "https://museum.example/iiif/objects/17/annotation/a1b2",
        "type": "Annotation",
        "motivation": "painting",
        "body": {
            "id": "https://museum.example/media/iiif/a1b2/full/max/0/default.jpg",
            "type": "Image",
            "format": "image/jpeg",
            "width": 6000,
            "height": 4000,
            "service": [{"id": "https://museum.example/media/iiif/a1b2",
                         "type": "ImageService3", "profile": "level0"}],
        },
        "target": "https://museum.example/iiif/objects/17/canvas/a1b2",
    }


def test_without_identifiers_the_media_id_names_the_image_service() -> None:
    canvas = build()["items"][0]
    service = canvas["items"][0]["items"][0]["body"]["service"][0]
    assert service["id"] == "https://museum.example/media/iiif/30"


def test_the_thumbnail_is_the_primary_images_400_pixel_size() -> None:
    # when
    thumbnail = build()["thumbnail"]
    # then it is a size listed in that image's info.json (imaging.listed_sizes)
    assert thumbnail == [{
        "id": "https://museum.example/media/iiif/30/full/400,267/0/default.jpg",
        "type": "Image", "format": "image/jpeg", "width": 400, "height": 267,
        "service": [{"id": "https://museum.example/media/iiif/30",
                     "type": "ImageService3", "profile": "level0"}],
    }]


def test_metadata_rows_with_labels_in_english_and_chinese() -> None:
    # when
    metadata = build()["metadata"]
    # then
    with override("zh-hans"):
        chinese = [gettext(text) for text in ("Object number", "Object name", "Date",
                                                "Period", "Maker", "Materials", "Dimensions",
                                                "Credit line")]
    assert [row["label"]["en"] for row in metadata] == [
        ["Object number"], ["Object name"], ["Date"], ["Period"], ["Maker"], ["Materials"],
        ["Dimensions"], ["Credit line"]]
    assert [row["label"]["zh-Hans"] for row in metadata] == [[text] for text in chinese]
    values = {row["label"]["en"][0]: row["value"] for row in metadata}
    assert values["Object number"] == {"none": ["故00012345"]}
    assert values["Date"] == {"none": ["1403-1424"]}
    assert values["Period"] == {"zh-Hans": ["明永乐"], "en": ["Ming dynasty, Yongle reign"]}
    assert values["Maker"] == {"zh-Hans": ["景德镇御窑厂"], "en": ["Imperial kiln, Jingdezhen"]}
    # cobalt has no Chinese label: its English one stands in, so the lists stay parallel
    assert values["Materials"] == {"zh-Hans": ["瓷", "cobalt blue"],
                                   "en": ["porcelain", "cobalt blue"]}
    assert values["Dimensions"]["en"] == ["Height 29.5 cm", "Diameter 10 cm"]
    with override("zh-hans"):
        expected = [gettext("%(kind)s %(value)s %(unit)s") % {
            "kind": gettext(kind), "value": value, "unit": "cm"}
            for kind, value in (("Height", "29.5"), ("Diameter", "10"))]
    assert values["Dimensions"]["zh-Hans"] == expected
    assert values["Credit line"] == {"zh-Hans": ["清宫旧藏"], "en": ["Qing court collection"]}


def test_written_dimensions_win_and_empty_rows_are_left_out() -> None:
    # given
    record = vase(dimensions_text={"zh-Hans": "高29.5厘米"}, period={}, makers=[],
                  materials=[], credit_line={}, production_date="")
    # when
    metadata = build(record)["metadata"]
    # then
    assert [row["label"]["en"][0] for row in metadata] == [
        "Object number", "Object name", "Dimensions"]
    assert metadata[2]["value"] == {"zh-Hans": ["高29.5厘米"]}


def test_attribution_rights_provider_homepage_and_see_also() -> None:
    # when
    document = build()
    # then
    assert document["requiredStatement"]["value"] == {"zh-Hans": ["清宫旧藏"],
                                                      "en": ["Qing court collection"]}
    assert document["requiredStatement"]["label"]["en"] == ["Attribution"]
    # the primary image's https CC URI, in the http form the IIIF schema requires
    assert document["rights"] == "http://creativecommons.org/licenses/by/4.0/"
    assert document["provider"][0]["id"] == "https://museum.example/about"
    assert document["provider"][0]["logo"] == [
        {"id": "https://museum.example/logo.png", "type": "Image", "format": "image/png"}]
    assert document["homepage"] == [{"id": "https://museum.example/collection/17",
                                     "type": "Text", "label": document["label"],
                                     "format": "text/html"}]
    assert document["seeAlso"][0]["id"] == "https://museum.example/linked-art/object/17"
    assert document["summary"] == {"en": ["A tall vase painted in underglaze cobalt blue."]}


def test_without_credit_line_the_provider_is_credited_and_odd_rights_are_dropped() -> None:
    # given
    record = vase(credit_line={}, rights="In copyright, ask the museum")
    record = replace(record, images=[replace(image, rights="") for image in record.images])
    # when
    document = build(record)
    # then
    assert document["requiredStatement"]["value"] == {"zh-Hans": ["示例博物馆"],
                                                      "en": ["Example Museum"]}
    assert "rights" not in document
    assert schema_errors(document) == []


def test_the_smallest_manifest_is_still_valid() -> None:
    # given an object with only a number and one image, and no provider or links
    record = vase(title={}, object_name={}, description={}, period={}, makers=[],
                  materials=[], dimensions=[], credit_line={}, production_date="",
                  images=[ImageRecord(5, 300, 200, "image/jpeg")])
    # when
    document = build(record, homepage=None, see_also=[], provider=None)
    # then
    assert schema_errors(document) == []
    assert set(document) == {"@context", "id", "type", "label", "metadata", "thumbnail",
                             "items"}
    # a small image's thumbnail is the image itself, named max (Image API 3.0 §4.8)
    assert document["thumbnail"][0]["id"] == (
        "https://museum.example/media/iiif/5/full/max/0/default.jpg")


def test_an_object_without_images_has_no_manifest() -> None:
    with pytest.raises(iiif.ManifestUnavailable) as caught:
        build(vase(images=[]))
    assert caught.value.status == 404
    assert caught.value.code == "iiif_no_images"


def test_a_see_also_link_needs_an_id_and_a_type() -> None:
    with pytest.raises(ValueError, match="see_also item 1 lacks type"):
        build(see_also=[{"id": "https://museum.example/lido/17"}])


def test_the_schema_catches_what_a_viewer_would_choke_on() -> None:
    # given a valid manifest, then three broken copies
    document = build()
    plain_label = copy.deepcopy(document)
    plain_label["label"] = "Meiping vase"
    no_size = copy.deepcopy(document)
    del no_size["items"][0]["width"]
    https_rights = copy.deepcopy(document)
    https_rights["rights"] = "https://creativecommons.org/licenses/by/4.0/"
    # then
    assert schema_errors(document) == []
    for broken in (plain_label, no_size, https_rights):
        assert schema_errors(broken) != []


def test_an_exhibition_collection_lists_its_manifests_in_order() -> None:
    # when
    document = iiif.collection(
        {"zh-Hans": "永乐青花展", "en": "Yongle blue-and-white"},
        [(MANIFEST_ID, {"en": "Meiping vase"}),
         ("https://museum.example/iiif/objects/18/manifest", {})],
        collection_id="https://museum.example/iiif/exhibitions/yongle",
        summary={"en": "Twelve pieces from the imperial kilns."},
    )
    # then
    assert schema_errors(document) == []
    assert document == {
        "@context": "http://iiif.io/api/presentation/3/context.json",
        "id": "https://museum.example/iiif/exhibitions/yongle",
        "type": "Collection",
        "label": {"zh-Hans": ["永乐青花展"], "en": ["Yongle blue-and-white"]},
        "summary": {"en": ["Twelve pieces from the imperial kilns."]},
        "items": [
            {"id": MANIFEST_ID, "type": "Manifest", "label": {"en": ["Meiping vase"]}},
            {"id": "https://museum.example/iiif/objects/18/manifest", "type": "Manifest",
             "label": {"none": ["https://museum.example/iiif/objects/18/manifest"]}},
        ],
    }
