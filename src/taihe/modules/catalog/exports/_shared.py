"""Vocabulary and URL helpers shared by the catalog's exporters (Linked Art, LIDO, Dublin Core).

Every Getty AAT id here was checked against ``cromulent`` 1.0.1 (the Getty's Linked Art
library, ``cromulent.vocab``), which is also the source the research notes cite
(heritage research §2.2 and §2.5). Terms whose AAT id was not verified are not listed: the
exporters then fall back to a local term URI rather than guess an id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from taihe.modules.catalog.imaging import full_image_url, full_max_size, image_service_id
from taihe.modules.catalog.imaging import media_identifier as iiif_media_identifier
from taihe.modules.catalog.records import ImageRecord, LangMap, ObjectRecord, TermRecord

AAT = "http://vocab.getty.edu/aat/"

# Linked Art Name/Identifier/Type classifications (cromulent.vocab: PrimaryName,
# AlternateName, AccessionNumber, LocalNumber, TypeOfWork, DigitalImage).
PRIMARY_NAME = ("300404670", "Primary Name")
ALTERNATE_NAME = ("300264273", "Alternate Name")
ACCESSION_NUMBER = ("300312355", "Accession Number")
OWNER_ASSIGNED_NUMBER = ("300404621", "Owner-Assigned Number")
TYPE_OF_WORK = ("300435443", "Type of Work")
DIGITAL_IMAGE = ("300215302", "Digital Image")
BRIEF_TEXT = ("300418049", "Brief Text")

# Statement types (cromulent.vocab: Description, CreditStatement, InscriptionStatement,
# MarkingsStatement, SignatureStatement, MaterialStatement, DimensionStatement,
# ProductionStatement, PeriodStatement, CultureStatement, AcquisitionStatement).
DESCRIPTION = ("300435416", "Description")
CREDIT_STATEMENT = ("300026687", "Credit Statement")
INSCRIPTION_STATEMENT = ("300435414", "Inscription")
MARKINGS_STATEMENT = ("300435420", "Markings")
SIGNATURE_STATEMENT = ("300028705", "Signature")
MATERIAL_STATEMENT = ("300435429", "Material Statement")
DIMENSION_STATEMENT = ("300435430", "Dimension Statement")
PRODUCTION_STATEMENT = ("300435436", "Production Statement")
PERIOD_STATEMENT = ("300435432", "Period Statement")
CULTURE_STATEMENT = ("300435431", "Culture Statement")

# InscriptionRecord.kind → statement type. A seal impression and a colophon are inscriptions
# in the AAT sense (text applied to the work); "mark" is a marking, "signature" a signature.
INSCRIPTION_KIND = {
    "inscription": INSCRIPTION_STATEMENT,
    "seal": INSCRIPTION_STATEMENT,
    "colophon": INSCRIPTION_STATEMENT,
    "mark": MARKINGS_STATEMENT,
    "signature": SIGNATURE_STATEMENT,
}

# DimensionRecord.kind → AAT dimension type (cromulent.vocab: Height, Width, Depth, Length,
# Diameter, Weight, Thickness).
DIMENSION_KIND = {
    "height": ("300055644", "Height"),
    "width": ("300055647", "Width"),
    "depth": ("300072633", "Depth"),
    "length": ("300055645", "Length"),
    "diameter": ("300055624", "Diameter"),
    "weight": ("300056240", "Weight"),
    "thickness": ("300055646", "Thickness"),
}

# DimensionRecord.unit → AAT measurement unit (cromulent.vocab.instances: cm, mm, meters,
# inches, grams, kilograms).
UNIT = {
    "cm": ("300379098", "centimeters"),
    "mm": ("300379097", "millimeters"),
    "m": ("300379099", "meters"),
    "in": ("300379100", "inches"),
    "g": ("300379225", "grams"),
    "kg": ("300379226", "kilograms"),
}

# BCP 47 primary language subtag → AAT language (cromulent.vocab.instances: chinese,
# english, french, german, japanese, korean). zh-Hans and zh-Hant are both "Chinese".
LANGUAGE = {
    "zh": ("300388113", "Chinese"),
    "en": ("300388277", "English"),
    "fr": ("300388306", "French"),
    "de": ("300388344", "German"),
    "ja": ("300388486", "Japanese"),
    "ko": ("300388633", "Korean"),
}

NO_LANGUAGE = "none"
"""The language-map key for text whose language is unknown (records.py, IIIF Presentation 3)."""

# Which text stands first when one value is needed (a label, a "title" column): the
# collection's working language first, then English, then anything else.
LANGUAGE_PREFERENCE = ("zh-Hans", "zh", "zh-Hant", NO_LANGUAGE, "en")

IIIF_IMAGE_API = "http://iiif.io/api/image"
IIIF_PRESENTATION_API = "http://iiif.io/api/presentation"

# URL layout under the site's base URL. One place to change if the URL configuration moves.
LINKED_ART_OBJECT_PATH = "/catalog/linked-art/object/{id}"
LIDO_RECORD_PATH = "/catalog/lido/object/{id}"
IIIF_IMAGE_SERVICE_PATH = "/catalog/iiif/image"
IIIF_MANIFEST_PATH = "/catalog/iiif/object/{id}/manifest"
TERM_PATH = "/catalog/terms/{scheme}/{code}"


def aat_uri(aat_id: str) -> str:
    return f"{AAT}{aat_id}"


def base(base_url: str) -> str:
    return base_url.rstrip("/")


def object_uri(record: ObjectRecord, base_url: str) -> str:
    """The Linked Art URI of the object: ``{base_url}/catalog/linked-art/object/{id}``."""
    return base(base_url) + LINKED_ART_OBJECT_PATH.format(id=record.id)


def manifest_uri(record: ObjectRecord, base_url: str) -> str:
    return base(base_url) + IIIF_MANIFEST_PATH.format(id=record.id)


def term_uri(term: TermRecord, base_url: str) -> str:
    """The Getty AAT URI of a term where its id is known, else a local term URI."""
    if term.aat_id:
        return aat_uri(term.aat_id)
    return base(base_url) + TERM_PATH.format(scheme=term.scheme, code=term.code)


def image_service(image: ImageRecord, base_url: str) -> str:
    """The IIIF Image API 3.0 service id of an image (same layout as ``imaging``)."""
    return image_service_id(
        base(base_url) + IIIF_IMAGE_SERVICE_PATH, iiif_media_identifier(image.media_id)
    )


def full_image(image: ImageRecord, base_url: str) -> str:
    """URL of the whole image at the level-0 service's ``max`` size, as a JPEG."""
    size = full_max_size(image.width, image.height)
    return full_image_url(image_service(image, base_url), image.width, image.height, size)


