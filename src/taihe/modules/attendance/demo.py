"""The demo museum's attendance: calendars, shifts, groups and sites a museum really runs on,
every demo person in a group, employment dates and leave balances, and the punches of the
last two to three months judged into days, with the month before last closed for payroll.

* Calendars: "Offices" (Saturday and Sunday off) and "Galleries" (closed on Mondays), both
  following the national statutory holidays that ``seed`` installs.
* Shifts: the office day with a five-minute grace and core hours, the gallery day, the
  security day and night (the night crossing midnight), the visitor-services desk's split
  shift and the conservators' flexible 7.5 hours.
* Groups: Administration & HR (the office day), Conservation (flexible hours, overtime
  detected from punches and taken as time off), Galleries & education (closed Mondays), the
  Visitor services desk (split shift) and Security (a day, day, night, night, rest, rest
  roster; the three shift teams start two days apart, so one team is always on days, one on
  nights and one at rest).
* Punches from the first day of the month before last until now: mostly on time, some late
  within and beyond the grace, missing punches, the odd absence and overtime. Staff punch
  from their phones inside a site's circle or on the museum network; contractors use the
  door-access time clock, imported every week. They are written as the historical records
  they stand for (``recorded_at`` is the punch time) and then judged by ``recompute``.
* The month before last is closed, so the payroll page has a frozen month; the last month
  is left open for the demo to close.

Everything is drawn from a fixed random seed, so every installation gets the same days.
Loading is idempotent: rules are looked up by name or code, people already in a group, with
employment dates or a comp-time adjustment are left alone, punches are only written when no
demo person has any, and a closed month is not closed again.

The approvals demo (order 50) runs after this one and takes annual leave: every staff member
gets employment dates and their annual leave is granted, so those requests meet their
balance check. Last year's grant and its carry-over are written too, since the approvals
story reaches two months back, which in January is last year.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from taihe.kernel import context
from taihe.kernel import demo as kernel_demo
from taihe.modules.attendance import seed, services
from taihe.modules.attendance.computing import local_zone, month_start, recompute
from taihe.modules.attendance.models import (
    REST_CODE,
    Calendar,
    Employment,
    Group,
    LedgerEntry,
    Membership,
    Month,
    Punch,
    PunchImport,
    Shift,
    Site,
)
from taihe.modules.attendance.rulebook import load_rulebook
from taihe.modules.attendance.rules.shifts import FixedShift, FlexibleShift
from taihe.modules.directory import demo as directory_demo

SEED = 45
"""The random seed of the demo's punches and employment dates."""

OFFICES = "Offices"
GALLERIES = "Galleries"

CALENDARS: list[tuple[str, list[int]]] = [(OFFICES, [5, 6]), (GALLERIES, [0])]
"""(name, weekly rest days; Monday is 0)."""


@dataclass(frozen=True)
class ShiftSpec:
    code: str
    name: str
    segments: tuple[tuple[str, str], ...] = ()
    late_grace_minutes: int = 0
    early_leave_grace_minutes: int = 0
    serious_late_minutes: int | None = None
    core: tuple[str, str] | None = None
    flexible: tuple[int, str, str] | None = None
    """(daily target in minutes, earliest start, latest end) of flexible hours."""
    color: str = "#2f6fb1"


OFFICE_DAY = "office-day"
GALLERY_DAY = "gallery-day"
SECURITY_DAY = "security-day"
SECURITY_NIGHT = "security-night"
DESK_SPLIT = "desk-split"
CONSERVATION_FLEX = "conservation-flex"

SHIFTS: list[ShiftSpec] = [
    # Arriving up to the 09:00 core start is not late but is made up at the end of the day.
    ShiftSpec(OFFICE_DAY, "Office day", (("08:30", "17:00"),), late_grace_minutes=5,
              serious_late_minutes=30, core=("09:00", "16:00"), color="#2f6fb1"),
    ShiftSpec(GALLERY_DAY, "Gallery day", (("08:30", "17:30"),), late_grace_minutes=5,
              serious_late_minutes=30, color="#2e7d4f"),
    ShiftSpec(SECURITY_DAY, "Security day", (("08:00", "20:00"),), serious_late_minutes=15,
              color="#b26a00"),
    ShiftSpec(SECURITY_NIGHT, "Security night", (("20:00", "08:00"),), serious_late_minutes=15,
              color="#4a3f8c"),
    ShiftSpec(DESK_SPLIT, "Visitor services desk", (("08:30", "12:00"), ("13:30", "17:30")),
              late_grace_minutes=5, color="#b03a48"),
    ShiftSpec(CONSERVATION_FLEX, "Conservation flexible hours",
              flexible=(450, "07:00", "20:00"), color="#1f7a8c"),
]

