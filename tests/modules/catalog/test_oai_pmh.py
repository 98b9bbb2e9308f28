"""OAI-PMH 2.0 provider: the six verbs, the protocol errors, paging and deleted records.

Every response is validated against the OAI-PMH 2.0 schema (with oai_dc and LIDO 1.1 for the
metadata) vendored under ``exports/schemas``. The repository is an in-memory fake.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pytest
from lxml import etree

from taihe.modules.catalog.exports.oai_pmh import (
    Header,
    IdentifyInfo,
    OaiSet,
    handle,
)
from taihe.modules.catalog.exports.schemas import xml_schema
from taihe.modules.catalog.records import ObjectRecord
from tests.modules.catalog.test_exports import bronze_ding, qing_vase, silk_painting

BASE = "https://museum.example"
ENDPOINT = "https://museum.example/catalog/oai"
NOW = dt.datetime(2025, 4, 1, 12, 0, 0, tzinfo=dt.UTC)
NS = {
    "oai": "http://www.openarchives.org/OAI/2.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "lido": "http://www.lido-schema.org",
}


def oai_id(number: int) -> str:
    return f"oai:museum.example:catalog/{number}"


@dataclass
class FakeRepository:
    """Items 1–3 are the sample records; item 4 was deleted. Bronzes are in set "bronze"."""

    with_sets: bool = True
    calls: list[tuple[object, ...]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.items: dict[int, tuple[Header, ObjectRecord | None]] = {}
        for record, sets in ((bronze_ding(), ("bronze",)), (qing_vase(), ("ceramics",)),
                             (silk_painting(), ("painting",))):
            header = Header(record.id, oai_id(record.id), record.updated_at, sets)
            self.items[record.id] = (header, record)
        deleted = Header(4, oai_id(4), dt.datetime(2025, 3, 4, 0, 0, tzinfo=dt.UTC),
                         ("bronze",), deleted=True)
        self.items[4] = (deleted, None)

    def identify_info(self) -> IdentifyInfo:
        return IdentifyInfo(
            repository_name="The Palace Museum collection",
            admin_emails=("registrar@museum.example",),
            earliest_datestamp=dt.datetime(2025, 3, 1, 8, 30, tzinfo=dt.UTC),
            publisher={"zh-Hans": "故宫博物院", "en": "The Palace Museum"},
        )

    def list_headers(self, from_: dt.datetime | None, until: dt.datetime | None,
                     set_spec: str | None, after_id: int | None, limit: int) -> list[Header]:
        self.calls.append(("list_headers", from_, until, set_spec, after_id, limit))
        found = [
            header for header, _record in self.items.values()
            if (from_ is None or header.datestamp >= from_)
            and (until is None or header.datestamp <= until)
            and (set_spec is None or set_spec in header.set_specs)
            and (after_id is None or header.item_id > after_id)
        ]
        return sorted(found, key=lambda header: header.item_id)[:limit]

    def get_record(self, identifier: str) -> tuple[Header, ObjectRecord | None] | None:
        for header, record in self.items.values():
            if header.identifier == identifier:
                return header, record
        return None

    def records(self, headers: Sequence[Header]) -> Mapping[str, ObjectRecord]:
        self.calls.append(("records", tuple(h.identifier for h in headers)))
        wanted = {h.identifier for h in headers}
        return {header.identifier: record for header, record in self.items.values()
                if header.identifier in wanted and record is not None}

    def sets(self) -> list[OaiSet]:
        if not self.with_sets:
            return []
        return [OaiSet("bronze", "Bronzes"), OaiSet("ceramics", "Ceramics"),
                OaiSet("painting", "Paintings")]


def ask(params: Mapping[str, str | list[str]], repo: FakeRepository | None = None,
        page_size: int = 100) -> etree._Element:
    """Send a request; the response must be valid OAI-PMH 2.0 before anything else."""
    body = handle(params, repo or FakeRepository(), base_url=BASE, now=NOW, page_size=page_size)
    assert body.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    tree = etree.fromstring(body)
    schema = xml_schema("oai_pmh")
    assert schema.validate(tree), schema.error_log
    assert tree.findtext("oai:responseDate", namespaces=NS) == "2025-04-01T12:00:00Z"
    return tree


def error_of(tree: etree._Element) -> tuple[str, dict[str, str]]:
    """The error code and the attributes of the request element."""
    errors = tree.findall("oai:error", NS)
    assert len(errors) == 1
    request = tree.find("oai:request", NS)
    assert request is not None
    return errors[0].get("code", ""), dict(request.attrib)


def values(tree: etree._Element, path: str) -> list[str]:
    return [e.text or "" for e in tree.xpath(path, namespaces=NS)]


# --- Identify, ListMetadataFormats, ListSets ----------------------------------------------


def test_identify_describes_the_repository() -> None:
    tree = ask({"verb": "Identify"})
    identify = "/oai:OAI-PMH/oai:Identify/oai:"
    assert values(tree, identify + "repositoryName") == ["The Palace Museum collection"]
    assert values(tree, identify + "baseURL") == [ENDPOINT]
    assert values(tree, identify + "protocolVersion") == ["2.0"]
    assert values(tree, identify + "adminEmail") == ["registrar@museum.example"]
    assert values(tree, identify + "earliestDatestamp") == ["2025-03-01T08:30:00Z"]
    assert values(tree, identify + "deletedRecord") == ["persistent"]
    assert values(tree, identify + "granularity") == ["YYYY-MM-DDThh:mm:ssZ"]
    request = tree.find("oai:request", NS)
    assert request is not None
    assert (request.text, dict(request.attrib)) == (ENDPOINT, {"verb": "Identify"})


def test_identify_with_an_extra_argument_is_a_bad_argument() -> None:
    assert error_of(ask({"verb": "Identify", "set": "bronze"})) == ("badArgument", {})


def test_list_metadata_formats_offers_oai_dc_and_lido() -> None:
    tree = ask({"verb": "ListMetadataFormats"})
    assert values(tree, "//oai:metadataPrefix") == ["oai_dc", "lido"]
    assert values(tree, "//oai:metadataNamespace") == [
        "http://www.openarchives.org/OAI/2.0/oai_dc/", "http://www.lido-schema.org"]
    assert values(tree, "//oai:schema") == [
        "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
        "http://www.lido-schema.org/schema/v1.1/lido-v1.1.xsd"]


def test_list_metadata_formats_for_an_unknown_item_is_id_does_not_exist() -> None:
    tree = ask({"verb": "ListMetadataFormats", "identifier": oai_id(99)})
    assert error_of(tree) == ("idDoesNotExist",
                              {"verb": "ListMetadataFormats", "identifier": oai_id(99)})


def test_list_sets_and_its_errors() -> None:
    tree = ask({"verb": "ListSets"})
    assert values(tree, "//oai:set/oai:setSpec") == ["bronze", "ceramics", "painting"]
    assert values(tree, "//oai:set/oai:setName") == ["Bronzes", "Ceramics", "Paintings"]
    without_sets = FakeRepository(with_sets=False)
    assert error_of(ask({"verb": "ListSets"}, without_sets))[0] == "noSetHierarchy"
    assert error_of(ask({"verb": "ListSets", "resumptionToken": "x"}))[0] == "badResumptionToken"


# --- verbs and arguments ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "Harvest"}, "badVerb"),
        ({"verb": ["Identify", "ListSets"]}, "badVerb"),
        ({"verb": "GetRecord", "identifier": oai_id(1)}, "badArgument"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": ["oai_dc", "lido"]}, "badArgument"),
        ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": "2025-03"},
         "badArgument"),
        ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": "2025-02-30"},
         "badArgument"),
        ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": "2025-03-01",
          "until": "2025-03-02T00:00:00Z"}, "badArgument"),
        ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": "2025-03-03",
          "until": "2025-03-01"}, "badArgument"),
        ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "resumptionToken": "abc"},
         "badArgument"),
    ],
)
def test_bad_verbs_and_arguments_echo_no_request_attributes(
    params: Mapping[str, str | list[str]], code: str
) -> None:
    assert error_of(ask(params)) == (code, {})


def test_get_record_errors() -> None:
    tree = ask({"verb": "GetRecord", "identifier": oai_id(99), "metadataPrefix": "oai_dc"})
    assert error_of(tree)[0] == "idDoesNotExist"
    tree = ask({"verb": "GetRecord", "identifier": oai_id(1), "metadataPrefix": "marc21"})
    assert error_of(tree) == ("cannotDisseminateFormat", {
        "verb": "GetRecord", "identifier": oai_id(1), "metadataPrefix": "marc21"})


def test_list_with_an_unknown_format_or_set_errors() -> None:
    tree = ask({"verb": "ListRecords", "metadataPrefix": "mods"})
    assert error_of(tree)[0] == "cannotDisseminateFormat"
    tree = ask({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "bronze"},
               FakeRepository(with_sets=False))
    assert error_of(tree)[0] == "noSetHierarchy"
    tree = ask({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "textiles"})
    assert error_of(tree)[0] == "noRecordsMatch"


# --- GetRecord ----------------------------------------------------------------------------


def test_get_record_in_oai_dc() -> None:
    tree = ask({"verb": "GetRecord", "identifier": oai_id(1), "metadataPrefix": "oai_dc"})
    record = "/oai:OAI-PMH/oai:GetRecord/oai:record/"
    assert values(tree, record + "oai:header/oai:identifier") == [oai_id(1)]
    assert values(tree, record + "oai:header/oai:datestamp") == ["2025-03-01T08:30:00Z"]
    assert values(tree, record + "oai:header/oai:setSpec") == ["bronze"]
    assert values(tree, record + "oai:metadata//dc:title") == ["兽面纹鼎", "Ding with taotie mask"]
    assert values(tree, record + "oai:metadata//dc:publisher") == [
        "故宫博物院", "The Palace Museum"]


def test_get_record_in_lido() -> None:
    tree = ask({"verb": "GetRecord", "identifier": oai_id(3), "metadataPrefix": "lido"})
    lido = "/oai:OAI-PMH/oai:GetRecord/oai:record/oai:metadata/lido:lido/"
    assert values(tree, lido + "lido:lidoRecID") == [
        "https://museum.example/catalog/lido/object/3"]
    assert values(tree, lido + "/lido:titleSet[@lido:pref='preferred']/lido:appellationValue") \
        == ["秋山图", "Autumn Mountains"]
    assert values(tree, lido + "/lido:recordSource/lido:legalBodyName/lido:appellationValue") \
        == ["故宫博物院", "The Palace Museum"]


def test_get_record_of_a_deleted_item_has_a_deleted_header_and_no_metadata() -> None:
    tree = ask({"verb": "GetRecord", "identifier": oai_id(4), "metadataPrefix": "lido"})
    header = tree.xpath("//oai:record/oai:header", namespaces=NS)[0]
    assert header.get("status") == "deleted"
    assert tree.xpath("//oai:metadata", namespaces=NS) == []


# --- lists, selective harvesting, paging --------------------------------------------------


def test_list_identifiers_lists_every_item_including_the_deleted_one() -> None:
    tree = ask({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"})
    assert values(tree, "//oai:header/oai:identifier") == [oai_id(n) for n in (1, 2, 3, 4)]
    assert [h.get("status") for h in tree.xpath("//oai:header", namespaces=NS)] == [
        None, None, None, "deleted"]
    assert tree.xpath("//oai:resumptionToken", namespaces=NS) == []


def test_list_records_fetches_records_of_a_page_at_once() -> None:
    repo = FakeRepository()
    tree = ask({"verb": "ListRecords", "metadataPrefix": "lido"}, repo)
    assert len(tree.xpath("//oai:record", namespaces=NS)) == 4
    assert len(tree.xpath("//oai:metadata/lido:lido", namespaces=NS)) == 3
    assert [call for call in repo.calls if call[0] == "records"] == [
        ("records", (oai_id(1), oai_id(2), oai_id(3)))]


def test_from_and_until_select_by_datestamp_inclusively() -> None:
    tree = ask({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc",
                "from": "2025-03-02T09:00:00Z", "until": "2025-03-03T10:15:00Z"})
    assert values(tree, "//oai:header/oai:identifier") == [oai_id(2), oai_id(3)]
    # A day-granularity until covers that whole day.
    tree = ask({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "until": "2025-03-02"})
    assert values(tree, "//oai:header/oai:identifier") == [oai_id(1), oai_id(2)]
    tree = ask({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": "2026-01-01"})
    assert error_of(tree)[0] == "noRecordsMatch"


def test_set_selects_members_only() -> None:
    tree = ask({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "bronze"})
    assert values(tree, "//oai:header/oai:identifier") == [oai_id(1), oai_id(4)]


def test_paging_with_resumption_tokens_to_the_end() -> None:
    repo = FakeRepository()
    first = ask({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "bronze",
                 "from": "2025-03-01"}, repo, page_size=1)
    assert values(first, "//oai:header/oai:identifier") == [oai_id(1)]
    token_element = first.xpath("//oai:resumptionToken", namespaces=NS)[0]
    assert token_element.get("cursor") == "0"
    token = token_element.text
    assert token
    second = ask({"verb": "ListRecords", "resumptionToken": token}, repo, page_size=1)
    # The token carried the set and the date; the second page holds the deleted bronze.
    assert values(second, "//oai:header/oai:identifier") == [oai_id(4)]
    request = second.find("oai:request", NS)
    assert request is not None
    assert dict(request.attrib) == {"verb": "ListRecords", "resumptionToken": token}
    last = second.xpath("//oai:resumptionToken", namespaces=NS)[0]
    # The last part of a split list carries an empty token (spec §3.5).
    assert (last.text, last.get("cursor")) == (None, "1")
    assert repo.calls[-2][:5] == (
        "list_headers", dt.datetime(2025, 3, 1, tzinfo=dt.UTC), None, "bronze", 1)


def test_a_token_of_one_list_cannot_continue_another_or_be_altered() -> None:
    first = ask({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}, page_size=2)
    token = first.xpath("//oai:resumptionToken", namespaces=NS)[0].text
    assert token
    assert values(ask({"verb": "ListIdentifiers", "resumptionToken": token}, page_size=2),
                  "//oai:header/oai:identifier") == [oai_id(3), oai_id(4)]
    tree = ask({"verb": "ListRecords", "resumptionToken": token}, page_size=2)
    assert error_of(tree)[0] == "badResumptionToken"
    altered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    tree = ask({"verb": "ListIdentifiers", "resumptionToken": altered}, page_size=2)
    assert error_of(tree)[0] == "badResumptionToken"


def test_a_token_whose_list_has_since_emptied_is_bad() -> None:
    repo = FakeRepository()
    first = ask({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}, repo, page_size=3)
    token = first.xpath("//oai:resumptionToken", namespaces=NS)[0].text
    assert token
    del repo.items[4]
    tree = ask({"verb": "ListIdentifiers", "resumptionToken": token}, repo, page_size=3)
    assert error_of(tree)[0] == "badResumptionToken"