def primary_language(tag: str) -> str:
    """The BCP 47 primary subtag: ``zh-Hans`` → ``zh``."""
    return tag.split("-", 1)[0].lower()


def language_of(tag: str) -> tuple[str, str] | None:
    """The AAT language (id, label) of a BCP 47 tag, or None where unknown or ``none``."""
    if tag == NO_LANGUAGE:
        return None
    return LANGUAGE.get(primary_language(tag))


def ordered(texts: LangMap) -> list[tuple[str, str]]:
    """Non-blank ``(language, text)`` pairs, preferred languages first, then by tag."""
    def rank(tag: str) -> tuple[int, str]:
        if tag in LANGUAGE_PREFERENCE:
            return (LANGUAGE_PREFERENCE.index(tag), tag)
        return (len(LANGUAGE_PREFERENCE), tag)

    return [(tag, texts[tag].strip()) for tag in sorted(texts, key=rank) if texts[tag].strip()]


def preferred_text(texts: LangMap) -> str:
    """The text in the most preferred language, or "" when the map is empty."""
    pairs = ordered(texts)
    return pairs[0][1] if pairs else ""


def english_or_preferred(texts: LangMap) -> str:
    """English where present (developer labels, ``_label``), else the preferred text."""
    english = texts.get("en", "").strip()
    return english or preferred_text(texts)


def display_name(record: ObjectRecord) -> LangMap:
    """The object's title where it has one, else its object name."""
    return record.title if any(v.strip() for v in record.title.values()) else record.object_name


def languages_used(maps: Iterable[LangMap]) -> list[str]:
    """Every real language tag used in the maps (``none`` excluded), preferred ones first."""
    seen: dict[str, None] = {}
    for texts in maps:
        for tag, _text in ordered(texts):
            if tag != NO_LANGUAGE:
                seen.setdefault(tag)
    return list(seen)


def iso_year(year: int) -> str:
    """The ISO 8601 (astronomical) form of a historical year.

    Catalog years are historical (``importing.dates``): no year 0, 206 BCE stored as -206.
    ISO 8601 and xsd:dateTime count 1 BCE as year 0000, so a BCE year moves up by one:
    -1600 (1600 BCE) → ``-1599``; 1736 → ``1736``. At least four digits, as ISO 8601 wants.
    """
    astronomical = year + 1 if year < 0 else year
    return f"-{-astronomical:04d}" if astronomical < 0 else f"{astronomical:04d}"


def iso_year_start(year: int) -> str:
    """The first second of a historical year: 1736 → ``1736-01-01T00:00:00Z``."""
    return f"{iso_year(year)}-01-01T00:00:00Z"


def iso_year_end(year: int) -> str:
    """The last second of a historical year: -1046 → ``-1045-12-31T23:59:59Z``."""
    return f"{iso_year(year)}-12-31T23:59:59Z"


def utc_timestamp(moment: dt.datetime) -> str:
    """``YYYY-MM-DDThh:mm:ssZ`` in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def decimal_text(value: object) -> str:
    """A decimal without exponent or trailing zeros: ``Decimal("30.50")`` → ``30.5``."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
