"""Notification panels other pages (the workbench) show without importing this module."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import HttpRequest

from taihe.modules.notifications import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def recent_notifications(context: template.Context, limit: int = 5) -> list[Any]:
    """The signed-in person's newest notifications (their own only)."""
    request: HttpRequest | None = context.get("request")
    if request is None:
        return []
    return list(selectors.notifications_for(request.user)[:limit])
