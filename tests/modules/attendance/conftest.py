"""Shared fixtures of the attendance app tests: a day shift, an office calendar without
national holidays (tests add the days they need), a group at a site, and a clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from taihe.modules.attendance.models import (
    Calendar,
    CalendarDay,
    Group,
    Membership,
    Punch,
    Shift,
    Site,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
FROZEN_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
"""Friday 20 November 2026, 20:00 in Shanghai: every test day of November 2026 is past."""


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """``clock(moment)`` freezes ``django.utils.timezone.now`` (starts at FROZEN_NOW)."""
    from django.utils import timezone

    current = {"now": FROZEN_NOW}
    monkeypatch.setattr(timezone, "now", lambda: current["now"])

    def move(moment: datetime) -> None:
        current["now"] = moment

    return move


@pytest.fixture
def office_calendar(db: Any) -> Calendar:
    CalendarDay.objects.filter(calendar__isnull=True).delete()  # the seeded national rows
    return Calendar.objects.create(name="Office", rest_weekdays=[5, 6])


@pytest.fixture
def day_shift(db: Any) -> Shift:
    return Shift.objects.create(code="day", name="Day", segments=[["09:00", "17:30"]],
                                late_grace_minutes=5, early_leave_grace_minutes=0)


@pytest.fixture
def night_shift(db: Any) -> Shift:
    return Shift.objects.create(code="night", name="Night", segments=[["20:00", "08:00"]])


@pytest.fixture
def site(db: Any) -> Site:
    """The Meridian Gate, with the museum's office network."""
    return Site.objects.create(name="Meridian Gate", latitude=Decimal("39.912560"),
                               longitude=Decimal("116.397130"), radius_m=300,
                               networks=["10.20.0.0/16"])


@pytest.fixture
def office(office_calendar: Calendar, day_shift: Shift, site: Site) -> Group:
    group = Group.objects.create(name="Office", calendar=office_calendar, shift=day_shift)
    group.sites.add(site)
    return group


@pytest.fixture
def join() -> Callable[..., Membership]:
    def make(person: Any, group: Group, offset: int = 0) -> Membership:
        return Membership.objects.create(person=person, group=group, roster_offset=offset)

    return make


@pytest.fixture
def punch_at() -> Callable[..., Punch]:
    """Store a time-clock punch directly (the services' own paths are tested apart)."""

    def make(person: Any, moment: datetime) -> Punch:
        return Punch.objects.create(person=person, at=moment, source=Punch.Source.IMPORT,
                                    verification=Punch.Verification.TIME_CLOCK,
                                    recorded_at=moment)

    return make
