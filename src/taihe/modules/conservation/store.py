"""The readings store: batched writes, calibration, rollups, chart queries.

Every way a reading arrives ends in :func:`write`. Rows are ``(sensor_id, quantity_id,
epoch_seconds, value)``; the primary key (sensor, quantity, time) makes every path
idempotent: a reading that arrives twice is stored once, and late or out-of-order data simply
lands in its place. Hourly rollups (UTC hours) and daily rollups (museum-local days) are
recomputed for exactly the hours a batch touched, from the stored rows, so they stay right
whatever the order of arrival.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from taihe.kernel.db import timeseries
from taihe.modules.conservation.models import (
    READING_COLUMNS,
    Calibration,
    DailyRollup,
    HourlyRollup,
    Quantity,
    Reading,
    Sensor,
)

Row = tuple[int, int, int, float]
BATCH_SIZE = 5_000
HOUR = 3_600
DAY = 86_400
READING_TABLE = Reading._meta.db_table


@lru_cache(maxsize=4)
def _quantities(using: str) -> tuple[dict[str, int], dict[int, Quantity]]:
    rows = list(Quantity.objects.using(using).all())
    return {q.code: q.pk for q in rows}, {q.pk: q for q in rows}


def quantity_ids(using: str = "default") -> dict[str, int]:
    codes, _by_id = _quantities(using)
    if not codes:
        _quantities.cache_clear()
        codes, _by_id = _quantities(using)
    return codes


def quantity_by_id(quantity_id: int, using: str = "default") -> Quantity:
    quantity_ids(using)
    return _quantities(using)[1][quantity_id]


def day_offset() -> int:
    """Seconds to add to UTC to get museum-local time, for daily buckets.

    Daily rollups use the zone's offset in January: exact for zones without daylight saving
    (Asia/Shanghai, the default); in DST zones a summer "day" runs 01:00–01:00 local time."""
    zone = ZoneInfo(settings.TIME_ZONE)
    offset = dt.datetime(2026, 1, 15, tzinfo=zone).utcoffset() or dt.timedelta(0)
    return int(offset.total_seconds())


def local_day_start(epoch: int, offset: int) -> int:
    return ((epoch + offset) // DAY) * DAY - offset


# --- calibration --------------------------------------------------------------------------

@dataclass(frozen=True)
class _Offsets:
    starts: list[int]
    offsets: list[float]

    def at(self, epoch: int) -> float:
        index = bisect.bisect_right(self.starts, epoch) - 1
        return self.offsets[index] if index >= 0 else 0.0


def calibration_offsets(sensor_ids: Iterable[int], *, using: str = "default"
                        ) -> dict[tuple[int, int], _Offsets]:
    """Offsets by (sensor, quantity), in time order. Plain SQL: this runs for every batch
    and every HTTP push, and compiling an ORM query cost more than running it."""
    ids = sorted(set(sensor_ids))
    if not ids:
        return {}
    connection = connections[using]
    marks = ", ".join(["%s"] * len(ids))
    qn = connection.ops.quote_name
    rows = _fetch(f"SELECT sensor_id, quantity_id, effective_from, {qn('offset')} "
                  f"FROM {qn(Calibration._meta.db_table)} "
                  f"WHERE sensor_id IN ({marks}) ORDER BY sensor_id, quantity_id, effective_from",
                  ids, using)
    found: dict[tuple[int, int], _Offsets] = {}
    converter = Calibration._meta.get_field("effective_from")
    for sensor_id, quantity_id, effective_from, offset in rows:
        moment = converter.to_python(effective_from)
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, dt.UTC)
        entry = found.setdefault((int(sensor_id), int(quantity_id)), _Offsets([], []))
        entry.starts.append(int(moment.timestamp()))
        entry.offsets.append(float(offset))
    return found


def calibrate(rows: Sequence[Row], *, using: str = "default") -> list[Row]:
    """Add the calibration offset in force at each reading's time."""
    offsets = calibration_offsets({row[0] for row in rows}, using=using)
    if not offsets:
        return list(rows)
    out: list[Row] = []
    for sensor_id, quantity_id, time, value in rows:
        entry = offsets.get((sensor_id, quantity_id))
        out.append((sensor_id, quantity_id, time,
                    value + entry.at(time) if entry is not None else value))
    return out


# --- writing ------------------------------------------------------------------------------

