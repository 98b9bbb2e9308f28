"""Template tags of the web shell: the navigation, the unread badge, safe links.

The workbench is the top module, so it may ask ``notifications.api`` for the unread count and
the kernel's shell registry for the apps; templates of every module share this one layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from taihe.kernel import authz, shell
from taihe.modules.notifications import api as notifications

register = template.Library()


@dataclass(frozen=True)
class NavItem:
    code: str
    label: str
    url: str
    icon: str
    current: bool


def _path(context: template.Context) -> str:
    request: HttpRequest | None = context.get("request")
    return request.path if request is not None else ""


@register.simple_tag(takes_context=True)
def shell_apps(context: template.Context) -> list[NavItem]:
    """The apps the signed-in person may open, marked current by the longest matching URL."""
    request: HttpRequest | None = context.get("request")
    if request is None:
        return []
    items: list[NavItem] = []
    for tile in shell.apps_for(request.user):
        try:
            url = reverse(tile.url_name)
        except NoReverseMatch:
            continue
        items.append(NavItem(tile.code, str(tile.label), url, tile.icon, False))
    path = _path(context)
    matches = [i for i in items if i.url != "/" and path.startswith(i.url)]
    best = max(matches, key=lambda i: len(i.url)).code if matches else ""
    return [NavItem(i.code, i.label, i.url, i.icon, i.code == best) for i in items]


@register.simple_tag(takes_context=True)
def unread_notifications(context: template.Context) -> int:
    request: HttpRequest | None = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    cached = getattr(request, "_taihe_unread", None)
    if cached is None:
        cached = notifications.unread_count(user.pk)
        request._taihe_unread = cached  # type: ignore[union-attr]
    return int(cached)


@register.simple_tag
def url_or_empty(name: str, *args: Any) -> str:
    """A URL by name, or "" while the page behind it is not installed: the shell links to
    pages other modules provide without breaking when one is missing."""
    try:
        return reverse(name, args=args or None)
    except NoReverseMatch:
        return ""


@register.simple_tag(takes_context=True)
def may(context: template.Context, code: str) -> bool:
    """``{% may "directory.person.manage" as allowed %}``: any grant of the operation."""
    request: HttpRequest | None = context.get("request")
    return request is not None and authz.can(request.user, code)


@register.filter
def initials(name: Any) -> str:
    """One or two letters for an avatar without a photo: 张 for 张三, ZS for Zhang San."""
    text = str(name or "").strip()
    if not text:
        return "?"
    if not text.isascii():
        return text[0]
    parts = text.split()
    return "".join(p[0] for p in parts[:2]).upper()
