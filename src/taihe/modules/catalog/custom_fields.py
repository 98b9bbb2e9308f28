"""The kinds of museum fields (``FieldDefinition``): a registry of small classes, one per
kind, each cleaning a submitted value into what is stored in ``CatalogObject.custom``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from django.utils.translation import gettext as _

from taihe.modules.catalog.models import FieldDefinition, text_in


class FieldKind:
    code: ClassVar[str]

    def clean(self, value: Any, definition: FieldDefinition) -> Any:
        """Return the stored form of ``value``; raise ValueError with a message."""
        raise NotImplementedError


class TextKind(FieldKind):
    code = FieldDefinition.Kind.TEXT

    def clean(self, value: Any, definition: FieldDefinition) -> Any:
        text = str(value).strip()
        if len(text) > 5000:
            raise ValueError(_("Longer than 5,000 characters."))
        return text


class NumberKind(FieldKind):
    code = FieldDefinition.Kind.NUMBER

    def clean(self, value: Any, definition: FieldDefinition) -> Any:
        try:
            number = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation:
            raise ValueError(_("“%(value)s” is not a number.")
                             % {"value": str(value)[:40]}) from None
        if not number.is_finite():
            raise ValueError(_("“%(value)s” is not a number.") % {"value": str(value)[:40]})
        return str(number.normalize())


class DateKind(FieldKind):
    code = FieldDefinition.Kind.DATE

    def clean(self, value: Any, definition: FieldDefinition) -> Any:
        if isinstance(value, dt.date):
            return value.isoformat()
        try:
            return dt.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValueError(_("“%(value)s” is not a date (YYYY-MM-DD).")
                             % {"value": str(value)[:40]}) from None


class ChoiceKind(FieldKind):
    code = FieldDefinition.Kind.CHOICE

    def clean(self, value: Any, definition: FieldDefinition) -> Any:
        text = str(value).strip()
        if text not in definition.choices:
            raise ValueError(_("“%(value)s” is not one of: %(choices)s.") % {
                "value": text[:40], "choices": ", ".join(definition.choices)})
        return text


class YesNoKind(FieldKind):
    code = FieldDefinition.Kind.YES_NO
    TRUE = {"true", "yes", "y", "1", "是", "有"}
    FALSE = {"false", "no", "n", "0", "否", "无"}

    def clean(self, value: Any, definition: FieldDefinition) -> Any:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValueError(_("Answer yes or no."))


KINDS: dict[str, FieldKind] = {kind.code: kind for kind in
                               (TextKind(), NumberKind(), DateKind(), ChoiceKind(), YesNoKind())}


def clean_custom_values(values: dict[str, Any], errors: dict[str, str], *,
                        definitions: Sequence[FieldDefinition] | None = None,
                        stored: dict[str, Any] | None = None) -> dict[str, Any]:
    """The museum-field values after applying the submitted ``values`` to the ``stored``
    ones. Submitted codes are cleaned by their kind; an unknown code is an error under
    ``custom.<code>`` and an empty value removes the field. Stored values of fields the
    museum has since retired are kept untouched (history is not lost by switching a field
    off), and every required field in use must end up with a value."""
    known = {d.code: d for d in (definitions if definitions is not None
                                 else FieldDefinition.objects.filter(is_active=True))}
    cleaned: dict[str, Any] = dict(stored or {})
    for code, value in values.items():
        definition = known.get(code)
        if definition is None:
            errors[f"custom.{code}"] = _("There is no museum field “%(code)s”.") % {
                "code": str(code)[:48]}
            continue
        if value is None or value == "":
            cleaned.pop(code, None)
            continue
        try:
            cleaned[code] = KINDS[definition.kind].clean(value, definition)
        except ValueError as error:
            errors[f"custom.{code}"] = f"{text_in(definition.label)}: {error}"
    for code, definition in known.items():
        if definition.required and code not in cleaned and f"custom.{code}" not in errors:
            errors[f"custom.{code}"] = _("%(field)s is required.") % {
                "field": text_in(definition.label)}
    return cleaned