PALACE = "Palace Museum"
HOSPITAL = "Conservation Hospital"

SITES: list[tuple[str, str, str, int, list[str]]] = [
    # The Meridian Gate (午门), the museum's entrance; the circle covers the front courts.
    (PALACE, "39.912560", "116.397130", 500, ["10.20.0.0/16"]),
    # The conservation laboratories in the south-west of the palace grounds.
    (HOSPITAL, "39.914500", "116.392500", 200, ["10.21.0.0/16"]),
]
"""(name, latitude, longitude, radius in metres, network ranges)."""

ADMINISTRATION = "Administration & HR"
CONSERVATION = "Conservation"
GALLERIES_EDUCATION = "Galleries & education"
DESK = "Visitor services desk"
SECURITY = "Security"

ROSTER_CYCLE = [SECURITY_DAY, SECURITY_DAY, SECURITY_NIGHT, SECURITY_NIGHT, REST_CODE, REST_CODE]


@dataclass(frozen=True)
class GroupSpec:
    name: str
    calendar: str
    shift: str | None
    sites: tuple[str, ...]
    roster: bool = False
    overtime_from_punches: bool = False


GROUPS: list[GroupSpec] = [
    GroupSpec(ADMINISTRATION, OFFICES, OFFICE_DAY, (PALACE,)),
    # Treatments cannot stop at the bell: conservators' longer days become time off.
    GroupSpec(CONSERVATION, OFFICES, CONSERVATION_FLEX, (HOSPITAL, PALACE),
              overtime_from_punches=True),
    GroupSpec(GALLERIES_EDUCATION, GALLERIES, GALLERY_DAY, (PALACE,)),
    GroupSpec(DESK, GALLERIES, DESK_SPLIT, (PALACE,)),
    GroupSpec(SECURITY, OFFICES, None, (PALACE,), roster=True),
]

TEAM_OFFSETS = {"security-shift-a": 0, "security-shift-b": 2, "security-shift-c": 4}
"""Each shift team's place in the six-day cycle: two days apart, so the teams relieve each
other and the museum is guarded day and night."""

NEWCOMERS = ["conservation-textiles/conservator/4", "education/educator/5",
             "finance/cashier/1", "it/it-engineer/5"]
"""Staff who joined half a year ago, straight from school: no annual leave yet (Regulations
on Paid Annual Leave art. 3 needs a year of working life). None of them takes annual leave
in the approvals demo."""

SERVICE_YEARS = [3, 12, 25, 3, 12]
"""Years at the museum of the other staff, in turn; heads of department have 25."""

EARLIER_WORK_YEARS = [0, 0, 2, 5]
"""Years worked elsewhere before joining, in turn (they count towards annual leave)."""

COMP_TIME: list[tuple[str, str]] = [("conservator", "7.5"), ("security", "12"),
                                    ("educator", "4"), ("facilities/engineer/0", "16")]
"""Comp-time hours some people brought from before the attendance system started."""

COMP_TIME_NOTE = "Overtime worked before the attendance system started"

SCRIPT: dict[str, tuple[int, str]] = {"staff": (1, "missing_out"), "educator": (2, "late"),
                                      "curator": (3, "absent")}
"""Days the demo sign-ins find on their page: (working days ago, what happened), so the
accountant is asked for a make-up punch and the curator to explain an absence."""

IMPORT_SYSTEM = "Meridian Gate door access"
TERMINALS = ["Meridian Gate east door", "Meridian Gate west door", "East Flowery Gate"]


def _clock(text: str) -> time:
    return time.fromisoformat(text)


@dataclass
class Cast:
    """The demo people and their rows, looked up once."""

    roster: list[directory_demo.DemoPerson]
    people: dict[str, Any]

    def username(self, name: str) -> str:
        """A username, or ``<department>/<position>/<index>`` among non-head staff."""
        if "/" not in name:
            return name
        department, position, index = name.split("/")
        found = [p.username for p in self.roster if p.department == department
                 and p.position == position and not p.is_head
                 and p.status == directory_demo.STAFF]
        return found[int(index)]

    def pk(self, name: str) -> int:
        return int(self.people[self.username(name)].pk)


