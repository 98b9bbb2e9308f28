"""Standards-based addresses of object records: IIIF Presentation 3 manifests, the IIIF
Image API level-0 service over pre-made tiles, Linked Art JSON-LD, LIDO and OAI-PMH.

Published records are open to everyone; unpublished ones only to people who may see the
register. None of these documents carries a location, so a restricted store can never leak
through them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from taihe.kernel import authz
from taihe.modules.catalog import iiif, imaging, selectors
from taihe.modules.catalog import operations as ops
from taihe.modules.catalog.exports import _shared as shared
from taihe.modules.catalog.exports import oai_pmh
from taihe.modules.catalog.exports.lido import lido
from taihe.modules.catalog.exports.linked_art import linked_art
from taihe.modules.catalog.jobs import iiif_root
from taihe.modules.catalog.models import CatalogObject, Media, Term
from taihe.modules.catalog.records import ObjectRecord

LINKED_ART_TYPE = 'application/ld+json;profile="https://linked.art/ns/v1/linked-art.json"'
IIIF_PRESENTATION_TYPE = ('application/ld+json;profile='
                          '"http://iiif.io/api/presentation/3/context.json"')
# Level 0 serves only what was pre-generated; these are the shapes those files have.
_REGION = re.compile(r"^(full|\d{1,6},\d{1,6},\d{1,6},\d{1,6})$")
_SIZE = re.compile(r"^(max|\d{1,6},\d{1,6}|\d{1,6},)$")


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _visible(request: HttpRequest, obj: CatalogObject) -> bool:
    if obj.is_published and obj.status != CatalogObject.Status.DEACCESSIONED:
        return True
    return authz.can(request.user, ops.OBJECT_VIEW.code)


def _record(request: HttpRequest, object_id: int) -> ObjectRecord:
    obj = CatalogObject.objects.select_related("object_type").filter(pk=object_id).first()
    if obj is None or not _visible(request, obj):
        raise Http404
    return selectors.object_records([obj])[0]


@require_http_methods(["GET", "HEAD"])
def manifest(request: HttpRequest, object_id: int) -> HttpResponse:
    """IIIF Presentation 3.0 manifest of one object."""
    record = _record(request, object_id)
    root = base_url(request)
    try:
        document = iiif.manifest(
            record, base_url=root, image_service_base=root + shared.IIIF_IMAGE_SERVICE_PATH,
            manifest_id=shared.manifest_uri(record, root), homepage=None, see_also=[
                {"id": shared.object_uri(record, root), "type": "Dataset",
                 "format": "application/ld+json",
                 "profile": "https://linked.art/ns/v1/linked-art.json"},
                {"id": root + shared.LIDO_RECORD_PATH.format(id=record.id), "type": "Dataset",
                 "format": "text/xml", "profile": "http://www.lido-schema.org/"}])
    except iiif.ManifestUnavailable as error:  # no image yet: nothing to show a viewer
        raise Http404(str(error)) from error
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = IIIF_PRESENTATION_TYPE
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _media(request: HttpRequest, media_id: int) -> Media:
    media = Media.objects.select_related("object").filter(pk=media_id,
                                                           tiles_ready=True).first()
    if media is None or not _visible(request, media.object):
        raise Http404
    if media.condition_check_id is not None and not authz.can(request.user,
                                                             ops.OBJECT_VIEW.code):
        raise Http404  # condition photographs document damage: staff only, even if published
    return media


@require_http_methods(["GET", "HEAD"])
def image_info(request: HttpRequest, media_id: int) -> HttpResponse:
    """IIIF Image API 3.0 info.json, with this server's address as its id."""
    _media(request, media_id)
    identifier = imaging.media_identifier(media_id)
    path = iiif_root() / identifier / "info.json"
    if not path.is_file():
        raise Http404
    info = json.loads(path.read_text(encoding="utf-8"))
    info["id"] = imaging.image_service_id(
        base_url(request) + shared.IIIF_IMAGE_SERVICE_PATH, identifier)
    response = JsonResponse(info)
    response["Content-Type"] = ('application/ld+json;profile='
                                '"http://iiif.io/api/image/3/context.json"')
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_http_methods(["GET", "HEAD"])
def image_file(request: HttpRequest, media_id: str, region: str, size: str,
               rotation: str, quality: str) -> HttpResponseBase:
    """A pre-made tile or size (level 0). Anything not pre-made is 404, as the spec allows
    a level-0 server."""
    _media(request, int(media_id))
    identifier = imaging.media_identifier(int(media_id))
    if (not _REGION.match(region) or not _SIZE.match(size) or rotation != "0"
            or quality != "default"):
        raise Http404
    path = iiif_root() / identifier / region / size / rotation / "default.jpg"
    resolved = path.resolve()
    if not resolved.is_file() or iiif_root().resolve() not in resolved.parents:
        raise Http404
    response = FileResponse(resolved.open("rb"), content_type="image/jpeg")
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_http_methods(["GET", "HEAD"])
def linked_art_object(request: HttpRequest, object_id: int) -> HttpResponse:
    record = _record(request, object_id)
    response = JsonResponse(linked_art(record, base_url=base_url(request)),
                            json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = LINKED_ART_TYPE
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_http_methods(["GET", "HEAD"])
def lido_object(request: HttpRequest, object_id: int) -> HttpResponse:
    record = _record(request, object_id)
    return HttpResponse(lido([record], base_url=base_url(request)),
                        content_type="application/xml; charset=utf-8")


class PublishedRepository:
    """The OAI-PMH repository: published objects, in sets by object type."""

    def __init__(self) -> None:
        self.objects = selectors.published_objects()

    def identify_info(self) -> oai_pmh.IdentifyInfo:
        earliest = self.objects.order_by("updated_at").values_list("updated_at", flat=True)
        return oai_pmh.IdentifyInfo(
            repository_name=str(getattr(settings, "TAIHE_MUSEUM_NAME", "Taihe")),
            admin_emails=tuple(email for _name, email in settings.ADMINS) or (
                settings.DEFAULT_FROM_EMAIL,),
            earliest_datestamp=earliest.first() or dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
            # Unpublishing is not recorded as a deletion, so say so (spec §2.5.1).
            deleted_record="no")

    def _header(self, obj: CatalogObject, type_code: str | None) -> oai_pmh.Header:
        return oai_pmh.Header(item_id=obj.pk, identifier=self.identifier(obj.pk),
                              datestamp=obj.updated_at,
                              set_specs=(f"type:{type_code}",) if type_code else ())

    @staticmethod
    def identifier(object_id: int) -> str:
        host = urlsplit(settings.TAIHE_SITE_URL).hostname or "taihe"
        return f"oai:{host}:catalog/object/{object_id}"

    def list_headers(self, from_: dt.datetime | None, until: dt.datetime | None,
                     set_spec: str | None, after_id: int | None,
                     limit: int) -> list[oai_pmh.Header]:
        objects = self.objects.select_related("object_type").order_by("pk")
        if from_ is not None:
            objects = objects.filter(updated_at__gte=from_)
        if until is not None:
            objects = objects.filter(updated_at__lte=until)
        if set_spec:
            objects = objects.filter(object_type__code=set_spec.removeprefix("type:"))
        if after_id is not None:
            objects = objects.filter(pk__gt=after_id)
        return [self._header(obj, obj.object_type.code if obj.object_type else None)
                for obj in objects[:limit]]

    def get_record(self, identifier: str
                   ) -> tuple[oai_pmh.Header, ObjectRecord | None] | None:
        match = re.fullmatch(r"oai:[^:]+:catalog/object/(\d{1,18})", identifier)
        if match is None:
            return None
        obj = self.objects.select_related("object_type").filter(pk=int(match[1])).first()
        if obj is None:
            return None
        return (self._header(obj, obj.object_type.code if obj.object_type else None),
                selectors.object_records([obj])[0])

    def records(self, headers: Sequence[oai_pmh.Header]) -> Mapping[str, ObjectRecord]:
        objects = self.objects.select_related("object_type").filter(
            pk__in=[header.item_id for header in headers])
        return {self.identifier(record.id): record
                for record in selectors.object_records(objects)}

    def sets(self) -> list[oai_pmh.OaiSet]:
        used = self.objects.exclude(object_type=None).values("object_type").distinct()
        return [oai_pmh.OaiSet(f"type:{term.code}", term.label_in("en"))
                for term in Term.objects.filter(pk__in=used).order_by("code")]


@csrf_exempt
@require_http_methods(["GET", "POST"])
def oai(request: HttpRequest) -> HttpResponse:
    """OAI-PMH 2.0 (Dublin Core and LIDO) over the published records."""
    params = request.GET if request.method == "GET" else request.POST
    body = oai_pmh.handle(dict(params.lists()), PublishedRepository(),
                          base_url=base_url(request), now=timezone.now(),
                          endpoint=f"{base_url(request)}/catalog/oai")
    return HttpResponse(body, content_type="text/xml; charset=utf-8")


__all__ = [
    "image_file",
    "image_info",
    "lido_object",
    "linked_art_object",
    "manifest",
    "oai",
]
