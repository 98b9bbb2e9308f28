"""Benchmark of environmental-monitoring ingest and chart queries.

1. File import: data-logger files (HOBOware CSV, a year of 5-minute temperature and RH each,
   105,120 rows, 210,240 readings per file) through ``services.do_import_file``: parsing,
   checks, calibration, batched writes with duplicate skipping, hourly and daily rollups.
2. HTTP push: the same kind of readings POSTed as JSON batches of 500 to
   ``/api/v1/conservation/push`` with a device token, through Django's whole request stack.
   Both are compared with a raw bulk insert of the same rows into the same table
   (``kernel.db.timeseries.insert_plain``: one executemany on SQLite, one unnest INSERT per
   batch on PostgreSQL), measured in the same run just before. Target: ratio >= 0.5.
3. Chart queries: p50/p95 of ``selectors.chart_series`` (what the chart endpoint serves,
   about 1,000 points) for one sensor-year and for five sensor-years (one sensor with five
   years of readings), against the raw SQL count of the same rows, in the same run.

Usage:
    python benchmarks/ingest.py                 # SQLite in a fresh temporary data dir
    python benchmarks/ingest.py --files 2 --quick
    python benchmarks/ingest.py --database postgresql://postgres@127.0.0.1:5432/taihe_bench

On PostgreSQL the benchmark database is emptied first (its public schema is dropped): never
point it at a database that holds anything you want to keep.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
STEP = 300
TARGET_RATIO = 0.5

from benchmarks.catalog import setup  # noqa: E402  the same fresh database and demo people


def climate(count: int, seed: int) -> tuple[list[int], list[float], list[float]]:
    import numpy as np

    rng = np.random.default_rng(seed)
    times = int(START.timestamp()) + STEP * np.arange(count, dtype=np.int64)
    day = 2 * math.pi * (times % 86_400) / 86_400
    year = 2 * math.pi * (times - times[0]) / (365.25 * 86_400)
    temperature = np.round(20 + 2 * np.sin(year) + 0.6 * np.sin(day)
                           + rng.normal(0, 0.05, count), 2)
    humidity = np.round(50 + 5 * np.sin(year + 1) + 1.5 * np.sin(day + 2)
                        + rng.normal(0, 0.2, count), 1)
    return times.tolist(), temperature.tolist(), humidity.tolist()


def hobo_file(path: Path, serial: str, times: list[int], t: list[float], rh: list[float]
              ) -> None:
    """A HOBOware export as HOBOware writes it (GMT offset in the header, month-first dates,
    12-hour clock)."""
    lines = [f'"Plot Title: {serial}"',
             f'"#","Date Time, GMT+00:00","Temp, °C (LGR S/N: {serial}, SEN S/N: {serial})",'
             f'"RH, % (LGR S/N: {serial}, SEN S/N: {serial})"']
    for index, (stamp, temp, hum) in enumerate(zip(times, t, rh, strict=True), start=1):
        moment = dt.datetime.fromtimestamp(stamp, dt.UTC)
        lines.append(f"{index},{moment:%m/%d/%y %I:%M:%S %p},{temp:.2f},{hum:.1f}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def raw_rows(sensor_id: int, times: list[int], t: list[float], rh: list[float]
             ) -> list[tuple[int, int, int, float]]:
    from taihe.modules.conservation import store

    ids = store.quantity_ids()
    rows = [(sensor_id, ids["temperature"], stamp, value) for stamp, value in zip(times, t,
                                                                                     strict=True)]
    rows += [(sensor_id, ids["relative_humidity"], stamp, value)
             for stamp, value in zip(times, rh, strict=True)]
    return rows


def raw_insert(rows: list[tuple[int, int, int, float]]) -> float:
    """Seconds to insert the rows with the engine's rawest bulk insert, in batches of the
    store's size, each batch committed (as the ingest path commits)."""
    from django.db import transaction

    from taihe.kernel.db import timeseries
    from taihe.modules.conservation import store
    from taihe.modules.conservation.models import READING_COLUMNS

    started = time.perf_counter()
    for first in range(0, len(rows), store.BATCH_SIZE):
        chunk = rows[first:first + store.BATCH_SIZE]
        with transaction.atomic():
            timeseries.ensure_partitions(store.READING_TABLE, min(r[2] for r in chunk),
                                         max(r[2] for r in chunk))
            timeseries.insert_plain(store.READING_TABLE, READING_COLUMNS, chunk)
    return time.perf_counter() - started


def bench_files(files: int, rows_per_file: int, work: Path) -> None:
    from taihe.modules.conservation import services
    from taihe.modules.directory.models import Person

    admin = Person.objects.get(username="admin")
    total_import = total_raw = 0.0
    readings = 0
    print(f"\n1. File import: {files} HOBOware file(s) of {rows_per_file:,} rows "
          f"({2 * rows_per_file:,} readings each)")
    for number in range(files):
        times, t, rh = climate(rows_per_file, seed=number)
        path = work / f"logger-{number}.csv"
        hobo_file(path, f"2040{number:04d}", times, t, rh)
        raw_seconds = raw_insert(raw_rows(900_000 + number, times, t, rh))
        started = time.perf_counter()
        outcome = services.do_import_file(admin, path.read_bytes(), path.name,
                                          sensor_code=f"BENCH-F{number}", create_sensor=True)
        seconds = time.perf_counter() - started
        assert outcome.stored == 2 * rows_per_file, outcome.summary()
        total_import += seconds
        total_raw += raw_seconds
        readings += outcome.stored
        print(f"   file {number + 1}: import {outcome.stored / seconds:,.0f} readings/s, "
              f"raw insert {outcome.stored / raw_seconds:,.0f} rows/s")
    rate, raw_rate = readings / total_import, readings / total_raw
    ratio = rate / raw_rate
    print(f"   total: import {rate:,.0f} readings/s vs raw {raw_rate:,.0f} rows/s -> "
          f"ratio {ratio:.2f} (target >= {TARGET_RATIO}: "
          f"{'met' if ratio >= TARGET_RATIO else 'MISSED'})")


