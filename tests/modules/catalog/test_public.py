"""Public IIIF, Linked Art, LIDO and OAI-PMH addresses: published records open to all,
unpublished ones only to staff, and no location ever in them."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from lxml import etree

from taihe.modules.catalog import services
from taihe.modules.catalog.demo_images import render_object_image
from taihe.modules.catalog.models import Media

OAI = "{http://www.openarchives.org/OAI/2.0/}"


@pytest.fixture
def terms(db: Any) -> None:
    """The vocabulary is seeded after every migrate (``seed.ensure_terms``)."""


@pytest.fixture
def published(catalog: dict[str, Any], run_commit_hooks: Any) -> dict[str, Any]:
    """The gallery bowl, published, with one image and its IIIF tiles."""
    registrar = catalog["people"]["registrar"]
    buffer = io.BytesIO()
    render_object_image("porcelain", 7, size=(600, 800)).save(buffer, "JPEG")
    with run_commit_hooks():
        media = services.do_add_media(
            registrar, catalog["bowl"], SimpleUploadedFile("bowl.jpg", buffer.getvalue()),
            caption={"en": "Side view"}, rights="http://creativecommons.org/publicdomain/zero/1.0/")
    services.do_set_published(registrar, catalog["bowl"], True)
    catalog["media"] = Media.objects.get(pk=media.pk)
    return catalog


def test_manifest_of_a_published_object_is_open_to_everyone(published: dict[str, Any]) -> None:
    bowl, media = published["bowl"], published["media"]

    response = Client().get(f"/catalog/iiif/object/{bowl.pk}/manifest")

    assert response.status_code == 200
    manifest = response.json()
    assert manifest["type"] == "Manifest"
    assert manifest["id"] == f"http://testserver/catalog/iiif/object/{bowl.pk}/manifest"
    assert manifest["label"]["en"] == ["Blue and white bowl"]
    canvas = manifest["items"][0]
    body = canvas["items"][0]["items"][0]["body"]
    assert (canvas["width"], canvas["height"]) == (600, 800)
    assert body["service"][0]["id"] == f"http://testserver/catalog/iiif/image/{media.pk}"
    assert "G1" not in response.content.decode() and "Gallery" not in response.content.decode()


def test_image_service_serves_info_and_pre_made_tiles(published: dict[str, Any]) -> None:
    media = published["media"]
    client = Client()

    info = client.get(f"/catalog/iiif/image/{media.pk}/info.json").json()

    assert info["id"] == f"http://testserver/catalog/iiif/image/{media.pk}"
    assert info["profile"] == "level0"
    width, height = info["sizes"][0]["width"], info["sizes"][0]["height"]
    tile = client.get(f"/catalog/iiif/image/{media.pk}/full/{width},{height}/0/default.jpg")
    assert tile.status_code == 200
    assert tile["Content-Type"] == "image/jpeg"
    assert client.get(f"/catalog/iiif/image/{media.pk}/full/999,999/0/default.jpg"
                      ).status_code == 404
    assert client.get(f"/catalog/iiif/image/{media.pk}/..%2F..%2Fsecret/max/0/default.jpg"
                      ).status_code == 404


def test_unpublished_records_are_hidden_from_the_public(catalog: dict[str, Any],
                                                        client_for: Any) -> None:
    scroll = catalog["scroll"]

    for path in (f"/catalog/linked-art/object/{scroll.pk}",
                 f"/catalog/lido/object/{scroll.pk}"):
        assert Client().get(path).status_code == 404, path
        staff = client_for(catalog["people"]["member"]).get(path)
        assert staff.status_code == 200, path
        # the scroll lies in a restricted store: no export names it
        assert "VAULT" not in staff.content.decode()
        assert "Hidden vault" not in staff.content.decode()


def test_linked_art_and_lido_of_a_published_object(published: dict[str, Any]) -> None:
    bowl = published["bowl"]

    linked = Client().get(f"/catalog/linked-art/object/{bowl.pk}")
    lido = Client().get(f"/catalog/lido/object/{bowl.pk}")

    assert linked.status_code == 200
    assert linked["Content-Type"].startswith("application/ld+json")
    assert linked.json()["type"] == "HumanMadeObject"
    assert lido.status_code == 200
    root = etree.fromstring(lido.content)
    assert root.tag == "{http://www.lido-schema.org}lidoWrap"


def test_oai_pmh_lists_only_published_records(published: dict[str, Any]) -> None:
    client = Client()

    identify = etree.fromstring(client.get("/catalog/oai", {"verb": "Identify"}).content)
    records = etree.fromstring(client.get("/catalog/oai", {
        "verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}).content)
    bad = etree.fromstring(client.get("/catalog/oai", {"verb": "Nope"}).content)

    assert identify.find(f"{OAI}Identify/{OAI}deletedRecord").text == "no"
    identifiers = [element.text for element in records.iter(f"{OAI}identifier")]
    assert identifiers == [f"oai:127.0.0.1:catalog/object/{published['bowl'].pk}"]
    assert bad.find(f"{OAI}error").get("code") == "badVerb"
