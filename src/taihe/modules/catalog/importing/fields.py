"""The import field registry: how a source column becomes a clean object-record value.

A mapping says which source column feeds which field: ``{"藏品编号": "object_number",
"Medium": "medium_en"}``. Each field name is one small class in :data:`FIELDS` (a registry,
never an ``if name == …`` ladder); :func:`map_row` runs the fields of one row and returns the
values plus one :class:`FieldError` per bad cell, so a file is checked row by row and nothing
stops at the first mistake.

Field names (the documented import template):

====================  ============================================================
object_number         required; NFKC, spaces collapsed (e.g. full-width "Ｇ１２３" → "G123")
title                 zh-Hans title (``title_en``, ``title_zh_hant`` for the others)
object_name           zh-Hans object name (``object_name_en``)
object_type           a term of the object_type scheme, by code or label in any language
maker                 several separated by ";" (or "|"); "role: name" or "name (role)"
culture, period       text; period also gives years when production_date does not
production_date       the date as written → year_earliest / year_latest / period
year_earliest/latest  whole years, BCE negative (-206); win over parsed dates
medium                zh-Hans medium (``medium_en``) → materials found in it
materials, techniques codes or labels separated by ";"
dimensions            text kept; structured measurements added when readable
description           zh-Hans (``description_en``); inscription; credit_line(``_en``)
acquisition_method    a term (transfer, purchase, gift, bequest, …)
acquisition_date      ISO, Y/M/D, unambiguous D/M/Y, 2019年5月3日, Excel serial numbers
acquisition_source    text
grade                 一级/二级/三级/一般/未定级, grade 1 …
status, notes         text
other_numbers         "kind: number" pairs separated by ";" (普查登记号: …)
custom:<code>         passed through to ``values["custom"][code]``
====================  ============================================================
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.utils.translation import gettext as _

from taihe.kernel.errors import ValidationFailed
from taihe.modules.catalog import vocabulary
from taihe.modules.catalog.importing.dates import parse_date_range
from taihe.modules.catalog.importing.dimensions import parse_dimensions
from taihe.modules.catalog.importing.materials import classify_materials

CUSTOM_PREFIX = "custom:"
_CUSTOM_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_LIST_SEPARATORS = re.compile(r"\s*[;；|]\s*")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    column: str = ""


@dataclass(frozen=True)
class MappingProblem:
    column: str
    field: str
    message: str


@dataclass
class MappedRow:
    values: dict[str, Any]
    errors: list[FieldError]


class ImportMappingError(ValidationFailed):
    """The column → field mapping itself is wrong: no row can be mapped with it."""

    code = "import_mapping_invalid"


class FieldValueError(ValueError):
    """A cell's value cannot be used for its field; the message is shown to the person."""


def language_of(text: str) -> str:
    """zh-Hans for text with Chinese characters, en otherwise: the best guess for columns that
    do not say their language (culture, period, inscription)."""
    return "zh-Hans" if _CJK.search(text) else "en"