def bench_http(readings_wanted: int) -> None:
    from django.test import Client

    from taihe.modules.conservation import services
    from taihe.modules.directory.models import Person

    admin = Person.objects.get(username="admin")
    sensor = services.do_create_sensor(admin, services.SensorData(code="BENCH-HTTP"))
    token = services.do_issue_token(admin, sensor.pk)
    rows = readings_wanted // 2
    times, t, rh = climate(rows, seed=99)
    batch = 250  # 250 instants x 2 quantities = 500 readings per request
    bodies = []
    for first in range(0, rows, batch):
        items = []
        for stamp, temp, hum in zip(times[first:first + batch], t[first:first + batch],
                                    rh[first:first + batch], strict=True):
            items.append({"time": dt.datetime.fromtimestamp(stamp, dt.UTC).isoformat(),
                          "temperature": temp, "relative_humidity": hum})
        bodies.append(json.dumps({"sensor": "BENCH-HTTP", "readings": items}))
    raw_seconds = raw_insert(raw_rows(990_000, times, t, rh))
    client = Client(SERVER_NAME="127.0.0.1")  # an allowed host (DEBUG is off)
    started = time.perf_counter()
    stored = 0
    for body in bodies:
        response = client.post("/api/v1/conservation/push", data=body,
                               content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 200, response.content[:500]
        stored += response.json()["stored"]
    seconds = time.perf_counter() - started
    assert stored == 2 * rows, stored
    rate, raw_rate = stored / seconds, stored / raw_seconds
    ratio = rate / raw_rate
    print(f"\n2. HTTP push: {len(bodies):,} requests of 500 readings")
    print(f"   push {rate:,.0f} readings/s vs raw {raw_rate:,.0f} rows/s -> ratio {ratio:.2f} "
          f"(target >= {TARGET_RATIO}: {'met' if ratio >= TARGET_RATIO else 'MISSED'})")


def bench_charts(repeats: int) -> None:
    from django.db import connection

    from taihe.kernel.db import timeseries
    from taihe.modules.conservation import selectors, services, store
    from taihe.modules.conservation.models import READING_COLUMNS
    from taihe.modules.directory.models import Person

    admin = Person.objects.get(username="admin")
    sensor = services.do_create_sensor(admin, services.SensorData(code="BENCH-5Y"))
    rows_per_year = 365 * 288
    times, t, rh = climate(5 * rows_per_year, seed=5)
    rows = raw_rows(sensor.pk, times, t, rh)
    for first in range(0, len(rows), 50_000):
        chunk = rows[first:first + 50_000]
        timeseries.ensure_partitions(store.READING_TABLE, min(r[2] for r in chunk),
                                     max(r[2] for r in chunk))
        timeseries.insert_plain(store.READING_TABLE, READING_COLUMNS, chunk)
    store.rebuild_rollups(sensor_ids=[sensor.pk])
    quantity = store.quantity_ids()["temperature"]
    print(f"\n3. Chart queries (about 1,000 points; {repeats} runs after 2 warm-ups)")
    for label, years in (("one sensor-year", 1), ("five sensor-years", 5)):
        start = START
        end = START + dt.timedelta(days=365 * years)
        timings, raw_timings = [], []
        for run in range(repeats + 2):
            began = time.perf_counter()
            data = selectors.chart_series(sensor, "temperature", start, end, 1000)
            elapsed = time.perf_counter() - began
            began = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM {store.READING_TABLE} WHERE sensor_id = %s "
                               "AND quantity_id = %s AND time >= %s AND time < %s",
                               [sensor.pk, quantity, int(start.timestamp()),
                                int(end.timestamp())])
                counted = cursor.fetchone()[0]
            raw_elapsed = time.perf_counter() - began
            if run >= 2:
                timings.append(elapsed * 1000)
                raw_timings.append(raw_elapsed * 1000)
        p50, p95 = _percentiles(timings)
        raw50, _raw95 = _percentiles(raw_timings)
        print(f"   {label}: {len(data['t'])} points ({data['resolution']}) from {counted:,} "
              f"readings: p50 {p50:.1f} ms, p95 {p95:.1f} ms; raw count of the same rows "
              f"p50 {raw50:.1f} ms -> {p50 / raw50:.2f}x the raw scan")


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered), p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=4, help="logger files (default 4)")
    parser.add_argument("--rows", type=int, default=105_120,
                        help="rows per file (default 105,120: a year of 5-minute readings)")
    parser.add_argument("--http-readings", type=int, default=200_000,
                        help="readings pushed over HTTP (default 200,000)")
    parser.add_argument("--repeats", type=int, default=20, help="timed chart queries")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 file of 20,000 rows, 20,000 pushed readings")
    parser.add_argument("--database", help="PostgreSQL URL (default: SQLite in a temp dir)")
    args = parser.parse_args()
    if args.quick:
        args.files, args.rows, args.http_readings, args.repeats = 1, 20_000, 20_000, 5
    with tempfile.TemporaryDirectory(prefix="taihe-bench-ingest-") as work:
        setup(args.database, Path(work) / "data")
        from django.db import connection

        print(f"python {sys.version.split()[0]}, {connection.vendor}")
        bench_files(args.files, args.rows, Path(work))
        bench_http(args.http_readings)
        bench_charts(args.repeats)


if __name__ == "__main__":
    main()
