"""Reads that list many people at once agree with the one-person reads they replace."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from taihe.modules.attendance import selectors
from taihe.modules.attendance.models import Absence, LeaveType, LedgerEntry
from tests.modules.attendance.conftest import local


def test_balances_for_many_people_match_each_persons_balances(
        member: Any, hr_person: Any, outsider: Any, clock: Any) -> None:
    # Given two people with grants, a deduction, an adjustment and a pending request
    annual = LeaveType.objects.get(code="annual")
    comp = LeaveType.objects.get(code="comp_time")
    moment = local(date(2026, 1, 1), 9)
    for person, kind, leave_type, amount, reference in [
            (member, "grant", annual, Decimal(10), "annual:2026"),
            (member, "deduction", annual, Decimal("-1.5"), "AP-1"),
            (member, "accrual", comp, Decimal("3.25"), "overtime:2026-10"),
            (hr_person, "grant", annual, Decimal(15), "annual:2026"),
            (hr_person, "adjustment", annual, Decimal(-2), "")]:
        LedgerEntry.objects.create(person=person, leave_type=leave_type, kind=kind,
                                   on=date(2026, 3, 1), amount=amount, reference=reference,
                                   recorded_at=moment)
    Absence.objects.create(person=member, kind="leave", leave_type=annual,
                           start=date(2026, 12, 1), end=date(2026, 12, 2), amount=2,
                           request_id=1, request_number="AP-2")
    # When HR reads both at once
    found = selectors.balances_for(hr_person, [member.pk, hr_person.pk])
    # Then each person's figures are exactly the one-person read's
    for person in (member, hr_person):
        assert [(b.leave_type.code, b.balance, b.pending) for b in found[person.pk]] == [
            (b.leave_type.code, b.balance, b.pending)
            for b in selectors.balances_of(hr_person, person.pk)]
    assert [(b.leave_type.code, b.balance, b.pending, b.available)
            for b in found[member.pk]] == [
        ("annual", Decimal("8.50"), Decimal("2.00"), Decimal("6.50")),
        ("comp_time", Decimal("3.25"), Decimal("0.00"), Decimal("3.25"))]
    # And someone who may see nobody else gets nobody else
    assert list(selectors.balances_for(outsider, [member.pk, hr_person.pk])) == []
