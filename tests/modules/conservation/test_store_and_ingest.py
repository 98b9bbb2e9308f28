"""The readings store and the ingest path: idempotence, late data, rollups, calibration,
rejections, downsampling."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taihe.kernel.errors import PermissionDenied, ValidationFailed
from taihe.modules.catalog import services as catalog_services
from taihe.modules.conservation import services, store
from taihe.modules.conservation.models import (
    DailyRollup,
    HourlyRollup,
    IngestBatch,
    Quantity,
    Reading,
    Sensor,
    SensorPlacement,
)
from tests.factories import PersonFactory

START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
EPOCH = int(START.timestamp())


@pytest.fixture
def conservator(museum: dict[str, Any]) -> Any:
    return PersonFactory(username="keeper", department=museum["lab"],
                         roles=["conservator", "registrar", "staff"])


@pytest.fixture
def places(conservator: Any) -> dict[str, Any]:
    site = catalog_services.do_save_location(conservator, catalog_services.LocationInput(
        code="S", name={"en": "Site"}, kind="site"))
    gallery = catalog_services.do_save_location(conservator, catalog_services.LocationInput(
        code="S-G1", name={"en": "Gallery 1"}, kind="gallery", parent_id=site.pk))
    case = catalog_services.do_save_location(conservator, catalog_services.LocationInput(
        code="S-G1-C1", name={"en": "Case 1"}, kind="case", parent_id=gallery.pk))
    return {"site": site, "gallery": gallery, "case": case}


@pytest.fixture
def sensor(conservator: Any, places: dict[str, Any]) -> Sensor:
    return services.do_create_sensor(conservator, services.SensorData(
        code="G1-01", quantities=["temperature", "relative_humidity"],
        location_id=places["gallery"].pk))


def _incoming(code: str, quantity: str, minutes: list[int], values: list[float]
              ) -> list[services.Incoming]:
    return [services.Incoming(code, quantity, START + dt.timedelta(minutes=m), v, row)
            for row, (m, v) in enumerate(zip(minutes, values, strict=True), start=2)]


def test_the_same_reading_twice_is_stored_once_and_late_data_lands_in_place(
        sensor: Sensor) -> None:
    # given readings at 0, 10, 20 minutes
    first = services.ingest(_incoming("G1-01", "temperature", [0, 10, 20], [20.0, 21.0, 22.0]),
                            source="http")
    # when the same batch arrives again with one late reading at 5 minutes
    second = services.ingest(
        _incoming("G1-01", "temperature", [0, 10, 20, 5], [20.0, 21.0, 22.0, 20.5]),
        source="http")
    # then only the late reading is new, and the hour's rollup counts four readings
    assert (first.stored, first.duplicates) == (3, 0)
    assert (second.stored, second.duplicates) == (1, 3)
    assert list(Reading.objects.filter(sensor_id=sensor.pk).values_list("time", "value")) == [
        (EPOCH, 20.0), (EPOCH + 300, 20.5), (EPOCH + 600, 21.0), (EPOCH + 1200, 22.0)]
    hour = HourlyRollup.objects.get(sensor_id=sensor.pk)
    assert (hour.hour, hour.minimum, hour.maximum, hour.count) == (EPOCH, 20.0, 22.0, 4)
    assert hour.total == pytest.approx(83.5)


def test_daily_rollups_follow_the_museum_day(sensor: Sensor) -> None:
    # given readings either side of local midnight (Asia/Shanghai, UTC+8): 15:30 and 16:30 UTC
    services.ingest(_incoming("G1-01", "temperature", [15 * 60 + 30, 16 * 60 + 30],
                              [18.0, 24.0]), source="http")
    # then they fall on two different local days
    days = list(DailyRollup.objects.filter(sensor_id=sensor.pk).order_by("day")
                .values_list("day", "minimum", "maximum", "count"))
    local_midnight = EPOCH + 16 * 3600  # 2026-03-02 00:00 +08:00
    assert days == [(local_midnight - 86400, 18.0, 18.0, 1), (local_midnight, 24.0, 24.0, 1)]


def test_impossible_values_and_unknown_sensors_are_rejected_with_their_row(sensor: Sensor
                                                                          ) -> None:
    incoming = [
        services.Incoming("G1-01", "relative_humidity", START, 45.0, 2),
        services.Incoming("G1-01", "relative_humidity", START + dt.timedelta(minutes=5),
                          104.0, 3),
        services.Incoming("NOPE", "temperature", START, 20.0, 4),
        services.Incoming("G1-01", "temperature", dt.datetime(1980, 1, 1, tzinfo=dt.UTC),
                          20.0, 5),
    ]
    outcome = services.ingest(incoming, source="http")
    assert outcome.stored == 1
    assert [(row, name) for row, name, _reason in outcome.rejected] == [
        (3, "relative_humidity"), (4, "sensor"), (5, "time")]
    assert "104.0 % is not a possible relative_humidity reading." in outcome.rejected[0][2]
    batch = IngestBatch.objects.get(pk=outcome.batch_id)
    assert (batch.stored, batch.rejected, batch.rejected_rows[1][0]) == (1, 3, 4)


def test_a_dry_run_stores_nothing(sensor: Sensor) -> None:
    outcome = services.ingest(_incoming("G1-01", "temperature", [0, 5], [20.0, 20.1]),
                              source="file", dry_run=True)
    assert (outcome.stored, outcome.dry_run, len(outcome.preview)) == (2, True, 2)
    assert not Reading.objects.exists()
    assert not IngestBatch.objects.exists()


def test_calibration_corrects_stored_and_future_readings_from_its_date(
        conservator: Any, sensor: Sensor) -> None:
    # given readings on either side of a calibration date
    services.ingest(_incoming("G1-01", "temperature", [0, 60, 120], [20.0, 20.0, 20.0]),
                    source="http")
    # when a +0.4 K offset is recorded from minute 60, then a second one (+0.1) from 120
    services.do_record_calibration(conservator, sensor.pk, quantity="temperature",
                                   effective_from=START + dt.timedelta(minutes=60), offset=0.4)
    services.do_record_calibration(conservator, sensor.pk, quantity="temperature",
                                   effective_from=START + dt.timedelta(minutes=120), offset=0.1)
    services.ingest(_incoming("G1-01", "temperature", [180], [20.0]), source="http")
    # then each reading carries the offset in force at its time
    values = list(Reading.objects.filter(sensor_id=sensor.pk).values_list("value", flat=True))
    assert values == pytest.approx([20.0, 20.4, 20.1, 20.1])
    maxima = list(HourlyRollup.objects.filter(sensor_id=sensor.pk).values_list("maximum",
                                                                                flat=True))
    assert maxima == pytest.approx([20.0, 20.4, 20.1, 20.1])


def test_a_calibration_needs_the_permission(member: Any, sensor: Sensor) -> None:
    with pytest.raises(PermissionDenied):
        services.do_record_calibration(member, sensor.pk, quantity="temperature",
                                       effective_from=START, offset=0.4)


def test_moving_a_sensor_keeps_its_history(conservator: Any, sensor: Sensor,
                                           places: dict[str, Any]) -> None:
    services.do_move_sensor(conservator, sensor.pk, places["case"].pk, note="into the case")
    history = list(SensorPlacement.objects.filter(sensor=sensor).order_by("placed_at")
                   .values_list("location_id", "removed_at", "note"))
    assert [entry[0] for entry in history] == [places["gallery"].pk, places["case"].pk]
    assert history[0][1] is not None and history[1][1] is None
    assert Sensor.objects.get(pk=sensor.pk).location_id == places["case"].pk


def test_sensor_codes_are_checked(conservator: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.do_create_sensor(conservator, services.SensorData(
            code="bad code/with slash", quantities=["temperature", "lightness"],
            logging_interval_seconds=0))
    assert set(caught.value.fields) == {"code", "quantities", "logging_interval_seconds"}
    assert not Sensor.objects.exists()


def test_series_downsamples_on_the_server(sensor: Sensor) -> None:
    # given 30 days of 5-minute readings (8,640)
    minutes = list(range(0, 30 * 24 * 60, 5))
    services.ingest(_incoming("G1-01", "temperature", minutes,
                              [20.0 + (m // 60) % 24 * 0.1 for m in minutes]), source="http")
    quantity = store.quantity_ids()["temperature"]
    end = EPOCH + 30 * 86400
    # when charting a day, a month and (a month at) few points
    day = store.series(sensor.pk, quantity, EPOCH, EPOCH + 86400, points=1000)
    month = store.series(sensor.pk, quantity, EPOCH, end, points=1000)
    coarse = store.series(sensor.pk, quantity, EPOCH, end, points=20)
    # then a day is raw, a month comes from hourly rollups, and 20 points from daily ones
    assert (day.resolution, day.size) == ("raw", 288)
    assert (month.resolution, month.bucket_seconds, month.size) == ("hour", 3600, 720)
    assert month.minimum[5] == pytest.approx(20.5) and month.maximum[5] == pytest.approx(20.5)
    assert coarse.resolution == "day" and coarse.size <= 21
    assert float(coarse.maximum.max()) == pytest.approx(22.3)


def test_retention_removes_old_raw_readings_but_keeps_rollups(sensor: Sensor) -> None:
    services.ingest(_incoming("G1-01", "temperature", [0, 5], [20.0, 21.0]), source="http")
    removed = store.apply_retention(10, now=START + dt.timedelta(days=11))
    assert removed == 2
    assert not Reading.objects.exists()
    assert HourlyRollup.objects.get(sensor_id=sensor.pk).count == 2


def test_rebuilding_rollups_gives_the_same_rows(sensor: Sensor) -> None:
    services.ingest(_incoming("G1-01", "temperature", list(range(0, 600, 5)),
                              [float(m % 7) for m in range(0, 600, 5)]), source="http")
    before = list(HourlyRollup.objects.values_list("hour", "minimum", "maximum", "total",
                                                   "count"))
    days_before = list(DailyRollup.objects.values_list("day", "count"))
    store.rebuild_rollups()
    assert list(HourlyRollup.objects.values_list("hour", "minimum", "maximum", "total",
                                                 "count")) == before
    assert list(DailyRollup.objects.values_list("day", "count")) == days_before


def test_an_importer_cannot_write_to_a_sensor_in_a_store_they_may_not_know(
        conservator: Any, places: dict[str, Any], museum: dict[str, Any]) -> None:
    # given a sensor in a restricted store, and an importer without store knowledge
    from taihe.modules.directory.models import Role, RoleAssignment

    vault = catalog_services.do_save_location(conservator, catalog_services.LocationInput(
        code="S-VAULT", name={"en": "Vault"}, kind="store", parent_id=places["site"].pk,
        is_restricted=True))
    services.do_create_sensor(conservator, services.SensorData(code="VAULT-1",
                                                               location_id=vault.pk))
    role = Role.objects.create(code="logger-clerk", name_zh="记录员", name_en="Logger clerk",
                               operations=["conservation.monitoring.view",
                                           "conservation.reading.import",
                                           "catalog.object.view"])
    clerk = PersonFactory(username="clerk", department=museum["lab"], roles=["staff"])
    RoleAssignment.objects.create(person=clerk, role=role)
    # when their file names that sensor (even asking to create sensors)
    outcome = services.ingest(_incoming("VAULT-1", "temperature", [0], [20.0]), source="file",
                              actor=clerk, create_sensors=True)
    # then the reading is refused exactly as for a code nobody has
    assert outcome.stored == 0
    assert outcome.rejected == [(2, "sensor", "No sensor has the code VAULT-1.")]
    assert not Reading.objects.exists()


def test_a_calibration_over_readings_retention_removed_shifts_their_summaries(
        conservator: Any, sensor: Sensor) -> None:
    # given two days of hourly readings at 20.0, the first day's raw readings removed
    services.ingest(_incoming("G1-01", "temperature", list(range(0, 48 * 60, 60)),
                              [20.0] * 48), source="http")
    store.apply_retention(10, now=START + dt.timedelta(days=11))  # removes the first day
    assert Reading.objects.count() == 24
    # when an offset of +1 K is recorded from the start
    services.do_record_calibration(conservator, sensor.pk, quantity="temperature",
                                   effective_from=START, offset=1.0)
    # then every hourly and daily summary moved by one kelvin, kept or recomputed
    hours = list(HourlyRollup.objects.filter(sensor_id=sensor.pk).values_list(
        "minimum", "maximum", "total", "count"))
    assert len(hours) == 48 and set(hours) == {(21.0, 21.0, 21.0, 1)}
    days = list(DailyRollup.objects.filter(sensor_id=sensor.pk).values_list("total", "count"))
    assert sum(count for _total, count in days) == 48
    assert sum(total for total, _count in days) == pytest.approx(48 * 21.0)


FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "conservation" / "loggers"
FIXTURE_NAMES = sorted(path.name for path in FIXTURES.iterdir())


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.sampled_from(FIXTURE_NAMES), st.integers(0, 100_000),
       st.binary(min_size=1, max_size=12))
def test_fuzzed_logger_files_are_refused_whole_or_stored_sane(
        conservator: Any, name: str, position: int, junk: bytes) -> None:
    # given a logger file with some bytes overwritten
    data = bytearray((FIXTURES / name).read_bytes())
    position %= len(data)
    data[position:position + len(junk)] = junk
    before = Reading.objects.count()
    # when it is imported into a sensor
    refusal: dict[str, Any] | None = None
    try:
        outcome = services.do_import_file(conservator, bytes(data), name, sensor_code="FUZZ-1",
                                          time_zone="UTC", create_sensor=True)
    except ValidationFailed as refused:
        refusal = dict(refused.fields)
    if refusal is not None:
        # then either it is refused with a reason, and nothing was stored
        assert refusal.get("file") or refusal.get("sensor")
        assert Reading.objects.count() == before
        return
    # or what was stored is counted exactly and every value is physically possible
    assert Reading.objects.count() - before == outcome.stored
    limits = {q.pk: q for q in Quantity.objects.all()}
    for quantity_id, value in Reading.objects.values_list("quantity_id", "value"):
        assert limits[quantity_id].possible(value)
    for row, field_name, reason in outcome.rejected:
        assert row >= 0 and field_name and reason


def test_a_sensor_in_a_place_taken_out_of_use_is_still_seen(
        conservator: Any, sensor: Sensor, places: dict[str, Any]) -> None:
    # given the gallery the sensor hangs in is marked no longer in use
    from taihe.modules.catalog.models import Location
    from taihe.modules.conservation import selectors

    Location.objects.filter(pk=places["gallery"].pk).update(is_active=False)
    # then the conservator still sees the sensor (only restricted stores hide sensors)
    assert list(selectors.sensors_for(conservator).values_list("code", flat=True)) == ["G1-01"]
