"""Readings survive the failures an installation meets: an importer killed part-way through a
large logger file, and an MQTT broker restarted while sensors publish.

1. ``taihe conservation import`` runs as its own process against a file-based SQLite database
   and is killed (SIGKILL: no cleanup of any kind) once some batches are stored. Running it
   again must leave exactly what one clean import leaves: every reading once, the same values,
   the same rollups.
2. The ``taihe conservation mqtt`` command subscribes to a private Mosquitto with the real
   handler (``services.do_receive_mqtt``) while 300 QoS 1 messages are published and the
   broker is restarted mid-stream: every reading must be stored, and stored once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from taihe.modules.conservation import store
from taihe.modules.conservation.live import build_topic
from taihe.modules.conservation.management.commands import conservation
from taihe.modules.conservation.models import IngestBatch, Reading, Sensor
from tests.conftest import service_missing
from tests.modules.conservation.test_mqtt import MOSQUITTO, Broker, Publisher

WAIT = 60.0  # seconds any one step may take before the test fails

# --- 1. an importer killed part-way -------------------------------------------------------

ROWS = 60_000
SENSOR = "BIG-1"
# 2024-01-01 00:00 at GMT+08:00, the file's zone.
FIRST = int(dt.datetime(2023, 12, 31, 16, 0, tzinfo=dt.UTC).timestamp())
STEP = 300  # a five-minute logging interval, the commonest museum setting


def temperature(row: int) -> str:
    return f"{20 + (row % 100) / 10:.1f}"


def humidity(row: int) -> str:
    return f"{45 + (row % 37) / 2:.1f}"


def write_logger_file(path: Path) -> None:
    """A HOBOware export of ``ROWS`` rows: temperature and RH every five minutes."""
    start = dt.datetime(2024, 1, 1)
    lines = ['"#","Date Time, GMT+08:00","Temp, °C (LGR S/N: 20250001)",'
             '"RH, % (LGR S/N: 20250001)"']
    for row in range(ROWS):
        moment = start + dt.timedelta(seconds=STEP * row)
        lines.append(f"{row + 1},{moment:%m/%d/%y %I:%M:%S %p},{temperature(row)},"
                     f"{humidity(row)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def expected_checksum() -> tuple[int, str]:
    """Count and checksum of the readings the file holds, computed from the generator."""
    rows = sorted([("relative_humidity", FIRST + STEP * row, float(humidity(row)))
                   for row in range(ROWS)]
                  + [("temperature", FIRST + STEP * row, float(temperature(row)))
                     for row in range(ROWS)])
    return len(rows), _digest(rows)


def _digest(rows: list[tuple[Any, ...]]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr(row).encode())
    return digest.hexdigest()


def _rows(database: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database) as connection:
        return list(connection.execute(sql))


def readings_checksum(database: Path) -> tuple[int, str]:
    rows = _rows(database, "SELECT q.code, r.time, r.value FROM conservation_reading r "
                           "JOIN conservation_quantity q ON q.id = r.quantity_id "
                           "JOIN conservation_sensor s ON s.id = r.sensor_id "
                           f"WHERE s.code = '{SENSOR}' ORDER BY q.code, r.time")
    return len(rows), _digest(rows)


def rollups(database: Path, table: str, bucket: str) -> list[tuple[Any, ...]]:
    return _rows(database, f"SELECT s.code, q.code, t.{bucket}, t.minimum, t.maximum, t.total, "
                           f"t.count FROM {table} t "
                           "JOIN conservation_quantity q ON q.id = t.quantity_id "
                           "JOIN conservation_sensor s ON s.id = t.sensor_id "
                           f"ORDER BY s.code, q.code, t.{bucket}")


def reading_count(connection: sqlite3.Connection) -> int:
    (count,) = connection.execute("SELECT COUNT(*) FROM conservation_reading").fetchone()
    return int(count)


class Installation:
    """An embedded-profile Taihe in its own data directory, driven by the ``taihe`` CLI."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.database = data_dir / "taihe.sqlite3"
        self.env = {key: value for key, value in os.environ.items()
                    if not key.startswith("TAIHE_")}
        self.env.update({"TAIHE_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1",
                         "DJANGO_SETTINGS_MODULE": "taihe.config.settings",
                         "TAIHE_ADMIN_PASSWORD": "Resilience-test-2026!"})

    def setup(self) -> None:
        """Migrate and create an administrator, in one process to spare a start-up."""
        self.data_dir.mkdir()
        script = ("import django; django.setup(); "
                  "from django.core.management import call_command; "
                  "call_command('migrate', verbosity=0); "
                  "call_command('createadmin', username='ops', name='Ops')")
        done = subprocess.run([sys.executable, "-c", script], env=self.env,
                              capture_output=True, text=True, timeout=WAIT * 5, check=False)
        assert done.returncode == 0, done.stderr

    def command(self, *args: str) -> list[str]:
        # The system checks are the same on every run; skipping them saves a second a start.
        return [sys.executable, "-m", "taihe.config.cli", "conservation", "--skip-checks",
                *args]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(*args), env=self.env, capture_output=True,
                              text=True, timeout=WAIT, check=False)

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(self.command(*args), env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def copy_to(self, data_dir: Path) -> Installation:
        """A second installation with this one's database as it is now (migrated, admin)."""
        data_dir.mkdir()
        with sqlite3.connect(self.database) as source, \
                sqlite3.connect(data_dir / "taihe.sqlite3") as target:
            source.backup(target)
        return Installation(data_dir)


def _json(result: str) -> dict[str, Any]:
    lines = result.strip().splitlines()
    assert len(lines) == 1, result
    parsed: dict[str, Any] = json.loads(lines[0])
    return parsed


@pytest.mark.slow
def test_an_import_killed_part_way_and_run_again_equals_one_clean_import(tmp_path: Path) -> None:
    # given a migrated installation with an administrator, an identical fresh copy of it, and
    # a logger file of 60,000 rows (120,000 readings, 24 store batches)
    interrupted = Installation(tmp_path / "interrupted")
    interrupted.setup()
    clean = interrupted.copy_to(tmp_path / "clean")
    big = tmp_path / "BIG.csv"
    write_logger_file(big)
    total, expected = expected_checksum()
    assert total == 2 * ROWS
    # (the clean import into the copy runs meanwhile, in its own process)
    clean_import = clean.start("import", str(big), "--sensor", SENSOR)

    # when the import is killed with SIGKILL once some batches are stored
    importer = interrupted.start("import", str(big), "--sensor", SENSOR)
    watcher = sqlite3.connect(interrupted.database, timeout=WAIT, isolation_level=None)
    try:
        deadline = time.monotonic() + WAIT
        # The watcher reads (WAL: never blocked by the writer) as fast as it can; the moment a
        # batch is visible the importer is frozen with SIGSTOP, wherever it is (between batches
        # or inside the next one's transaction), and then killed: part-way through the file.
        while True:
            stored_when_killed = reading_count(watcher)
            if stored_when_killed:
                importer.send_signal(signal.SIGSTOP)
                stored_when_killed = reading_count(watcher)
                break
            assert importer.poll() is None, importer.communicate()
            assert time.monotonic() < deadline, "the importer stored nothing in time"
        importer.send_signal(signal.SIGKILL)
        importer.wait(timeout=WAIT)
    finally:
        watcher.close()
        if importer.poll() is None:
            importer.kill()
    assert importer.returncode == -signal.SIGKILL
    assert 0 < stored_when_killed < total
    assert readings_checksum(interrupted.database)[0] == stored_when_killed
    # and it is run again to completion
    rerun = interrupted.run("import", str(big), "--sensor", SENSOR)

    # then the re-run stored exactly what the killed run had not, and skipped the rest
    assert rerun.returncode == 0, rerun.stderr
    assert _json(rerun.stdout) == {"stored": total - stored_when_killed,
                                   "duplicates": stored_when_killed, "rejected": 0}
    out, err = clean_import.communicate(timeout=WAIT)
    assert clean_import.returncode == 0, err
    assert _json(out) == {"stored": total, "duplicates": 0, "rejected": 0}
    # and both databases hold every reading of the file once, with the file's values
    assert readings_checksum(interrupted.database) == (total, expected)
    assert readings_checksum(clean.database) == (total, expected)
    # and the hourly and daily rollups are the same, row for row
    for table, bucket in (("conservation_hourlyrollup", "hour"),
                          ("conservation_dailyrollup", "day")):
        after_kill = rollups(interrupted.database, table, bucket)
        assert after_kill == rollups(clean.database, table, bucket)
        assert sum(row[-1] for row in after_kill) == total
    # and the sensor (created by the killed run) has the same latest values and one
    # recorded batch: the killed run never finished, so it recorded none
    sensor_sql = ("SELECT code, quantities, last_values, last_reading_at FROM "
                  "conservation_sensor ORDER BY code")
    assert _rows(interrupted.database, sensor_sql) == _rows(clean.database, sensor_sql)
    batch_sql = "SELECT stored, duplicates, rejected FROM conservation_ingestbatch"
    assert _rows(interrupted.database, batch_sql) == [
        (total - stored_when_killed, stored_when_killed, 0)]
    assert _rows(clean.database, batch_sql) == [(total, 0, 0)]


# --- 2. a broker restart during a publish stream ------------------------------------------

MESSAGES = 300
SITE = "main"
LIVE_SENSOR = "GAL1-CASE3"


class StateLines(io.TextIOBase):
    """The command's stderr: connection-state lines a test can wait for."""

    def __init__(self) -> None:
        self.text = ""
        self._changed = threading.Condition()

    def write(self, text: str) -> int:
        with self._changed:
            self.text += text
            self._changed.notify_all()
        return len(text)

    def count(self, fragment: str) -> int:
        with self._changed:
            return self.text.count(fragment)

    def wait_for_count(self, fragment: str, count: int) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.text.count(fragment) >= count,
                                          timeout=WAIT)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    if not os.access(MOSQUITTO, os.X_OK):
        found = shutil.which("mosquitto")
        service_missing("Mosquitto", f"{MOSQUITTO} not found (PATH has {found or 'none'}); "
                        "install Debian's package: apt-get install mosquitto")
    server = Broker(tmp_path)
    server.start()
    yield server
    server.stop()


