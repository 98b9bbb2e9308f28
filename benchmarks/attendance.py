"""Benchmark of attendance payroll: the month close and the XLSX export at museum scale.

Set-up: 5,000 people (``--people``) in a three-level tree of departments, nine in ten on the
office day (08:30-17:00, five minutes' grace, Saturday and Sunday off), one in ten on the
security roster (day, day, night, night, rest, rest; 12-hour shifts, the nights crossing
midnight, the teams two days apart), and a full month of punches (March 2026, 22 working
days): two a working day each, about 5 % late, 1 % with a punch missing and 0.5 % absent.
People, memberships and punches are written with ``bulk_create``; the days are then judged
once (``computing.recompute``, untimed), as the punches of a real month would have left them.

Measured in the same run, with the clock set to 1 April 2026 so March is over:

1. Baseline: one raw SQL aggregation over the punch table doing what a close must do at
   least: each person's first and last punch of every local day, then per person the days
   present, the late days (first punch after 08:35) and the days with a single punch.
2. ``services.do_close_month``: every day of the month judged again for everyone, the
   person-days replaced, each person's summary frozen, comp time credited, the month locked.
   Target: under 60 s for 5,000 people.
3. ``exporting.export_month(actor, month, "xlsx")``: the payroll workbook (summary in the
   default layout, one detail row per person and day, corrections). Target: under 10 s.

Usage:
    python benchmarks/attendance.py                  # SQLite in a fresh temporary data dir
    python benchmarks/attendance.py --people 500     # quick run
    python benchmarks/attendance.py --database postgresql://postgres@127.0.0.1:5432/taihe_bench
    TAIHE_BENCH_DATABASE_URL=postgresql://... python benchmarks/attendance.py

On PostgreSQL the benchmark database is emptied first (its public schema is dropped): never
point it at a database that holds anything you want to keep.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from benchmarks.catalog import setup  # noqa: E402  same fresh database, demo people
from benchmarks.workflows import build_org  # noqa: E402  the same 3-level organisation

SEED = 13
CLOSE_TARGET_S = 60.0
EXPORT_TARGET_S = 10.0
"""Month close for 5,000 people and its XLSX export (issue targets)."""

MONTH = dt.date(2026, 3, 1)
NOW = dt.datetime(2026, 3, 31, 17, 0, tzinfo=dt.UTC)
"""1 April 2026, 01:00 in Shanghai: March is over."""

ROSTER_SHARE = 0.1
LATE, MISSING, ABSENT = 0.05, 0.01, 0.005
LATE_AFTER = dt.time(8, 35)
"""Office start plus the five minutes' grace: the baseline's late threshold."""


@contextmanager
def clock(moment: dt.datetime) -> Iterator[None]:
    """Run the services as if it were ``moment`` (they read ``timezone.now()``)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


# --- The month ----------------------------------------------------------------------------


def build_rules(people: list[int]) -> tuple[int, int]:
    """The office and security groups with their calendar and shifts; the first tenth of
    ``people`` on the roster, the rest in the office. Returns (office, roster) counts."""
    from taihe.modules.attendance.models import Calendar, Group, Membership, Shift

    offices = Calendar.objects.create(name="Offices", rest_weekdays=[5, 6])
    office_day = Shift.objects.create(code="office-day", name="Office day",
                                      segments=[["08:30", "17:00"]], late_grace_minutes=5)
    Shift.objects.create(code="security-day", name="Security day",
                         segments=[["08:00", "20:00"]])
    Shift.objects.create(code="security-night", name="Security night",
                         segments=[["20:00", "08:00"]])
    office = Group.objects.create(name="Office", calendar=offices, shift=office_day)
    security = Group.objects.create(
        name="Security", calendar=offices, schedule=Group.Schedule.ROSTER,
        cycle=["security-day", "security-day", "security-night", "security-night", "rest",
               "rest"], cycle_anchor=dt.date(2026, 1, 5))
    guards = round(len(people) * ROSTER_SHARE)
    Membership.objects.bulk_create(
        [Membership(person_id=person, group=security, roster_offset=(n % 3) * 2)
         for n, person in enumerate(people[:guards])]
        + [Membership(person_id=person, group=office) for person in people[guards:]],
        batch_size=2000)
    return len(people) - guards, guards