def group_of(person: directory_demo.DemoPerson) -> tuple[str, int]:
    """The demo person's group and place in the roster cycle."""
    department = person.department
    if department.startswith("conservation"):
        return CONSERVATION, 0
    if department in TEAM_OFFSETS:
        return SECURITY, TEAM_OFFSETS[department]
    if department == "security" and person.position in ("control-room-operator",
                                                         "fire-safety-officer"):
        return SECURITY, 0
    if department == "education":
        return (DESK if person.position == "docent" else GALLERIES_EDUCATION), 0
    return ADMINISTRATION, 0


# --- Loading -------------------------------------------------------------------------------


@kernel_demo.register("attendance", order=45)
def load(write: Callable[[str], None]) -> dict[str, Any]:
    """Create whatever part of the demo attendance is missing (see the module docstring).
    Raises :class:`RuntimeError` when the directory's demo museum is missing."""
    roster = directory_demo.demo_people()
    people = {p.username: p for p in get_user_model().objects.filter(
        username__in=[spec.username for spec in roster])}
    if directory_demo.ADMIN_USERNAME not in people:
        raise RuntimeError("The attendance demo needs the directory's demo museum: "
                           "load the directory demo first.")
    cast = Cast(roster, people)
    admin = people[directory_demo.ADMIN_USERNAME]
    now = timezone.now()
    today = timezone.localdate(now, local_zone())
    last_month = month_start(month_start(today) - timedelta(days=1))
    start = month_start(last_month - timedelta(days=1))  # the month before last
    created: dict[str, int] = {}
    closed = None
    with context.bound(request_id="taihe-demo", actor_id=admin.pk), transaction.atomic():
        seed.install(today)
        groups = _load_rules(created)
        new_members = _load_memberships(cast, groups, start, created)
        _load_employment(cast, admin, today, created)
        _load_balances(cast, admin, today, created)
        punches = _load_punches(cast, start, now, created)
        if not Month.objects.filter(first_day=start, closed_at__isnull=False).exists():
            # Closing judges the month's days of everyone in a group.
            closed = services.do_close_month(admin, start)
            created["closed months"] = 1
        if punches or new_members:
            recompute(sorted(person.pk for person in people.values()), last_month, today)
    total = sum(created.values())
    if total:
        write(f"  created {created.get('groups', 0)} attendance groups, "
              f"{created.get('memberships', 0)} memberships, "
              f"{created.get('employment', 0)} employment dates, "
              f"{created.get('punches', 0)} punches"
              + (f"; closed {start:%Y-%m}" if closed is not None else ""))
    return {"groups": Group.objects.filter(name__in=[g.name for g in GROUPS]).count(),
            "members": Membership.objects.filter(person_id__in=[p.pk for p in people.values()])
            .count(),
            "punches": created.get("punches", 0), "created": total}


def _load_rules(created: dict[str, int]) -> dict[str, Group]:
    """Calendars, shifts, sites and groups by name or code; existing ones are kept as the
    museum may have changed them."""
    calendars: dict[str, Calendar] = {}
    for name, rest in CALENDARS:
        calendars[name], made = Calendar.objects.get_or_create(
            name=name, defaults={"rest_weekdays": rest, "follows_statutory": True})
        created["calendars"] = created.get("calendars", 0) + made
    shifts: dict[str, Shift] = {}
    for spec in SHIFTS:
        defaults: dict[str, Any] = {
            "name": spec.name, "color": spec.color,
            "segments": [list(segment) for segment in spec.segments],
            "late_grace_minutes": spec.late_grace_minutes,
            "early_leave_grace_minutes": spec.early_leave_grace_minutes,
            "serious_late_minutes": spec.serious_late_minutes}
        if spec.core:
            defaults.update(core_start=_clock(spec.core[0]), core_end=_clock(spec.core[1]))
        if spec.flexible:
            target, earliest, latest = spec.flexible
            defaults.update(kind=Shift.Kind.FLEXIBLE, target_minutes=target,
                            earliest_start=_clock(earliest), latest_end=_clock(latest))
        shifts[spec.code], made = Shift.objects.get_or_create(code=spec.code, defaults=defaults)
        created["shifts"] = created.get("shifts", 0) + made
    sites: dict[str, Site] = {}
    for name, latitude, longitude, radius, networks in SITES:
        sites[name], made = Site.objects.get_or_create(
            name=name, defaults={"latitude": Decimal(latitude), "longitude": Decimal(longitude),
                                 "radius_m": radius, "networks": networks})
        created["sites"] = created.get("sites", 0) + made
    groups: dict[str, Group] = {}
    for group_spec in GROUPS:
        defaults = {"calendar": calendars[group_spec.calendar],
                    "shift": shifts[group_spec.shift] if group_spec.shift else None}
        if group_spec.roster:
            defaults.update(schedule=Group.Schedule.ROSTER, cycle=ROSTER_CYCLE,
                            cycle_anchor=date(2025, 1, 6))
        if group_spec.overtime_from_punches:
            defaults.update(overtime_basis=Group.OvertimeBasis.PUNCHES,
                            workday_overtime=Group.Settlement.COMP_TIME,
                            rest_day_overtime=Group.Settlement.COMP_TIME)
        group, made = Group.objects.get_or_create(name=group_spec.name, defaults=defaults)
        if made:
            group.sites.set([sites[name] for name in group_spec.sites])
        groups[group_spec.name] = group
        created["groups"] = created.get("groups", 0) + made
    return groups