class RunningCommand:
    """``taihe conservation mqtt`` on a thread, stopped as SIGTERM would stop it."""

    def __init__(self, url: str) -> None:
        self.command = conservation.Command()
        self.states = StateLines()
        self.failure: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, args=(url,), daemon=True)
        self.thread.start()

    def _run(self, url: str) -> None:
        try:
            call_command(self.command, "mqtt", "--url", url, "--site", SITE,
                         stderr=self.states)
        except BaseException as error:
            self.failure.append(error)

    def stop(self) -> None:
        self.command.stop_event.set()
        self.thread.join(timeout=WAIT)


def payload(sequence: int, start: dt.datetime) -> bytes:
    moment = (start + dt.timedelta(minutes=sequence)).isoformat().replace("+00:00", "Z")
    return json.dumps({"readings": [{"time": moment, "temperature": value(sequence)}]}).encode()


def value(sequence: int) -> float:
    return 20 + sequence / 1000


def stored_readings(sensor: Sensor) -> list[tuple[int, float]]:
    quantity = store.quantity_ids()["temperature"]
    return list(Reading.objects.filter(sensor_id=sensor.pk, quantity_id=quantity)
                .order_by("time").values_list("time", "value"))


@pytest.mark.slow
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_broker_restart_during_a_publish_stream_stores_every_reading_once(
        broker: Broker) -> None:
    # given a sensor and the mqtt command subscribed to the site's topics (the sensor is
    # written directly: the audited service would leave append-only audit rows behind, which
    # the transactional test's flush cannot delete)
    sensor = Sensor.objects.create(code=LIVE_SENSOR, quantities=["temperature"],
                                   logging_interval_seconds=60)
    start = (timezone.now() - dt.timedelta(days=1)).replace(second=0, microsecond=0)
    running = RunningCommand(broker.url)
    try:
        assert running.states.wait_for_count("MQTT: connected", 1), running.states.text
        # and a sensor publishing 300 readings with QoS 1, which pauses after 150 until the
        # broker has gone down, so that the stream spans the restart
        halfway, broker_down = threading.Event(), threading.Event()
        failures: list[BaseException] = []
        publisher = Publisher(broker.port, "resilience-sensor")
        topic = build_topic(SITE, LIVE_SENSOR)

        def publish_all() -> None:
            try:
                for sequence in range(MESSAGES):
                    if sequence == MESSAGES // 2:
                        halfway.set()
                        broker_down.wait(timeout=WAIT)
                    publisher.publish(topic, payload(sequence, start))
            except BaseException as error:
                failures.append(error)

        stream = threading.Thread(target=publish_all, daemon=True)
        stream.start()
        # when the broker is stopped mid-stream (SIGTERM; it saves its sessions and queued
        # messages) and started again on the same port and persistence file
        assert halfway.wait(timeout=WAIT)
        broker.stop()
        broker_down.set()
        broker.start()
        stream.join(timeout=WAIT)
        assert not stream.is_alive()
        assert failures == []
        publisher.close()
        # then the subscriber reconnects by itself and every reading arrives
        deadline = time.monotonic() + WAIT
        while len(stored_readings(sensor)) < MESSAGES and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        running.stop()
    assert not running.thread.is_alive()
    assert running.failure == []
    # and each reading is stored exactly once, with its own time and value
    assert stored_readings(sensor) == [
        (int((start + dt.timedelta(minutes=n)).timestamp()), value(n)) for n in range(MESSAGES)]
    # and the MQTT batches stored 300 in all: a redelivered message counted as a duplicate
    mqtt_batches = IngestBatch.objects.filter(source=IngestBatch.Source.MQTT)
    assert mqtt_batches.aggregate(stored=Sum("stored"))["stored"] == MESSAGES
    assert not mqtt_batches.filter(rejected__gt=0).exists()
    # and the command saw the outage, came back, and stopped cleanly
    text = running.states.text
    assert running.states.count("MQTT: connected") >= 2, text
    assert "MQTT: disconnected" in text
    assert text.rstrip().endswith("MQTT: stopped")
    sensor.refresh_from_db()
    assert sensor.last_values["temperature"] == [
        int((start + dt.timedelta(minutes=MESSAGES - 1)).timestamp()), value(MESSAGES - 1)]
