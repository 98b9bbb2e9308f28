"""Plain, frozen records the catalog hands to its exporters and to other modules.

Every human-readable text is a *language map*: ``{"zh-Hans": "…", "en": "…"}`` keyed by
BCP 47 tags (IIIF Presentation 3 and Linked Art both use the same shape). A missing language
is simply absent; ``"none"`` holds text whose language is unknown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

LangMap = dict[str, str]


@dataclass(frozen=True)
class TermRecord:
    """A controlled term (material, object type, technique, condition…) with its Getty AAT id
    where one is known (e.g. bronze = 300010957)."""

    scheme: str
    code: str
    label: LangMap
    aat_id: str | None = None


@dataclass(frozen=True)
class MakerRecord:
    name: LangMap
    role: str = ""
    """Free text from the source or a role code: "artist", "calligrapher", "kiln", "workshop"."""


@dataclass(frozen=True)
class DimensionRecord:
    kind: str
    """height, width, depth, length, diameter, weight."""
    value: Decimal
    unit: str
    """cm, mm, m, in, g, kg."""


@dataclass(frozen=True)
class InscriptionRecord:
    text: LangMap
    kind: str = "inscription"
    """inscription, mark, seal, signature, colophon."""
    position: str = ""


@dataclass(frozen=True)
class ImageRecord:
    media_id: int
    width: int
    height: int
    mime_type: str
    caption: LangMap = field(default_factory=dict)
    is_primary: bool = False
    rights: str = ""
    """A Creative Commons or RightsStatements.org URI."""


@dataclass(frozen=True)
class ObjectRecord:
    id: int
    object_number: str
    other_numbers: list[tuple[str, str]]
    """(number, kind) pairs: old inventory numbers, census numbers (普查登记号)…"""
    object_name: LangMap
    object_type: TermRecord | None
    title: LangMap
    makers: list[MakerRecord]
    culture: LangMap
    period: LangMap
    """Display text: "清乾隆" / "Qing dynasty, Qianlong reign"."""
    year_earliest: int | None
    year_latest: int | None
    production_date: str
    """The date as the source wrote it ("1736-1795", "18th century")."""
    materials: list[TermRecord]
    medium: LangMap
    techniques: list[TermRecord]
    dimensions: list[DimensionRecord]
    dimensions_text: LangMap
    inscriptions: list[InscriptionRecord]
    description: LangMap
    acquisition_method: str
    acquisition_date: dt.date | None
    acquisition_source: LangMap
    credit_line: LangMap
    grade: str
    """grade-1 (一级), grade-2 (二级), grade-3 (三级), general (一般), ungraded."""
    status: str
    images: list[ImageRecord]
    updated_at: dt.datetime
    rights: str = ""