@dataclass
class WriteResult:
    stored: int = 0
    duplicates: int = 0
    first: int | None = None
    last: int | None = None

    def add(self, other: WriteResult) -> None:
        self.stored += other.stored
        self.duplicates += other.duplicates
        if other.first is not None:
            self.first = other.first if self.first is None else min(self.first, other.first)
        if other.last is not None:
            self.last = other.last if self.last is None else max(self.last, other.last)


def _chunks(rows: Sequence[Row], size: int) -> Iterator[Sequence[Row]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def write(rows: Sequence[Row], *, using: str = "default", batch_size: int = BATCH_SIZE,
          apply_calibration: bool = False) -> WriteResult:
    """Store checked rows, skipping those already stored, and bring the rollups of the hours
    they touch up to date. Each batch is one transaction: a crash loses at most the batch in
    flight, and running the same input again stores exactly the rest.

    With ``apply_calibration`` the offsets in force are added inside each batch's
    transaction, with the sensors' rows locked, so a calibration recorded meanwhile (which
    takes the same lock) is either already applied to the batch or applies after it."""
    result = WriteResult()
    for chunk in _chunks(rows, batch_size):
        first = min(row[2] for row in chunk)
        last = max(row[2] for row in chunk)
        with transaction.atomic(using=using):
            if apply_calibration:
                sensor_ids = sorted({row[0] for row in chunk})
                list(Sensor.objects.using(using).select_for_update().filter(pk__in=sensor_ids)
                     .order_by("pk").values_list("pk", flat=True))
                chunk = calibrate(chunk, using=using)
            timeseries.ensure_partitions(READING_TABLE, first, last, using=using)
            stored = timeseries.insert_ignoring_duplicates(READING_TABLE, READING_COLUMNS, chunk,
                                                           using=using)
            if stored == len(chunk):
                # Every row is new: add the batch's summaries to the stored ones.
                merge_rollups(chunk, using=using)
            elif stored:
                # Some were already there: which ones is unknown, so recompute the hours.
                refresh_rollups(_touched_hours(chunk), using=using)
        result.add(WriteResult(stored, len(chunk) - stored, first, last))
    return result


def _least(column: str) -> str:
    return (f"CASE WHEN excluded.{column} < {{table}}.{column} THEN excluded.{column} "
            f"ELSE {{table}}.{column} END")


def _greatest(column: str) -> str:
    return (f"CASE WHEN excluded.{column} > {{table}}.{column} THEN excluded.{column} "
            f"ELSE {{table}}.{column} END")


_MERGE_SQL = (
    "INSERT INTO {table} (sensor_id, quantity_id, {bucket}, minimum, maximum, total, count) "
    "VALUES {values} ON CONFLICT (sensor_id, quantity_id, {bucket}) "
    f"DO UPDATE SET minimum = {_least('minimum')}, maximum = {_greatest('maximum')}, "
    "total = {table}.total + excluded.total, count = {table}.count + excluded.count")


def _summaries(sensor_ids: np.ndarray, quantity_ids: np.ndarray, buckets: np.ndarray,
               step: int, values: np.ndarray) -> list[tuple[Any, ...]]:
    """(sensor, quantity, bucket, min, max, sum, count) per distinct bucket, by numpy
    grouping on one packed 63-bit key (22 bits sensor, 10 bits quantity, 31 bits bucket
    number): sorting one integer column is many times cheaper than sorting rows."""
    numbers = buckets // step
    base = int(numbers.min())
    keys = ((sensor_ids << 41) | (quantity_ids << 31) | (numbers - base))
    order = np.argsort(keys, kind="stable")
    ordered_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, ordered_keys[1:] != ordered_keys[:-1]])
    ordered = values[order]
    minimum = np.minimum.reduceat(ordered, starts)
    maximum = np.maximum.reduceat(ordered, starts)
    total = np.add.reduceat(ordered, starts)
    count = np.diff(np.r_[starts, ordered.size])
    first = order[starts]
    return list(zip(sensor_ids[first].tolist(), quantity_ids[first].tolist(),
                    buckets[first].tolist(), minimum.tolist(), maximum.tolist(), total.tolist(),
                    count.tolist(), strict=True))


