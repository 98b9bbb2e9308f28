"""Form field types: a registry of small classes that other modules extend.

A form is a list of field definitions (JSON)::

    {"name": "amount", "type": "money", "label": {"zh-hans": "金额", "en": "Amount"},
     "required": true, "visible_if": {"all": [...]}, "help": {...}, ...type options}

``check_form`` validates the definition (in the designer and on import), ``clean_form``
validates a submission and returns the values to store, or field messages keyed by field
name (``items[2].amount`` inside a table).
"""

from __future__ import annotations

import datetime as dt
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, ClassVar, Protocol

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from taihe.modules.workflows import formula
from taihe.modules.workflows.engine import conditions

NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class FieldError(ValueError):
    def __init__(self, message: Any) -> None:
        self.message = message
        super().__init__(str(message))


class Lookups(Protocol):
    """What validation and display need from the rest of the system."""

    def people_exist(self, ids: list[int]) -> set[int]: ...
    def departments_exist(self, ids: list[int]) -> set[int]: ...
    def locations_visible(self, ids: list[int]) -> set[int]: ...
    def objects_visible(self, ids: list[int]) -> set[int]: ...
    def attachments_usable(self, ids: list[int], *, images: bool) -> set[int]: ...
    def working_days(self, start: dt.date, end: dt.date) -> tuple[Decimal, str]: ...
    def name_of(self, kind: str, value: int) -> str: ...


def label_of(item: dict[str, Any], key: str = "label") -> str:
    """A field's (or choice's) label in the current language, falling back to the other."""
    labels = item.get(key) or {}
    if isinstance(labels, str):
        return labels
    if not isinstance(labels, dict):
        return str(item.get("name", ""))
    language = "zh-hans" if (get_language() or "").startswith("zh") else "en"
    return str(labels.get(language) or labels.get("en") or labels.get("zh-hans")
               or item.get("name", ""))


class FieldType(ABC):
    code: ClassVar[str]
    label: ClassVar[Any]
    #: what branch conditions may ask of the value (see ``conditions.OPERATORS``)
    kind: ClassVar[str] = "other"
    options: ClassVar[frozenset[str]] = frozenset()

    def check(self, field: dict[str, Any]) -> list[Any]:
        """Messages for a bad field definition."""
        return []

    @abstractmethod
    def clean(self, value: Any, field: dict[str, Any], lookups: Lookups) -> Any:
        """The value to store; raise :class:`FieldError` with what is wrong."""

    def display(self, value: Any, field: dict[str, Any], lookups: Lookups) -> str:
        return "" if value in (None, "", []) else str(value)


_REGISTRY: dict[str, FieldType] = {}


def register_field_type(field_type: type[FieldType]) -> type[FieldType]:
    _REGISTRY[field_type.code] = field_type()
    return field_type


def field_type(code: str) -> FieldType | None:
    return _REGISTRY.get(code)


def field_types() -> list[FieldType]:
    return list(_REGISTRY.values())


def _is_empty(value: Any) -> bool:
    return (value is None or value == [] or value == {}
            or (isinstance(value, str) and not value.strip()))


def _integer_ids(value: Any, *, multiple: bool) -> list[int]:
    items = value if isinstance(value, list) else [value]
    if not multiple and len(items) > 1:
        raise FieldError(_("Choose only one."))
    try:
        return [int(item) for item in items]
    except (TypeError, ValueError):
        raise FieldError(_("Choose from the list.")) from None


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise FieldError(_("Enter a number."))
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise FieldError(_("Enter a number.")) from None
    if not number.is_finite():
        raise FieldError(_("Enter a number."))
    return number


def _rounds_to(number: Decimal, decimals: int) -> bool:
    """Whether ``number`` has at most ``decimals`` decimal places."""
    try:
        return number == round(number, decimals)
    except ArithmeticError:  # more digits than decimal arithmetic keeps: far too large
        raise FieldError(_("Enter a smaller number.")) from None


