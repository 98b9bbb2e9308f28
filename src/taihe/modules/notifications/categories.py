"""Notification categories. Modules register theirs; people choose per category."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Category:
    code: str
    label: Any
    email_by_default: bool = False


_CATEGORIES: dict[str, Category] = {}


def register_category(code: str, label: Any, *, email_by_default: bool = False) -> Category:
    category = Category(code, label, email_by_default)
    _CATEGORIES[code] = category
    return category


def category(code: str) -> Category:
    try:
        return _CATEGORIES[code]
    except KeyError:
        raise LookupError(f"unknown notification category {code!r}") from None


def categories() -> list[Category]:
    return sorted(_CATEGORIES.values(), key=lambda c: c.code)


register_category("system", _("System"), email_by_default=False)
register_category("security", _("Account security"), email_by_default=True)
register_category("exports", _("Exports and reports"), email_by_default=False)
