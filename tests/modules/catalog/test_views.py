"""Registrar pages: object list, object page and form, locations and labels, scan to move,
import, loans and inventory. Anonymous people are sent to sign in, outsiders refused, and
restricted stores never appear in a page for someone who may not know them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from taihe.modules.catalog import services
from taihe.modules.catalog.models import CatalogObject, InventoryCampaign, Loan, Location
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def registrar(museum: dict[str, Any]) -> Any:
    return PersonFactory(username="registrar", department=museum["root"],
                         roles=["registrar", "staff"])


@pytest.fixture
def collection(registrar: Any) -> dict[str, Any]:
    """A gallery, a restricted store (with a box inside) and two objects, one in each."""
    gallery = services.do_save_location(registrar, services.LocationInput(
        code="G1", name={"zh-Hans": "一号展厅", "en": "Gallery One"}, kind="gallery"))
    vault = services.do_save_location(registrar, services.LocationInput(
        code="VAULT-Q9", name={"zh-Hans": "秘库", "en": "Secret Vault"}, kind="store",
        is_restricted=True))
    services.do_save_location(registrar, services.LocationInput(
        code="VAULT-Q9-B1", name={"en": "Vault Box"}, kind="box", parent_id=vault.pk))
    bowl = services.do_create_object(registrar, services.ObjectInput(
        object_number="2020.1.1", title={"zh-Hans": "青花碗", "en": "Blue-and-white bowl"},
        year_earliest=1403, year_latest=1424))
    seal = services.do_create_object(registrar, services.ObjectInput(
        object_number="2020.1.2", title={"zh-Hans": "玉印", "en": "Jade seal"}))
    services.do_move_objects(registrar, [bowl.pk], gallery.pk, reason="exhibition")
    services.do_move_objects(registrar, [seal.pk], vault.pk, reason="storage")
    return {"gallery": gallery, "vault": vault, "bowl": bowl, "seal": seal}


PAGES = ["/catalog/", "/catalog/locations/", "/catalog/scan/", "/catalog/import/",
         "/catalog/loans/", "/catalog/inventory/", "/catalog/objects/new",
         "/catalog/exhibitions/", "/catalog/exhibitions/new", "/catalog/export/",
         "/catalog/fields/", "/catalog/fields/new"]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_sign_in(client: Any, museum: Any, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('directory:login')}?next={url}"


@pytest.mark.parametrize("url", PAGES)
def test_outsider_is_refused(client_for: Any, outsider: Any, url: str) -> None:
    assert client_for(outsider).get(url).status_code == 403


@pytest.mark.parametrize("url", PAGES)
def test_registrar_opens_every_page(client_for: Any, registrar: Any, url: str) -> None:
    assert client_for(registrar).get(url).status_code == 200


def test_object_list_shows_results_with_place_and_facets(client_for: Any, registrar: Any,
                                                         collection: Any) -> None:
    response = client_for(registrar).get("/catalog/", {"q": "bowl"})
    assert response.status_code == 200
    assert [row["object"].object_number for row in response.context["rows"]] == ["2020.1.1"]
    assert response.context["rows"][0]["place"] == "Gallery One"
    assert [name for name, _param, _values in response.context["facets"]] == [
        "object_type", "material", "period", "location", "status", "grade"]


def test_year_range_filters_the_list(client_for: Any, registrar: Any, collection: Any) -> None:
    response = client_for(registrar).get("/catalog/", {"year_from": "1400", "year_to": "1410"})
    assert [row["object"].object_number for row in response.context["rows"]] == ["2020.1.1"]


def test_object_page_shows_facts_place_and_history(client_for: Any, registrar: Any,
                                                   collection: Any) -> None:
    response = client_for(registrar).get(f"/catalog/objects/{collection['bowl'].pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<p lang="en">Blue-and-white bowl</p>' in html
    assert '<p lang="zh-Hans">青花碗</p>' in html
    assert "一号展厅" in html
    # Registrars see climate risk; before any assessment the panel says so, and why.
    assert 'data-panel="conservation.climate_risk"' in html
    assert "This object has not been assessed yet" in html
    assert "not public until published" in html


def test_publish_button_publishes(client_for: Any, registrar: Any, collection: Any) -> None:
    bowl = collection["bowl"]
    response = client_for(registrar).post(f"/catalog/objects/{bowl.pk}/publish",
                                          {"published": "yes"})
    assert response.status_code == 302
    bowl.refresh_from_db()
    assert bowl.is_published is True
    html = client_for(registrar).get(f"/catalog/objects/{bowl.pk}/").content.decode()
    assert f'href="/catalog/linked-art/object/{bowl.pk}"' in html
    assert "not public until published" not in html


def test_staff_member_cannot_publish(client_for: Any, member: Any, collection: Any) -> None:
    bowl = collection["bowl"]
    response = client_for(member).post(f"/catalog/objects/{bowl.pk}/publish",
                                       {"published": "yes"})
    assert response.status_code == 403
    bowl.refresh_from_db()
    assert bowl.is_published is False


def test_create_object_form_saves_language_maps(client_for: Any, registrar: Any) -> None:
    response = client_for(registrar).post("/catalog/objects/new", {
        "object_number": "2021.5.1", "title__zh_Hans": "山水图", "title__en": "Landscape",
        "grade": "general", "status": "in-collection",
        "dimensions": "height 12.5 cm\nwidth 45.5 cm", "makers": "沈周 | painter"})
    obj = CatalogObject.objects.get(object_number="2021.5.1")
    assert response.status_code == 302
    assert response.url == f"/catalog/objects/{obj.pk}/"
    assert obj.title == {"zh-Hans": "山水图", "en": "Landscape"}
    assert obj.dimensions == [{"kind": "height", "value": "12.5", "unit": "cm"},
                              {"kind": "width", "value": "45.5", "unit": "cm"}]
    assert obj.makers == [{"name": {"zh-Hans": "沈周"}, "role": "painter"}]


def test_bad_object_form_shows_field_errors_and_saves_nothing(client_for: Any,
                                                             registrar: Any) -> None:
    response = client_for(registrar).post("/catalog/objects/new", {
        "object_number": "2021.5.2", "grade": "general", "status": "in-collection",
        "year_earliest": "1500", "year_latest": "1400", "dimensions": "height 12 parsecs"})
    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors["dimensions"] == [
        "“parsecs” is not a unit (mm, cm, m, in, ft, g, kg, lb)."]
    assert CatalogObject.objects.filter(object_number="2021.5.2").exists() is False


def test_edit_object_form_empties_a_cleared_year(client_for: Any, registrar: Any,
                                                 collection: Any) -> None:
    bowl = collection["bowl"]
    response = client_for(registrar).post(f"/catalog/objects/{bowl.pk}/edit", {
        "object_number": "2020.1.1", "title__zh_Hans": "青花碗", "grade": "grade-1",
        "status": "in-collection", "year_earliest": "", "year_latest": ""})
    assert response.status_code == 302
    bowl.refresh_from_db()
    assert (bowl.grade, bowl.year_earliest, bowl.year_latest, bowl.title) == (
        "grade-1", None, None, {"zh-Hans": "青花碗"})


def test_staff_member_may_not_open_the_object_form(client_for: Any, member: Any) -> None:
    assert client_for(member).get("/catalog/objects/new").status_code == 403


@pytest.mark.parametrize("url", ["/catalog/", "/catalog/locations/", "object"])
def test_restricted_store_never_appears_for_staff(client_for: Any, member: Any,
                                                  collection: Any, url: str) -> None:
    if url == "object":
        url = f"/catalog/objects/{collection['seal'].pk}/"
    html = client_for(member).get(url).content.decode()
    for secret in ("秘库", "Secret Vault", "VAULT-Q9", "Vault Box"):
        assert secret not in html


def test_staff_member_cannot_open_restricted_location(client_for: Any, member: Any,
                                                      collection: Any) -> None:
    vault = collection["vault"]
    assert client_for(member).get("/catalog/locations/", {"location": vault.pk}
                                  ).status_code == 404
    assert client_for(member).get(f"/catalog/locations/{vault.pk}/labels").status_code == 404


def test_location_shows_its_objects_and_labels(client_for: Any, registrar: Any,
                                               collection: Any) -> None:
    gallery = collection["gallery"]
    response = client_for(registrar).get("/catalog/locations/", {"location": gallery.pk})
    assert [o.object_number for o in response.context["objects"]] == ["2020.1.1"]
    labels = client_for(registrar).get(f"/catalog/locations/{gallery.pk}/labels")
    assert [label["code"] for label in labels.context["labels"]] == ["G1", "2020.1.1"]
    assert labels.content.decode().count("<svg") >= 2


def test_create_location_and_error_for_taken_code(client_for: Any, registrar: Any,
                                                  collection: Any) -> None:
    client = client_for(registrar)
    response = client.post("/catalog/locations/new", {
        "code": "S2", "name_en": "Store Two", "kind": "store", "is_active": "on"})
    assert response.status_code == 302
    assert Location.objects.get(code="S2").name == {"en": "Store Two"}
    response = client.post("/catalog/locations/new", {
        "code": "G1", "name_en": "Again", "kind": "room", "is_active": "on"})
    assert response.status_code == 422
    assert response.context["form"].errors["code"] == ["Another location has this code."]
    assert Location.objects.filter(code="G1").count() == 1


def test_scan_location_then_objects_then_move(client_for: Any, registrar: Any,
                                              collection: Any) -> None:
    client = client_for(registrar)
    step = client.post("/catalog/scan/", {"scanned": "G1"})
    assert step.context["location"] == collection["gallery"]
    step = client.post("/catalog/scan/", {"location_code": "G1", "scanned": "2020.1.2"})
    assert [row["object"].object_number for row in step.context["rows"]] == ["2020.1.2"]
    response = client.post("/catalog/scan/", {"location_code": "G1", "numbers": "2020.1.2",
                                              "reason": "exhibition", "action": "move"})
    assert response.status_code == 302
    assert collection["seal"].current.location_id == collection["gallery"].pk


def test_scan_move_without_reason_shows_error(client_for: Any, registrar: Any,
                                              collection: Any) -> None:
    response = client_for(registrar).post("/catalog/scan/", {
        "location_code": "G1", "numbers": "2020.1.2", "action": "move"})
    assert response.status_code == 422
    assert response.context["form"].errors["reason"] == ["Choose why the objects move."]


def test_loan_create_request_and_detail(client_for: Any, registrar: Any,
                                        collection: Any) -> None:
    client = client_for(registrar)
    response = client.post("/catalog/loans/new", {
        "number": "L-2026-1", "direction": "out", "partner": "上海博物馆",
        "starts_on": "2026-12-01", "ends_on": "2027-03-01", "insurance_currency": "CNY",
        "objects": "2020.1.1 120000"})
    loan = Loan.objects.get(number="L-2026-1")
    assert response.status_code == 302
    assert [(line.object.object_number, str(line.insurance_value))
            for line in loan.lines.all()] == [("2020.1.1", "120000.00")]
    detail = client.get(f"/catalog/loans/{loan.pk}/")
    assert detail.context["total"] == loan.lines.get().insurance_value
    client.post(f"/catalog/loans/{loan.pk}/request")
    loan.refresh_from_db()
    assert loan.status == "requested"


def test_loan_agreement_is_uploaded_and_served_only_to_loan_staff(
        client_for: Any, registrar: Any, member: Any, collection: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    pdf = b"%PDF-1.4\n% loan agreement\n%%EOF\n"
    client = client_for(registrar)
    response = client.post("/catalog/loans/new", {
        "number": "L-2026-9", "direction": "out", "partner": "故宫博物院",
        "starts_on": "2026-12-01", "ends_on": "2027-03-01", "insurance_currency": "CNY",
        "agreement": SimpleUploadedFile("signed.pdf", pdf, content_type="application/pdf")})
    loan = Loan.objects.get(number="L-2026-9")
    assert response.status_code == 302

    download = client.get(f"/catalog/loans/{loan.pk}/agreement")
    assert b"".join(download.streaming_content) == pdf
    assert client_for(member).get(f"/catalog/loans/{loan.pk}/agreement").status_code in (
        403, 404)

    refused = client.post(f"/catalog/loans/{loan.pk}/edit", {
        "number": "L-2026-9", "direction": "out", "partner": "故宫博物院",
        "starts_on": "2026-12-01", "ends_on": "2027-03-01", "insurance_currency": "CNY",
        "agreement": SimpleUploadedFile("virus.exe", b"MZ....", content_type="text/plain")})
    assert refused.status_code == 422
    assert refused.context["form"].errors["agreement"] == ["The agreement must be a PDF file."]


def test_loan_with_bad_dates_saves_nothing(client_for: Any, registrar: Any) -> None:
    response = client_for(registrar).post("/catalog/loans/new", {
        "number": "L-2026-2", "direction": "out", "partner": "X", "starts_on": "2027-01-02",
        "ends_on": "2027-01-01", "insurance_currency": "CNY"})
    assert response.status_code == 422
    assert response.context["form"].errors["ends_on"] == ["The loan cannot end before it starts."]
    assert Loan.objects.count() == 0


def test_inventory_start_find_and_report(client_for: Any, registrar: Any,
                                         collection: Any) -> None:
    client = client_for(registrar)
    response = client.post("/catalog/inventory/", {"name": "Gallery check",
                                                   "scope": collection["gallery"].pk})
    campaign = InventoryCampaign.objects.get(name="Gallery check")
    assert response.status_code == 302
    page = client.post(f"/catalog/inventory/{campaign.pk}/", {
        "location_code": "G1", "object_number": "2020.1.1", "action": "find"})
    assert page.context["in_place"] == [("2020.1.1", "G1 Gallery One")]
    assert page.context["missing"] == []


def test_import_wizard_previews_maps_and_runs(client_for: Any, registrar: Any,
                                              collection: Any, run_commit_hooks: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(registrar)
    csv = "object_number,title,year_earliest\n2022.1.1,铜镜,1200\n2022.1.2,瓷瓶,abc\n"
    upload = SimpleUploadedFile("objects.csv", csv.encode(), content_type="text/csv")
    response = client.post("/catalog/import/", {"file": upload})
    assert response.status_code == 302
    mapping_page = client.get(response.url)
    assert [(c["name"], c["field"]) for c in mapping_page.context["columns"]] == [
        ("object_number", "object_number"), ("title", "title"),
        ("year_earliest", "year_earliest")]
    assert mapping_page.context["columns"][1]["samples"] == ["铜镜", "瓷瓶"]
    with run_commit_hooks():  # the import job is queued after commit
        run_response = client.post(response.url, {
            "name": "objects.csv", "map-0": "object_number", "map-1": "title",
            "map-2": "year_earliest", "action": "dry-run"})
    assert run_response.status_code == 302
    run_page = client.get(run_response.url)
    run = run_page.context["run"]
    assert (run.dry_run, run.status, run.created, run.rejected) == (True, "done", 1, 1)
    assert [error["row"] for error in run.errors] == [3]
    assert CatalogObject.objects.filter(object_number__startswith="2022.").count() == 0


def test_import_refuses_other_file_kinds(client_for: Any, registrar: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("objects.pdf", b"%PDF-1.4", content_type="application/pdf")
    response = client_for(registrar).post("/catalog/import/", {"file": upload})
    assert response.status_code == 422
    assert response.context["form"].errors["file"] == [
        "“objects.pdf” is not a CSV, XLSX or JSON Lines file."]


def test_condition_check_form_records_and_rejects_bad_input(client_for: Any, registrar: Any,
                                                            collection: Any) -> None:
    bowl = collection["bowl"]
    client = client_for(registrar)
    bad = client.post(f"/catalog/objects/{bowl.pk}/condition", {"condition": ""})
    assert bad.status_code == 422
    assert bowl.condition_checks.count() == 0
    condition = bad.context["form"].fields["condition"].choices[1][0]
    good = client.post(f"/catalog/objects/{bowl.pk}/condition", {
        "condition": condition, "note": "Hairline crack at the rim"})
    assert good.status_code == 302
    assert [(c.condition, c.note) for c in bowl.condition_checks.all()] == [
        (condition, "Hairline crack at the rim")]


def test_loan_is_approved_by_someone_else(client_for: Any, registrar: Any, admin_person: Any,
                                          collection: Any) -> None:
    loan = services.do_save_loan(registrar, services.LoanInput(
        number="L-9", partner="Partner", starts_on=collection["bowl"].created_at.date(),
        ends_on=collection["bowl"].created_at.date()))
    services.do_set_loan_objects(registrar, loan, [(collection["bowl"].pk, None)])
    services.do_request_loan_approval(registrar, loan)
    assert client_for(registrar).get(f"/catalog/loans/{loan.pk}/").context["may_approve"] \
        is False
    response = client_for(admin_person).post(f"/catalog/loans/{loan.pk}/decide",
                                             {"approve": "yes"})
    assert response.status_code == 302
    loan.refresh_from_db()
    assert (loan.status, loan.decided_by_id) == ("approved", admin_person.pk)


def test_staff_member_sees_no_loans(client_for: Any, member: Any) -> None:
    assert client_for(member).get("/catalog/loans/").status_code == 403


def test_image_upload_makes_a_zoomable_image_and_removal_removes_it(
        client_for: Any, registrar: Any, member: Any, collection: Any,
        run_commit_hooks: Any) -> None:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    from taihe.modules.catalog.demo_images import render_object_image
    from taihe.modules.catalog.models import Media

    obj = collection["bowl"]
    buffer = io.BytesIO()
    render_object_image("bronze", 3, size=(300, 400)).save(buffer, "JPEG")
    client = client_for(registrar)

    with run_commit_hooks():
        response = client.post(f"/catalog/objects/{obj.pk}/images", {
            "image": SimpleUploadedFile("ding.jpg", buffer.getvalue()), "caption": "正面"})

    assert response.status_code == 302
    media = Media.objects.get(object=obj)
    assert (media.width, media.height, media.tiles_ready, media.caption) == (
        300, 400, True, {"zh-Hans": "正面"})
    page = client.get(f"/catalog/objects/{obj.pk}/").content.decode()
    assert f"/catalog/iiif/image/{media.pk}/full/" in page
    assert client_for(member).post(f"/catalog/images/{media.pk}/remove").status_code == 403
    bad = client.post(f"/catalog/objects/{obj.pk}/images", {
        "image": SimpleUploadedFile("notes.txt", b"not an image")}, follow=True)
    assert Media.objects.filter(object=obj).count() == 1
    assert "notes.txt" in bad.content.decode()

    with run_commit_hooks():
        assert client.post(f"/catalog/images/{media.pk}/remove").status_code == 302
    assert not Media.objects.filter(object=obj).exists()



# --- Exhibitions, export, museum fields, condition photographs ----------------------------------
# These use the shared ``catalog`` fixture (conftest): 故00001 in Gallery 1 (G1), 故00002 on a
# shelf inside the restricted store VAULT-X9 ("Hidden vault").

VAULT_SECRETS = ("VAULT-X9", "Hidden vault", "秘库", "Vault shelf")


def _jpeg(name: str = "photo.jpg") -> Any:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    from taihe.modules.catalog.demo_images import render_object_image

    buffer = io.BytesIO()
    render_object_image("jade", 1, size=(120, 160)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def _exhibition_form(**changes: str) -> dict[str, str]:
    form = {"code": "ming-blue", "title_zh_Hans": "明代青花", "title_en": "Ming blue",
            "description_en": "Porcelain of the Xuande reign", "status": "planned",
            "venues": "Gallery one | opens 2027-01-10 | closes 2027-04-30 | G1",
            "objects": "故00001\n故00002"}
    form.update(changes)
    return form


def test_curator_creates_an_exhibition_from_the_form(client_for: Any, catalog: Any) -> None:
    from taihe.modules.catalog.models import Exhibition

    # when the curator fills in the form
    response = client_for(catalog["people"]["curator"]).post("/catalog/exhibitions/new",
                                                             _exhibition_form())
    # then the exhibition is saved with its venue, gallery and objects
    exhibition = Exhibition.objects.get(code="ming-blue")
    assert response.status_code == 302
    assert response.url == f"/catalog/exhibitions/{exhibition.pk}/"
    assert (exhibition.title, exhibition.description, exhibition.status) == (
        {"zh-Hans": "明代青花", "en": "Ming blue"}, {"en": "Porcelain of the Xuande reign"},
        "planned")
    assert [(v.name, str(v.opens_on), str(v.closes_on), v.location_id)
            for v in exhibition.venues.all()] == [
        ({"zh-Hans": "Gallery one"}, "2027-01-10", "2027-04-30", catalog["gallery"].pk)]
    assert sorted(exhibition.objects_shown.values_list("object_number", flat=True)) == [
        "故00001", "故00002"]


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"venues": "Gallery one | opens 2027-05-01 | closes 2027-04-30"}, "venues",
     "Venue 1: A venue cannot close before it opens."),
    ({"venues": "Gallery one | opens 1 May | closes 2027-04-30"}, "venues",
     "Line 1: “1 May” is not a date; write it as YYYY-MM-DD."),
    ({"venues": "Gallery one | 2027-05-01"}, "venues",
     "Line 1: write name | opens YYYY-MM-DD | closes YYYY-MM-DD, then | location code if the "
     "venue is one of ours."),
    ({"objects": "故00001\n故99999"}, "objects", "No object has the number 故99999."),
    ({"code": "Ming Blue!"}, "code", "Use lower-case letters, digits and - (up to 64)."),
    ({"title_zh_Hans": "", "title_en": ""}, "title_zh_Hans", "Give the exhibition a title."),
    # the curator may not know the restricted store: its code is unknown to her
    ({"venues": "Vault | opens 2027-01-10 | closes 2027-04-30 | VAULT-X9"}, "venues",
     "No location has the code VAULT-X9."),
])
def test_bad_exhibition_form_shows_the_error_and_saves_nothing(
        client_for: Any, catalog: Any, changes: dict[str, str], field: str,
        message: str) -> None:
    from taihe.modules.catalog.models import Exhibition

    response = client_for(catalog["people"]["curator"]).post("/catalog/exhibitions/new",
                                                             _exhibition_form(**changes))
    assert response.status_code == 422
    assert response.context["form"].errors[field] == [message]
    assert Exhibition.objects.count() == 0


def test_staff_member_may_read_but_not_plan_exhibitions(client_for: Any, catalog: Any) -> None:
    from taihe.modules.catalog.models import Exhibition

    client = client_for(catalog["people"]["member"])
    assert client.get("/catalog/exhibitions/").status_code == 200
    assert client.get("/catalog/exhibitions/new").status_code == 403
    assert client.post("/catalog/exhibitions/new", _exhibition_form()).status_code == 403
    assert Exhibition.objects.count() == 0
    assert client_for(catalog["people"]["outsider"]).get("/catalog/exhibitions/"
                                                         ).status_code == 403


@pytest.fixture
def vault_show(catalog: Any) -> Any:
    """An exhibition with one venue in the gallery and one in the restricted store."""
    return services.do_save_exhibition(
        catalog["people"]["registrar"], code="vault-show", title={"en": "Vault show"},
        status="open", object_ids=[catalog["bowl"].pk, catalog["scroll"].pk], venues=[
            services.VenueInput(name={"en": "Front hall"}, opens_on=dt.date(2027, 1, 1),
                                closes_on=dt.date(2027, 2, 1),
                                location_id=catalog["gallery"].pk),
            services.VenueInput(name={"en": "Study room"}, opens_on=dt.date(2027, 3, 1),
                                closes_on=dt.date(2027, 4, 1), location_id=catalog["store"].pk)])


def test_exhibition_page_hides_a_restricted_gallery_from_staff(client_for: Any, catalog: Any,
                                                               vault_show: Any) -> None:
    url = f"/catalog/exhibitions/{vault_show.pk}/"
    staff = client_for(catalog["people"]["member"]).get(url)
    registrar = client_for(catalog["people"]["registrar"]).get(url)
    assert [(row["name"], row["place"]) for row in staff.context["venues"]] == [
        ("Front hall", "G1 Gallery 1"), ("Study room", "Restricted location")]
    assert [row["place"] for row in registrar.context["venues"]] == [
        "G1 Gallery 1", "VAULT-X9 Hidden vault"]
    assert [row["object"].object_number for row in staff.context["rows"]] == [
        "故00001", "故00002"]
    for page in (staff, client_for(catalog["people"]["member"]).get("/catalog/exhibitions/")):
        html = page.content.decode()
        assert "Study room" in html
        for secret in VAULT_SECRETS:
            assert secret not in html


def test_curator_editing_keeps_a_gallery_she_may_not_know(client_for: Any, catalog: Any,
                                                          vault_show: Any) -> None:
    client = client_for(catalog["people"]["curator"])
    form = client.get(f"/catalog/exhibitions/{vault_show.pk}/edit").context["form"]
    assert form.initial["venues"] == (
        "Front hall | opens 2027-01-01 | closes 2027-02-01 | G1\n"
        "Study room | opens 2027-03-01 | closes 2027-04-01")
    assert "VAULT-X9" not in client.get(f"/catalog/exhibitions/{vault_show.pk}/edit"
                                        ).content.decode()
    posted = {name: value for name, value in form.initial.items() if value}
    posted["status"] = "closed"
    response = client.post(f"/catalog/exhibitions/{vault_show.pk}/edit", posted)
    assert response.status_code == 302
    vault_show.refresh_from_db()
    assert vault_show.status == "closed"
    assert [(v.name, v.location_id) for v in vault_show.venues.all()] == [
        ({"en": "Front hall"}, catalog["gallery"].pk), ({"en": "Study room"},
                                                        catalog["store"].pk)]


def test_iiif_collection_lists_only_published_objects_with_images(
        client: Any, client_for: Any, catalog: Any, vault_show: Any,
        run_commit_hooks: Any) -> None:
    registrar = catalog["people"]["registrar"]
    with run_commit_hooks():
        services.do_add_media(registrar, catalog["bowl"], _jpeg())
        services.do_add_media(registrar, catalog["scroll"], _jpeg())
    services.do_set_published(registrar, catalog["bowl"], True)
    url = f"/catalog/iiif/exhibition/{vault_show.pk}/collection"

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == ('application/ld+json;profile='
                                        '"http://iiif.io/api/presentation/3/context.json"')
    assert response.json() == {
        "@context": "http://iiif.io/api/presentation/3/context.json",
        "id": f"http://testserver{url}", "type": "Collection",
        "label": {"en": ["Vault show"]},
        "items": [{"id": f"http://testserver/catalog/iiif/object/{catalog['bowl'].pk}/manifest",
                   "type": "Manifest", "label": {"zh-Hans": ["青花缠枝莲纹碗"],
                                                 "en": ["Blue and white bowl"]}}]}
    for secret in (*VAULT_SECRETS, "Hidden landscape scroll", "Study room"):
        assert secret not in response.content.decode()


def test_planned_exhibition_collection_is_not_public(client: Any, client_for: Any,
                                                     catalog: Any) -> None:
    planned = services.do_save_exhibition(catalog["people"]["curator"], code="secret-show",
                                          title={"en": "Next year"})
    url = f"/catalog/iiif/exhibition/{planned.pk}/collection"
    assert client.get(url).status_code == 404
    assert client_for(catalog["people"]["member"]).get(url).json()["items"] == []
    assert client.get("/catalog/iiif/exhibition/999999/collection").status_code == 404


def _download(response: Any) -> bytes:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def test_export_csv_streams_the_filtered_objects(client_for: Any, catalog: Any) -> None:
    from taihe.modules.catalog.exports.tabular import ROW_FIELDS

    response = client_for(catalog["people"]["registrar"]).get(
        "/catalog/export/", {"format": "csv", "grade": "grade-1"})
    assert response.status_code == 200
    assert response.streaming is True
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = _download(response).decode("utf-8")
    lines = text.split("\r\n")
    assert lines[0] == "\ufeff" + ",".join(ROW_FIELDS)
    assert [line.split(",")[ROW_FIELDS.index("object_number")] for line in lines[1:-1]] == [
        "故00001"]
    assert lines[-1] == ""


def test_export_formats_hold_every_object_and_no_location(client_for: Any,
                                                          catalog: Any) -> None:
    import io
    import json

    from lxml import etree
    from openpyxl import load_workbook

    client = client_for(catalog["people"]["registrar"])
    downloads = {kind: _download(client.get("/catalog/export/", {"format": kind}))
                 for kind in ("csv", "jsonl", "xlsx", "lido")}

    jsonl = [json.loads(line) for line in downloads["jsonl"].decode().splitlines()]
    assert [doc["id"] for doc in jsonl] == [
        f"http://testserver/catalog/linked-art/object/{catalog['bowl'].pk}",
        f"http://testserver/catalog/linked-art/object/{catalog['scroll'].pk}"]
    sheet = load_workbook(io.BytesIO(downloads["xlsx"]), read_only=True).worksheets[0]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "故00001", "故00002"]
    root = etree.fromstring(downloads["lido"])
    assert len(root.findall("{http://www.lido-schema.org}lido")) == 2
    for kind, content in downloads.items():
        for secret in ("VAULT-X9", "Hidden vault", "Vault shelf", "Gallery 1"):
            assert secret.encode() not in content, kind


def test_export_is_refused_to_staff_and_offered_to_the_registrar(client_for: Any,
                                                                 catalog: Any) -> None:
    member = client_for(catalog["people"]["member"])
    assert member.get("/catalog/export/", {"format": "csv"}).status_code == 403
    assert 'href="/catalog/export/' not in member.get("/catalog/").content.decode()
    registrar = client_for(catalog["people"]["registrar"])
    assert 'href="/catalog/export/?q=bowl"' in registrar.get("/catalog/", {"q": "bowl"}
                                                             ).content.decode()
    page = registrar.get("/catalog/export/", {"q": "bowl"})
    assert (page.status_code, page.context["total"], page.context["filters"]) == (
        200, 1, [("q", "bowl")])
    assert registrar.get("/catalog/export/", {"format": "pdf"}).status_code == 422


def test_registrar_adds_and_changes_a_museum_field(client_for: Any, catalog: Any) -> None:
    from taihe.modules.catalog.models import FieldDefinition

    client = client_for(catalog["people"]["registrar"])
    response = client.post("/catalog/fields/new", {
        "code": "kiln-site", "label_zh_Hans": "窑址", "label_en": "Kiln site",
        "kind": "choice", "choices": "Jingdezhen\n\nLongquan\n", "help_en": "Where fired"})
    definition = FieldDefinition.objects.get(code="kiln-site")
    assert response.status_code == 302
    assert (definition.label, definition.kind, definition.choices, definition.required,
            definition.help_text) == ({"zh-Hans": "窑址", "en": "Kiln site"}, "choice",
                                      ["Jingdezhen", "Longquan"], False, {"en": "Where fired"})
    listed = client.get("/catalog/fields/").context["rows"]
    assert [(row["definition"].code, row["label"]) for row in listed] == [
        ("kiln-site", "Kiln site")]
    changed = client.post(f"/catalog/fields/{definition.pk}/edit", {
        "code": "kiln-site", "label_en": "Kiln", "kind": "text", "choices": "Jingdezhen"})
    assert changed.status_code == 422
    assert changed.context["form"].errors["kind"] == [
        "The kind of a field in use cannot change; add a new field."]
    definition.refresh_from_db()
    assert (definition.kind, definition.label["en"]) == ("choice", "Kiln site")


@pytest.mark.parametrize(("posted", "field", "message"), [
    ({"code": "9lives", "label_en": "Lives", "kind": "text"}, "code",
     "Use lower-case letters, digits, - and _ (up to 48), starting with a letter."),
    ({"code": "kiln", "label_en": "Kiln", "kind": "choice"}, "choices",
     "A choice field needs at least one choice."),
    ({"code": "kiln", "kind": "text"}, "label_zh_Hans", "Give the field a label."),
])
def test_bad_museum_field_shows_the_error_and_saves_nothing(
        client_for: Any, catalog: Any, posted: dict[str, str], field: str,
        message: str) -> None:
    from taihe.modules.catalog.models import FieldDefinition

    response = client_for(catalog["people"]["registrar"]).post("/catalog/fields/new", posted)
    assert response.status_code == 422
    assert response.context["form"].errors[field] == [message]
    assert FieldDefinition.objects.count() == 0


def test_staff_member_cannot_manage_museum_fields(client_for: Any, catalog: Any) -> None:
    from taihe.modules.catalog.models import FieldDefinition

    client = client_for(catalog["people"]["member"])
    assert client.get("/catalog/fields/").status_code == 403
    assert client.post("/catalog/fields/new", {"code": "x", "label_en": "X",
                                               "kind": "text"}).status_code == 403
    assert FieldDefinition.objects.count() == 0


def test_condition_check_with_photographs_shows_them_on_the_object_page(
        client_for: Any, catalog: Any, run_commit_hooks: Any) -> None:
    from taihe.modules.catalog.models import Media

    bowl = catalog["bowl"]
    client = client_for(catalog["people"]["conservator"])
    with run_commit_hooks():
        response = client.post(f"/catalog/objects/{bowl.pk}/condition", {
            "condition": "good", "note": "Glaze crazing",
            "photos": [_jpeg("rim.jpg"), _jpeg("foot.jpg")], "photo_caption": "裂纹"})
    check = bowl.condition_checks.get()
    photos = list(Media.objects.filter(condition_check=check).order_by("id"))
    assert response.status_code == 302
    assert [(p.original_name, p.caption, p.tiles_ready, p.is_primary) for p in photos] == [
        ("rim.jpg", {"zh-Hans": "裂纹"}, True, False),
        ("foot.jpg", {"zh-Hans": "裂纹"}, True, False)]
    page = client.get(f"/catalog/objects/{bowl.pk}/")
    assert page.context["images"] == []  # a condition photograph is not an object image
    html = page.content.decode()
    for photo in photos:
        assert f'src="/catalog/iiif/image/{photo.pk}/full/120,160/0/default.jpg" alt="裂纹"' in html


def test_condition_photograph_not_yet_tiled_is_being_prepared(client_for: Any,
                                                              catalog: Any) -> None:
    bowl = catalog["bowl"]
    client = client_for(catalog["people"]["conservator"])
    client.post(f"/catalog/objects/{bowl.pk}/condition", {"condition": "good",
                                                          "photos": [_jpeg()]})
    (_check, photos), = client.get(f"/catalog/objects/{bowl.pk}/").context["checks"]
    assert [url for _media, url, _caption in photos] == [""]
    assert "being prepared" in client.get(f"/catalog/objects/{bowl.pk}/").content.decode()


def test_condition_check_with_a_bad_photograph_saves_nothing(client_for: Any,
                                                            catalog: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from taihe.modules.catalog.models import ConditionCheck, Media

    bowl = catalog["bowl"]
    response = client_for(catalog["people"]["conservator"]).post(
        f"/catalog/objects/{bowl.pk}/condition", {
            "condition": "good", "photos": [_jpeg(), SimpleUploadedFile("notes.txt", b"text")]})
    assert response.status_code == 422
    assert response.context["form"].errors["photos"] == ["notes.txt is not an image file."]
    assert (ConditionCheck.objects.count(), Media.objects.count()) == (0, 0)


def test_staff_member_cannot_record_a_condition_check_with_photos(client_for: Any,
                                                                  catalog: Any) -> None:
    from taihe.modules.catalog.models import ConditionCheck, Media

    response = client_for(catalog["people"]["member"]).post(
        f"/catalog/objects/{catalog['bowl'].pk}/condition",
        {"condition": "good", "photos": [_jpeg()]})
    assert response.status_code == 403
    assert (ConditionCheck.objects.count(), Media.objects.count()) == (0, 0)


def test_scan_page_offers_the_camera_only_through_its_script(client_for: Any,
                                                             catalog: Any) -> None:
    html = client_for(catalog["people"]["registrar"]).get("/catalog/scan/").content.decode()
    assert '<div id="camera-scan" class="card" hidden' in html
    assert 'src="/static/catalog/scan.js"' in html
    assert 'name="scanned"' in html