def _whole(value: Any) -> int | None:
    """``value`` as a whole number, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,9}", value.strip()):
        return int(value)
    return None


def _decimals(field: dict[str, Any]) -> int:
    decimals = field.get("decimals")
    return 2 if decimals is None else int(decimals)


def _option_problems(field: dict[str, Any], *, whole: dict[str, tuple[int, int]],
                     numbers: tuple[str, ...] = ()) -> list[Any]:
    """Messages for type options that are not the whole numbers or numbers they must be."""
    problems: list[Any] = []
    for option, (low, high) in whole.items():
        if field.get(option) is None:
            continue
        value = _whole(field[option])
        if value is None or not low <= value <= high:
            problems.append(_("%(option)s is a whole number from %(low)d to %(high)d.")
                            % {"option": option, "low": low, "high": high})
    found = {}
    for option in numbers:
        if field.get(option) is None:
            continue
        try:
            found[option] = _decimal(field[option])
        except FieldError:
            problems.append(_("%(option)s is a number.") % {"option": option})
    if "min" in found and "max" in found and found["min"] > found["max"]:
        problems.append(_("min is more than max."))
    return problems


def _bounds(number: Decimal, field: dict[str, Any]) -> None:
    if field.get("min") is not None and number < Decimal(str(field["min"])):
        raise FieldError(_("Enter %(min)s or more.") % {"min": field["min"]})
    if field.get("max") is not None and number > Decimal(str(field["max"])):
        raise FieldError(_("Enter %(max)s or less.") % {"max": field["max"]})


DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _fixed(value: Any, field: dict[str, Any]) -> str:
    """A stored number shown with the field's decimal places (2 unless set): 432.0 -> 432.00."""
    try:
        decimals = int(field.get("decimals", 2))
        return f"{Decimal(str(value)):,.{max(0, min(decimals, 10))}f}"
    except (InvalidOperation, ValueError, TypeError):
        return str(value)


def _date(value: Any) -> dt.date:
    if not isinstance(value, str) or not DATE.match(value.strip()):
        raise FieldError(_("Enter a date as YYYY-MM-DD."))
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise FieldError(_("Enter a date as YYYY-MM-DD.")) from None


@register_field_type
class TextField(FieldType):
    code = "text"
    label = _("Text")
    kind = "text"
    options = frozenset({"max_length", "placeholder"})
    default_length = 200

    def check(self, field: dict[str, Any]) -> list[Any]:
        return _option_problems(field, whole={"max_length": (1, 100000)})

    def clean(self, value: Any, field: dict[str, Any], lookups: Lookups) -> Any:
        if isinstance(value, (list, dict)):
            raise FieldError(_("Enter text."))
        text = str(value).strip()
        limit = int(field.get("max_length") or self.default_length)
        if len(text) > limit:
            raise FieldError(_("Use at most %(limit)d characters (this has %(count)d).")
                             % {"limit": limit, "count": len(text)})
        return text


@register_field_type
class LongTextField(TextField):
    code = "textarea"
    label = _("Long text")
    default_length = 5000


@register_field_type
class NumberField(FieldType):
    code = "number"
    label = _("Number")
    kind = "number"
    options = frozenset({"min", "max", "decimals", "unit"})

    def check(self, field: dict[str, Any]) -> list[Any]:
        return _option_problems(field, whole={"decimals": (0, 10)}, numbers=("min", "max"))

    def clean(self, value: Any, field: dict[str, Any], lookups: Lookups) -> Any:
        number = _decimal(value)
        _bounds(number, field)
        decimals = _decimals(field)
        if not _rounds_to(number, decimals):
            raise FieldError(_("Use at most %(decimals)d decimal places.")
                             % {"decimals": decimals})
        return float(number) if decimals else int(number)

    def display(self, value: Any, field: dict[str, Any], lookups: Lookups) -> str:
        if value in (None, ""):
            return ""
        unit = field.get("unit") or ""
        return f"{_fixed(value, field)} {unit}".strip()


