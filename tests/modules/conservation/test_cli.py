"""``taihe conservation``: logger-file import, the MQTT command's argument checks, alert
evaluation, rollup rebuild and retention, through Django's call_command."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from taihe.modules.conservation import services, store
from taihe.modules.conservation.models import (
    Alert,
    DailyRollup,
    HourlyRollup,
    IngestBatch,
    Reading,
    Sensor,
)
from tests.factories import PersonFactory

LOGGERS = Path(__file__).resolve().parents[2] / "fixtures" / "conservation" / "loggers"
BOM = LOGGERS / "hoboware_bom.csv"  # 2 conductivity + 2 temperature readings, GMT+02:00
BAD = LOGGERS / "hoboware_bad_values.csv"
TINYTAG = LOGGERS / "tinytag_utf8.csv"  # 3 rows × 3 quantities, no time zone in the file


def epoch(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC).timestamp())


@pytest.fixture
def conservator(museum: dict[str, Any]) -> Any:
    return PersonFactory(username="conservator", department=museum["lab"],
                         roles=["conservator", "staff"])


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[dict[str, Any], list[str]]:
    """Run the command; the JSON of the last stdout line and the stderr lines."""
    call_command("conservation", *args)
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert len(lines) == 1, captured.out
    return json.loads(lines[0]), captured.err.splitlines()


def failing(capsys: pytest.CaptureFixture[str], *args: str
            ) -> tuple[CommandError, str, list[str]]:
    with pytest.raises(CommandError) as caught:
        call_command("conservation", *args)
    captured = capsys.readouterr()
    return caught.value, captured.out, captured.err.splitlines()


def stored(code: str) -> list[tuple[str, int, float]]:
    sensor = Sensor.objects.get(code=code)
    codes = {qid: store.quantity_by_id(qid).code for qid in store.quantity_ids().values()}
    return [(codes[r.quantity_id], r.time, r.value)
            for r in Reading.objects.filter(sensor_id=sensor.pk).order_by("quantity_id", "time")]


# --- import ---------------------------------------------------------------------------------


def test_import_stores_the_file_and_creates_the_sensor(
        conservator: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # given no sensor CASE-7
    assert not Sensor.objects.filter(code="CASE-7").exists()
    # when a HOBOware file is imported for it
    result, errors = run(capsys, "import", str(BOM), "--sensor", "CASE-7", "--as", "conservator")
    # then one JSON line counts the four readings, stderr is silent, the sensor exists
    assert result == {"stored": 4, "duplicates": 0, "rejected": 0}
    assert errors == []
    sensor = Sensor.objects.get(code="CASE-7")
    assert sensor.status == Sensor.Status.ACTIVE
    # and the readings are the file's, in UTC (13:00 at GMT+02:00 is 11:00 UTC)
    assert sorted(stored("CASE-7")) == [
        ("conductivity", epoch(2021, 6, 14, 11, 0), 412.5),
        ("conductivity", epoch(2021, 6, 14, 11, 10), 413.0),
        ("temperature", epoch(2021, 6, 14, 11, 0), 18.21),
        ("temperature", epoch(2021, 6, 14, 11, 10), 18.25),
    ]
    batch = IngestBatch.objects.get()
    assert (batch.source, batch.file_name, batch.file_format, batch.stored, batch.by_id) == (
        "file", "hoboware_bom.csv", "hoboware", 4, conservator.pk)


def test_importing_the_same_file_again_stores_only_duplicates(
        conservator: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # given a file imported once
    run(capsys, "import", str(BOM), "--sensor", "CASE-7", "--as", "conservator")
    before = stored("CASE-7")
    # when it is imported again
    result, errors = run(capsys, "import", str(BOM), "--sensor", "CASE-7", "--as", "conservator")
    # then every reading is a duplicate and nothing changed
    assert result == {"stored": 0, "duplicates": 4, "rejected": 0}
    assert errors == []
    assert stored("CASE-7") == before
    assert Sensor.objects.filter(code="CASE-7").count() == 1


def test_rejected_rows_are_counted_and_listed_on_stderr(
        conservator: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # given a HOBOware file with impossible values, an invalid date and an empty time
    # when it is imported
    result, errors = run(capsys, "import", str(BAD), "--sensor", "CASE-8", "--as", "conservator")
    # then the good readings are stored and each bad one is named by row and column
    assert result == {"stored": 8, "duplicates": 0, "rejected": 8}
    rejected = [line for line in errors if line.startswith("row ")]
    assert rejected == [
        "row 3, Temp, °C (LGR S/N: 777): 95 °C is outside the possible range -50 to 80 °C.",
        "row 3, RH, % (LGR S/N: 777): 105 % is outside the possible range 0 to 100 %.",
        "row 3, Light, lux (LGR S/N: 777): -3 lx is impossible: the value cannot be below 0.",
        "row 4, Temp, °C (LGR S/N: 777): The value is not a number (NaN).",
        "row 4, RH, % (LGR S/N: 777): -1 % is outside the possible range 0 to 100 %.",
        "row 6, Date Time, GMT+00:00: '13/45/25 10:15:00 AM' is not a valid time in this "
        "file's layout.",
        "row 7, Date Time, GMT+00:00: The time is empty.",
        "row 8, Temp, °C (LGR S/N: 777): 'abc' is not a number.",
    ]
    # and the parser's warnings are shown too, naming the file
    assert [line for line in errors if not line.startswith("row ")] == [
        f"{BAD}: Every date in the file could be day-first or month-first; read as MDY (the "
        "format's convention or the locale given).",
        f"{BAD}: 1 duplicate reading(s) (same sensor, quantity and time) were collapsed to the "
        "first; 0 of them had a different value.",
    ]


def test_at_most_fifty_rejected_rows_are_listed(
        conservator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # given a file of 60 rows whose temperature is not a number, and one good row
    header = '"#","Date Time, GMT+08:00","Temp, °C (LGR S/N: 5)"\n'
    bad = "".join(f"{n},01/10/25 10:{n:02d}:00 AM,warm\n" for n in range(1, 61))
    path = tmp_path / "warm.csv"
    path.write_text(header + bad + "61,01/10/25 11:01:00 AM,20.5\n", encoding="utf-8")
    # when it is imported
    result, errors = run(capsys, "import", str(path), "--sensor", "CASE-9", "--as",
                         "conservator", "--date-order", "MDY")
    # then all 60 are counted, 50 are listed, and one line says how many more
    assert result == {"stored": 1, "duplicates": 0, "rejected": 60}
    listed = [line for line in errors if line.startswith("row ")]
    assert listed[0] == "row 2, Temp, °C (LGR S/N: 5): 'warm' is not a number."
    assert listed[-1] == "row 51, Temp, °C (LGR S/N: 5): 'warm' is not a number."
    assert len(listed) == 50
    assert errors[-1] == "and 10 more"


def test_an_unreadable_file_exits_1_naming_it_and_still_prints_the_json(
        conservator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # given a missing file and a readable one, imported together
    missing = tmp_path / "missing.csv"
    # when both are imported
    error, out, errors = failing(capsys, "import", str(missing), str(BOM), "--sensor",
                                 "CASE-7", "--as", "conservator")
    # then the readable one is stored, the JSON line sums what was done, and the exit is 1
    assert json.loads(out) == {"stored": 4, "duplicates": 0, "rejected": 0}
    assert errors == [f"{missing}: cannot read the file: No such file or directory"]
    assert error.returncode == 1
    assert str(error) == f"1 file was not imported: {missing}"
    assert len(stored("CASE-7")) == 4


def test_a_file_that_is_no_logger_file_exits_1_with_the_parsers_reason(
        conservator: Any, capsys: pytest.CaptureFixture[str]) -> None:
    path = LOGGERS / "unknown_not_a_logger.csv"
    error, out, errors = failing(capsys, "import", str(path), "--sensor", "CASE-7", "--as",
                                 "conservator")
    assert json.loads(out) == {"stored": 0, "duplicates": 0, "rejected": 0}
    assert error.returncode == 1
    assert len(errors) == 1
    assert errors[0].startswith(f"{path}: unknown_not_a_logger.csv is not a data-logger file "
                                "this importer knows.")
    # and the sensor was not created for a file that held nothing
    assert not Sensor.objects.filter(code="CASE-7").exists()


def test_a_file_without_time_zone_needs_timezone(
        conservator: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # given a Tinytag file whose times state no zone
    error, _out, errors = failing(capsys, "import", str(TINYTAG), "--sensor", "GH-1", "--as",
                                 "conservator")
    assert error.returncode == 1
    assert errors == [f"{TINYTAG}: The file does not say which time zone its times are in "
                      "(row 6, column Time); give the time zone."]
    # when the zone is given
    result, errors = run(capsys, "import", str(TINYTAG), "--sensor", "GH-1", "--as",
                         "conservator", "--timezone", "Europe/London", "--format", "tinytag")
    # then the nine readings are stored at London time (GMT in January)
    assert result == {"stored": 9, "duplicates": 0, "rejected": 0}
    assert [entry for entry in stored("GH-1") if entry[0] == "temperature"] == [
        ("temperature", epoch(2020, 1, 6, 11, 26), 13.1),
        ("temperature", epoch(2020, 1, 6, 11, 41), 12.8),
        ("temperature", epoch(2020, 1, 6, 11, 56), 12.6),
    ]


def test_dry_run_stores_nothing(conservator: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # when a file is imported with --dry-run
    result, errors = run(capsys, "import", str(BOM), "--sensor", "CASE-7", "--as",
                         "conservator", "--dry-run")
    # then it counts what it would store, says so, and stores no reading, sensor or batch
    assert result == {"stored": 4, "duplicates": 0, "rejected": 0, "dry_run": True}
    assert errors == ['Dry run: nothing was stored; "stored" counts the valid readings, those '
                      "already stored included."]
    assert not Sensor.objects.filter(code="CASE-7").exists()
    assert Reading.objects.count() == 0
    assert IngestBatch.objects.count() == 0


def test_several_files_are_summed_and_rejections_grouped_by_file(
        conservator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # given the same logger's export twice (a copy under another name) and a bad file
    copy = tmp_path / "copy.csv"
    shutil.copy(BOM, copy)
    # when all three are imported in one command
    result, errors = run(capsys, "import", str(BOM), str(copy), str(BAD), "--sensor",
                         "CASE-7", "--as", "conservator")
    # then the totals are summed and the rejections follow a line naming their file
    assert result == {"stored": 12, "duplicates": 4, "rejected": 8}
    assert errors[errors.index(f"{BAD}:") + 1].startswith("row 3, Temp")


def test_the_progress_bar_is_drawn_only_on_a_terminal(
        conservator: Any, capsys: pytest.CaptureFixture[str]) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    # given stderr is a terminal
    terminal = Terminal()
    # when a file is imported
    call_command("conservation", "import", str(BOM), "--sensor", "CASE-7", "--as",
                 "conservator", stderr=terminal)
    # then a bar was redrawn in place on one line, ended by a newline
    text = terminal.getvalue()
    assert text.startswith("\r\x1b[2Khoboware_bom.csv: reading the file…\r\x1b[2K"
                           "hoboware_bom.csv ██████████████████████████████ 4/4 readings")
    assert text.endswith("/s\n")
    assert text.count("\n") == 1
    # and stdout holds only the JSON line
    assert json.loads(capsys.readouterr().out) == {"stored": 4, "duplicates": 0, "rejected": 0}


def test_a_person_without_the_permission_is_refused(
        member: Any, capsys: pytest.CaptureFixture[str]) -> None:
    error, out, _errors = failing(capsys, "import", str(BOM), "--sensor", "CASE-7", "--as",
                                  "member")
    assert error.returncode == 1
    assert str(error) == ("member may not import readings or create sensors: You do not have "
                          "permission to do this.")
    assert json.loads(out) == {"stored": 0, "duplicates": 0, "rejected": 0}
    assert Reading.objects.count() == 0


def test_the_first_administrator_imports_when_no_one_is_named(
        museum: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    # given no administrator account, the command asks who is importing
    error, _out, _errors = failing(capsys, "import", str(BOM), "--sensor", "CASE-7")
    assert error.returncode == 2
    assert "--as USERNAME" in str(error)
    # when there is one, it is the importer
    root: Any = PersonFactory(username="root", department=museum["root"])
    root.is_superuser = True
    root.save(update_fields=["is_superuser"])
    result, _errors = run(capsys, "import", str(BOM), "--sensor", "CASE-7")
    assert result == {"stored": 4, "duplicates": 0, "rejected": 0}
    assert IngestBatch.objects.get().by_id == root.pk


@pytest.mark.parametrize(("arguments", "message", "returncode"), [
    (["--sensor", "no spaces"], "--sensor 'no spaces' is not a sensor code", 2),
    (["--sensor", "CASE-7", "--timezone", "Mars/Olympus"], "Unknown time zone 'Mars/Olympus'",
     2),
    (["--sensor", "CASE-7", "--as", "nobody"], "No active person has the username 'nobody'",
     2),
    (["--sensor", "CASE-7", "--format", "excel"], "argument --format: invalid choice: 'excel'",
     1),
    (["--sensor", "CASE-7", "--date-order", "DDMMYY"], "argument --date-order: invalid choice",
     1),
])
def test_usage_errors_are_named_and_nothing_is_stored(
        conservator: Any, capsys: pytest.CaptureFixture[str], arguments: list[str],
        message: str, returncode: int) -> None:
    # (argparse's own errors exit 2 from the command line; call_command raises them as 1)
    error, out, _errors = failing(capsys, "import", str(BOM), *arguments)
    assert message in str(error)
    assert error.returncode == returncode
    assert out == ""
    assert Reading.objects.count() == 0


def test_format_help_lists_every_known_format(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        call_command("conservation", "import", "--help")
    text = " ".join(capsys.readouterr().out.split())
    for name in ("auto", "generic", "hanwell", "hoboconnect", "hoboware", "lascar", "meaco",
                 "rotronic", "tandd", "tinytag"):
        assert name in text
    assert "hoboware (HOBOware CSV)" in text


# --- mqtt: argument checks (the subscription itself is in test_resilience.py) --------------


def test_mqtt_needs_a_broker_url(db: Any, settings: Any,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    settings.TAIHE_MQTT_URL = None
    error, _out, _errors = failing(capsys, "mqtt")
    assert error.returncode == 2
    assert str(error) == ("No MQTT broker to subscribe to: give --url mqtt://host:1883/ or set "
                          "TAIHE_MQTT_URL.")


@pytest.mark.parametrize(("arguments", "message"), [
    (["--url", "http://broker"], "MQTT broker URL must start with mqtt:// or mqtts://"),
    (["--url", "mqtt://broker", "--site", "a/b"], "site"),
])
def test_mqtt_refuses_a_bad_url_or_site(db: Any, capsys: pytest.CaptureFixture[str],
                                        arguments: list[str], message: str) -> None:
    error, _out, _errors = failing(capsys, "mqtt", *arguments)
    assert error.returncode == 2
    assert message in str(error)


@pytest.mark.slow
@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT])
def test_mqtt_stops_cleanly_on_a_signal(tmp_path: Path, signal_number: int) -> None:
    # given the command running as its own process, retrying a broker that is not there
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {key: value for key, value in os.environ.items() if not key.startswith("TAIHE_")}
    env.update({"TAIHE_DATA_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1",
                "DJANGO_SETTINGS_MODULE": "taihe.config.settings"})
    log = tmp_path / "stderr.txt"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "taihe.config.cli", "conservation", "mqtt", "--url",
             f"mqtt://127.0.0.1:{port}/"], env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            deadline = time.monotonic() + 60
            while "MQTT: disconnected" not in log.read_text():
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
            # when it is sent SIGTERM or SIGINT (Ctrl+C)
            process.send_signal(signal_number)
            returncode = process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    # then it says so, reports itself stopped and exits 0, without a traceback
    text = log.read_text()
    assert returncode == 0, text
    assert "Stopping (press Ctrl+C again to stop at once)…" in text
    assert text.rstrip().endswith("MQTT: stopped")
    assert "Traceback" not in text


# --- evaluate, rollups, retention ----------------------------------------------------------


def test_evaluate_opens_alerts_for_readings_already_stored(
        conservator: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # given readings stored (evaluation after commit does not run under the rolled-back
    # test transaction) and then a rule they breach: temperature above 18 °C
    run(capsys, "import", str(BOM), "--sensor", "CASE-7", "--as", "conservator")
    sensor = Sensor.objects.get(code="CASE-7")
    services.do_save_alert_rule(conservator, None, services.AlertRuleData(
        name="Too warm", kind="band", parameters={"quantity": "temperature", "high": 18.0},
        sensor_id=sensor.pk))
    # when alerts are evaluated now
    result, _errors = run(capsys, "evaluate")
    # then the breach that is still going on at the last reading opens one alert
    assert result == {"sensors": 1, "opened": 1}
    alert = Alert.objects.get()
    assert (alert.sensor_id, alert.status) == (sensor.pk, Alert.Status.OPEN)
    # and evaluating again finds nothing new
    assert run(capsys, "evaluate")[0] == {"sensors": 1, "opened": 0}
    assert Alert.objects.count() == 1


def test_rollups_rebuild_restores_the_summaries(
        conservator: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # given stored readings whose summaries were lost
    run(capsys, "import", str(BOM), str(BAD), "--sensor", "CASE-7", "--as", "conservator")
    hourly = list(HourlyRollup.objects.values_list(
        "sensor_id", "quantity_id", "hour", "minimum", "maximum", "total", "count"))
    daily = list(DailyRollup.objects.values_list(
        "sensor_id", "quantity_id", "day", "minimum", "maximum", "total", "count"))
    HourlyRollup.objects.all().delete()
    DailyRollup.objects.all().delete()
    # when they are rebuilt
    result, _errors = run(capsys, "rollups", "--rebuild")
    # then they equal what the writes had kept
    assert result == {"readings": 12, "hourly": len(hourly), "daily": len(daily)}
    assert list(HourlyRollup.objects.values_list(
        "sensor_id", "quantity_id", "hour", "minimum", "maximum", "total", "count")) == hourly
    assert list(DailyRollup.objects.values_list(
        "sensor_id", "quantity_id", "day", "minimum", "maximum", "total", "count")) == daily


def test_rollups_needs_rebuild(db: Any, capsys: pytest.CaptureFixture[str]) -> None:
    error, _out, _errors = failing(capsys, "rollups")
    assert "--rebuild" in str(error)


def test_retention_deletes_raw_readings_older_than_the_days_given(
        conservator: Any, capsys: pytest.CaptureFixture[str], settings: Any) -> None:
    # given readings of January 2020 (Tinytag, 9) and June 2021 (HOBOware, 4)
    run(capsys, "import", str(TINYTAG), "--sensor", "GH-1", "--timezone", "UTC", "--as",
        "conservator")
    run(capsys, "import", str(BOM), "--sensor", "CASE-7", "--as", "conservator")
    hourly_before = HourlyRollup.objects.count()
    # when retention keeps the days since 1 January 2021
    days = (dt.datetime.now(dt.UTC).date() - dt.date(2021, 1, 1)).days
    result, _errors = run(capsys, "retention", "--days", str(days))
    # then the 2020 readings are gone, the 2021 ones and every summary stay
    assert result == {"deleted": 9, "days": days}
    assert stored("GH-1") == []
    assert len(stored("CASE-7")) == 4
    assert HourlyRollup.objects.count() == hourly_before
    # and with retention off (the default) nothing is deleted
    settings.TAIHE_READINGS_RETENTION_DAYS = 0
    result, errors = run(capsys, "retention")
    assert result == {"deleted": 0, "days": 0}
    assert errors[0].startswith("Retention is off")
    assert len(stored("CASE-7")) == 4


def test_retention_days_must_be_positive(db: Any, capsys: pytest.CaptureFixture[str]) -> None:
    error, _out, _errors = failing(capsys, "retention", "--days", "0")
    assert "give a whole number of days, 1 or more" in str(error)
