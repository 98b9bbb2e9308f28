"""Appending to and verifying the hash chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.utils.translation import gettext as _

from taihe.kernel.db.engine import lock_rows_query
from taihe.modules.audit.models import AuditEntry

GENESIS = "0" * 64


def canonical(entry: AuditEntry) -> bytes:
    body = {
        "sequence": entry.sequence,
        "event_id": str(entry.event_id),
        "event_name": entry.event_name,
        "actor_id": entry.actor_id,
        "request_id": entry.request_id,
        "occurred_at": entry.occurred_at.isoformat(),
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "before": entry.before,
        "after": entry.after,
        "payload": entry.payload,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def link(previous_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256(previous_hash.encode("ascii") + b"\n" + canonical(entry)).hexdigest()


def append(**fields: Any) -> AuditEntry:
    """Add an entry at the head of the chain. Must run inside a transaction; the head row is
    locked (PostgreSQL) or the write lock is already held (SQLite IMMEDIATE)."""
    head = lock_rows_query(AuditEntry.objects.order_by("-sequence")).only(
        "sequence", "hash").first()
    entry = AuditEntry(sequence=(head.sequence + 1) if head else 1,
                       previous_hash=head.hash if head else GENESIS, **fields)
    # The database hands times back in UTC; hash the same form it will return.
    entry.occurred_at = entry.occurred_at.astimezone(UTC)
    # Round-trip through JSON so the hash covers exactly what the database will return.
    entry.before = json.loads(json.dumps(entry.before)) if entry.before is not None else None
    entry.after = json.loads(json.dumps(entry.after)) if entry.after is not None else None
    entry.payload = json.loads(json.dumps(entry.payload))
    entry.hash = link(entry.previous_hash, entry)
    entry.save(force_insert=True)
    return entry


@dataclass(frozen=True)
class Break:
    sequence: int
    reason: str


def _entries(batch: int = 2000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = list(AuditEntry.objects.filter(sequence__gt=last).order_by("sequence")[:batch])
        if not rows:
            return
        yield from rows
        last = rows[-1].sequence


def verify() -> tuple[int, list[Break]]:
    """Walk the whole chain. Returns the number of entries checked and every break found:
    a changed entry, a removed one (a gap or a wrong previous hash), or a reordered one."""
    checked = 0
    breaks: list[Break] = []
    expected_previous = GENESIS
    expected_sequence = 1
    for entry in _entries():
        checked += 1
        if entry.sequence != expected_sequence:
            breaks.append(Break(entry.sequence, _(
                "expected entry %(expected)s, found %(found)s: entries are missing")
                % {"expected": expected_sequence, "found": entry.sequence}))
        if entry.previous_hash != expected_previous:
            breaks.append(Break(entry.sequence, _(
                "previous hash does not match the entry before")))
        if link(entry.previous_hash, entry) != entry.hash:
            breaks.append(Break(entry.sequence, _("content does not match its hash")))
        expected_previous = entry.hash
        expected_sequence = entry.sequence + 1
    return checked, breaks
