"""Links to Taihe records shown as cards: a registry of link kinds.

A kind names a URL path shape (``/catalog/objects/12/``) and a resolver that, for one
reader, returns the card's data or ``None`` when that reader may not see the record. The
message stores only the kind and reference; cards are resolved per reader when messages
are read, never pushed, so a card never shows a stranger what the record holds. Modules
that arrive later (knowledge pages) register their kind the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class CardKind:
    code: str
    path: re.Pattern[str]
    resolve: Callable[[Any, str], dict[str, Any] | None]


_KINDS: dict[str, CardKind] = {}


def register_card(code: str, path_pattern: str,
                  resolve: Callable[[Any, str], dict[str, Any] | None]) -> None:
    """``path_pattern`` is a regex with one group, the reference, matched against the
    whole path of a link. ``resolve(actor, ref)`` returns ``{"title", "subtitle", "url",
    "status"...}`` for that reader, or ``None`` when they may not see it."""
    _KINDS[code] = CardKind(code, re.compile(path_pattern), resolve)


def link_of(url: str) -> dict[str, str] | None:
    """``{"kind", "ref"}`` when ``url`` points at a registered record: a path, or a full
    URL on this site (any host: museums reach one server under several names)."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    for kind in _KINDS.values():
        match = kind.path.fullmatch(path)
        if match:
            return {"kind": kind.code, "ref": match.group(1)}
    return None


def cards_for(actor: Any, links: list[dict[str, str]]) -> list[dict[str, Any]]:
    """The cards one reader may see; a link they may not see gives
    ``{"kind", "ref", "hidden": True}`` so the page says so instead of showing nothing."""
    found = []
    for link in links:
        kind = _KINDS.get(link.get("kind", ""))
        if kind is None:
            continue
        try:
            card = kind.resolve(actor, link.get("ref", ""))
        except Exception:  # a failing module never breaks the conversation
            card = None
        if card is None:
            found.append({"kind": kind.code, "ref": link.get("ref", ""), "hidden": True})
        else:
            found.append({"kind": kind.code, "ref": link.get("ref", ""), "hidden": False,
                          **card})
    return found