def merge_rollups(rows: Sequence[Row], *, using: str = "default") -> None:
    """Add newly stored rows to the hourly and daily rollups (min of mins, max of maxes, sums
    added): exact because none of the rows was stored before."""
    if not rows:
        return
    connection = connections[using]
    qn = connection.ops.quote_name
    sensor_ids, quantity_ids, time_list, value_list = zip(*rows, strict=True)
    sensors = np.array(sensor_ids, dtype=np.int64)
    quantities = np.array(quantity_ids, dtype=np.int64)
    times = np.array(time_list, dtype=np.int64)
    values = np.array(value_list, dtype=np.float64)
    offset = day_offset()
    hours = times - times % HOUR
    days = ((times + offset) // DAY) * DAY - offset
    with connection.cursor() as cursor:
        for model, bucket, starts, step in ((HourlyRollup, "hour", hours, HOUR),
                                            (DailyRollup, "day", days + offset, DAY)):
            summaries = _summaries(sensors, quantities, starts, step, values)
            if model is DailyRollup:
                summaries = [(s, q, day - offset, *rest) for s, q, day, *rest in summaries]
            # One statement per 500 summaries (multi-row VALUES): one round trip instead of
            # one per hour, which is what PostgreSQL's executemany would cost.
            for first in range(0, len(summaries), 500):
                part = summaries[first:first + 500]
                marks = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(part))
                cursor.execute(_MERGE_SQL.format(table=qn(model._meta.db_table), bucket=bucket,
                                                 values=marks),
                               [value for summary in part for value in summary])


def _touched_hours(rows: Iterable[Row]) -> dict[tuple[int, int], list[int]]:
    hours: dict[tuple[int, int], list[int]] = defaultdict(list)
    for sensor_id, quantity_id, hour in {(s, q, t - t % HOUR) for s, q, t, _v in rows}:
        hours[(sensor_id, quantity_id)].append(hour)
    return {key: sorted(found) for key, found in hours.items()}


def _runs(sorted_starts: list[int], step: int, join_gap: int) -> list[tuple[int, int]]:
    """Group sorted bucket starts into [first, end) ranges, joining gaps up to ``join_gap``."""
    runs: list[tuple[int, int]] = []
    for start in sorted_starts:
        if runs and start - runs[-1][1] <= join_gap:
            runs[-1] = (runs[-1][0], start + step)
        else:
            runs.append((start, start + step))
    return runs


_HOURLY_SQL = (
    "INSERT INTO {hourly} (sensor_id, quantity_id, hour, minimum, maximum, total, count) "
    "SELECT sensor_id, quantity_id, (time / 3600) * 3600, MIN(value), MAX(value), SUM(value), "
    "COUNT(*) FROM {reading} WHERE sensor_id = %s AND quantity_id = %s AND time >= %s "
    "AND time < %s GROUP BY sensor_id, quantity_id, (time / 3600) * 3600 "
    "ON CONFLICT (sensor_id, quantity_id, hour) DO UPDATE SET minimum = excluded.minimum, "
    "maximum = excluded.maximum, total = excluded.total, count = excluded.count")

_DAILY_SQL = (
    "INSERT INTO {daily} (sensor_id, quantity_id, day, minimum, maximum, total, count) "
    "SELECT sensor_id, quantity_id, ((hour + %s) / 86400) * 86400 - %s, MIN(minimum), "
    "MAX(maximum), SUM(total), SUM(count) FROM {hourly} WHERE sensor_id = %s "
    "AND quantity_id = %s AND hour >= %s AND hour < %s "
    "GROUP BY sensor_id, quantity_id, ((hour + %s) / 86400) * 86400 - %s "
    "ON CONFLICT (sensor_id, quantity_id, day) DO UPDATE SET minimum = excluded.minimum, "
    "maximum = excluded.maximum, total = excluded.total, count = excluded.count")


def _sql(template: str, connection: Any) -> str:
    qn = connection.ops.quote_name
    return template.format(hourly=qn(HourlyRollup._meta.db_table),
                           daily=qn(DailyRollup._meta.db_table), reading=qn(READING_TABLE))


def refresh_rollups(touched: dict[tuple[int, int], list[int]], *,
                    using: str = "default") -> None:
    """Recompute the hourly rollups of the touched hours and the daily rollups of their days.

    An hour without readings keeps its rollup: retention removes readings on purpose and
    leaves their summaries as the record."""
    connection = connections[using]
    offset = day_offset()
    hourly_sql = _sql(_HOURLY_SQL, connection)
    daily_sql = _sql(_DAILY_SQL, connection)
    with connection.cursor() as cursor:
        for (sensor_id, quantity_id), hours in touched.items():
            for low, high in _runs(hours, HOUR, 24 * HOUR):
                cursor.execute(hourly_sql, [sensor_id, quantity_id, low, high])
            days = sorted({local_day_start(hour, offset) for hour in hours})
            for low, high in _runs(days, DAY, DAY):
                cursor.execute(
                    f"DELETE FROM {connection.ops.quote_name(DailyRollup._meta.db_table)} "
                    "WHERE sensor_id = %s AND quantity_id = %s AND day >= %s AND day < %s",
                    [sensor_id, quantity_id, low, high])
                cursor.execute(daily_sql, [offset, offset, sensor_id, quantity_id, low, high,
                                           offset, offset])