def _load_memberships(cast: Cast, groups: dict[str, Group], start: date,
                      created: dict[str, int]) -> int:
    members = set(Membership.objects.filter(person_id__in=[p.pk for p in cast.people.values()])
                  .values_list("person_id", flat=True))
    fresh = []
    control_room = 0
    for spec in cast.roster:
        person = cast.people.get(spec.username)
        if person is None or person.pk in members:
            continue
        name, offset = group_of(spec)
        if name == SECURITY and spec.department == "security":
            # The control room and fire safety are spread over the three teams' places.
            offset = (control_room * 2) % len(ROSTER_CYCLE)
            control_room += 1
        fresh.append(Membership(person_id=person.pk, group=groups[name], roster_offset=offset,
                                joined_on=start))
    Membership.objects.bulk_create(fresh)
    created["memberships"] = len(fresh)
    return len(fresh)


def _years_before(day: date, years: float, jitter_days: int) -> date:
    return day - timedelta(days=round(years * 365.25) + jitter_days)


def _load_employment(cast: Cast, admin: Any, today: date, created: dict[str, int]) -> None:
    """Joining and working-life start of every staff member who has none yet."""
    rng = random.Random(SEED)  # noqa: S311  (demo data, not secrets: it must repeat)
    known = set(Employment.objects.filter(person_id__in=[p.pk for p in cast.people.values()])
                .values_list("person_id", flat=True))
    newcomers = {cast.username(name) for name in NEWCOMERS}
    count = 0
    staff = [spec for spec in cast.roster if spec.status == directory_demo.STAFF]
    for index, spec in enumerate(staff):
        jitter = rng.randint(0, 150)
        person = cast.people.get(spec.username)
        if person is None or person.pk in known:
            continue
        if spec.username in newcomers:
            joined = _years_before(today, 0.5, jitter % 30)
            service_start = joined
        else:
            years = 25 if spec.is_head else SERVICE_YEARS[index % len(SERVICE_YEARS)]
            joined = _years_before(today, years, jitter)
            service_start = _years_before(joined, EARLIER_WORK_YEARS[index % 4], 0)
        services.do_set_employment(admin, person.pk, joined_on=joined,
                                   service_start=service_start)
        count += 1
    created["employment"] = count


def _load_balances(cast: Cast, admin: Any, today: date, created: dict[str, int]) -> None:
    """Last year's annual leave closed into this year, this year's granted, and some comp
    time brought from before (each step idempotent)."""
    last_year = today.year - 1
    granted = services.do_grant_annual_leave(None, last_year)
    services.do_carry_over(None, last_year)
    services.do_expire_carried_over(today)
    granted += services.do_grant_annual_leave(None, today.year)
    created["annual leave grants"] = granted
    adjusted = set(LedgerEntry.objects.filter(leave_type__code="comp_time",
                                              kind=LedgerEntry.Kind.ADJUSTMENT,
                                              note=COMP_TIME_NOTE)
                   .values_list("person_id", flat=True))
    count = 0
    for name, hours in COMP_TIME:
        person_id = cast.pk(name)
        if person_id not in adjusted:
            services.do_adjust_balance(admin, person_id, "comp_time", Decimal(hours),
                                       COMP_TIME_NOTE)
            count += 1
    created["comp-time adjustments"] = count