def normalize_object_number(text: str) -> str:
    """NFKC (full-width letters and digits to ASCII), surrounding spaces removed, inner runs
    of spaces collapsed to one."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


@dataclass
class _Row:
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)
    explicit: set[str] = field(default_factory=set)
    parsed_dates: list[tuple[str, Any]] = field(default_factory=list)

    def set_text(self, key: str, language: str, text: str) -> None:
        self.values.setdefault(key, {})[language] = text

    def extend_unique(self, key: str, items: Iterable[Any]) -> None:
        existing: list[Any] = self.values.setdefault(key, [])
        for item in items:
            if item not in existing:
                existing.append(item)


class FieldKind(ABC):
    """One importable field. ``apply`` stores the cleaned value in the row or raises
    FieldValueError with a message for the person."""

    name: str
    required: ClassVar[bool] = False

    @abstractmethod
    def apply(self, text: str, row: _Row) -> None:
        """Clean ``text`` into ``row``; raise FieldValueError for the person."""


class ObjectNumberField(FieldKind):
    required = True

    def __init__(self) -> None:
        self.name = "object_number"

    def apply(self, text: str, row: _Row) -> None:
        number = normalize_object_number(text)
        if len(number) > 100:
            raise FieldValueError(_("The object number is longer than 100 characters."))
        row.values["object_number"] = number


class PlainTextField(FieldKind):
    def __init__(self, name: str) -> None:
        self.name = name

    def apply(self, text: str, row: _Row) -> None:
        row.values[self.name] = text


class LanguageTextField(FieldKind):
    """Text in one language, stored in a language map: ``title`` and ``title_en`` fill
    ``values["title"]["zh-Hans"]`` and ``["en"]``. ``language=None`` guesses from the text."""

    def __init__(self, name: str, target: str, language: str | None) -> None:
        self.name, self.target, self.language = name, target, language

    def apply(self, text: str, row: _Row) -> None:
        row.set_text(self.target, self.language or language_of(text), text)


class TermField(FieldKind):
    def __init__(self, name: str, scheme: str) -> None:
        self.name, self.scheme = name, scheme

    def apply(self, text: str, row: _Row) -> None:
        found = vocabulary.find_term(self.scheme, text)
        if found is None:
            raise FieldValueError(_("“%(value)s” is not a known %(scheme)s term.") % {
                "value": text, "scheme": self.scheme.replace("_", " ")})
        row.values[self.name] = found.code


class TermListField(FieldKind):
    def __init__(self, name: str, scheme: str) -> None:
        self.name, self.scheme = name, scheme

    def apply(self, text: str, row: _Row) -> None:
        codes, unknown = [], []
        for item in _LIST_SEPARATORS.split(text):
            if not item:
                continue
            found = vocabulary.find_term(self.scheme, item)
            if found is None:
                unknown.append(item)
            else:
                codes.append(found.code)
        # Explicit codes come before those found in the medium text.
        row.values[self.name] = codes + [
            code for code in row.values.get(self.name, []) if code not in codes]
        row.explicit.add(self.name)
        if unknown:
            raise FieldValueError(_("Not known %(scheme)s terms: %(values)s.") % {
                "scheme": self.scheme.replace("_", " "), "values": ", ".join(unknown)})


# Roles recognised in "role: name" and "name (role)"; anything else in brackets stays part of
# the name ("Velázquez (Diego Rodríguez de Silva y Velázquez)").
MAKER_ROLES: dict[str, str] = {
    "artist": "artist", "maker": "maker", "author": "author", "calligrapher": "calligrapher",
    "painter": "painter", "potter": "potter", "kiln": "kiln", "workshop": "workshop",
    "designer": "designer", "manufacturer": "manufacturer", "carver": "carver",
    "engraver": "engraver", "caster": "caster", "weaver": "weaver",
    "embroiderer": "embroiderer", "inscriber": "inscriber", "publisher": "publisher",
    "printer": "printer", "photographer": "photographer",
    "作者": "author", "书": "calligrapher", "書": "calligrapher", "书法": "calligrapher",
    "書法": "calligrapher", "画": "painter", "畫": "painter", "绘": "painter", "繪": "painter",
    "刻": "carver", "雕": "carver", "铸": "caster", "鑄": "caster", "窑": "kiln", "窯": "kiln",
    "制": "maker", "製": "maker", "造": "maker", "设计": "designer", "設計": "designer",
}
_ROLE_PREFIX = re.compile(r"^(?P<role>[^:：]{1,30})\s*[:：]\s*(?P<name>.+)$")
_ROLE_SUFFIX = re.compile(r"^(?P<name>.+?)\s*[(（](?P<role>[^()（）]{1,30})[)）]$")


class MakerField(FieldKind):
    def __init__(self) -> None:
        self.name = "maker"

    def apply(self, text: str, row: _Row) -> None:
        makers = []
        for item in _LIST_SEPARATORS.split(text):
            if not item:
                continue
            name, role = item, ""
            for pattern in (_ROLE_PREFIX, _ROLE_SUFFIX):
                match = pattern.match(item)
                if match and vocabulary.normalize_label(match["role"]) in MAKER_ROLES:
                    name = match["name"].strip()
                    role = MAKER_ROLES[vocabulary.normalize_label(match["role"])]
                    break
            makers.append({"name": {language_of(name): name}, "role": role})
        row.values["makers"] = makers


class ProductionDateField(FieldKind):
    def __init__(self) -> None:
        self.name = "production_date"

    def apply(self, text: str, row: _Row) -> None:
        row.values["production_date"] = text
        # Unreadable dates are not errors: the text is kept for people to read.
        row.parsed_dates.insert(0, ("production_date", parse_date_range(text)))


class PeriodField(FieldKind):
    def __init__(self) -> None:
        self.name = "period"

    def apply(self, text: str, row: _Row) -> None:
        row.set_text("period", language_of(text), text)
        row.parsed_dates.append(("period", parse_date_range(text)))


class YearField(FieldKind):
    def __init__(self, name: str) -> None:
        self.name = name

    def apply(self, text: str, row: _Row) -> None:
        cleaned = unicodedata.normalize("NFKC", text).strip().replace("−", "-")
        if cleaned.endswith(".0"):
            cleaned = cleaned[:-2]  # spreadsheets store 1736 as 1736.0
        if not re.fullmatch(r"-?\d{1,4}", cleaned) or int(cleaned) == 0:
            raise FieldValueError(_("“%(value)s” is not a year: write a whole number, negative "
                                    "for BCE (e.g. -206).") % {"value": text})
        row.values[self.name] = int(cleaned)
        row.explicit.add(self.name)


class MediumField(FieldKind):
    def __init__(self, name: str, language: str) -> None:
        self.name, self.language = name, language

    def apply(self, text: str, row: _Row) -> None:
        row.set_text("medium", self.language, text)
        row.extend_unique("materials", classify_materials(text))


class DimensionsField(FieldKind):
    def __init__(self) -> None:
        self.name = "dimensions"

    def apply(self, text: str, row: _Row) -> None:
        row.set_text("dimensions_text", language_of(text), text)
        row.values["dimensions"] = parse_dimensions(text)


# Excel counts days from 1899-12-30 (which absorbs Lotus 1-2-3's phantom 29 February 1900).
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date(text: str) -> dt.date:
    """A calendar date from ISO 8601, Y/M/D, D/M/Y or M/D/Y when only one reading is
    possible, "2019年5月3日", or a five-digit Excel serial number. Raises FieldValueError for
    anything else, for impossible dates and for ambiguous day/month orders."""
    cleaned = unicodedata.normalize("NFKC", text).strip()
    try:
        if match := re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ][\d:.]+)?", cleaned):
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        if match := re.fullmatch(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日", cleaned):
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        if match := re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", cleaned):
            first, second, year = int(match[1]), int(match[2]), int(match[3])
            if first > 12 >= second or first == second:
                return dt.date(year, second, first)
            if second > 12 >= first:
                return dt.date(year, first, second)
            raise FieldValueError(_("“%(value)s” could be day/month or month/day: write the "
                                    "date as YYYY-MM-DD.") % {"value": text})
        if match := re.fullmatch(r"(\d{5})(?:\.0+)?", cleaned):
            # Five digits only: a four-digit number is much more likely a year than a day
            # in 1900–1927, and a year alone is not a date.
            return _EXCEL_EPOCH + dt.timedelta(days=int(match[1]))
    except ValueError as error:
        if isinstance(error, FieldValueError):
            raise
        raise FieldValueError(_("“%(value)s” is not a real calendar date.") % {
            "value": text}) from error
    raise FieldValueError(_("“%(value)s” is not a date: write it as YYYY-MM-DD.") % {
        "value": text})


class DateField(FieldKind):
    def __init__(self, name: str) -> None:
        self.name = name

    def apply(self, text: str, row: _Row) -> None:
        row.values[self.name] = parse_date(text)


class OtherNumbersField(FieldKind):
    def __init__(self) -> None:
        self.name = "other_numbers"

    def apply(self, text: str, row: _Row) -> None:
        pairs = []
        for item in _LIST_SEPARATORS.split(text):
            if not item:
                continue
            kind, separator, number = item.partition(":")
            if not separator:
                kind, separator, number = item.partition("：")
            if separator and number.strip():
                pairs.append((normalize_object_number(number), kind.strip()))
            else:
                pairs.append((normalize_object_number(item), ""))
        row.values["other_numbers"] = pairs


class CustomField(FieldKind):
    def __init__(self, name: str) -> None:
        self.name = name
        self.code = name[len(CUSTOM_PREFIX):]

    def apply(self, text: str, row: _Row) -> None:
        row.values.setdefault("custom", {})[self.code] = text


def _registry(kinds: Iterable[FieldKind]) -> dict[str, FieldKind]:
    return {kind.name: kind for kind in kinds}


FIELDS: dict[str, FieldKind] = _registry([
    ObjectNumberField(),
    LanguageTextField("title", "title", "zh-Hans"),
    LanguageTextField("title_en", "title", "en"),
    LanguageTextField("title_zh_hant", "title", "zh-Hant"),
    LanguageTextField("object_name", "object_name", "zh-Hans"),
    LanguageTextField("object_name_en", "object_name", "en"),
    TermField("object_type", "object_type"),
    MakerField(),
    LanguageTextField("culture", "culture", None),
    ProductionDateField(),
    PeriodField(),
    YearField("year_earliest"),
    YearField("year_latest"),
    MediumField("medium", "zh-Hans"),
    MediumField("medium_en", "en"),
    TermListField("materials", "material"),
    TermListField("techniques", "technique"),
    DimensionsField(),
    LanguageTextField("description", "description", "zh-Hans"),
    LanguageTextField("description_en", "description", "en"),
    LanguageTextField("inscription", "inscription", None),
    LanguageTextField("credit_line", "credit_line", "zh-Hans"),
    LanguageTextField("credit_line_en", "credit_line", "en"),
    TermField("acquisition_method", "acquisition_method"),
    DateField("acquisition_date"),
    LanguageTextField("acquisition_source", "acquisition_source", None),
    TermField("grade", "grade"),
    PlainTextField("status"),
    OtherNumbersField(),
    PlainTextField("notes"),
])
FIELD_NAMES: tuple[str, ...] = tuple(FIELDS)


def field_kind(name: str) -> FieldKind | None:
    """The field for a mapping target, ``custom:<code>`` included; None when unknown."""
    if name.startswith(CUSTOM_PREFIX):
        return CustomField(name) if _CUSTOM_CODE.match(name[len(CUSTOM_PREFIX):]) else None
    return FIELDS.get(name)


def check_mapping(mapping: Mapping[str, str], columns: Iterable[str]) -> list[MappingProblem]:
    """Everything wrong with a column → field mapping for a file with these columns: unknown
    field names, columns the file does not have, a field fed by two columns, and no column
    for object_number. An empty list means the mapping can be used."""
    available = set(columns)
    problems: list[MappingProblem] = []
    used: dict[str, str] = {}
    for column, name in mapping.items():
        if field_kind(name) is None:
            problems.append(MappingProblem(column, name, _(
                "“%(field)s” is not an import field.") % {"field": name}))
        if column not in available:
            problems.append(MappingProblem(column, name, _(
                "The file has no column “%(column)s”.") % {"column": column}))
        if name in used:
            problems.append(MappingProblem(column, name, _(
                "“%(field)s” is already filled from column “%(other)s”.") % {
                    "field": name, "other": used[name]}))
        else:
            used[name] = column
    if "object_number" not in used:
        problems.append(MappingProblem("", "object_number", _(
            "No column is mapped to object_number, which every object needs.")))
    return problems


def _compile(mapping: Mapping[str, str]) -> list[tuple[str, FieldKind]]:
    compiled, unknown = [], []
    for column, name in mapping.items():
        kind = field_kind(name)
        if kind is None:
            unknown.append(name)
        else:
            compiled.append((column, kind))
    if unknown:
        message = _("These are not import fields: %(fields)s.") % {"fields": ", ".join(unknown)}
        raise ImportMappingError(message, fields={"mapping": message})
    return compiled


def map_row(values: Mapping[str, str], mapping: Mapping[str, str]) -> MappedRow:
    """Clean one source row through the mapping. Empty cells are skipped; each bad cell adds a
    FieldError naming the field and the column. Raises ImportMappingError (before reading any
    value) when the mapping names a field that does not exist."""
    row = _Row()
    for column, kind in _compile(mapping):
        text = (values.get(column) or "").strip()
        if not text:
            if kind.required:
                row.errors.append(FieldError(kind.name, _(
                    "%(field)s is required but column “%(column)s” is empty.") % {
                        "field": kind.name, "column": column}, column))
            continue
        try:
            kind.apply(text, row)
        except FieldValueError as error:
            row.errors.append(FieldError(kind.name, _("Column “%(column)s”: %(problem)s") % {
                "column": column, "problem": error}, column))
    _finish(row)
    return MappedRow(row.values, row.errors)


def _finish(row: _Row) -> None:
    """Fill what the other fields imply: years and period from the dates, and check them."""
    for source, parsed in row.parsed_dates:
        if parsed is None:
            continue
        if "year_earliest" not in row.explicit:
            row.values.setdefault("year_earliest", parsed.earliest)
        if "year_latest" not in row.explicit:
            row.values.setdefault("year_latest", parsed.latest)
        if source == "production_date" and parsed.period_label and "period" not in row.values:
            row.values["period"] = dict(parsed.period_label)
    earliest, latest = row.values.get("year_earliest"), row.values.get("year_latest")
    if earliest is not None and latest is not None and earliest > latest:
        row.errors.append(FieldError("year_latest", _(
            "The latest year (%(latest)s) is before the earliest year (%(earliest)s).") % {
                "latest": latest, "earliest": earliest}))


# Header words (normalised: case-folded, spaces, underscores, hyphens and dots removed) that
# name a field, from common templates: the Met (MetObjects.csv), Cleveland, Cooper Hewitt,
# Smithsonian exports, and Chinese registers (the census indicators 名称, 年代, 质地, 尺寸,
# 文物级别, 来源, 入藏时间, 藏品编号).
_HEADER_ALIASES: dict[str, str] = {
    "objectnumber": "object_number", "accessionnumber": "object_number",
    "accessionno": "object_number", "invno": "object_number", "inventorynumber": "object_number",
    "idnumber": "object_number", "objectid": "other_numbers", "othernumbers": "other_numbers",
    "title": "title", "objectname": "object_name", "name": "object_name",
    "objecttype": "object_type", "type": "object_type", "worktype": "object_type",
    "maker": "maker", "artist": "maker", "artistdisplayname": "maker", "creator": "maker",
    "creators": "maker", "culture": "culture", "period": "period", "dynasty": "period",
    "date": "production_date", "objectdate": "production_date", "creationdate":
    "production_date", "displaydate": "production_date", "dated": "production_date",
    "productiondate": "production_date", "objectbegindate": "year_earliest",
    "datebegin": "year_earliest", "creationdateearliest": "year_earliest",
    "yearearliest": "year_earliest", "objectenddate": "year_latest", "dateend": "year_latest",
    "creationdatelatest": "year_latest", "yearlatest": "year_latest", "medium": "medium",
    "materials": "materials", "material": "materials", "techniques": "techniques",
    "dimensions": "dimensions", "measurements": "dimensions", "description": "description",
    "inscription": "inscription", "inscriptions": "inscription", "marks": "inscription",
    "creditline": "credit_line", "acquisitionmethod": "acquisition_method",
    "acquisitiondate": "acquisition_date", "accessiondate": "acquisition_date",
    "acquisitionsource": "acquisition_source", "source": "acquisition_source",
    "grade": "grade", "status": "status", "notes": "notes", "note": "notes",
    "藏品编号": "object_number", "藏品編號": "object_number", "总登记号": "object_number",
    "總登記號": "object_number", "文物编号": "object_number", "文物編號": "object_number",
    "编号": "object_number", "編號": "object_number", "登记号": "object_number",
    "名称": "title", "名稱": "title", "藏品名称": "title", "藏品名稱": "title",
    "文物名称": "title", "文物名稱": "title", "英文名称": "title_en", "英文名稱": "title_en",
    "器物名称": "object_name", "器名": "object_name", "类型": "object_type",
    "類型": "object_type", "作者": "maker", "年代": "production_date", "时代": "production_date",
    "時代": "production_date", "时期": "period", "時期": "period", "朝代": "period",
    "质地": "medium", "質地": "medium", "材质": "medium", "材質": "medium",
    "尺寸": "dimensions", "尺寸重量": "dimensions", "级别": "grade", "級別": "grade",
    "文物级别": "grade", "文物級別": "grade", "来源": "acquisition_source",
    "來源": "acquisition_source", "入藏时间": "acquisition_date",
    "入藏時間": "acquisition_date", "入藏日期": "acquisition_date",
    "入藏方式": "acquisition_method", "描述": "description", "简介": "description",
    "簡介": "description", "铭文": "inscription", "銘文": "inscription",
    "款识": "inscription", "款識": "inscription", "备注": "notes", "備註": "notes",
    "状态": "status", "狀態": "status", "普查登记号": "other_numbers",
    "普查登記號": "other_numbers", "原编号": "other_numbers", "原編號": "other_numbers",
    "文化": "culture",
}
# An English header over a text column means English text in it ("Title" → title_en).
_ENGLISH_VARIANTS = {"title": "title_en", "object_name": "object_name_en",
                     "medium": "medium_en", "description": "description_en",
                     "credit_line": "credit_line_en"}


def _header_key(column: str) -> str:
    return re.sub(r"[\s_\-.:：]", "", unicodedata.normalize("NFKC", column).casefold())


def suggest_mapping(columns: Iterable[str]) -> dict[str, str]:
    """A first guess at the mapping from the column names (English or Chinese); each field
    is suggested for the first column that names it. The person confirms or edits it."""
    suggestion: dict[str, str] = {}
    columns = list(columns)
    # A file in Taihe's own layout (its CSV/XLSX export: an "object_number" column) names
    # its columns exactly as the fields, "title" being the Chinese title beside "title_en".
    own_layout = "object_number" in {column.strip() for column in columns}
    exact = {column.strip() for column in columns if own_layout and column.strip() in FIELDS}
    taken: set[str] = set(exact)
    for column in columns:
        if column.strip() in exact:
            suggestion[column] = column.strip()
            continue
        name = _HEADER_ALIASES.get(_header_key(column))
        if name is None:
            continue
        if column.isascii():
            name = _ENGLISH_VARIANTS.get(name, name)
        if name not in taken:
            suggestion[column] = name
            taken.add(name)
    return suggestion