@register_field_type
class MoneyField(FieldType):
    code = "money"
    label = _("Money")
    kind = "number"
    options = frozenset({"min", "max", "currency"})

    def check(self, field: dict[str, Any]) -> list[Any]:
        return _option_problems(field, whole={}, numbers=("min", "max"))

    def clean(self, value: Any, field: dict[str, Any], lookups: Lookups) -> Any:
        number = _decimal(value)
        _bounds(number, field)
        if not _rounds_to(number, 2):
            raise FieldError(_("Money has at most two decimal places."))
        return str(number.quantize(Decimal("0.01")))

    def display(self, value: Any, field: dict[str, Any], lookups: Lookups) -> str:
        if value in (None, ""):
            return ""
        currency = field.get("currency") or "CNY"
        return f"{currency} {Decimal(str(value)):,.2f}"


@register_field_type
class DateField(FieldType):
    code = "date"
    label = _("Date")
    kind = "date"

    def clean(self, value: Any, field: dict[str, Any], lookups: Lookups) -> Any:
        return _date(value).isoformat()


HALVES = ("am", "pm")


@register_field_type
class DateRangeField(FieldType):
    """Start and end dates, with the number of working days between them from the
    attendance calendar when one is installed (weekdays otherwise, and it says so).

    With ``half_days`` the range may start in the afternoon (``start_half: "pm"``) or end
    at noon (``end_half: "am"``); each such half on a working day takes half a day off the
    count, so a leave from Monday afternoon to Tuesday morning is one day.
    """

    code = "daterange"
    label = _("Date range")
    kind = "other"
    options = frozenset({"half_days"})

    def check(self, field: dict[str, Any]) -> list[Any]:
        if field.get("half_days") not in (None, True, False):
            return [_("Half days is either on or off.")]
        return []

    def clean(self, value: Any, field: dict[str, Any], lookups: Lookups) -> Any:
        if not isinstance(value, dict):
            raise FieldError(_("Enter a start and an end date."))
        start, end = _date(value.get("start")), _date(value.get("end"))
        if end < start:
            raise FieldError(_("The end date is before the start date."))
        days, calendar = lookups.working_days(start, end)
        cleaned = {"start": start.isoformat(), "end": end.isoformat(), "calendar": calendar}
        if field.get("half_days"):
            start_half = value.get("start_half") or "am"
            end_half = value.get("end_half") or "pm"
            if start_half not in HALVES or end_half not in HALVES:
                raise FieldError(_("Choose morning or afternoon."))
            if start == end and start_half == "pm" and end_half == "am":
                raise FieldError(_("A leave cannot start in the afternoon and end the same "
                                   "morning."))
            for day, half, taken in ((start, start_half, "pm"), (end, end_half, "am")):
                if half == taken and lookups.working_days(day, day)[0] > 0:
                    days -= Decimal("0.5")
            cleaned.update(start_half=start_half, end_half=end_half)
        cleaned["days"] = str(days)
        return cleaned

    def display(self, value: Any, field: dict[str, Any], lookups: Lookups) -> str:
        if not value:
            return ""
        start, end = value["start"], value["end"]
        if value.get("start_half") == "pm":
            start = str(_("%(date)s afternoon") % {"date": start})
        if value.get("end_half") == "am":
            end = str(_("%(date)s morning") % {"date": end})
        return str(_("%(start)s to %(end)s (%(days)s working days)")
                   % {"start": start, "end": end, "days": value["days"]})


class _ChoiceBase(FieldType):
    options = frozenset({"choices"})

    def check(self, field: dict[str, Any]) -> list[Any]:
        choices = field.get("choices") or []
        if not isinstance(choices, list):
            return [_("Give at least one choice, each with a value and a label.")]
        values = [c.get("value") for c in choices
                  if isinstance(c, dict) and isinstance(c.get("value"), (str, int))
                  and not isinstance(c.get("value"), bool) and c.get("value") != ""
                  and isinstance(c.get("label"), (str, dict)) and label_of(c).strip()]
        if not values or len(values) != len(choices):
            return [_("Give at least one choice, each with a value and a label.")]
        if len(set(values)) != len(values):
            return [_("Two choices have the same value.")]
        return []

    def display(self, value: Any, field: dict[str, Any], lookups: Lookups) -> str:
        labels = {c["value"]: label_of(c) for c in field.get("choices", [])}
        items = value if isinstance(value, list) else [] if value in (None, "") else [value]
        return ", ".join(labels.get(item, str(item)) for item in items)