# --- Punches -------------------------------------------------------------------------------


def _draw(rng: random.Random) -> str:
    roll = rng.random()
    for kind, up_to in (("absent", 0.008), ("missing_out", 0.018), ("missing_in", 0.023),
                        ("late_within_grace", 0.075), ("late", 0.105),
                        ("left_early", 0.12), ("overtime", 0.16)):
        if roll < up_to:
            return kind
    return "on_time"


def _at(day: date, clock: time, minutes: float) -> datetime:
    """Local ``clock`` on ``day`` moved by ``minutes`` (rounded to whole seconds)."""
    moment = datetime.combine(day, clock, tzinfo=local_zone())
    return moment + timedelta(seconds=round(minutes * 60))


def _fixed_times(rng: random.Random, shift: FixedShift, day: date, kind: str,
                 ) -> list[datetime]:
    """Check-in and check-out of each segment; a segment ending at or before its start
    ends the next morning."""
    times: list[datetime] = []
    last = len(shift.segments) - 1
    for index, segment in enumerate(shift.segments):
        start = _at(day, segment.start, 0)
        end_day = day + timedelta(days=1) if segment.crosses_midnight else day
        end = _at(end_day, segment.end, 0)
        reference = start
        if shift.core_hours is not None:
            reference = _at(day, shift.core_hours.start, 0)
        grace = shift.late_grace_minutes
        if index == 0 and kind == "late_within_grace" and grace:
            arrive = reference + timedelta(seconds=rng.randint(60, grace * 60))
        elif index == 0 and kind == "late":
            # Mostly a few minutes past the grace, now and then seriously late.
            minutes = rng.uniform(grace + 1, 25) if rng.random() < 0.8 else rng.uniform(30, 55)
            arrive = reference + timedelta(minutes=minutes)
        elif index > 0:
            arrive = start - timedelta(minutes=rng.uniform(1, 12))  # back from lunch
        elif shift.core_hours is not None and rng.random() < 0.3:
            arrive = start + timedelta(minutes=rng.uniform(1, 28))  # flexible arrival
        else:
            arrive = start - timedelta(minutes=rng.uniform(2, 25))
        # Flexible arrival is paid back at the end of the day.
        delay = min(max(arrive, start), max(reference, start)) - start
        if index < last:
            leave = end + timedelta(minutes=rng.uniform(0, 8))  # off to lunch
        elif kind == "left_early":
            leave = end + delay - timedelta(minutes=rng.uniform(10, 50))
        elif kind == "overtime":
            leave = end + delay + timedelta(minutes=rng.uniform(35, 120))
        else:
            leave = end + delay + timedelta(minutes=rng.uniform(0, 20))
        times += [arrive, leave]
    return times


def _flexible_times(rng: random.Random, shift: FlexibleShift, day: date, kind: str,
                    ) -> list[datetime]:
    arrive = _at(day, time(7, 15), rng.uniform(0, 150))
    target = shift.target_minutes
    if kind == "left_early":
        worked = target - rng.uniform(15, 60)
    elif kind == "overtime":
        worked = target + rng.uniform(40, 150)  # a treatment that could not wait
    else:
        worked = target + rng.uniform(0, 20)
    return [arrive, arrive + timedelta(minutes=worked)]


def _punch_times(rng: random.Random, shift: FixedShift | FlexibleShift, day: date,
                 kind: str) -> list[datetime]:
    if kind == "absent":
        return []
    if isinstance(shift, FlexibleShift):
        times = _flexible_times(rng, shift, day, kind)
    else:
        times = _fixed_times(rng, shift, day, kind)
    if kind == "missing_out":
        times.pop()
    elif kind == "missing_in":
        times.pop(0)
    return times


METRES_PER_DEGREE = 111_320
"""Metres per degree of latitude (and of longitude at the equator)."""