def rebuild_rollups(*, using: str = "default", sensor_ids: Iterable[int] | None = None) -> None:
    """Recompute the rollups of every hour and day that still has readings (to repair them).

    Rollups of hours whose readings retention removed are kept: they are the only record
    left of those readings."""
    connection = connections[using]
    qn = connection.ops.quote_name
    where, params = "", []
    if sensor_ids is not None:
        ids = sorted(set(sensor_ids))
        if not ids:
            return
        where = f" WHERE sensor_id IN ({', '.join(['%s'] * len(ids))})"
        params = ids
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT sensor_id, quantity_id, MIN(time), MAX(time) FROM "
                       f"{qn(READING_TABLE)}{where} GROUP BY sensor_id, quantity_id", params)
        spans = cursor.fetchall()
    offset = day_offset()
    hourly, daily = qn(HourlyRollup._meta.db_table), qn(DailyRollup._meta.db_table)
    with connection.cursor() as cursor:
        for sensor_id, quantity_id, first, last in spans:
            low, high = first - first % HOUR, last - last % HOUR + HOUR
            cursor.execute(f"DELETE FROM {hourly} WHERE sensor_id = %s AND quantity_id = %s "
                           "AND hour >= %s AND hour < %s", [sensor_id, quantity_id, low, high])
            cursor.execute(_sql(_HOURLY_SQL, connection), [sensor_id, quantity_id, low, high])
            day_low = local_day_start(first, offset)
            day_high = local_day_start(last, offset) + DAY
            cursor.execute(f"DELETE FROM {daily} WHERE sensor_id = %s AND quantity_id = %s "
                           "AND day >= %s AND day < %s",
                           [sensor_id, quantity_id, day_low, day_high])
            cursor.execute(_sql(_DAILY_SQL, connection),
                           [offset, offset, sensor_id, quantity_id, day_low, day_high,
                            offset, offset])


def shift_values(sensor_id: int, quantity_id: int, start: int, end: int | None, delta: float,
                 *, using: str = "default") -> int:
    """Add ``delta`` to stored values in [start, end) (a calibration changed) and refresh the
    rollups of that range. Returns rows changed."""
    if delta == 0:
        return 0
    connection = connections[using]
    qn = connection.ops.quote_name
    bound = "" if end is None else " AND time < %s"
    params: list[float | int] = [delta, sensor_id, quantity_id, start]
    if end is not None:
        params.append(end)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {qn(READING_TABLE)} SET value = value + %s WHERE sensor_id = %s "
                       f"AND quantity_id = %s AND time >= %s{bound}", params)
        changed = max(cursor.rowcount, 0)
        cursor.execute(f"SELECT DISTINCT (time / 3600) * 3600 FROM {qn(READING_TABLE)} WHERE "
                       f"sensor_id = %s AND quantity_id = %s AND time >= %s{bound}",
                       params[1:])
        hours = sorted(row[0] for row in cursor.fetchall())
        # Hours wholly inside the span whose readings retention removed: shift their
        # rollups directly (min, max and mean all move by delta).
        first_hour = start + (-start) % HOUR
        bound_hour = "" if end is None else " AND hour + 3600 <= %s"
        hour_params: list[float | int] = [delta, delta, delta, sensor_id, quantity_id,
                                          first_hour]
        if end is not None:
            hour_params.append(end)
        cursor.execute(
            f"UPDATE {qn(HourlyRollup._meta.db_table)} SET minimum = minimum + %s, "
            "maximum = maximum + %s, total = total + %s * count WHERE sensor_id = %s "
            f"AND quantity_id = %s AND hour >= %s{bound_hour} AND NOT EXISTS (SELECT 1 FROM "
            f"{qn(READING_TABLE)} r WHERE r.sensor_id = {qn(HourlyRollup._meta.db_table)}"
            ".sensor_id AND r.quantity_id = "
            f"{qn(HourlyRollup._meta.db_table)}.quantity_id AND r.time >= "
            f"{qn(HourlyRollup._meta.db_table)}.hour AND r.time < "
            f"{qn(HourlyRollup._meta.db_table)}.hour + 3600)", hour_params)
        cursor.execute(f"SELECT hour FROM {qn(HourlyRollup._meta.db_table)} WHERE "
                       f"sensor_id = %s AND quantity_id = %s AND hour >= %s{bound_hour}",
                       hour_params[3:])
        hours = sorted({*hours, *(row[0] for row in cursor.fetchall())})
    if hours:
        refresh_rollups({(sensor_id, quantity_id): hours}, using=using)
    return changed


