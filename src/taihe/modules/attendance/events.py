"""Events the attendance module publishes (after commit, through the outbox)."""

from __future__ import annotations

from taihe.kernel.events import Event


class PunchRecorded(Event):
    name = "attendance.punch.recorded.v1"
    punch_id: int
    person_id: int
    source: str
    verification: str


class PunchesImported(Event):
    name = "attendance.punches.imported.v1"
    import_id: int
    added: int
    duplicates: int


class RulesChanged(Event):
    """A calendar, shift, group, roster or site changed; ``what`` says which."""

    name = "attendance.rules.changed.v1"
    what: str
    object_id: int | None = None


class BalanceAdjusted(Event):
    name = "attendance.balance.adjusted.v1"
    person_id: int
    leave_type: str
    amount: str
    kind: str


class MonthClosed(Event):
    name = "attendance.month.closed.v1"
    month: str
    people: int