@register_field_type
class SelectField(_ChoiceBase):
    code = "select"
    label = _("Single choice")
    kind = "choice"

    def clean(self, value: Any, field: dict[str, Any], lookups: Lookups) -> Any:
        if value not in [c["value"] for c in field.get("choices", [])]:
            raise FieldError(_("%(value)s is not one of the choices.") % {"value": value})
        return value


@register_field_type
class MultiSelectField(_ChoiceBase):
    code = "multiselect"
    label = _("Multiple choice")
    kind = "choices"

    def clean(self, value: Any, field: dict[str, Any], lookups: Lookups) -> Any:
        items = value if isinstance(value, list) else [value]
        allowed = [c["value"] for c in field.get("choices", [])]
        wrong = [str(item) for item in items if item not in allowed]
        if wrong:
            raise FieldError(_("%(values)s is not one of the choices.")
                             % {"values": ", ".join(wrong)})
        return [choice for choice in allowed if choice in items]


class _ReferenceBase(FieldType):
    options = frozenset({"multiple"})
    reference = ""
    missing: ClassVar[Any] = _("Not found.")

    @abstractmethod
    def found(self, ids: list[int], lookups: Lookups) -> set[int]:
        """The ids among ``ids`` that exist and the reader may use."""

    def clean(self, value: Any, field: dict[str, Any], lookups: Lookups) -> Any:
        multiple = bool(field.get("multiple"))
        ids = list(dict.fromkeys(_integer_ids(value, multiple=multiple)))
        present = self.found(ids, lookups)
        if missing := [str(i) for i in ids if i not in present]:
            raise FieldError(_("%(what)s (%(ids)s)") % {"what": self.missing,
                                                        "ids": ", ".join(missing)})
        return ids if multiple else ids[0]

    def display(self, value: Any, field: dict[str, Any], lookups: Lookups) -> str:
        items = value if isinstance(value, list) else [] if value in (None, "") else [value]
        return ", ".join(lookups.name_of(self.reference, int(item)) for item in items)


@register_field_type
class PersonField(_ReferenceBase):
    code = "person"
    label = _("Person")
    kind = "person"
    reference = "person"
    missing = _("No active person with this id")

    def found(self, ids: list[int], lookups: Lookups) -> set[int]:
        return lookups.people_exist(ids)


@register_field_type
class DepartmentField(_ReferenceBase):
    code = "department"
    label = _("Department")
    kind = "department"
    reference = "department"
    missing = _("No department with this id")

    def found(self, ids: list[int], lookups: Lookups) -> set[int]:
        return lookups.departments_exist(ids)


@register_field_type
class LocationField(_ReferenceBase):
    code = "location"
    label = _("Location")
    reference = "location"
    missing = _("No location with this id that you may see")

    def found(self, ids: list[int], lookups: Lookups) -> set[int]:
        return lookups.locations_visible(ids)


@register_field_type
class ObjectField(_ReferenceBase):
    code = "object"
    label = _("Collection object")
    reference = "object"
    missing = _("No object with this id that you may see")

    def found(self, ids: list[int], lookups: Lookups) -> set[int]:
        return lookups.objects_visible(ids)