def apply_retention(days: int, *, now: dt.datetime | None = None,
                    using: str = "default") -> int:
    """Delete raw readings older than ``days`` (rollups are kept: charts and reports of old
    years still work from them). Returns rows removed."""
    if days <= 0:
        return 0
    moment = now or dt.datetime.now(dt.UTC)
    cutoff = int(moment.timestamp()) - days * DAY
    return timeseries.delete_before(READING_TABLE, "time", cutoff, using=using)


# --- reading ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Series:
    """Downsampled values: bucket start times (epoch s) and min/mean/max per bucket."""

    resolution: str  # "raw", "minute", "hour" or "day"
    bucket_seconds: int
    times: np.ndarray
    minimum: np.ndarray
    mean: np.ndarray
    maximum: np.ndarray

    @property
    def size(self) -> int:
        return int(self.times.size)


def _empty(resolution: str, bucket: int) -> Series:
    nothing = np.empty(0)
    return Series(resolution, bucket, np.empty(0, dtype=np.int64), nothing, nothing, nothing)


def _fetch(sql: str, params: Sequence[Any], using: str) -> list[tuple[float, ...]]:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


_STEPS = (60, 120, 300, 600, 900, 1_800, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY,
          2 * DAY, 7 * DAY, 14 * DAY)


def series(sensor_id: int, quantity_id: int, start: int, end: int, *, points: int = 1000,
           interval: int = 300, using: str = "default") -> Series:
    """The readings of [start, end) reduced on the server to at most about ``points``
    buckets: raw rows when they fit, else buckets aggregated from the raw table (short
    ranges), the hourly rollups (up to months) or the daily rollups (years)."""
    points = max(10, min(points, 5000))
    span = max(end - start, 1)
    wanted = math.ceil(span / points)
    # Round up to a step people read easily (5 min, 1 h, 1 day...) so buckets line up with
    # clock hours and local days, and the hourly/daily rollups can answer.
    bucket = next((step for step in _STEPS if step >= wanted),
                  DAY * math.ceil(wanted / DAY))
    qn = connections[using].ops.quote_name
    if bucket <= max(interval, 1):
        rows = _fetch(f"SELECT time, value FROM {qn(READING_TABLE)} WHERE sensor_id = %s AND "
                      "quantity_id = %s AND time >= %s AND time < %s ORDER BY time",
                      [sensor_id, quantity_id, start, end], using)
        if not rows:
            return _empty("raw", interval)
        values = np.array(rows, dtype=np.float64)
        return Series("raw", interval, values[:, 0].astype(np.int64), values[:, 1], values[:, 1],
                      values[:, 1])
    if bucket < HOUR:
        sql = (f"SELECT (time / {bucket}) * {bucket}, MIN(value), SUM(value) / COUNT(*), "
               f"MAX(value) FROM {qn(READING_TABLE)} WHERE sensor_id = %s AND quantity_id = %s AND "
               f"time >= %s AND time < %s GROUP BY (time / {bucket}) * {bucket} ORDER BY 1")
        resolution = "minute"
    elif bucket < DAY:
        sql = (f"SELECT (hour / {bucket}) * {bucket}, MIN(minimum), SUM(total) / SUM(count), "
               f"MAX(maximum) FROM {qn(HourlyRollup._meta.db_table)} WHERE sensor_id = %s AND "
               "quantity_id = %s AND hour >= %s AND hour < %s "
               f"GROUP BY (hour / {bucket}) * {bucket} ORDER BY 1")
        resolution = "hour"
    else:
        offset = day_offset()
        sql = (f"SELECT ((day + {offset}) / {bucket}) * {bucket} - {offset}, MIN(minimum), "
               f"SUM(total) / SUM(count), MAX(maximum) FROM {qn(DailyRollup._meta.db_table)} "
               "WHERE sensor_id = %s AND quantity_id = %s AND day >= %s AND day < %s "
               f"GROUP BY ((day + {offset}) / {bucket}) * {bucket} - {offset} ORDER BY 1")
        resolution = "day"
        start = local_day_start(start, offset)
    rows = _fetch(sql, [sensor_id, quantity_id, start, end], using)
    if not rows:
        return _empty(resolution, bucket)
    values = np.array(rows, dtype=np.float64)
    return Series(resolution, bucket, values[:, 0].astype(np.int64), values[:, 1],
                  values[:, 2], values[:, 3])


