"""IIIF Presentation API 3.0 documents for catalog objects and exhibitions.

Built as plain dicts rather than with ``iiif-prezi3``: its 3.1.1 release requires
``Pillow<=12.0.0`` and Taihe pins Pillow 12.3.0, so it cannot be installed beside it. A Manifest
is a small, fixed shape (Presentation 3.0 §5.3 and cookbook recipe 0001); the tests validate
the output against the IIIF validator's JSON schema instead (``iiif_schemas/``).

Text is given as language maps (§4.4 "Language of Property Values"): ``{"en": ["…"]}``, with
``"none"`` for text whose language is unknown. Labels that Taihe writes itself (metadata
names) are given in every language Taihe ships, each through the translation catalogue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from taihe.kernel.errors import NotFound
from taihe.modules.catalog import imaging
from taihe.modules.catalog.records import (
    DimensionRecord,
    ImageRecord,
    LangMap,
    MakerRecord,
    ObjectRecord,
    TermRecord,
)

PRESENTATION_CONTEXT = "http://iiif.io/api/presentation/3/context.json"

IIIFLangMap = dict[str, list[str]]

# (Django language code, BCP 47 tag used in IIIF language maps).
LANGUAGES: tuple[tuple[str, str], ...] = (("en", "en"), ("zh-hans", "zh-Hans"))

OBJECT_NUMBER = _("Object number")
OBJECT_NAME = _("Object name")
DATE = _("Date")
PERIOD = _("Period")
MAKER = _("Maker")
MATERIALS = _("Materials")
DIMENSIONS = _("Dimensions")
CREDIT_LINE = _("Credit line")
ATTRIBUTION = _("Attribution")

DIMENSION_KINDS: dict[str, Promise] = {
    "height": _("Height"),
    "width": _("Width"),
    "depth": _("Depth"),
    "length": _("Length"),
    "diameter": _("Diameter"),
    "weight": _("Weight"),
}
# One measurement, e.g. "Height 23.5 cm" / "高 23.5 cm"; translators may reorder the parts.
DIMENSION_FORMAT = _("%(kind)s %(value)s %(unit)s")

# The IIIF validator's schema (classes/rights) accepts only the http:// forms of these two
# registries, which are also the forms the registries publish as identifiers.
_RIGHTS_HOSTS = ("creativecommons.org/licenses/", "creativecommons.org/publicdomain/",
                 "rightsstatements.org/vocab/")


class ManifestUnavailable(NotFound):
    """An object with no finished image has no IIIF manifest (§5.3: items needs a Canvas)."""

    code = "iiif_no_images"
    default_detail = _("This object has no images yet, so it has no IIIF manifest.")


@dataclass(frozen=True)
class Provider:
    """The institution that publishes the manifest (Presentation 3.0 §3.3.3 ``provider``)."""

    id: str
    label: LangMap
    homepage: str | None = None
    logo: str | None = None
    """URL of a PNG or JPEG logo."""


# --- language maps --------------------------------------------------------------------------


def language_map(values: Mapping[str, str]) -> IIIFLangMap:
    """A catalog language map as IIIF wants it: each value in a list, empty ones dropped."""
    return {language: [text.strip()] for language, text in values.items() if text.strip()}


def translated(message: Promise | str) -> IIIFLangMap:
    """``message`` in every language Taihe ships, each looked up in its own catalogue."""
    result: IIIFLangMap = {}
    for django_code, tag in LANGUAGES:
        with translation.override(django_code):
            result[tag] = [str(message)]
    return result


def _fallback(values: Mapping[str, str], language: str) -> str:
    """Text for ``language``, else the language-less text, else any text there is."""
    for key in (language, "none"):
        if values.get(key, "").strip():
            return values[key].strip()
    return next((text.strip() for text in values.values() if text.strip()), "")


def _list_map(items: Sequence[Mapping[str, str]]) -> IIIFLangMap:
    """Several multilingual values (makers, materials) as one language map of lists."""
    languages: list[str] = []
    for item in items:
        languages.extend(lang for lang, text in item.items()
                         if text.strip() and lang not in languages)
    result: IIIFLangMap = {}
    for language in languages:
        texts = [text for item in items if (text := _fallback(item, language))]
        if texts:
            result[language] = texts
    return result


def _decimal_text(value: Decimal) -> str:
    # normalize() drops trailing zeros (23.50 -> 23.5); format "f" keeps 100 from "1E+2".
    return format(value.normalize(), "f")


def _dimensions_map(dimensions: Iterable[DimensionRecord]) -> IIIFLangMap:
    result: IIIFLangMap = {}
    records = list(dimensions)
    if not records:
        return result
    for django_code, tag in LANGUAGES:
        with translation.override(django_code):
            result[tag] = [
                str(DIMENSION_FORMAT) % {
                    "kind": str(DIMENSION_KINDS.get(record.kind, record.kind)),
                    "value": _decimal_text(record.value),
                    "unit": record.unit,
                }
                for record in records
            ]
    return result


def _maker_names(makers: Iterable[MakerRecord]) -> IIIFLangMap:
    return _list_map([maker.name for maker in makers])


def _term_labels(terms: Iterable[TermRecord]) -> IIIFLangMap:
    return _list_map([term.label for term in terms])


# --- building blocks ------------------------------------------------------------------------


def _rights(uri: str) -> str | None:
    """``uri`` in the form the IIIF schema accepts, or None when it is not a CC or
    RightsStatements.org URI (such text belongs in requiredStatement instead)."""
    uri = uri.strip()
    for scheme in ("http://", "https://"):
        if uri.startswith(scheme):
            rest = uri[len(scheme):].removeprefix("www.")
            if rest.startswith(_RIGHTS_HOSTS):
                return "http://" + rest
    return None


def _image_identifier(image: ImageRecord, identifiers: Mapping[int, str] | None) -> str:
    if identifiers is not None and image.media_id in identifiers:
        return identifiers[image.media_id]
    # ImageRecord carries only the media id; a record type that also carries the IIIF
    # identifier (Media.identifier) is used directly.
    identifier = getattr(image, "identifier", None)
    if isinstance(identifier, str) and identifier:
        return identifier
    return imaging.media_identifier(image.media_id)


def _image_service(service_id: str) -> list[dict[str, Any]]:
    return [{"id": service_id, "type": "ImageService3", "profile": "level0"}]


def _thumbnail(image: ImageRecord, service_id: str) -> list[dict[str, Any]]:
    width, height = imaging.thumbnail_size(image.width, image.height)
    return [{
        "id": imaging.full_image_url(service_id, image.width, image.height, (width, height)),
        "type": "Image",
        "format": "image/jpeg",
        "width": width,
        "height": height,
        "service": _image_service(service_id),
    }]


def _canvas(image: ImageRecord, *, object_base: str, service_id: str, identifier: str,
            position: int) -> dict[str, Any]:
    canvas_id = f"{object_base}/canvas/{identifier}"
    max_width, max_height = imaging.full_max_size(image.width, image.height)
    canvas: dict[str, Any] = {
        "id": canvas_id,
        "type": "Canvas",
        "label": language_map(image.caption) or {"none": [str(position)]},
        "width": image.width,
        "height": image.height,
        "thumbnail": _thumbnail(image, service_id),
        "items": [{
            "id": f"{object_base}/page/{identifier}",
            "type": "AnnotationPage",
            "items": [{
                "id": f"{object_base}/annotation/{identifier}",
                "type": "Annotation",
                "motivation": "painting",
                "body": {
                    "id": imaging.full_image_url(service_id, image.width, image.height,
                                                 (max_width, max_height)),
                    "type": "Image",
                    "format": "image/jpeg",
                    "width": max_width,
                    "height": max_height,
                    "service": _image_service(service_id),
                },
                "target": canvas_id,
            }],
        }],
    }
    rights = _rights(image.rights)
    if rights:
        canvas["rights"] = rights
    return canvas


def _metadata(record: ObjectRecord) -> list[dict[str, IIIFLangMap]]:
    rows: list[tuple[Promise, IIIFLangMap]] = [
        (OBJECT_NUMBER, {"none": [record.object_number]}),
        (OBJECT_NAME, language_map(record.object_name)),
        (DATE, {"none": [record.production_date]} if record.production_date.strip() else {}),
        (PERIOD, language_map(record.period)),
        (MAKER, _maker_names(record.makers)),
        (MATERIALS, _term_labels(record.materials)),
        (DIMENSIONS, language_map(record.dimensions_text)
         or _dimensions_map(record.dimensions)),
        (CREDIT_LINE, language_map(record.credit_line)),
    ]
    return [{"label": translated(label), "value": value} for label, value in rows if value]


def _provider(provider: Provider) -> list[dict[str, Any]]:
    agent: dict[str, Any] = {
        "id": provider.id,
        "type": "Agent",
        "label": language_map(provider.label),
    }
    if provider.homepage:
        agent["homepage"] = [{
            "id": provider.homepage,
            "type": "Text",
            "label": language_map(provider.label),
            "format": "text/html",
        }]
    if provider.logo:
        logo_format = "image/png" if provider.logo.lower().endswith(".png") else "image/jpeg"
        agent["logo"] = [{"id": provider.logo, "type": "Image", "format": logo_format}]
    return [agent]


def _check_see_also(see_also: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    for position, link in enumerate(see_also, start=1):
        missing = [key for key in ("id", "type") if not link.get(key)]
        if missing:
            raise ValueError(f"see_also item {position} lacks {', '.join(missing)}")
    return [dict(link) for link in see_also]


# --- documents --------------------------------------------------------------------------------


def manifest(
    record: ObjectRecord,
    *,
    base_url: str,
    image_service_base: str,
    manifest_id: str,
    homepage: str | None,
    see_also: list[dict[str, Any]],
    provider: Provider | None = None,
    image_identifiers: Mapping[int, str] | None = None,
) -> dict[str, Any]:
    """The IIIF Presentation 3.0 Manifest of one object: one Canvas per image.

    ``base_url`` is the site root: Canvas, AnnotationPage and Annotation ids are minted as
    ``{base_url}/iiif/objects/{record.id}/canvas|page|annotation/{image identifier}``, so
    they stay stable when images are reordered. Each image is painted from its level-0
    service at ``{image_service_base}/{image identifier}`` (see ``imaging``); the identifier
    is ``image_identifiers[media_id]`` when given, else the media id.

    The primary image (or the first) comes first and gives the manifest's thumbnail.
    ``rights`` is the object's rights URI, else the primary image's, kept only when it is a
    Creative Commons or RightsStatements.org URI. ``requiredStatement`` carries the credit
    line, else the provider's name. Every ``see_also`` item needs ``id`` and ``type`` (and
    should have ``format`` and ``profile``, e.g. Linked Art or LIDO).

    Raises:
        ManifestUnavailable: the record has no images (a Manifest needs a Canvas).
        ValueError: a ``see_also`` item lacks ``id`` or ``type``.
    """
    if not record.images:
        raise ManifestUnavailable()
    object_base = f"{base_url.rstrip('/')}/iiif/objects/{record.id}"
    images = sorted(record.images, key=lambda image: not image.is_primary)
    canvases: list[dict[str, Any]] = []
    for position, image in enumerate(images, start=1):
        identifier = _image_identifier(image, image_identifiers)
        canvases.append(_canvas(
            image, object_base=object_base, identifier=identifier, position=position,
            service_id=imaging.image_service_id(image_service_base, identifier)))
    label = (language_map(record.title) or language_map(record.object_name)
             or {"none": [record.object_number]})

    document: dict[str, Any] = {
        "@context": PRESENTATION_CONTEXT,
        "id": manifest_id,
        "type": "Manifest",
        "label": label,
    }
    summary = language_map(record.description)
    if summary:
        document["summary"] = summary
    document["metadata"] = _metadata(record)
    attribution = language_map(record.credit_line) or (
        language_map(provider.label) if provider else {})
    if attribution:
        document["requiredStatement"] = {"label": translated(ATTRIBUTION),
                                         "value": attribution}
    rights = _rights(record.rights) or _rights(images[0].rights)
    if rights:
        document["rights"] = rights
    if provider is not None:
        document["provider"] = _provider(provider)
    document["thumbnail"] = canvases[0]["thumbnail"]
    if homepage:
        document["homepage"] = [{"id": homepage, "type": "Text", "label": label,
                                 "format": "text/html"}]
    if see_also:
        document["seeAlso"] = _check_see_also(see_also)
    document["items"] = canvases
    return document


def collection(
    label: LangMap,
    manifests: list[tuple[str, LangMap]],
    *,
    collection_id: str,
    summary: LangMap | None = None,
) -> dict[str, Any]:
    """A IIIF Presentation 3.0 Collection (§5.2) listing manifests by reference, in order:
    an exhibition or an object group. ``manifests`` holds ``(manifest id, label)`` pairs."""
    document: dict[str, Any] = {
        "@context": PRESENTATION_CONTEXT,
        "id": collection_id,
        "type": "Collection",
        "label": language_map(label) or {"none": [collection_id]},
    }
    if summary and language_map(summary):
        document["summary"] = language_map(summary)
    document["items"] = [
        {"id": manifest_id, "type": "Manifest",
         "label": language_map(manifest_label) or {"none": [manifest_id]}}
        for manifest_id, manifest_label in manifests
    ]
    return document