@register_field_type
class AttachmentField(_ReferenceBase):
    code = "attachment"
    label = _("Attachment")
    reference = "attachment"
    missing = _("Upload the file again (attachment not found)")
    images = False
    options = frozenset({"max_files"})

    def check(self, field: dict[str, Any]) -> list[Any]:
        return _option_problems(field, whole={"max_files": (1, 100)})

    def found(self, ids: list[int], lookups: Lookups) -> set[int]:
        return lookups.attachments_usable(ids, images=self.images)

    def clean(self, value: Any, field: dict[str, Any], lookups: Lookups) -> Any:
        ids = super().clean(value if isinstance(value, list) else [value],
                            {**field, "multiple": True}, lookups)
        limit = int(field.get("max_files") or 10)
        if len(ids) > limit:
            raise FieldError(_("Attach at most %(limit)d files.") % {"limit": limit})
        return ids


@register_field_type
class ImageField(AttachmentField):
    code = "image"
    label = _("Image")
    images = True
    missing = _("Upload the image again (not found or not an image)")


@register_field_type
class ComputedField(FieldType):
    """A number worked out from other fields; the submitted value is ignored."""

    code = "computed"
    label = _("Computed")
    kind = "number"
    options = frozenset({"formula", "decimals", "unit"})

    def check(self, field: dict[str, Any]) -> list[Any]:
        problems = _option_problems(field, whole={"decimals": (0, 10)})
        try:
            formula.parse(str(field.get("formula") or ""))
        except formula.FormulaError as error:
            problems.insert(0, str(error))
        return problems

    def clean(self, value: Any, field: dict[str, Any], lookups: Lookups) -> Any:
        return value

    def display(self, value: Any, field: dict[str, Any], lookups: Lookups) -> str:
        return NumberField().display(value, field, lookups)


@register_field_type
class TableField(FieldType):
    """Repeating rows with their own fields; numeric columns listed in ``totals`` are
    summed under the table."""

    code = "table"
    label = _("Table")
    options = frozenset({"columns", "totals", "min_rows", "max_rows"})

    def check(self, field: dict[str, Any]) -> list[Any]:
        columns = field.get("columns") or []
        if not isinstance(columns, list) or not columns:
            return [_("A table needs at least one column.")]
        problems: list[Any] = list(check_fields(columns, nested=True))
        problems.extend(_option_problems(field, whole={"min_rows": (0, 1000),
                                                       "max_rows": (1, 1000)}))
        low, high = _whole(field.get("min_rows")), _whole(field.get("max_rows"))
        if low is not None and high is not None and low > high:
            problems.append(_("min_rows is more than max_rows."))
        columns = [c for c in columns if isinstance(c, dict)]
        names = {str(c.get("name")) for c in columns}
        numeric = {str(c.get("name")) for c in columns
                   if (ft := field_type(str(c.get("type") or ""))) and ft.kind == "number"}
        totals = field.get("totals") or []
        if not isinstance(totals, list):
            return [*problems, _("The totals are a list of column names.")]
        for total in map(str, totals):
            if total not in names:
                problems.append(_("The total %(name)s is not a column.") % {"name": total})
            elif total not in numeric:
                problems.append(_("The total %(name)s is not a number column.")
                                % {"name": total})
        return problems

    def clean(self, value: Any, field: dict[str, Any], lookups: Lookups) -> Any:
        raise FieldError(_("Tables are cleaned row by row."))  # see clean_form

    def totals(self, rows: list[dict[str, Any]], field: dict[str, Any]) -> dict[str, str]:
        columns = {c.get("name"): c for c in field.get("columns") or [] if isinstance(c, dict)}
        return {name: _fixed(sum((Decimal(str(row.get(name) or 0)) for row in rows),
                                 Decimal(0)), columns.get(name) or {})
                for name in field.get("totals") or []}


def visible(field: dict[str, Any], values: dict[str, Any], kinds: dict[str, str],
            applicant_department: int | None, within: Any) -> bool:
    rule = field.get("visible_if")
    if not rule:
        return True
    return conditions.holds(rule, values, kinds, applicant_department=applicant_department,
                            within=within)


def kinds_of(fields: Iterable[dict[str, Any]]) -> dict[str, str]:
    return {str(f["name"]): (ft.kind if (ft := field_type(str(f.get("type") or ""))) else "other")
            for f in fields if isinstance(f, dict) and f.get("name")}


