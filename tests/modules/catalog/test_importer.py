"""The bulk importer: create, update by object number, unchanged, per-row errors, dry run,
nothing half-written."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from taihe.kernel.errors import PermissionDenied, ValidationFailed
from taihe.kernel.events.models import OutboxEvent
from taihe.modules.catalog import importer, selectors, services
from taihe.modules.catalog.models import CatalogObject, ImportRun, ObjectRevision

HEADER = "藏品编号,名称,Title,年代,质地,尺寸,级别,入藏时间\n"
ROWS = (
    "故10001,青花缠枝莲纹碗,Blue-and-white bowl,明宣德,青花瓷,高7.2厘米 口径15.5厘米,一级,"
    "1950-03-01\n"
    "故10002,掐丝珐琅缠枝莲纹瓶,Cloisonné vase,清乾隆,铜胎掐丝珐琅,高30厘米,二级,1951-06-15\n"
    "故10003,兽面纹鼎,Ding with taotie,商,青铜,通高45厘米,一级,not a date\n"
)
MAPPING = {"藏品编号": "object_number", "名称": "title", "Title": "title_en",
           "年代": "production_date", "质地": "medium", "尺寸": "dimensions",
           "级别": "grade", "入藏时间": "acquisition_date"}


@pytest.fixture
def terms(db: Any) -> None:
    """The vocabulary is seeded after every migrate (``seed.ensure_terms``)."""


def csv_file(text: str, name: str = "register.csv") -> io.BytesIO:
    stream = io.BytesIO(text.encode("utf-8"))
    stream.name = name
    return stream


def run(actor: Any, text: str, *, dry_run: bool = False,
        mapping: dict[str, str] | None = None) -> importer.ImportSummary:
    return importer.import_file(actor, csv_file(text), filename="register.csv",
                                mapping=mapping or MAPPING, dry_run=dry_run)


def test_import_creates_objects_and_reports_each_bad_row(catalog: dict[str, Any]) -> None:
    registrar = catalog["people"]["registrar"]

    summary = run(registrar, HEADER + ROWS)

    assert summary.totals() == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 1}
    assert summary.errors[0]["row"] == 4
    assert summary.errors[0]["field"] == "acquisition_date"
    assert "not a date" in summary.errors[0]["message"]
    bowl = CatalogObject.objects.get(object_number="故10001")
    assert bowl.title == {"zh-Hans": "青花缠枝莲纹碗", "en": "Blue-and-white bowl"}
    assert (bowl.year_earliest, bowl.year_latest) == (1426, 1435)
    assert bowl.grade == "grade-1"
    assert str(bowl.acquisition_date) == "1950-03-01"
    assert "porcelain" in [link.term.code for link in bowl.material_links.all()]
    assert {"kind": "height", "value": "7.2", "unit": "cm"} in bowl.dimensions
    assert ObjectRevision.objects.get(object=bowl).source == "import"
    assert not CatalogObject.objects.filter(object_number="故10003").exists()


def test_import_is_found_by_search_in_both_languages(catalog: dict[str, Any]) -> None:
    registrar = catalog["people"]["registrar"]
    run(registrar, HEADER + ROWS)

    for text in ("缠枝莲", "cloisonné", "宣德"):
        numbers = [obj.object_number for obj in selectors.search_objects(
            registrar, selectors.ObjectQuery(text=text), with_facets=False).objects]
        assert numbers, text
    found = selectors.search_objects(registrar, selectors.ObjectQuery(text="珐琅"),
                                     with_facets=False)
    assert [obj.object_number for obj in found.objects] == ["故10002"]


def test_reimport_updates_by_number_and_counts_unchanged(catalog: dict[str, Any]) -> None:
    registrar = catalog["people"]["registrar"]
    run(registrar, HEADER + ROWS)
    changed = ROWS.replace("Cloisonné vase", "Cloisonné vase with lotus scrolls")

    summary = run(registrar, HEADER + changed)

    assert summary.totals() == {"created": 0, "updated": 1, "unchanged": 1, "rejected": 1}
    vase = CatalogObject.objects.get(object_number="故10002")
    assert vase.title["en"] == "Cloisonné vase with lotus scrolls"
    assert vase.revision == 2
    latest = ObjectRevision.objects.filter(object=vase).order_by("-number").first()
    assert latest is not None
    assert latest.changes == {"title": [
        {"zh-Hans": "掐丝珐琅缠枝莲纹瓶", "en": "Cloisonné vase"},
        {"zh-Hans": "掐丝珐琅缠枝莲纹瓶", "en": "Cloisonné vase with lotus scrolls"}]}
    assert CatalogObject.objects.filter(object_number__startswith="故1000").count() == 2


def test_dry_run_reports_the_same_and_stores_nothing(catalog: dict[str, Any]) -> None:
    registrar = catalog["people"]["registrar"]
    objects_before = CatalogObject.objects.count()
    events_before = OutboxEvent.objects.count()

    summary = run(registrar, HEADER + ROWS, dry_run=True)

    assert summary.totals() == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 1}
    assert CatalogObject.objects.count() == objects_before
    assert OutboxEvent.objects.count() == events_before
    assert [entry["action"] for entry in summary.preview] == ["create", "create"]


def test_same_number_twice_in_one_file_is_rejected(catalog: dict[str, Any]) -> None:
    registrar = catalog["people"]["registrar"]
    first = ROWS.splitlines()[0]

    summary = run(registrar, HEADER + first + "\n" + first + "\n")

    assert summary.totals() == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    assert summary.errors == [{"row": 3, "field": "object_number", "message":
                               "Object number 故10001 is already in row 2 of this file."}]


def test_a_bad_mapping_stores_nothing(catalog: dict[str, Any]) -> None:
    registrar = catalog["people"]["registrar"]
    before = CatalogObject.objects.count()

    with pytest.raises(ValidationFailed) as raised:
        run(registrar, HEADER + ROWS, mapping={"名称": "title", "No such": "colour"})

    assert "mapping" in raised.value.fields
    assert CatalogObject.objects.count() == before


def test_only_importers_may_import(catalog: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        run(catalog["people"]["curator"], HEADER + ROWS)
    assert not CatalogObject.objects.filter(object_number="故10001").exists()


def test_browser_run_keeps_its_report(catalog: dict[str, Any],
                                      run_commit_hooks: Any) -> None:
    registrar = catalog["people"]["registrar"]
    upload = SimpleUploadedFile("register.csv", (HEADER + ROWS).encode("utf-8"))

    with run_commit_hooks():
        run_record = importer.start_import(registrar, upload, mapping=MAPPING, dry_run=False)

    run_record = ImportRun.objects.get(pk=run_record.pk)
    assert run_record.status == ImportRun.Status.DONE
    assert (run_record.created, run_record.rejected) == (2, 1)
    assert run_record.errors[0]["row"] == 4


def test_saved_mapping_is_checked(catalog: dict[str, Any]) -> None:
    registrar = catalog["people"]["registrar"]
    saved = importer.do_save_mapping(registrar, "Palace register", MAPPING)
    assert saved.mapping == MAPPING
    with pytest.raises(ValidationFailed) as raised:
        importer.do_save_mapping(registrar, "Broken", {"A": "no_such_field"})
    assert set(raised.value.fields) == {"mapping"}


def test_command_prints_one_json_line(catalog: dict[str, Any], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "register.csv"
    path.write_text(HEADER + ROWS, encoding="utf-8-sig")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(MAPPING, ensure_ascii=False), encoding="utf-8")

    call_command("catalog", "import", str(path), "--mapping", str(mapping), "--as",
                 "registrar")

    out = capsys.readouterr().out.strip().splitlines()
    assert json.loads(out[-1]) == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 1}

    call_command("catalog", "search", "青花", "--json", "--as", "registrar")
    found = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert found == {"total": 2, "object_numbers": ["故00001", "故10001"]}


def test_command_refuses_a_missing_file(catalog: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        call_command("catalog", "import", str(tmp_path / "nope.csv"), "--as", "registrar")


def test_verify_finds_the_log_and_the_projection_agree(
        catalog: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    call_command("catalog", "verify")
    report = json.loads(capsys.readouterr().out.strip())
    assert report["objects_with_movements"] == 2
    assert report["mismatched"] == []


FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "catalog"


def test_real_open_access_data_imports_whole(catalog: dict[str, Any]) -> None:
    """50 records of The Met's open-access data (CC0; tests/fixtures/catalog/SOURCE.md)."""
    registrar = catalog["people"]["registrar"]
    for code, label in (("department", "Department"), ("classification", "Classification")):
        services.do_save_field(registrar, code=code, label={"en": label}, kind="text")
    mapping = json.loads((FIXTURES / "open_access_mapping.json").read_text(encoding="utf-8"))
    path = FIXTURES / "open_access_sample.csv"

    summary = importer.import_file(registrar, path, filename=path.name, mapping=mapping)

    assert summary.totals() == {"created": 50, "updated": 0, "unchanged": 0, "rejected": 0}
    piano = CatalogObject.objects.get(object_number="59.76")
    assert piano.title == {"en": "Grand Pianoforte"}
    assert (piano.year_earliest, piano.year_latest) == (1820, 1860)
    assert piano.custom == {"department": "Musical Instruments",
                            "classification": piano.custom.get("classification")}
    assert "ivory" in [link.term.code for link in piano.material_links.all()]
    again = importer.import_file(registrar, path, filename=path.name, mapping=mapping)
    assert again.totals() == {"created": 0, "updated": 0, "unchanged": 50, "rejected": 0}


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "linked-art", "lido"])
def test_command_exports_every_object(catalog: dict[str, Any], tmp_path: Path, fmt: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / f"register.{fmt}"

    call_command("catalog", "export", str(output), "--format", fmt, "--as", "registrar",
                 "--base-url", "https://museum.example")

    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report == {"exported": 2, "format": fmt, "file": str(output)}
    data = output.read_bytes()
    if fmt == "csv":
        assert "故00001" in data.decode("utf-8-sig")
    elif fmt == "linked-art":
        lines = [json.loads(line) for line in data.decode().splitlines()]
        assert [line["type"] for line in lines] == ["HumanMadeObject", "HumanMadeObject"]
    elif fmt == "lido":
        assert data.count(b"<lido:lido>") == 2
    # the restricted shelf of 故00002 is in no export
    assert b"VAULT" not in data


def test_search_command_counts_exactly_where_the_screen_estimates(
        catalog: dict[str, Any], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    registrar = catalog["people"]["registrar"]
    for index in range(30):
        services.do_create_object(registrar, services.ObjectInput(
            object_number=f"E{index:03d}", title={"en": "Export bowl"}))
    monkeypatch.setattr(selectors, "EXACT_LIMIT", 5)
    monkeypatch.setattr(selectors, "SAMPLE_SIZE", 7)

    assert selectors.search_objects(registrar, selectors.ObjectQuery(text="bowl")).approximate
    call_command("catalog", "search", "bowl", "--json", "--limit", "3", "--as", "registrar")

    found = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert found["total"] == 31  # 30 export bowls and 故00001
    assert len(found["object_numbers"]) == 3
