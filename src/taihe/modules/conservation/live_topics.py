"""Realtime topics: newest values and alert changes, pushed after commit.

Sensors in restricted stores publish on their own topic, heard only by those the catalog
lets know restricted stores; everything else goes to ``conservation.live``."""

from __future__ import annotations

from typing import Any

from taihe.kernel import authz
from taihe.kernel.realtime import publish
from taihe.modules.catalog import api as catalog
from taihe.modules.conservation import operations as ops

PUBLIC = "conservation.live"
RESTRICTED = "conservation.live.restricted"


def may_listen(user: Any) -> bool:
    return authz.can(user, ops.MONITORING_VIEW.code)


def may_listen_restricted(user: Any) -> bool:
    return may_listen(user) and authz.can(user, "catalog.location.view_restricted")


def push_for_location(location_id: int | None, data: dict[str, Any]) -> None:
    info = catalog.location(location_id) if location_id is not None else None
    publish(RESTRICTED if info is not None and info.is_restricted else PUBLIC, data)