def _refers_to_field(reference: str, known: dict[str, str],
                     columns: dict[str, set[str]]) -> bool:
    """Whether a formula's ``name`` or ``table.column`` names a field of the form."""
    name, _dot, column = reference.partition(".")
    if not column:
        return name in known
    return column in columns.get(name, set())


def _visibility_problems(rule: Any, where: str, known: dict[str, str]) -> list[str]:
    """Problems with a field's ``visible_if`` condition."""
    if not rule:
        return []
    clauses = (rule.get("all") or rule.get("any") or []) if isinstance(rule, dict) else None
    if not isinstance(clauses, list) or not all(isinstance(c, dict) for c in clauses):
        return [str(_("%(field)s: the condition for showing it is malformed.")
                    % {"field": where})]
    problems = []
    for clause in clauses:
        other = str(clause.get("field"))
        kind = "department" if other == conditions.APPLICANT_DEPARTMENT else known.get(other)
        if kind is None:
            problems.append(str(_("%(field)s: shown only if %(other)s, which is not a field.")
                                % {"field": where, "other": other}))
        elif clause.get("op") not in conditions.OPERATORS.get(kind, conditions.OPERATORS["other"]):
            problems.append(str(_("%(field)s: shown only if %(other)s, which cannot be tested "
                                  "with %(op)s.") % {"field": where, "other": other,
                                                     "op": clause.get("op")}))
    return problems


def check_fields(fields: list[dict[str, Any]], *, nested: bool = False) -> list[str]:
    """Problems with a form definition, each naming the field."""
    if not isinstance(fields, list):
        return [str(_("A form is a list of fields."))]
    problems: list[str] = []
    seen: set[str] = set()
    known = kinds_of(fields)
    columns = {str(f["name"]): {str(c.get("name")) for c in f.get("columns") or []
                                if isinstance(c, dict)}
               for f in fields if isinstance(f, dict) and f.get("name")
               and f.get("type") == "table" and isinstance(f.get("columns"), list)}
    for position, field in enumerate(fields, start=1):
        if not isinstance(field, dict):
            problems.append(str(_("field %(n)d: a field is an object.") % {"n": position}))
            continue
        name = str(field.get("name") or "")
        where = name or str(_("field %(n)d") % {"n": position})
        ft = field_type(str(field.get("type") or ""))
        if not NAME.match(name):
            problems.append(str(_("%(field)s: a field name is 1-40 lower-case letters, digits "
                                  "or _, starting with a letter.") % {"field": where}))
        if name in seen:
            problems.append(str(_("%(field)s: two fields have this name.") % {"field": where}))
        seen.add(name)
        if ft is None:
            problems.append(str(_("%(field)s: unknown field type %(type)s.")
                                % {"field": where, "type": field.get("type")}))
            continue
        if nested and ft.code in ("table", "attachment", "image"):
            problems.append(str(_("%(field)s: a table column cannot be a %(type)s.")
                                % {"field": where, "type": ft.label}))
        labels = field.get("label")
        if not ((isinstance(labels, str) and labels.strip())
                or (isinstance(labels, dict) and any(str(v).strip() for v in labels.values()))):
            problems.append(str(_("%(field)s: give the field a label.") % {"field": where}))
        problems.extend(f"{where}: {message}" for message in ft.check(field))
        problems.extend(_visibility_problems(field.get("visible_if"), where, known))
        if ft.code == "computed":
            try:
                unknown = [r for r in formula.references(str(field.get("formula") or ""))
                           if not _refers_to_field(r, known, columns)]
            except formula.FormulaError:
                unknown = []
            if unknown:
                problems.append(str(_("%(field)s: the formula uses %(names)s, not fields of "
                                      "this form.") % {"field": where,
                                                       "names": ", ".join(sorted(unknown))}))
    return problems