def raw_values(sensor_id: int, quantity_id: int, start: int, end: int, *,
               using: str = "default") -> tuple[np.ndarray, np.ndarray]:
    """Every stored reading in [start, end): (times, values) arrays."""
    rows = _fetch(f"SELECT time, value FROM {connections[using].ops.quote_name(READING_TABLE)} "
                  "WHERE sensor_id = %s AND quantity_id = %s AND time >= %s AND time < %s "
                  "ORDER BY time", [sensor_id, quantity_id, start, end], using)
    if not rows:
        return np.empty(0, dtype=np.int64), np.empty(0)
    values = np.array(rows, dtype=np.float64)
    return values[:, 0].astype(np.int64), values[:, 1]


def hourly_means(sensor_id: int, quantity_id: int, start: int, end: int, *,
                 using: str = "default") -> tuple[np.ndarray, np.ndarray]:
    """Hourly means in [start, end) from the rollups: (hour starts, means)."""
    rows = _fetch(f"SELECT hour, total / count FROM "
                  f"{connections[using].ops.quote_name(HourlyRollup._meta.db_table)} "
                  "WHERE sensor_id = %s AND quantity_id = %s AND hour >= %s AND hour < %s "
                  "ORDER BY hour", [sensor_id, quantity_id, start, end], using)
    if not rows:
        return np.empty(0, dtype=np.int64), np.empty(0)
    values = np.array(rows, dtype=np.float64)
    return values[:, 0].astype(np.int64), values[:, 1]


def hourly_means_of_many(sensor_ids: Sequence[int], start: int, end: int, *,
                         using: str = "default") -> dict[tuple[int, int], dict[int, float]]:
    """Hourly means in [start, end) of many sensors at once (the dashboard's sparklines):
    (sensor, quantity) → {hour start: mean}, from one query on the rollups."""
    ids = sorted(set(sensor_ids))
    if not ids:
        return {}
    marks = ", ".join(["%s"] * len(ids))
    rows = _fetch(f"SELECT sensor_id, quantity_id, hour, total / count FROM "
                  f"{connections[using].ops.quote_name(HourlyRollup._meta.db_table)} "
                  f"WHERE sensor_id IN ({marks}) AND hour >= %s AND hour < %s",
                  [*ids, start, end], using)
    found: dict[tuple[int, int], dict[int, float]] = {}
    for sensor_id, quantity_id, hour, mean in rows:
        found.setdefault((int(sensor_id), int(quantity_id)), {})[int(hour)] = float(mean)
    return found


def daily_summary(sensor_id: int, quantity_id: int, start: int, end: int, *,
                  using: str = "default") -> tuple[np.ndarray, ...]:
    """Daily rollups in [start, end): (day starts, minimum, mean, maximum)."""
    rows = _fetch(f"SELECT day, minimum, total / count, maximum FROM "
                  f"{connections[using].ops.quote_name(DailyRollup._meta.db_table)} "
                  "WHERE sensor_id = %s AND quantity_id = %s AND day >= %s AND day < %s "
                  "ORDER BY day", [sensor_id, quantity_id, start, end], using)
    if not rows:
        empty = np.empty(0)
        return np.empty(0, dtype=np.int64), empty, empty, empty
    values = np.array(rows, dtype=np.float64)
    return (values[:, 0].astype(np.int64), values[:, 1], values[:, 2], values[:, 3])


def reading_count(sensor_id: int | None = None, *, using: str = "default") -> int:
    """Readings stored (for one sensor, from its rollups; all, from the hourly rollups)."""
    qn = connections[using].ops.quote_name
    where, params = ("WHERE sensor_id = %s", [sensor_id]) if sensor_id is not None else ("", [])
    rows = _fetch(f"SELECT COALESCE(SUM(count), 0) FROM {qn(HourlyRollup._meta.db_table)} "
                  f"{where}", params, using)
    return int(rows[0][0])
