"""The record links messaging shows as cards: catalog objects, approval requests and
environmental alerts. Each resolver asks the owning module, through its ``api``, whether
this reader may see the record, and answers ``None`` when not (``cards.cards_for`` then
says the record is hidden).

A card is ``{"title", "subtitle", "url", "status"}`` plus what its kind adds, in the
reader's language. Knowledge pages register their kind when that module exists.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation

from taihe.modules.catalog import api as catalog
from taihe.modules.conservation import api as conservation
from taihe.modules.messaging.cards import register_card
from taihe.modules.workflows import api as workflows


def _number(ref: str) -> int | None:
    try:
        value = int(ref)
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**63 else None


def catalog_object_card(actor: Any, ref: str) -> dict[str, Any] | None:
    """Title, accession number and, when the reader may know the place, where it is now."""
    object_id = _number(ref)
    if object_id is None or object_id not in catalog.visible_object_ids(actor, [object_id]):
        return None
    language = translation.get_language()
    records = catalog.object_records([object_id])
    number = records[0].object_number if records else ""
    place = ""
    location_id = catalog.current_location_of([object_id]).get(object_id)
    # An object may be visible while its store is not: the store is then left unsaid.
    if location_id is not None and catalog.visible_location_ids(actor, [location_id]):
        info = catalog.location(location_id)
        name = catalog.location_name(location_id, language)
        place = f"{info.code} {name}".strip() if info and name != info.code else name
    return {
        "title": catalog.object_title(object_id, language) or number,
        "subtitle": " · ".join(part for part in (number, place) if part),
        "url": f"/catalog/objects/{object_id}/",
        "status": "",
        "object_number": number,
        "place": place,
    }


def workflows_request_card(actor: Any, ref: str) -> dict[str, Any] | None:
    """The request's number, process and status, for whoever may read the request
    (``workflows.api.readable_request``); hidden for everyone else."""
    if not ref or len(ref) > 32:
        return None
    info = workflows.readable_request(actor, ref)
    if info is None:
        return None
    return {
        "title": info.number,
        "subtitle": info.process_code,
        "url": info.url,
        "status": info.status,
        "number": info.number,
    }


def conservation_alert_card(actor: Any, ref: str) -> dict[str, Any] | None:
    """The alert's summary, place, severity and status, for readers of monitoring who may
    know the place (``conservation.api.alert_card``)."""
    alert_id = _number(ref)
    if alert_id is None:
        return None
    found = conservation.alert_card(actor, alert_id)
    if found is None:
        return None
    return {
        "title": found["title"],
        "subtitle": " · ".join(part for part in (found["place"], found["severity_label"])
                               if part),
        "url": found["url"],
        "status": found["status_label"],
        "severity": found["severity"],
        "place": found["place"],
        "opened_at": found["opened_at"],
        "alert_status": found["status"],
    }


register_card("catalog.object", r"/catalog/objects/(\d+)/?", catalog_object_card)
register_card("workflows.request", r"/approvals/r/([A-Za-z0-9_-]{1,32})/?",
              workflows_request_card)
register_card("conservation.alert", r"/conservation/alerts/(\d+)/?", conservation_alert_card)