def clean_form(fields: list[dict[str, Any]], data: dict[str, Any], lookups: Lookups, *,
               applicant_department: int | None, within: Any,
               prefix: str = "") -> tuple[dict[str, Any], dict[str, str]]:
    """Validate ``data`` against ``fields``: the values to store and the errors by field.
    Hidden fields are dropped, computed fields worked out, unknown keys ignored."""
    kinds = kinds_of(fields)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    raw = data if isinstance(data, dict) else {}
    hidden: set[str] = set()
    for field in fields:
        ft = field_type(field["type"])
        if ft is None or ft.code == "computed":
            continue
        name = field["name"]
        value = raw.get(name)
        # Earlier fields count with their cleaned values, later ones as submitted; a hidden
        # field counts as empty, whatever was sent for it.
        context = {k: v for k, v in raw.items() if k not in hidden}
        if not visible(field, {**context, **values}, kinds, applicant_department, within):
            hidden.add(name)
            continue
        key = f"{prefix}{name}"
        if _is_empty(value):
            if field.get("required"):
                errors[key] = str(_("This field is required."))
            continue
        if ft.code == "table":
            rows, row_errors = _clean_table(field, value, lookups, applicant_department,
                                            within, key)
            errors.update(row_errors)
            values[name] = rows
            continue
        try:
            values[name] = ft.clean(value, field, lookups)
        except FieldError as error:
            errors[key] = str(error.message)
    for field in fields:
        if field.get("type") != "computed":
            continue
        if not visible(field, values, kinds, applicant_department, within):
            continue
        try:
            result = formula.evaluate(str(field.get("formula") or "0"),
                                      {**{f["name"]: None for f in fields}, **values})
        except formula.FormulaError as error:
            errors[f"{prefix}{field['name']}"] = str(error)
            continue
        decimals = _decimals(field)
        exponent = Decimal(1).scaleb(-decimals)
        try:
            values[field["name"]] = float(result.quantize(exponent, rounding=ROUND_HALF_UP))
        except ArithmeticError:
            errors[f"{prefix}{field['name']}"] = str(_("The formula's result is too large."))
    return values, errors


def _clean_table(field: dict[str, Any], value: Any, lookups: Lookups,
                 applicant_department: int | None, within: Any,
                 key: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
        return [], {key: str(_("Enter the table as a list of rows."))}
    errors: dict[str, str] = {}
    if field.get("max_rows") and len(value) > int(field["max_rows"]):
        errors[key] = str(_("Use at most %(n)d rows.") % {"n": int(field["max_rows"])})
    if field.get("min_rows") and len(value) < int(field["min_rows"]):
        errors[key] = str(_("Add at least %(n)d rows.") % {"n": int(field["min_rows"])})
    rows = []
    for number, row in enumerate(value, start=1):
        cleaned, row_errors = clean_form(field["columns"], row, lookups,
                                         applicant_department=applicant_department,
                                         within=within, prefix=f"{key}[{number}].")
        errors.update(row_errors)
        rows.append(cleaned)
    return rows, errors


def display_rows(fields: list[dict[str, Any]], values: dict[str, Any],
                 lookups: Lookups) -> list[dict[str, Any]]:
    """Label/value pairs for pages and the printed record; tables come with their rows and
    totals."""
    shown = []
    for field in fields:
        ft = field_type(field.get("type", ""))
        name = field["name"]
        if ft is None or name not in values:
            continue
        if isinstance(ft, TableField):
            columns = field.get("columns", [])
            rows = [[(field_type(c["type"]) or TextField()).display(row.get(c["name"]), c,
                                                                     lookups)
                     for c in columns] for row in values[name]]
            totals = ft.totals(values[name], field)
            shown.append({"label": label_of(field), "name": name, "table": True,
                          "columns": [label_of(c) for c in columns], "rows": rows,
                          "totals": [totals.get(c["name"], "") for c in columns]
                          if totals else []})
        else:
            shown.append({"label": label_of(field), "name": name, "table": False,
                          "value": ft.display(values[name], field, lookups)})
    return shown