def _web_punch(rng: random.Random, person_id: int, at: datetime, place: Site,
               network: str) -> Punch:
    """A phone punch inside the site's circle (mostly) or from the museum's network."""
    if rng.random() < 0.85 or not network:
        # Within half the radius north-south and east-west (at most 0.71 of it away), so
        # with the fix's accuracy the punch lies inside the circle, as verify_punch needs.
        reach = place.radius_m / 2 / METRES_PER_DEGREE
        latitude = float(place.latitude) + rng.uniform(-reach, reach)
        longitude = float(place.longitude) + rng.uniform(-reach, reach) / math.cos(
            math.radians(float(place.latitude)))
        accuracy = rng.randint(5, min(35, place.radius_m // 4))
        distance = services.distance_m(latitude, longitude, float(place.latitude),
                                       float(place.longitude))
        return Punch(person_id=person_id, at=at, source=Punch.Source.WEB,
                     verification=Punch.Verification.GEOFENCE, site=place,
                     latitude=Decimal(f"{latitude:.6f}"), longitude=Decimal(f"{longitude:.6f}"),
                     accuracy_m=accuracy, distance_m=round(distance), recorded_at=at)
    prefix = network.split(".")
    address = f"{prefix[0]}.{prefix[1]}.{rng.randint(1, 40)}.{rng.randint(2, 250)}"
    return Punch(person_id=person_id, at=at, source=Punch.Source.WEB,
                 verification=Punch.Verification.NETWORK, site=place, ip_address=address,
                 recorded_at=at)


def _load_punches(cast: Cast, start: date, now: datetime, created: dict[str, int]) -> int:
    """The punches of every demo person from ``start`` until ``now``; nothing when any
    demo person has a punch already."""
    ids = {spec.username: cast.people[spec.username].pk for spec in cast.roster
           if spec.username in cast.people}
    if Punch.objects.filter(person_id__in=list(ids.values()),
                            source__in=(Punch.Source.WEB, Punch.Source.IMPORT)).exists():
        created["punches"] = 0
        return 0
    zone = local_zone()
    today = timezone.localdate(now, zone)
    book = load_rulebook(list(ids.values()), start, today)
    sites = {site.name: site for site in Site.objects.filter(name__in=[PALACE, HOSPITAL])}
    rng = random.Random(SEED)  # noqa: S311  (demo data, not secrets: it must repeat)
    days = [start + timedelta(days=n) for n in range((today - start).days + 1)]
    fresh: list[Punch] = []
    imported: dict[date, list[Punch]] = {}
    for spec in cast.roster:
        person_id = ids.get(spec.username)
        group = book.group_of(person_id) if person_id is not None else None
        if person_id is None or group is None:
            continue
        place = sites[HOSPITAL if group.name == CONSERVATION else PALACE]
        network = place.networks[0] if place.networks else ""
        on_time_clock = spec.status == directory_demo.CONTRACTOR
        working = [day for day in days
                   if isinstance(book.shift(person_id, day), FixedShift | FlexibleShift)]
        scripted = _scripted(spec.username, working, today)
        for day in working:
            shift = book.shift(person_id, day)
            assert isinstance(shift, FixedShift | FlexibleShift)
            kind = scripted.get(day) or _draw(rng)
            for at in _punch_times(rng, shift, day, kind):
                if at > now:
                    continue
                if on_time_clock:
                    punch = Punch(person_id=person_id, at=at, source=Punch.Source.IMPORT,
                                  verification=Punch.Verification.TIME_CLOCK,
                                  terminal=rng.choice(TERMINALS), recorded_at=at)
                    week = timezone.localdate(at, zone)
                    week -= timedelta(days=week.weekday())
                    imported.setdefault(week, []).append(punch)
                else:
                    punch = _web_punch(rng, person_id, at, place, network)
                fresh.append(punch)
    _import_batches(cast, imported, now)
    Punch.objects.bulk_create(fresh, batch_size=2000)
    created["punches"] = len(fresh)
    return len(fresh)


def _scripted(username: str, working: list[date], today: date) -> dict[date, str]:
    """The scripted day of a demo sign-in, counted in its own working days before today."""
    if username not in SCRIPT:
        return {}
    back, kind = SCRIPT[username]
    past = [day for day in working if day < today]
    return {past[-back]: kind} if len(past) >= back else {}


def _import_batches(cast: Cast, imported: dict[date, list[Punch]], now: datetime) -> None:
    """One door-access file a week, imported by HR on the Monday after."""
    importer = cast.people["hr"].pk
    for monday, punches in sorted(imported.items()):
        at = min(datetime.combine(monday + timedelta(days=7), time(9, 30),
                                  tzinfo=local_zone()), now)
        batch = PunchImport.objects.create(
            file_name=f"door-access-{monday:%Y%m%d}.csv", source_system=IMPORT_SYSTEM,
            imported_by_id=importer, imported_at=at, rows=len(punches), added=len(punches))
        for punch in punches:
            punch.batch = batch