def punch_times(rng: random.Random, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """The day's check-in and check-out: mostly on time, some late, a few missing."""
    roll = rng.random()
    if roll < ABSENT:
        return []
    late = roll < ABSENT + LATE
    arrive = start + dt.timedelta(minutes=rng.uniform(6, 40) if late else -rng.uniform(2, 25))
    leave = end + dt.timedelta(minutes=rng.uniform(0, 20))
    if roll > 1 - MISSING:
        return [arrive] if rng.random() < 0.5 else [leave]
    return [arrive, leave]


def generate_punches(people: list[int]) -> int:
    """Two punches a working day for everyone in March, written with ``bulk_create``."""
    from taihe.modules.attendance.computing import local_zone, month_end
    from taihe.modules.attendance.models import Punch
    from taihe.modules.attendance.rulebook import load_rulebook
    from taihe.modules.attendance.rules.calendar import dates_between
    from taihe.modules.attendance.rules.shifts import FixedShift, segment_intervals

    rng = random.Random(SEED)
    zone = local_zone()
    days = list(dates_between(MONTH, month_end(MONTH)))
    book = load_rulebook(people, MONTH, month_end(MONTH))
    batch: list[Punch] = []
    written = 0
    for person in people:
        for day in days:
            shift = book.shift(person, day)
            if not isinstance(shift, FixedShift):
                continue
            start, end = segment_intervals(shift.segments, day, zone)[0]
            for at in punch_times(rng, start, end):
                batch.append(Punch(person_id=person, at=at, source=Punch.Source.IMPORT,
                                   verification=Punch.Verification.TIME_CLOCK,
                                   terminal="Meridian Gate east door", recorded_at=at))
        if len(batch) >= 20_000:
            Punch.objects.bulk_create(batch, batch_size=5000)
            written += len(batch)
            batch = []
    Punch.objects.bulk_create(batch, batch_size=5000)
    return written + len(batch)


# --- Measuring ----------------------------------------------------------------------------


def baseline_sql(vendor: str, offset_hours: int) -> str:
    """Per person and local day the first and last punch, then per person the days present,
    late days and single-punch days: the least a month close has to work out."""
    if vendor == "postgresql":
        day = "(at AT TIME ZONE 'Asia/Shanghai')::date"
        first_time = "(first_at AT TIME ZONE 'Asia/Shanghai')::time"
    else:
        # SQLite keeps UTC text; the museum's zone has a fixed offset (no daylight saving).
        day = f"date(at, '{offset_hours:+d} hours')"
        first_time = f"time(first_at, '{offset_hours:+d} hours')"
    return f"""
WITH days AS (
    SELECT person_id, {day} AS day, MIN(at) AS first_at, MAX(at) AS last_at,
           COUNT(*) AS punches
    FROM attendance_punch
    WHERE at >= %s AND at < %s
    GROUP BY person_id, {day}
)
SELECT person_id, COUNT(*) AS present,
       SUM(CASE WHEN {first_time} > %s THEN 1 ELSE 0 END) AS late_days,
       SUM(CASE WHEN punches < 2 THEN 1 ELSE 0 END) AS single_punch_days,
       MIN(first_at), MAX(last_at)
FROM days
GROUP BY person_id
"""


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def verdict(seconds: float, target: float | None) -> str:
    if target is None:
        return ""
    return f"{'PASS' if seconds < target else 'FAIL'} (< {target:.0f} s)"


def report(label: str, seconds: float, base: float, target: float | None = None) -> None:
    print(f"{label:44} {seconds:9.2f} {seconds / base:10.1f}x  {verdict(seconds, target)}")


def bench(people: list[int]) -> dict[str, float]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Sum

    from taihe.modules.attendance import services
    from taihe.modules.attendance.computing import local_midnight, local_zone, month_end
    from taihe.modules.attendance.models import DayResult, MonthSummary

    admin = get_user_model().objects.get(username="admin")
    zone = local_zone()
    since = local_midnight(MONTH, zone)
    until = local_midnight(month_end(MONTH) + dt.timedelta(days=1), zone)
    offset = int((since.utcoffset() or dt.timedelta()).total_seconds() // 3600)
    sql = baseline_sql(connection.vendor, offset)
    results: dict[str, float] = {}
    with clock(NOW):
        from taihe.modules.attendance.computing import recompute

        seconds, judged = timed(lambda: recompute(None, MONTH, month_end(MONTH)))
        print(f"  judged {judged:,} person-days as the month's punches left them in "
              f"{seconds:.1f} s (untimed set-up)")

        def raw() -> list[Any]:
            with connection.cursor() as cursor:
                cursor.execute(sql, [connection.ops.adapt_datetimefield_value(since),
                                     connection.ops.adapt_datetimefield_value(until),
                                     LATE_AFTER.isoformat()])
                return cursor.fetchall()

        raw()  # warm the page cache as the close will find it
        base, rows = timed(raw)
        print(f"\nMonth close of {MONTH:%Y-%m}, {connection.vendor}: {len(people):,} people")
        print(f"{'':44} {'seconds':>9} {'x baseline':>11}")
        report("raw SQL first/last punch per day (baseline)", base, base)
        results["baseline"] = base
        seconds, month = timed(lambda: services.do_close_month(admin, MONTH))
        report("services.do_close_month", seconds, base, CLOSE_TARGET_S)
        results["close"] = seconds
        try:
            from taihe.modules.attendance.exporting import export_month
        except ImportError:
            print("  exporting.export_month is not there yet: the export was not timed")
        else:
            seconds, exported = timed(lambda: export_month(admin, MONTH, "xlsx"))
            report("exporting.export_month (xlsx)", seconds, base, EXPORT_TARGET_S)
            results["export"] = seconds
            print(f"  {exported[1]}: {len(exported[0]) / 1e6:.1f} MB")
    late_sql = sum(int(row[2]) for row in rows)
    late_close = MonthSummary.objects.filter(month=month).aggregate(total=Sum("late_count"))
    days = DayResult.objects.filter(date__range=(MONTH, month_end(MONTH))).count()
    print(f"  {month.people:,} summaries, {days:,} person-days; late days: "
          f"{late_close['total']:,} judged by the close, {late_sql:,} by the baseline's "
          f"plain 08:35 threshold, which knows no shifts (a night shift's evening check-in "
          f"or a lone check-out counts as late there)")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5_000, help="people (default 5,000)")
    parser.add_argument("--database", default=os.environ.get("TAIHE_BENCH_DATABASE_URL"),
                        help="PostgreSQL URL (default: SQLite in a temp dir; or set "
                             "TAIHE_BENCH_DATABASE_URL)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="taihe-bench-attendance-") as work:
        setup(args.database, Path(work) / "data")
        from django.db import connection

        print(f"python {sys.version.split()[0]}, {connection.vendor}")
        started = time.perf_counter()
        org = build_org(args.people)
        office, roster = build_rules(org.people)
        punches = generate_punches(org.people)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"Set-up: {len(org.people):,} people ({office:,} office, {roster:,} roster), "
              f"{punches:,} punches in {time.perf_counter() - started:.0f} s")
        results = bench(org.people)
        close = results["close"]
        print(f"\nmonth close {close:.1f} s "
              f"{'meets' if close < CLOSE_TARGET_S else 'misses'} the {CLOSE_TARGET_S:.0f} s "
              f"target" + (f"; XLSX export {results['export']:.1f} s "
                           f"{'meets' if results['export'] < EXPORT_TARGET_S else 'misses'} "
                           f"the {EXPORT_TARGET_S:.0f} s target" if "export" in results else ""))


if __name__ == "__main__":
    main()
