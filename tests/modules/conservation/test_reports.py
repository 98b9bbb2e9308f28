"""Environmental report: PDF and XLSX rendering of a designed month, in English and Chinese."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from django.utils import translation
from openpyxl import load_workbook
from reportlab.lib.rl_accel import escapePDF

from taihe.modules.conservation.metrics import period_metrics
from taihe.modules.conservation.reports import (
    ReportData,
    ReportExcursion,
    ReportSensor,
    render_pdf,
    render_xlsx,
    report_excursions,
)
from taihe.modules.conservation.specifications import PRESETS, QuantitySeries

HOUR = 3600.0
DAY = 86_400.0
T0 = 1_772_294_400.0  # 2026-02-28 16:00 UTC = 2026-03-01 00:00 in Shanghai
DAYS = 31
ZONE = "Asia/Shanghai"
QUANTITIES = ("temperature", "relative_humidity", "illuminance")
PDFTOTEXT = shutil.which("pdftotext")
# poppler maps the CID font's text to Unicode with the Adobe-GB1 tables of poppler-data.
GB1_CMAPS = Path("/usr/share/poppler/cMap/Adobe-GB1").is_dir()


Daily = dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]


def march() -> tuple[dict[str, QuantitySeries], Daily]:
    """Hourly T and RH for March 2026 and their daily (start, min, mean, max)."""
    hours = np.arange(DAYS * 24)
    times = T0 + hours * HOUR
    t = 20.0 + 0.1 * (hours // 24) + np.where(hours % 24 < 12, -0.5, 0.5)
    rh = np.full(hours.shape, 52.0)
    rh[200:230] = 66.0  # a humidifier fault: 30 hours above Bizot's 60 %
    lux = np.where((hours % 24 >= 9) & (hours % 24 < 17), 40.0, 0.0)  # open 09:00–17:00
    series = {
        "temperature": QuantitySeries(times, t),
        "relative_humidity": QuantitySeries(times, rh),
        "illuminance": QuantitySeries(times, lux),
    }
    starts = T0 + np.arange(DAYS) * DAY
    daily: Daily = {}
    for quantity, values in (("temperature", t), ("relative_humidity", rh), ("illuminance", lux)):
        by_day = values.reshape(DAYS, 24)
        daily[quantity] = (starts, by_day.min(axis=1), by_day.mean(axis=1), by_day.max(axis=1))
    return series, daily


def report(
    language: str = "en", location_name: str = "Storeroom B", empty: bool = False
) -> ReportData:
    series, daily = march()
    if empty:
        series, daily = {}, {}
    spec = PRESETS["BIZOT-2014"]
    with translation.override(language):
        metrics = period_metrics(series, spec)
    assert metrics.compliance is not None
    return ReportData(
        museum_name="Taihe Museum",
        location_code="ST-B",
        location_name=location_name,
        period_label="March 2026",
        start=datetime.fromtimestamp(T0, UTC),
        end=datetime.fromtimestamp(T0 + DAYS * DAY, UTC),
        time_zone=ZONE,
        specification=spec,
        series=series,
        daily=daily,
        metrics=metrics,
        excursions=[] if empty else report_excursions(metrics.compliance, series),
        sensors=[
            ReportSensor(
                "S-014",
                "Hanwell RL4000",
                "RL4-22871",
                ["temperature", "relative_humidity"],
                "2025-11-12, certificate 4471",
            )
        ],
        generated_at=datetime(2026, 4, 2, 1, 30, tzinfo=UTC),
        generated_by="Li Wei",
        language=language,
    )


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    assert PDFTOTEXT is not None
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        [PDFTOTEXT, "-layout", str(path), "-"], capture_output=True, check=True, timeout=60
    )
    return done.stdout.decode()


def excel_float(value: float) -> float:
    """A number as the workbook stores it: openpyxl writes 16 significant digits (Excel
    shows 15)."""
    return float(f"{value:.16g}")


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\n", pdf))


def shown(text: str, encoding: str = "cp1252") -> bytes:
    """How reportlab writes ``text`` in an uncompressed content stream."""
    return escapePDF(text.encode(encoding)).encode("latin-1")


def test_report_excursions_are_timed_from_the_readings() -> None:
    # given the month's readings and their compliance with Bizot (40–60 % RH)
    data = report()
    # then the 30-hour fault is one excursion, from hour 200 to the end of hour 229
    assert data.excursions == [
        ReportExcursion(
            quantity="relative_humidity",
            start=datetime.fromtimestamp(T0 + 200 * HOUR, UTC),
            end=datetime.fromtimestamp(T0 + 230 * HOUR, UTC),
            extreme=66.0,
            unit="%",
        )
    ]


def test_pdf_holds_the_location_metrics_and_pages(tmp_path: Path) -> None:
    # given a month with readings, an excursion and a sensor
    data = report()
    # when
    pdf = render_pdf(data, compress=False)
    # then
    assert pdf.startswith(b"%PDF-")
    assert page_count(pdf) == 3
    assert re.findall(rb"/Count (\d+)", pdf) == [b"3"]
    assert shown("Storeroom B (ST-B)") in pdf
    mean = data.metrics.line("temperature_mean").display
    assert mean == "21.5 °C"
    assert shown(mean) in pdf
    # the excursion in Shanghai time: hour 200 after midnight on 1 March is 9 March 08:00
    assert shown("2026-03-09 08:00") in pdf
    assert shown("2026-03-10 14:00") in pdf
    assert shown("1 d 6 h") in pdf
    if PDFTOTEXT:
        text = pdf_text(pdf, tmp_path)
        assert "Storeroom B (ST-B)" in text
        assert "Page 3 of 3" in text
        assert "Hanwell RL4000" in text


def test_pdf_is_reproducible() -> None:
    data = report()
    assert render_pdf(data) == render_pdf(data)


def test_compressed_pdf_is_smaller() -> None:
    data = report()
    compressed = render_pdf(data)
    assert compressed.startswith(b"%PDF-")
    assert len(compressed) < len(render_pdf(data, compress=False))


def test_chinese_report_renders_in_the_cid_font(tmp_path: Path) -> None:
    # given a report in Chinese for a location with a Chinese name
    data = report(language="zh-hans", location_name="三号展厅 二号展柜")
    # when
    pdf = render_pdf(data, compress=False)
    # then the CJK text is drawn in STSong-Light, written as UTF-16 (UniGB-UCS2-H)
    assert pdf.startswith(b"%PDF-")
    assert b"/BaseFont /STSong-Light" in pdf
    assert shown("三号展厅", "utf-16-be") in pdf
    # the Chinese labels are shorter than the English ones: the same report fits on two pages
    assert page_count(pdf) == 2
    if PDFTOTEXT and GB1_CMAPS:
        assert "三号展厅 二号展柜 (ST-B)" in pdf_text(pdf, tmp_path)


def test_english_report_draws_cjk_names_in_the_cid_font() -> None:
    data = report(location_name="Gallery 3 (书画)")
    pdf = render_pdf(data, compress=False)
    assert b"/BaseFont /STSong-Light" in pdf
    assert shown("Gallery 3 (") in pdf
    assert shown("书画", "utf-16-be") in pdf


def test_month_without_readings_says_so(tmp_path: Path) -> None:
    # given no readings at all
    data = report(empty=True)
    # when
    pdf = render_pdf(data, compress=False)
    workbook = load_workbook(io.BytesIO(render_xlsx(data)))
    # then
    assert page_count(pdf) == 2
    assert shown("No readings were recorded at this location in this period.") in pdf
    assert shown("No daily values in this period.") in pdf
    assert shown("No excursions outside the specification.") in pdf
    daily = workbook["Daily"]
    assert [[c.value for c in row] for row in daily.iter_rows()] == [["Date"]]
    assert daily._charts == []
    summary_values = [row[1] for row in workbook["Summary"].iter_rows(values_only=True)]
    assert "No readings were recorded at this location in this period." in summary_values


def test_xlsx_sheets_daily_rows_and_charts() -> None:
    # given the month
    data = report()
    # when
    workbook = load_workbook(io.BytesIO(render_xlsx(data)))
    # then
    assert workbook.sheetnames == ["Summary", "Daily", "Excursions", "Sensors"]
    daily = workbook["Daily"]
    rows = list(daily.iter_rows(values_only=True))
    assert rows[0] == (
        "Date",
        "Temperature minimum (°C)",
        "Temperature mean (°C)",
        "Temperature maximum (°C)",
        "Relative humidity minimum (%)",
        "Relative humidity mean (%)",
        "Relative humidity maximum (%)",
        "Illuminance minimum (lx)",
        "Illuminance mean (lx)",
        "Illuminance maximum (lx)",
    )
    assert len(rows) == 1 + DAYS
    assert [row[0] for row in rows[1:]] == [datetime(2026, 3, d) for d in range(1, 32)]
    expected = [
        [float(array[i]) for quantity in QUANTITIES for array in data.daily[quantity][1:]]
        for i in range(DAYS)
    ]
    assert [list(row[1:]) for row in rows[1:]] == [
        [excel_float(value) for value in row] for row in expected
    ]
    assert len(daily._charts) == 3
    assert daily._charts[0].title is not None

    excursions = list(workbook["Excursions"].iter_rows(values_only=True))
    assert excursions[1] == (
        "Relative humidity",
        datetime(2026, 3, 9, 8, 0),
        datetime(2026, 3, 10, 14, 0),
        30.0,
        66.0,
        "%",
    )
    sensors = list(workbook["Sensors"].iter_rows(values_only=True))
    assert sensors[1] == (
        "S-014",
        "Hanwell RL4000",
        "RL4-22871",
        "Temperature, Relative humidity",
        "2025-11-12, certificate 4471",
    )


def test_xlsx_summary_lists_every_metric() -> None:
    data = report()
    sheet = load_workbook(io.BytesIO(render_xlsx(data)))["Summary"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows.index(("Metric", "Value", "Display", "Note"))
    body = rows[header + 1 :]
    assert [row[0] for row in body] == [line.label for line in data.metrics.lines]
    assert [row[1] for row in body] == [
        None if line.value is None else excel_float(line.value) for line in data.metrics.lines
    ]
    assert ("From", datetime(2026, 3, 1, 0, 0), None, None) in rows
    assert ("Location", "Storeroom B", None, None) in rows


def test_chinese_workbook_keeps_the_numbers() -> None:
    data = report(language="zh-hans", location_name="三号展厅")
    workbook = load_workbook(io.BytesIO(render_xlsx(data)))
    assert len(workbook.sheetnames) == 4
    daily = workbook.worksheets[1]
    assert next(daily.iter_rows(min_row=2, max_row=2, values_only=True))[0] == datetime(2026, 3, 1)
    summary = [row[1] for row in workbook.worksheets[0].iter_rows(values_only=True)]
    assert "三号展厅" in summary


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_report_language_does_not_leak(language: str) -> None:
    with translation.override("en"):
        render_pdf(report(language=language))
        assert translation.get_language() == "en"
