"""Data-logger file parsing: every vendor format and quirk from research/heritage.md §4.2–4.3.

Fixtures in tests/fixtures/conservation/loggers/ are the verbatim samples, written in the
encodings real files use (UTF-8, UTF-8 with BOM, cp1252, Mac Roman, GB18030).
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taihe.kernel.errors import ValidationFailed
from taihe.modules.conservation.ingest import (
    FORMATS,
    QUANTITIES,
    LoggerFileError,
    ParseResult,
    Reading,
    detect_columns,
    parse_file,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "conservation" / "loggers"


def parse(name: str, **options: object) -> ParseResult:
    return parse_file((FIXTURES / name).read_bytes(), filename=name, **options)  # type: ignore[arg-type]


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def of(result: ParseResult, quantity: str) -> list[Reading]:
    return [reading for reading in result.readings if reading.quantity == quantity]


# --- HOBOware -------------------------------------------------------------------------------


def test_hoboware_plot_title_fahrenheit_is_converted_and_offset_applied() -> None:
    # given the verbatim "Plot Title" sample: °F, GMT-05:00, 12-hour clock
    # when it is parsed
    result = parse("hoboware_plot_title_utf8.csv")
    # then the format, serial, label and converted values are exact
    assert result.format == "hoboware"
    assert result.confidence == 0.95
    assert result.sensors == ["10679014"]
    assert result.metadata["labels"] == {"10679014": "water pipe"}
    assert result.metadata["title"] == "10679014 jackson July29"
    first, *_, last = result.readings
    assert len(result.readings) == 3
    assert first == Reading(
        "10679014", "temperature", utc(2016, 7, 29, 15, 26, 34), first.value, "°C", 3, "°F"
    )
    assert first.value == pytest.approx((72.86 - 32) * 5 / 9)
    assert last.time == utc(2016, 7, 29, 17, 36, 34)  # 12:36:34 PM at GMT-05:00
    assert last.value == pytest.approx(24.0)


def test_hoboware_question_mark_degree_and_event_columns() -> None:
    result = parse("hoboware_events_questionmark_cp1252.csv")
    temperatures = of(result, "temperature")
    assert [r.time for r in temperatures] == [
        utc(2023, 11, 3, 9, 30),
        utc(2023, 11, 3, 9, 45),
        utc(2023, 11, 3, 10, 0),
    ]
    assert temperatures[0].value == pytest.approx(20.46)
    assert temperatures[0].source_unit == "°F"
    # events are annotations, never readings
    assert [(e.name, e.time, e.source_row, e.sensor) for e in result.events] == [
        ("Coupler Detached", utc(2023, 11, 3, 9, 30), 2, "10360568"),
        ("Coupler Attached", utc(2023, 11, 3, 10, 3, 12), 5, "10360568"),
        ("Stopped", utc(2023, 11, 3, 10, 4), 6, "10360568"),
        ("End Of File", utc(2023, 11, 3, 10, 4), 6, "10360568"),
    ]
    assert result.rejected == []


def test_hoboware_bom_conductivity_and_host_connected() -> None:
    result = parse("hoboware_bom.csv")
    assert result.metadata["encoding"] == "utf-8-sig"
    conductivity = of(result, "conductivity")
    assert [(r.time, r.value, r.unit) for r in conductivity] == [
        (utc(2021, 6, 14, 11, 0), 412.5, "µS/cm"),
        (utc(2021, 6, 14, 11, 10), 413.0, "µS/cm"),
    ]
    assert [r.value for r in of(result, "temperature")] == [18.21, 18.25]
    assert [(e.name, e.source_row) for e in result.events] == [("Host Connected", 4)]


def test_hoboware_cp1252_two_sensors_in_one_file() -> None:
    result = parse("hoboware_two_sensors_cp1252.csv")
    assert result.metadata["encoding"] == "cp1252"
    assert result.sensors == ["10737643", "21741589"]
    assert {r.sensor for r in of(result, "relative_humidity")} == {"21741589"}
    assert {r.sensor for r in of(result, "temperature")} == {"10737643"}
    assert [r.value for r in of(result, "relative_humidity")] == [48.5, 48.9, 49.2]
    (dew,) = of(result, "dew_point")
    assert dew.value == pytest.approx(1.0)  # 33.8 °F
    assert dew.time == utc(2024, 1, 14, 16, 0)  # 12:00:00 AM at GMT+08:00
    assert len(result.readings) == 7  # the blank trailing row is skipped silently
    assert result.rejected == []


def test_hoboware_mojibake_a_circumflex_degree() -> None:
    result = parse("hoboware_mojibake_utf8.csv")
    assert [(r.value, r.source_unit) for r in of(result, "temperature")] == [
        (pytest.approx(20.0), "°F"),
        (pytest.approx(21.0), "°F"),
    ]
    assert of(result, "temperature")[0].time == utc(2024, 3, 4, 13, 0)  # GMT-04:00


def test_hoboware_swedish_fm_em_tabs_and_decimal_comma() -> None:
    result = parse("hoboware_swedish_fm_em.txt")
    assert [(r.time, r.value) for r in result.readings] == [
        (utc(2018, 7, 18, 23, 0), 19.0),  # 12:00:00 fm = midnight, GMT+01:00
        (utc(2018, 7, 19, 9, 0), 21.5),
        (utc(2018, 7, 19, 12, 0), 23.25),  # 01:00:00 em = 13:00
    ]


def test_ambiguous_dates_use_the_vendor_convention_and_warn() -> None:
    result = parse("hoboware_excel_resave_ambiguous.csv")
    assert [r.time for r in result.readings] == [
        utc(2024, 3, 4, 10, 0),
        utc(2024, 3, 4, 10, 30),
        utc(2024, 3, 5, 10, 0),
    ]
    assert any("MDY" in warning for warning in result.warnings)


def test_ambiguous_dates_follow_the_locale_hint() -> None:
    result = parse("hoboware_excel_resave_ambiguous.csv", date_order="DMY")
    assert result.readings[0].time == utc(2024, 4, 3, 10, 0)


def test_impossible_values_rejected_with_reasons_and_duplicates_collapsed() -> None:
    result = parse("hoboware_bad_values.csv")
    reasons = {(r.row, r.field.split(",")[0]): r.reason for r in result.rejected}
    assert reasons[(3, "Temp")] == "95 °C is outside the possible range -50 to 80 °C."
    assert reasons[(3, "RH")] == "105 % is outside the possible range 0 to 100 %."
    assert reasons[(3, "Light")] == "-3 lx is impossible: the value cannot be below 0."
    assert reasons[(4, "Temp")] == "The value is not a number (NaN)."
    assert reasons[(4, "RH")] == "-1 % is outside the possible range 0 to 100 %."
    assert "not a valid time" in reasons[(6, "Date Time")]
    assert reasons[(7, "Date Time")] == "The time is empty."
    assert reasons[(8, "Temp")] == "'abc' is not a number."
    assert len(result.rejected) == 8
    lux = of(result, "illuminance")
    # "1,250" (thousands separator) at 10:10 and 1250 again at 10:10 collapse to one
    assert [(r.time, r.value) for r in lux] == [
        (utc(2025, 1, 10, 10, 0), 120.0),
        (utc(2025, 1, 10, 10, 10), 1250.0),
        (utc(2025, 1, 10, 10, 20), 100.0),
    ]
    assert any("1 duplicate reading(s)" in warning for warning in result.warnings)
    assert len(result.readings) == 8


# --- HOBOconnect ----------------------------------------------------------------------------


def test_hoboconnect_zone_name_and_repeated_dst_hour() -> None:
    # given America/New_York local times across the end of DST on 2025-11-02 (01:00–02:00 twice)
    result = parse("BSR-H1 2025-11-03 12_50_32 EST.csv")
    assert result.format == "hoboconnect"
    assert result.sensors == ["BSR-H1"]
    assert [r.time for r in of(result, "temperature")] == [
        utc(2025, 11, 2, 4, 30),
        utc(2025, 11, 2, 5, 0),
        utc(2025, 11, 2, 5, 30),
        utc(2025, 11, 2, 6, 0),
        utc(2025, 11, 2, 6, 30),
        utc(2025, 11, 2, 7, 0),
    ]
    assert of(result, "illuminance")[-1].value == 12.5
    assert len(result.readings) == 24
    assert not any("backwards" in warning for warning in result.warnings)


def test_hoboconnect_xlsx_data_sheet_and_missing_dst_hour() -> None:
    result = parse("MX1104 Case 7 2025-03-31 09_00_00 CEST.xlsx")
    assert result.metadata["sheet"] == "Data"
    assert result.sensors == ["MX1104 Case 7"]
    assert [(r.time, r.value) for r in of(result, "temperature")] == [
        (utc(2025, 3, 30, 0, 30), 19.5),
        (utc(2025, 3, 30, 1, 30), 19.7),
    ]
    (gap,) = result.rejected
    assert gap.row == 3
    assert "does not exist in the time zone Europe/Berlin" in gap.reason
    assert [r.value for r in of(result, "illuminance")] == [100.0, 300.0]


# --- Other vendors --------------------------------------------------------------------------


def test_tinytag_units_inside_values() -> None:
    result = parse("tinytag_utf8.csv", timezone="Europe/London")
    assert result.format == "tinytag"
    assert result.sensors == ["227659"]
    assert result.metadata["labels"] == {"227659": "GH South wall"}
    assert [(r.quantity, r.value, r.unit) for r in result.readings[:3]] == [
        ("temperature", 13.1, "°C"),
        ("relative_humidity", 56.3, "%"),
        ("dew_point", 4.6, "°C"),
    ]
    assert result.readings[0].time == utc(2020, 1, 6, 11, 26)  # GMT in January
    assert result.readings[-1].time == utc(2020, 1, 6, 11, 56)
    assert len(result.readings) == 9


def test_tinytag_day_first_cp1252() -> None:
    result = parse("tinytag_dayfirst_cp1252.csv", timezone="UTC")
    assert [r.time for r in of(result, "temperature")] == [
        utc(2021, 1, 12, 9, 0),
        utc(2021, 1, 13, 9, 0),
    ]
    assert result.metadata["models"] == ["TGU-4500"]


def test_hanwell_time_before_date_and_month_abbreviation() -> None:
    result = parse("hanwell_cp1252.csv", timezone="Europe/London")
    assert result.format == "hanwell"
    assert result.sensors == ["0000-00000"]
    assert result.metadata["header"]["Data Ends"] == "…"
    assert [(r.quantity, r.time, r.value) for r in result.readings[:2]] == [
        ("temperature", utc(2025, 11, 21, 0, 0), 18.5),
        ("relative_humidity", utc(2025, 11, 21, 0, 0), 40.5),
    ]
    assert result.readings[-1] == Reading(
        "0000-00000", "relative_humidity", utc(2025, 11, 21, 0, 30), 40.9, "%", 12
    )


def test_meaco_long_format_several_sensors() -> None:
    result = parse("meaco_long.csv", timezone="Europe/London")
    assert result.sensors == ["Anonymous Library - Archive 1", "Anonymous Library - Archive 2"]
    archive_2 = [r for r in result.readings if r.sensor == "Anonymous Library - Archive 2"]
    assert [(r.quantity, r.value) for r in archive_2] == [
        ("temperature", 21.5),
        ("relative_humidity", 50.02),
    ]
    assert result.readings[-1].time == utc(2025, 11, 6, 16, 14)


def test_meaco_light_sensor_lux_and_uv() -> None:
    result = parse("meaco_light.csv", timezone="UTC")
    assert [(r.quantity, r.value, r.unit) for r in result.readings] == [
        ("illuminance", 148.0, "lx"),
        ("uv", 12.5, "µW/lm"),
    ]


def test_meaco_new_layout_with_title_and_leading_spaces() -> None:
    result = parse("meaco_new.csv", timezone="Asia/Shanghai")
    assert result.sensors == ["Anonymous Archive - Archive 1 - ID: 00"]
    assert result.readings[0].time == utc(2025, 12, 30, 16, 4)
    assert [r.value for r in of(result, "relative_humidity")] == [45.59, 45.7]


def test_lascar_serial_from_first_data_row() -> None:
    result = parse("lascar_easylog.csv", timezone="UTC")
    assert result.format == "lascar"
    assert result.sensors == ["010105317"]
    assert [r.value for r in of(result, "dew_point")] == [19.4, 19.0, 18.6]
    assert of(result, "temperature")[-1].time == utc(2010, 7, 29, 13, 0, 3)


def test_tandd_three_header_rows_lux_uv_and_doses() -> None:
    result = parse("tandd_tr74ui.csv", timezone="Asia/Tokyo")
    assert result.format == "tandd"
    first_row = [(r.quantity, r.value, r.unit) for r in result.readings if r.source_row == 4]
    assert first_row == [
        ("illuminance", 21.53, "lx"),
        ("uv_irradiance", 0.0, "mW/cm²"),
        ("temperature", 22.7, "°C"),
        ("relative_humidity", 53.0, "%"),
    ]
    assert result.readings[0].time == utc(2021, 8, 20, 23, 6)
    (uv_dose,) = of(result, "uv_dose")
    assert uv_dose.value == pytest.approx(0.001)  # 0.000001 W·h/cm² in mW·h/cm²
    assert [r.value for r in of(result, "light_dose")] == [5.3]


@pytest.mark.parametrize("name", ["rotronic_macroman.csv", "rotronic_utf8_infinity.csv"])
def test_rotronic_sections_mojibake_and_clock_reset(name: str) -> None:
    result = parse(name, timezone="Europe/Zurich")
    assert result.format == "rotronic"
    assert result.sensors == ["A18040256"]
    assert result.metadata["alarm_thresholds"] == {
        "relative_humidity": {"low": 40.0, "high": 60.0},
        "temperature": {"low": 10.0, "high": 25.0},
    }
    temperatures = of(result, "temperature")
    assert [(r.time, r.value, r.flags) for r in temperatures] == [
        (utc(2012, 12, 31, 23, 0), 18.0, ("clock_reset",)),
        (utc(2013, 1, 1, 11, 0), 18.5, ("clock_reset",)),
        (utc(2020, 1, 24, 12, 8, 35), 22.2, ()),
        (utc(2020, 1, 25, 0, 8, 35), 21.9, ()),
        (utc(2020, 1, 25, 12, 8, 35), 22.0, ()),
    ]
    assert any("first at row 26" in warning for warning in result.warnings)


# --- Generic CSV/XLSX -----------------------------------------------------------------------


def test_generic_chinese_gb18030_with_shangwu_xiawu() -> None:
    result = parse("generic_chinese_gb18030.csv", timezone="Asia/Shanghai")
    assert result.metadata["encoding"] == "gb18030"
    assert [(r.time, r.value) for r in of(result, "temperature")] == [
        (utc(2024, 3, 5, 2, 0), 20.5),  # 上午 10:00
        (utc(2024, 3, 5, 4, 30), 21.5),  # 下午 12:30 is 12:30 noon
        (utc(2024, 3, 5, 6, 0), 22.0),  # 下午 02:00
    ]


def test_generic_semicolons_decimal_comma_thousands_and_split_date_time() -> None:
    result = parse("generic_german_semicolon.csv", timezone="Europe/Berlin")
    assert result.format == "generic"
    assert [(r.quantity, r.value) for r in result.readings[:3]] == [
        ("temperature", 21.5),
        ("relative_humidity", 48.2),
        ("illuminance", 1234.5),
    ]
    assert result.readings[0].time == utc(2024, 3, 5, 13, 0)
    assert of(result, "illuminance")[1].value == 980.0


def test_generic_spanish_a_m_p_m() -> None:
    result = parse("generic_spanish_ampm.csv", timezone="Europe/Madrid")
    assert [(r.quantity, r.time) for r in result.readings] == [
        ("temperature", utc(2024, 4, 15, 9, 0)),
        ("relative_humidity", utc(2024, 4, 15, 9, 0)),
        ("temperature", utc(2024, 4, 15, 11, 0)),
        ("relative_humidity", utc(2024, 4, 15, 11, 0)),
    ]


def test_generic_xlsx_excel_serial_dates_with_column_mapping() -> None:
    mapping = {
        "time": "Serial date",
        "columns": {
            "Temp (F)": {"quantity": "temperature", "unit": "°F"},
            "Hum": {"quantity": "relative_humidity", "unit": "%"},
        },
        "sensor": "Logger",
    }
    result = parse("generic_excel_serial.xlsx", timezone="Asia/Shanghai", column_mapping=mapping)
    assert result.format == "generic"
    assert result.sensors == ["Store A", "Store B"]
    assert [(r.sensor, r.quantity, r.time, round(r.value, 6)) for r in result.readings] == [
        ("Store A", "temperature", utc(2025, 1, 1, 4, 0), 20.0),
        ("Store A", "relative_humidity", utc(2025, 1, 1, 4, 0), 40.0),
        ("Store A", "temperature", utc(2025, 1, 1, 10, 0), 21.0),
        ("Store A", "relative_humidity", utc(2025, 1, 1, 10, 0), 41.0),
        ("Store B", "temperature", utc(2025, 1, 1, 4, 0), 15.0),
        ("Store B", "relative_humidity", utc(2025, 1, 1, 4, 0), 55.5),
    ]


def test_detect_columns_guesses_roles_for_the_mapping_dialog() -> None:
    data = (FIXTURES / "generic_german_semicolon.csv").read_bytes()
    columns = detect_columns(data, "generic_german_semicolon.csv")
    assert [(c.name, c.role, c.quantity, c.unit, c.sample) for c in columns] == [
        ("Datum", "date", None, None, "05.03.2024"),
        ("Uhrzeit", "clock", None, None, "14:00:00"),
        ("Temperatur [°C]", "quantity", "temperature", "°C", "21,5"),
        ("rel. Feuchte [%]", "quantity", "relative_humidity", "%", "48,2"),
        ("Beleuchtung [lx]", "quantity", "illuminance", "lx", "1.234,5"),
    ]


# --- Errors ---------------------------------------------------------------------------------


def test_unknown_file_names_what_was_expected() -> None:
    with pytest.raises(LoggerFileError) as caught:
        parse("unknown_not_a_logger.csv", timezone="UTC")
    detail = str(caught.value.detail)
    assert "unknown_not_a_logger.csv is not a data-logger file" in detail
    assert "HOBOware CSV" in detail and "[#I]" in detail
    assert isinstance(caught.value, ValidationFailed)
    assert caught.value.status == 422


@pytest.mark.parametrize(
    ("data", "options", "message"),
    [
        (b"  \r\n", {}, "is empty"),
        (b"\xd0\xcf\x11\xe0rest", {}, "old Excel .xls"),
        (b"x", {"format": "nope"}, "Unknown format 'nope'"),
        (b"x", {"timezone": "Mars/Olympus"}, "Unknown time zone 'Mars/Olympus'"),
        (b"x", {"date_order": "DDD"}, "must be DMY, MDY or YMD"),
        (b"PK\x03\x04broken", {}, "is named like an Excel workbook but is not one"),
    ],
)
def test_unreadable_input_raises_logger_file_error(
    data: bytes, options: dict[str, str], message: str
) -> None:
    with pytest.raises(LoggerFileError, match=message):
        parse_file(data, filename="f.csv", **options)  # type: ignore[arg-type]


def test_file_without_zone_needs_one() -> None:
    with pytest.raises(LoggerFileError, match="row 2, column DATE"):
        parse("meaco_long.csv")


def test_mapping_with_unknown_column_or_unit_is_refused() -> None:
    data = (FIXTURES / "generic_spanish_ampm.csv").read_bytes()
    with pytest.raises(LoggerFileError, match="'Nope' named in the column mapping"):
        parse_file(
            data,
            filename="x.csv",
            timezone="UTC",
            column_mapping={
                "time": "Fecha",
                "columns": {"Nope": {"quantity": "temperature", "unit": "°C"}},
            },
        )
    with pytest.raises(LoggerFileError, match="'lx' is not a unit for the quantity"):
        parse_file(
            data,
            filename="x.csv",
            timezone="UTC",
            column_mapping={
                "time": "Fecha",
                "columns": {"Temp (°C)": {"quantity": "temperature", "unit": "lx"}},
            },
        )


def test_every_registered_format_has_a_fixture_detected_as_it() -> None:
    detected = {
        parse(path.name, timezone="UTC").format
        for path in FIXTURES.iterdir()
        if not path.name.startswith("unknown")
    }
    assert detected == set(FORMATS)


# --- Performance-sized file -----------------------------------------------------------------


def _year_of_hobo(rows: int = 105_120) -> bytes:
    start = datetime(2025, 1, 1)  # wall clock written into the file
    lines = [
        '"Plot Title: 20000001 year"',
        '"#","Date Time, GMT+08:00","Temp, °C (LGR S/N: 20000001, SEN S/N: 20000001)",'
        '"RH, % (LGR S/N: 20000001, SEN S/N: 20000001)"',
    ]
    for i in range(rows):
        moment = start + timedelta(minutes=5 * i)
        lines.append(
            f"{i + 1},{moment:%m/%d/%y %I:%M:%S %p},{20 + i % 100 / 50:.3f},{45 + i % 70 / 10:.1f}"
        )
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def test_a_year_of_five_minute_hobo_data() -> None:
    result = parse_file(_year_of_hobo(), filename="year.csv")
    assert len(result.readings) == 210_240
    assert result.readings[0] == Reading(
        "20000001", "temperature", utc(2024, 12, 31, 16, 0), 20.0, "°C", 3, ""
    )
    assert result.readings[-1].time == utc(2025, 12, 31, 15, 55)
    assert result.readings[-1].value == 45 + 105_119 % 70 / 10
    assert result.rejected == [] and result.warnings == []


# --- Fuzzing --------------------------------------------------------------------------------

FIXTURE_NAMES = sorted(path.name for path in FIXTURES.iterdir())
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1252", "mac_roman", "gb18030", "latin-1"]


def assert_sane(result: ParseResult) -> None:
    for reading in result.readings:
        spec = QUANTITIES[reading.quantity]
        assert math.isfinite(reading.value)
        assert spec.minimum <= reading.value <= spec.maximum
        assert reading.unit == spec.unit
        assert reading.time.utcoffset() == timedelta(0)


def parse_or_refuse(data: bytes, name: str, timezone: str | None) -> None:
    # The only allowed exception is the documented one, and it must carry a message.
    try:
        result = parse_file(data, filename=name, timezone=timezone)
    except LoggerFileError as error:
        message = str(error.detail)
    else:
        assert_sane(result)
        return
    assert message


FUZZ = settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@FUZZ
@given(
    st.binary(max_size=2000),
    st.sampled_from(["x.csv", "x.xlsx", "x.txt"]),
    st.sampled_from([None, "UTC"]),
)
def test_fuzz_random_bytes(data: bytes, name: str, timezone: str | None) -> None:
    parse_or_refuse(data, name, timezone)


@FUZZ
@given(st.sampled_from(FIXTURE_NAMES), st.floats(0, 1), st.sampled_from([None, "UTC"]))
def test_fuzz_truncated_fixtures(name: str, fraction: float, timezone: str | None) -> None:
    data = (FIXTURES / name).read_bytes()
    parse_or_refuse(data[: int(len(data) * fraction)], name, timezone)


@FUZZ
@given(st.sampled_from(FIXTURE_NAMES), st.randoms(use_true_random=False))
def test_fuzz_shuffled_lines(name: str, rng: random.Random) -> None:
    lines = (FIXTURES / name).read_bytes().splitlines(keepends=True)
    rng.shuffle(lines)
    parse_or_refuse(b"".join(lines), name, "UTC")


@FUZZ
@given(
    st.sampled_from([n for n in FIXTURE_NAMES if not n.endswith(".xlsx")]),
    st.sampled_from(ENCODINGS),
)
def test_fuzz_reencoded_fixtures(name: str, encoding: str) -> None:
    text = (FIXTURES / name).read_bytes().decode("utf-8", errors="replace")
    parse_or_refuse(text.encode(encoding, errors="replace"), name, "UTC")


@FUZZ
@given(st.sampled_from(FIXTURE_NAMES), st.integers(0, 5000), st.binary(min_size=1, max_size=8))
def test_fuzz_corrupted_bytes(name: str, position: int, junk: bytes) -> None:
    data = bytearray((FIXTURES / name).read_bytes())
    position %= len(data)
    data[position : position + len(junk)] = junk
    parse_or_refuse(bytes(data), name, "UTC")
