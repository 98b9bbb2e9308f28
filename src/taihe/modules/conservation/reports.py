"""The monthly or annual environmental report of one location, as PDF and XLSX.

Pure rendering: :class:`ReportData` holds everything the report shows (already read from the
database and summarised by :func:`~taihe.modules.conservation.metrics.period_metrics`), and
:func:`render_pdf` / :func:`render_xlsx` turn it into bytes. The PDF is what a conservator
attaches to a loan agreement (A4, specification, summary, one chart per quantity, excursions,
sensors and their calibration, page numbers); the workbook holds the same numbers for further
work, with native Excel line charts.

Every label is translated under ``translation.override(data.language)``. Times are stored in
UTC and shown in the museum's zone (``data.time_zone``). Chinese text uses reportlab's built-in
CID font ``STSong-Light``: it needs no font file (the PDF names it and the reader supplies the
glyphs, as Adobe Reader, browsers and poppler with a CJK font do), so rendering works offline.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import numpy as np
from django.utils import translation
from django.utils.translation import gettext as _
from numpy.typing import NDArray
from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from reportlab.graphics.charts.axes import XValueAxis, YValueAxis
from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from .metrics import ILLUMINANCE, RELATIVE_HUMIDITY, TEMPERATURE, UV, PeriodMetrics, format_number
from .science import _validation as science_validation
from .specifications import ComplianceResult, EnvironmentSpec, QuantitySeries

QUANTITY_ORDER: Final = (TEMPERATURE, RELATIVE_HUMIDITY, ILLUMINANCE, UV)
QUANTITY_UNITS: Final[Mapping[str, str]] = {
    TEMPERATURE: "°C",
    RELATIVE_HUMIDITY: "%",
    ILLUMINANCE: "lx",
    UV: "µW/lm",
}
QUANTITY_DECIMALS: Final[Mapping[str, int]] = {
    TEMPERATURE: 1,
    RELATIVE_HUMIDITY: 1,
    ILLUMINANCE: 0,
    UV: 0,
}

_PHYSICAL_RANGE: Final[Mapping[str, tuple[float, float]]] = {
    RELATIVE_HUMIDITY: (0.0, 100.0),
    ILLUMINANCE: (0.0, math.inf),
    UV: (0.0, math.inf),
}

CJK_FONT: Final = "STSong-Light"
LATIN_FONT: Final = "Helvetica"
LATIN_BOLD_FONT: Final = "Helvetica-Bold"
SECONDS_PER_DAY: Final = 86_400.0

_INK = colors.HexColor("#1f2933")
_MUTED = colors.HexColor("#52606d")
_RULE = colors.HexColor("#9aa5b1")
_ZEBRA = colors.HexColor("#f0f4f8")
_HEAD = colors.HexColor("#d9e2ec")
_BAND = colors.HexColor("#9ecae1")
_MEAN = colors.HexColor("#08519c")
_SPEC = colors.HexColor("#31a354")
_SPEC_FILL = colors.HexColor("#e5f5e0")


@dataclass(frozen=True)
class ReportSensor:
    """A sensor that measured at the location during the period."""

    code: str
    model: str
    serial: str
    quantities: list[str]
    calibration: str


@dataclass(frozen=True)
class ReportExcursion:
    """A run of readings outside the specification (times aware, UTC)."""

    quantity: str
    start: datetime
    end: datetime
    extreme: float
    unit: str


@dataclass(frozen=True)
class ReportData:
    """Everything one report shows.

    Attributes:
        period_label: e.g. ``"March 2026"`` or ``"2026"``, already in the report's language.
        start, end: the period, aware datetimes (UTC).
        time_zone: IANA zone the report shows times in (the museum's).
        series: hourly means by quantity, the input of ``metrics``.
        daily: by quantity, ``(day start in POSIX seconds, minimum, mean, maximum)`` arrays,
            one element per local day with readings.
        metrics: the period summary; compute it in the report's language.
        language: ``"en"`` or ``"zh-hans"``.
    """

    museum_name: str
    location_code: str
    location_name: str
    period_label: str
    start: datetime
    end: datetime
    time_zone: str
    specification: EnvironmentSpec | None
    series: Mapping[str, QuantitySeries]
    daily: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
    metrics: PeriodMetrics
    excursions: list[ReportExcursion]
    sensors: list[ReportSensor]
    generated_at: datetime
    generated_by: str
    language: str


def quantity_label(quantity: str) -> str:
    """Translated name of a quantity code (the code itself for an unknown one)."""
    labels: dict[str, Callable[[], str]] = {
        TEMPERATURE: lambda: _("Temperature"),
        RELATIVE_HUMIDITY: lambda: _("Relative humidity"),
        ILLUMINANCE: lambda: _("Illuminance"),
        UV: lambda: _("UV"),
    }
    return labels[quantity]() if quantity in labels else quantity


def report_excursions(
    result: ComplianceResult, series: Mapping[str, QuantitySeries]
) -> list[ReportExcursion]:
    """The excursions of a compliance result as timed rows, earliest first.

    ``series`` must be the series the result was computed from. An excursion ends when its
    last reading's duration does (the time to the next reading, or the nominal interval before
    a gap), as the science library weighs it.

    Raises:
        ValueError: a series does not match the result (invalid times).
    """
    rows: list[ReportExcursion] = []
    for band in (result.temperature, result.relative_humidity, result.uv):
        if band is None or not band.excursions:
            continue
        times = np.asarray(series[band.quantity].times)
        axis = science_validation.time_axis(times)
        seconds = _posix_seconds(times)
        for excursion in band.excursions:
            end = seconds[excursion.end_index] + axis.durations[excursion.end_index]
            rows.append(
                ReportExcursion(
                    quantity=band.quantity,
                    start=datetime.fromtimestamp(float(seconds[excursion.start_index]), UTC),
                    end=datetime.fromtimestamp(float(end), UTC),
                    extreme=excursion.extreme,
                    unit=QUANTITY_UNITS.get(band.quantity, ""),
                )
            )
    rows.sort(key=lambda row: (row.start, row.quantity))
    return rows


def _posix_seconds(times: np.ndarray) -> NDArray[np.float64]:
    if np.issubdtype(times.dtype, np.datetime64):
        seconds: NDArray[np.float64] = (times - np.datetime64(0, "s")) / np.timedelta64(1, "s")
        return seconds
    return times.astype(np.float64, copy=False)


# --- shared text ---------------------------------------------------------------------------


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _duration(seconds: float) -> str:
    minutes = max(0, round(seconds / 60.0))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


def _value(value: float, quantity: str, unit: str) -> str:
    text = format_number(value, QUANTITY_DECIMALS.get(quantity, 1))
    return f"{text} {unit}" if unit else text


def _spec_name(spec: EnvironmentSpec, language: str) -> str:
    names = {code.lower(): name for code, name in spec.name.items()}
    name = names.get(language.lower()) or names.get("en") or next(iter(names.values()), "")
    return f"{name} ({spec.code})" if name else spec.code


def _spec_limits(spec: EnvironmentSpec) -> list[tuple[str, str]]:
    """(label, value) rows for every limit the specification sets."""

    def band(low: float | None, high: float | None, unit: str) -> str:
        if low is not None and high is not None:
            return f"{format_number(low, 1)} – {format_number(high, 1)} {unit}"
        if low is not None:
            return f"≥ {format_number(low, 1)} {unit}"
        return f"≤ {format_number(high or 0.0, 1)} {unit}"

    rows: list[tuple[str, str]] = []
    if spec.ashrae_class is not None:
        rows.append((_("ASHRAE class"), spec.ashrae_class))
    if spec.t_min is not None or spec.t_max is not None:
        rows.append((_("Temperature"), band(spec.t_min, spec.t_max, "°C")))
    if spec.rh_min is not None or spec.rh_max is not None:
        rows.append((_("Relative humidity"), band(spec.rh_min, spec.rh_max, "%")))
    if spec.max_t_change_24h is not None:
        rows.append(
            (_("Largest temperature change in 24 h"), band(None, spec.max_t_change_24h, "K"))
        )
    if spec.max_rh_change_24h is not None:
        rows.append((_("Largest RH change in 24 h"), band(None, spec.max_rh_change_24h, "%")))
    if spec.lux_max is not None:
        rows.append((_("Illuminance"), f"≤ {format_number(spec.lux_max, 0)} lx"))
    if spec.annual_lux_hours_max is not None:
        rows.append(
            (
                _("Light dose per year"),
                f"≤ {format_number(spec.annual_lux_hours_max, 0)} {_('lx·h per year')}",
            )
        )
    if spec.uv_max is not None:
        rows.append((_("UV"), f"≤ {format_number(spec.uv_max, 0)} µW/lm"))
    return rows


def _band_limits(spec: EnvironmentSpec | None, quantity: str) -> tuple[float | None, float | None]:
    if spec is None:
        return None, None
    limits: dict[str, tuple[float | None, float | None]] = {
        TEMPERATURE: (spec.t_min, spec.t_max),
        RELATIVE_HUMIDITY: (spec.rh_min, spec.rh_max),
        ILLUMINANCE: (None, spec.lux_max),
        UV: (None, spec.uv_max),
    }
    return limits.get(quantity, (None, None))


def _quantities(data: ReportData) -> list[str]:
    """Quantities with daily values, in report order."""
    present = [q for q, arrays in data.daily.items() if np.asarray(arrays[0]).shape[0] > 0]
    ordered = [q for q in QUANTITY_ORDER if q in present]
    return ordered + sorted(q for q in present if q not in QUANTITY_ORDER)


def _has_readings(data: ReportData) -> bool:
    in_series = any(np.asarray(s.times).shape[0] > 0 for s in data.series.values())
    return in_series or bool(_quantities(data))


def _daily_rows(
    data: ReportData, zone: ZoneInfo, quantities: Sequence[str]
) -> list[tuple[date, list[float | None]]]:
    """One row per local day with (min, mean, max) for each quantity, ``None`` where absent."""
    by_day: dict[date, list[float | None]] = {}
    width = 3 * len(quantities)
    for column, quantity in enumerate(quantities):
        starts, lows, means, highs = (np.asarray(a, dtype=np.float64) for a in data.daily[quantity])
        for i in range(starts.shape[0]):
            day = datetime.fromtimestamp(float(starts[i]), zone).date()
            row = by_day.setdefault(day, [None] * width)
            for offset, array in enumerate((lows, means, highs)):
                value = float(array[i])
                row[3 * column + offset] = None if math.isnan(value) else value
    return sorted(by_day.items())


# --- PDF -------------------------------------------------------------------------------------


def _register_cjk_font() -> None:
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


_SYMBOLS: Final = str.maketrans({"⚠": "(!)", "✅": "(ok)", "🟡": "(~)", "\u200b": None})
"""Markers (from the research notes' confidence marks in specification sources) that neither
Helvetica nor STSong-Light can draw, spelled with characters they can."""


def _latin(character: str) -> bool:
    """Whether Helvetica's WinAnsi encoding has the character (reportlab draws a black box for
    those it lacks)."""
    try:
        character.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _runs(text: str, latin_font: str) -> list[tuple[str, str]]:
    """Split text into (font, chunk) runs: characters WinAnsi lacks (CJK, but also ≤ or ≥,
    which GB 2312 has) in the CID font, the rest in the Latin font."""
    runs: list[tuple[str, str]] = []
    for character in text.translate(_SYMBOLS):
        font = latin_font if _latin(character) else CJK_FONT
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + character)
        else:
            runs.append((font, character))
    return runs


def _markup(text: str) -> str:
    """Paragraph markup of plain text: escaped, CJK runs switched to the CID font."""
    return "".join(
        f'<font face="{CJK_FONT}">{escape(chunk)}</font>' if font == CJK_FONT else escape(chunk)
        for font, chunk in _runs(text, LATIN_FONT)
    )


def _text_width(text: str, size: float, latin_font: str = LATIN_FONT) -> float:
    return sum(pdfmetrics.stringWidth(chunk, font, size) for font, chunk in _runs(text, latin_font))


def _draw_text(
    canvas: Canvas, x: float, y: float, text: str, size: float, *, right: bool = False
) -> None:
    if right:
        x -= _text_width(text, size)
    for font, chunk in _runs(text, LATIN_FONT):
        canvas.setFont(font, size)
        canvas.drawString(x, y, chunk)
        x += pdfmetrics.stringWidth(chunk, font, size)


def _chart_strings(
    x: float, y: float, text: str, size: float, color: colors.Color, anchor: str = "start"
) -> list[String]:
    """String shapes for a chart label, one per font run, anchored as asked."""
    width = _text_width(text, size)
    if anchor == "end":
        x -= width
    elif anchor == "middle":
        x -= width / 2.0
    shapes = []
    for font, chunk in _runs(text, LATIN_FONT):
        shapes.append(String(x, y, chunk, fontName=font, fontSize=size, fillColor=color))
        x += pdfmetrics.stringWidth(chunk, font, size)
    return shapes


def _nice_step(span: float, target: int) -> float:
    """A 1-2-2.5-5 step that cuts ``span`` into about ``target`` intervals."""
    raw = span / max(target, 1)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10.0 * magnitude


def _value_range(
    values: Iterable[float],
    limits: tuple[float | None, float | None],
    floor: float = -math.inf,
    ceiling: float = math.inf,
) -> tuple[float, float, list[float]]:
    """Axis limits and ticks covering the values and the limits, never past ``floor`` or
    ``ceiling`` (0 lx, 100 % RH) when the values stay inside them."""
    finite = [v for v in values if math.isfinite(v)]
    finite += [v for v in limits if v is not None]
    data_low, data_high = (min(finite), max(finite)) if finite else (0.0, 1.0)
    low, high = data_low, data_high
    if high - low < 1e-9:
        low, high = low - 1.0, high + 1.0
    pad = 0.06 * (high - low)
    step = _nice_step(high - low + 2 * pad, 5)
    axis_low = math.floor((low - pad) / step) * step
    axis_high = math.ceil((high + pad) / step) * step
    if data_low >= floor:
        axis_low = max(axis_low, floor)
    if data_high <= ceiling:
        axis_high = min(axis_high, ceiling)
    count = math.floor((axis_high - axis_low) / step + 1e-9)
    ticks = [axis_low + i * step for i in range(count + 1)]
    return axis_low, axis_high, ticks


def _date_ticks(start: float, end: float, zone: ZoneInfo) -> tuple[list[float], str]:
    """Tick positions (POSIX seconds at local midnights) and their strftime format."""
    first = datetime.fromtimestamp(start, zone)
    midnight = first.replace(hour=0, minute=0, second=0, microsecond=0)
    if midnight.timestamp() < start:
        midnight += timedelta(days=1)
    days = (end - start) / SECONDS_PER_DAY
    ticks: list[float] = []
    if days <= 62:
        step = 1 if days <= 8 else 2 if days <= 16 else 7
        day = midnight
        while day.timestamp() <= end:
            ticks.append(day.timestamp())
            day += timedelta(days=step)
        return ticks, "%m-%d"
    month = midnight.replace(day=1)
    step_months = 1 if days <= 400 else 3 if days <= 1200 else 12
    while month.timestamp() <= end:
        if month.timestamp() >= start:
            ticks.append(month.timestamp())
        index = month.month - 1 + step_months
        month = month.replace(year=month.year + index // 12, month=index % 12 + 1)
    return ticks, "%Y-%m"


def _runs_of_days(starts: NDArray[np.float64]) -> list[slice]:
    """Slices of consecutive days (a gap over 1.5 days ends a run: nothing is bridged)."""
    if starts.shape[0] == 0:
        return []
    breaks = np.flatnonzero(np.diff(starts) > 1.5 * SECONDS_PER_DAY) + 1
    edges = [0, *breaks.tolist(), starts.shape[0]]
    return [slice(a, b) for a, b in itertools.pairwise(edges)]


def _chart(
    quantity: str,
    daily: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    spec: EnvironmentSpec | None,
    period: tuple[float, float],
    zone: ZoneInfo,
    width: float,
    height: float,
) -> Drawing:
    """Daily min–max band, daily mean and the specification's band over the period."""
    starts, lows, means, highs = (np.asarray(a, dtype=np.float64) for a in daily)
    centres = starts + SECONDS_PER_DAY / 2.0  # a day's values belong to its middle
    limits = _band_limits(spec, quantity)
    unit = QUANTITY_UNITS.get(quantity, "")
    floor, ceiling = _PHYSICAL_RANGE.get(quantity, (-math.inf, math.inf))
    y_low, y_high, y_ticks = _value_range(
        np.concatenate((lows, highs, means)).tolist(), limits, floor, ceiling
    )
    x_low, x_high = period
    x_ticks, x_format = _date_ticks(x_low, x_high, zone)

    drawing = Drawing(width, height)
    left, bottom, top_space = 38.0, 22.0, 26.0
    plot_w, plot_h = width - left - 8.0, height - bottom - top_space

    x_axis = XValueAxis()
    x_axis.setPosition(left, bottom, plot_w)
    x_axis.valueMin, x_axis.valueMax, x_axis.valueSteps = x_low, x_high, x_ticks
    x_axis.configure([[(x_low, 0.0), (x_high, 0.0)]])
    x_axis.labelTextFormat = lambda v: datetime.fromtimestamp(v, zone).strftime(x_format)
    x_axis.labels.fontName, x_axis.labels.fontSize = LATIN_FONT, 7
    x_axis.labels.fillColor = _MUTED
    x_axis.strokeColor = _RULE
    x_axis.tickDown = 3
    y_axis = YValueAxis()
    y_axis.setPosition(left, bottom, plot_h)
    y_axis.valueMin, y_axis.valueMax, y_axis.valueSteps = y_low, y_high, y_ticks
    y_axis.configure([[(0.0, y_low), (0.0, y_high)]])
    decimals = 0 if all(float(t).is_integer() for t in y_ticks) else 1
    y_axis.labelTextFormat = lambda v: format_number(v, decimals)
    y_axis.labels.fontName, y_axis.labels.fontSize = LATIN_FONT, 7
    y_axis.labels.fillColor = _MUTED
    y_axis.strokeColor = _RULE

    def px(x: float) -> float:
        return float(x_axis.scale(x))

    def py(y: float) -> float:
        return float(y_axis.scale(min(max(y, y_low), y_high)))

    drawing.add(Rect(left, bottom, plot_w, plot_h, fillColor=colors.white, strokeColor=None))
    low_limit, high_limit = limits
    if low_limit is not None or high_limit is not None:
        band_low = py(low_limit if low_limit is not None else y_low)
        band_high = py(high_limit if high_limit is not None else y_high)
        drawing.add(
            Rect(
                left, band_low, plot_w, band_high - band_low, fillColor=_SPEC_FILL, strokeColor=None
            )
        )
        for limit in limits:
            if limit is not None and y_low <= limit <= y_high:
                drawing.add(
                    Line(
                        left,
                        py(limit),
                        left + plot_w,
                        py(limit),
                        strokeColor=_SPEC,
                        strokeWidth=0.8,
                        strokeDashArray=[3, 2],
                    )
                )
    for tick in y_ticks[1:]:
        drawing.add(
            Line(left, py(tick), left + plot_w, py(tick), strokeColor=_HEAD, strokeWidth=0.4)
        )
    for run in _runs_of_days(starts):
        xs = [px(x) for x in centres[run]]
        if len(xs) == 1:
            drawing.add(
                Line(
                    xs[0],
                    py(lows[run][0]),
                    xs[0],
                    py(highs[run][0]),
                    strokeColor=_BAND,
                    strokeWidth=2.5,
                )
            )
            drawing.add(Circle(xs[0], py(means[run][0]), 1.4, fillColor=_MEAN, strokeColor=None))
            continue
        upper = [c for x, y in zip(xs, highs[run], strict=True) for c in (x, py(y))]
        lower = [c for x, y in zip(reversed(xs), lows[run][::-1], strict=True) for c in (x, py(y))]
        drawing.add(Polygon(upper + lower, fillColor=_BAND, strokeColor=None))
        mean_points = [c for x, y in zip(xs, means[run], strict=True) for c in (x, py(y))]
        drawing.add(PolyLine(mean_points, strokeColor=_MEAN, strokeWidth=1.1))
    drawing.add(x_axis)
    drawing.add(y_axis)

    title = f"{quantity_label(quantity)} ({unit})" if unit else quantity_label(quantity)
    for shape in _chart_strings(left, height - 11.0, title, 9, _INK):
        drawing.add(shape)
    legend = [(_BAND, _("Daily minimum–maximum")), (_MEAN, _("Daily mean"))]
    if low_limit is not None or high_limit is not None:
        legend.append((_SPEC, _("Specification")))
    x = left + plot_w
    for color, label in reversed(legend):
        x -= _text_width(label, 7)
        for shape in _chart_strings(x, height - 11.0, label, 7, _MUTED):
            drawing.add(shape)
        x -= 12.0
        drawing.add(Rect(x, height - 11.5, 9.0, 6.0, fillColor=color, strokeColor=None))
        x -= 10.0
    return drawing


class _Styles:
    def __init__(self) -> None:
        def style(name: str, size: float, **kw: Any) -> ParagraphStyle:
            kw.setdefault("fontName", LATIN_FONT)
            kw.setdefault("textColor", _INK)
            return ParagraphStyle(name, fontSize=size, leading=size * 1.3, alignment=TA_LEFT, **kw)

        self.title = style("title", 18, fontName=LATIN_BOLD_FONT, spaceAfter=2)
        self.subtitle = style("subtitle", 11.5, textColor=_MUTED, spaceAfter=8)
        self.heading = style("heading", 12, fontName=LATIN_BOLD_FONT, spaceBefore=10, spaceAfter=4)
        self.body = style("body", 9)
        self.cell = style("cell", 8.5)
        self.cell_bold = style("cell_bold", 8.5, fontName=LATIN_BOLD_FONT)
        self.note = style("note", 7.5, textColor=_MUTED)
        self.alert = style("alert", 10, fontName=LATIN_BOLD_FONT, textColor=colors.darkred)


def _table(
    rows: list[list[Flowable]], widths: list[float], *, header: bool = True, zebra: bool = True
) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.2),
        ("LINEBELOW", (0, -1), (-1, -1), 0.5, _RULE),
    ]
    if header:
        commands += [
            ("BACKGROUND", (0, 0), (-1, 0), _HEAD),
            ("LINEBELOW", (0, 0), (-1, 0), 0.6, _RULE),
        ]
    if zebra:
        first = 1 if header else 0
        for row in range(first + 1, len(rows), 2):
            commands.append(("BACKGROUND", (0, row), (-1, row), _ZEBRA))
    table.setStyle(TableStyle(commands))
    return table


class _PdfReport:
    def __init__(self, data: ReportData) -> None:
        _register_cjk_font()
        self.data = data
        self.zone = ZoneInfo(data.time_zone)
        self.styles = _Styles()

    def p(self, text: str, style: ParagraphStyle | None = None) -> Paragraph:
        return Paragraph(_markup(text), style or self.styles.cell)

    def render(self, compress: bool) -> bytes:
        buffer = io.BytesIO()
        data = self.data
        title = _("Environmental report")
        document = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=18 * mm,
            rightMargin=18 * mm,
            topMargin=22 * mm,
            bottomMargin=20 * mm,
            title=f"{title} – {data.location_name} – {data.period_label}",
            author=data.generated_by,
            subject=data.museum_name,
            creator="Taihe",
            invariant=1,
            pageCompression=1 if compress else 0,
            lang=data.language,
        )
        story = self.story(document.width)
        header = f"{data.museum_name} · {data.location_name} · {data.period_label}"
        footer = _("Generated by %(person)s, %(time)s") % {
            "person": data.generated_by,
            "time": f"{_local(data.generated_at, self.zone)} ({data.time_zone})",
        }

        def page_label(page: int, pages: int) -> str:
            return _("Page %(page)d of %(pages)d") % {"page": page, "pages": pages}

        def make_canvas(*args: Any, **kwargs: Any) -> Canvas:
            return _NumberedCanvas(header, footer, page_label, *args, **kwargs)

        document.build(story, canvasmaker=make_canvas)
        return buffer.getvalue()

    def story(self, width: float) -> list[Flowable]:
        data, s = self.data, self.styles
        story: list[Flowable] = [
            self.p(_("Environmental report"), s.title),
            self.p(f"{data.location_name} · {data.period_label}", s.subtitle),
        ]
        spec = data.specification
        info = [
            (_("Museum"), data.museum_name),
            (_("Location"), f"{data.location_name} ({data.location_code})"),
            (_("Period"), data.period_label),
            (
                _("From – to"),
                f"{_local(data.start, self.zone)} – {_local(data.end, self.zone)}",
            ),
            (_("Time zone"), data.time_zone),
            (
                _("Specification"),
                _("none") if spec is None else _spec_name(spec, data.language),
            ),
        ]
        story.append(
            _table(
                [[self.p(k, s.cell_bold), self.p(v)] for k, v in info],
                [38 * mm, width - 38 * mm],
                header=False,
                zebra=False,
            )
        )
        if not _has_readings(data):
            story += [
                Spacer(1, 6),
                self.p(_("No readings were recorded at this location in this period."), s.alert),
            ]
        if spec is not None:
            story.append(self.p(_("Specification"), s.heading))
            limits = _spec_limits(spec)
            if limits:
                story.append(
                    _table(
                        [[self.p(k, s.cell_bold), self.p(v)] for k, v in limits],
                        [70 * mm, width - 70 * mm],
                        header=False,
                    )
                )
            if spec.source:
                story += [
                    Spacer(1, 3),
                    self.p(_("Source: %(source)s") % {"source": spec.source}, s.note),
                ]
        story.append(self.p(_("Summary"), s.heading))
        rows: list[list[Flowable]] = [
            [
                self.p(_("Metric"), s.cell_bold),
                self.p(_("Value"), s.cell_bold),
                self.p(_("Note"), s.cell_bold),
            ]
        ]
        for line in data.metrics.lines:
            rows.append([self.p(line.label), self.p(line.display), self.p(line.note, s.note)])
        story.append(_table(rows, [62 * mm, 30 * mm, width - 92 * mm]))
        story += self.charts(width)
        story += self.excursions(width)
        story += self.sensors(width)
        return story

    def charts(self, width: float) -> list[Flowable]:
        data, s = self.data, self.styles
        heading = self.p(_("Daily values"), s.heading)
        quantities = _quantities(data)
        if not quantities:
            return [KeepTogether([heading, self.p(_("No daily values in this period."), s.body)])]
        period = (data.start.timestamp(), data.end.timestamp())
        out: list[Flowable] = [CondPageBreak(70 * mm)]
        for index, quantity in enumerate(quantities):
            drawing = _chart(
                quantity,
                data.daily[quantity],
                data.specification,
                period,
                self.zone,
                width,
                62 * mm,
            )
            block: list[Flowable] = [heading] if index == 0 else []
            block += [drawing, Spacer(1, 6)]
            out.append(KeepTogether(block))
        out.append(
            self.p(
                _("Days run from midnight to midnight in %(zone)s.") % {"zone": data.time_zone},
                s.note,
            )
        )
        return out

    def excursions(self, width: float) -> list[Flowable]:
        data, s = self.data, self.styles
        # A heading never ends a page: it moves on with room for a few rows.
        out: list[Flowable] = [CondPageBreak(35 * mm), self.p(_("Excursions"), s.heading)]
        if not data.excursions:
            out.append(self.p(_("No excursions outside the specification."), s.body))
            return out
        rows: list[list[Flowable]] = [
            [
                self.p(h, s.cell_bold)
                for h in (_("Quantity"), _("Start"), _("End"), _("Duration"), _("Extreme"))
            ]
        ]
        for row in data.excursions:
            rows.append(
                [
                    self.p(quantity_label(row.quantity)),
                    self.p(_local(row.start, self.zone)),
                    self.p(_local(row.end, self.zone)),
                    self.p(_duration((row.end - row.start).total_seconds())),
                    self.p(_value(row.extreme, row.quantity, row.unit)),
                ]
            )
        out.append(_table(rows, [38 * mm, 36 * mm, 36 * mm, 28 * mm, width - 138 * mm]))
        out.append(
            self.p(_("Times in %(zone)s.") % {"zone": data.time_zone}, s.note),
        )
        return out

    def sensors(self, width: float) -> list[Flowable]:
        data, s = self.data, self.styles
        out: list[Flowable] = [self.p(_("Sensors"), s.heading)]
        if not data.sensors:
            out.append(self.p(_("No sensors recorded at this location in this period."), s.body))
            return [KeepTogether(out)]
        rows: list[list[Flowable]] = [
            [
                self.p(h, s.cell_bold)
                for h in (
                    _("Sensor"),
                    _("Model"),
                    _("Serial number"),
                    _("Quantities"),
                    _("Calibration"),
                )
            ]
        ]
        for sensor in data.sensors:
            rows.append(
                [
                    self.p(sensor.code),
                    self.p(sensor.model),
                    self.p(sensor.serial),
                    self.p(", ".join(quantity_label(q) for q in sensor.quantities)),
                    self.p(sensor.calibration),
                ]
            )
        out.append(_table(rows, [26 * mm, 34 * mm, 28 * mm, 38 * mm, width - 126 * mm]))
        return [KeepTogether(out)]


class _NumberedCanvas(Canvas):
    """Draws the running header and "Page n of N" once the page count is known."""

    def __init__(
        self,
        header: str,
        footer: str,
        page_label: Callable[[int, int], str],
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._header = header
        self._footer = footer
        self._page_label = page_label
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._decorate(total)
            super().showPage()
        super().save()

    def _decorate(self, total: int) -> None:
        width, height = self._pagesize
        left, right = 18 * mm, width - 18 * mm
        self.saveState()
        self.setFillColor(_MUTED)
        self.setStrokeColor(_RULE)
        self.setLineWidth(0.5)
        if self._pageNumber > 1:
            _draw_text(self, left, height - 13 * mm, self._header, 8)
            self.line(left, height - 15 * mm, right, height - 15 * mm)
        self.line(left, 13 * mm, right, 13 * mm)
        _draw_text(self, left, 9 * mm, self._footer, 7.5)
        _draw_text(self, right, 9 * mm, self._page_label(self._pageNumber, total), 7.5, right=True)
        self.restoreState()


def render_pdf(data: ReportData, *, compress: bool = True) -> bytes:
    """The report as an A4 PDF in ``data.language``.

    Output is reproducible (reportlab's invariant mode): the same data gives the same bytes.
    ``compress=False`` leaves page streams readable, for tests.
    """
    with translation.override(data.language):
        return _PdfReport(data).render(compress)


# --- XLSX ------------------------------------------------------------------------------------

_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="D9E2EC")
_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def _naive_local(moment: datetime, zone: ZoneInfo) -> datetime:
    """Excel has no time zones: the museum's wall-clock time."""
    return moment.astimezone(zone).replace(tzinfo=None)


def _header_row(ws: Any, row: int, titles: Sequence[str]) -> None:
    for column, title in enumerate(titles, start=1):
        cell = ws.cell(row=row, column=column, value=title)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _widths(ws: Any, widths: Sequence[float]) -> None:
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width


def _summary_sheet(ws: Any, data: ReportData, zone: ZoneInfo) -> None:
    spec = data.specification
    ws.cell(row=1, column=1, value=_("Environmental report")).font = Font(bold=True, size=14)
    info: list[tuple[str, Any]] = [
        (_("Museum"), data.museum_name),
        (_("Location"), data.location_name),
        (_("Location code"), data.location_code),
        (_("Period"), data.period_label),
        (_("From"), _naive_local(data.start, zone)),
        (_("To"), _naive_local(data.end, zone)),
        (_("Time zone"), data.time_zone),
        (_("Specification"), _("none") if spec is None else _spec_name(spec, data.language)),
    ]
    if spec is not None:
        info += _spec_limits(spec)
        info.append((_("Source"), spec.source))
    info += [
        (_("Generated by"), data.generated_by),
        (_("Generated at"), _naive_local(data.generated_at, zone)),
    ]
    if not _has_readings(data):
        info.append(("", _("No readings were recorded at this location in this period.")))
    row = 3
    for label, value in info:
        ws.cell(row=row, column=1, value=label).font = _BOLD
        cell = ws.cell(row=row, column=2, value=value)
        if isinstance(value, datetime):
            cell.number_format = _DATETIME_FORMAT
        cell.alignment = Alignment(horizontal="left", wrap_text=True, vertical="top")
        row += 1
    row += 1
    _header_row(ws, row, [_("Metric"), _("Value"), _("Display"), _("Note")])
    ws.freeze_panes = None
    for line in data.metrics.lines:
        row += 1
        ws.cell(row=row, column=1, value=line.label)
        value_cell = ws.cell(row=row, column=2, value=line.value)
        value_cell.number_format = "0.00"
        ws.cell(row=row, column=3, value=line.display)
        ws.cell(row=row, column=4, value=line.note).alignment = Alignment(wrap_text=True)
    _widths(ws, [44, 28, 22, 70])


def _daily_sheet(ws: Any, data: ReportData, zone: ZoneInfo) -> None:
    quantities = _quantities(data)
    titles = [_("Date")]
    for quantity in quantities:
        unit = QUANTITY_UNITS.get(quantity, "")
        label = quantity_label(quantity)
        for part in (_("minimum"), _("mean"), _("maximum")):
            titles.append(f"{label} {part} ({unit})" if unit else f"{label} {part}")
    _header_row(ws, 1, titles)
    rows = _daily_rows(data, zone, quantities)
    for index, (day, values) in enumerate(rows, start=2):
        ws.cell(row=index, column=1, value=day).number_format = "yyyy-mm-dd"
        for column, value in enumerate(values, start=2):
            ws.cell(row=index, column=column, value=value).number_format = "0.0"
    ws.freeze_panes = "B2"
    _widths(ws, [12] + [14] * (len(titles) - 1))
    if not rows:
        return
    last = len(rows) + 1
    dates = Reference(ws, min_col=1, min_row=2, max_row=last)
    anchor_column = get_column_letter(len(titles) + 2)
    for index, quantity in enumerate(quantities):
        chart = LineChart()
        unit = QUANTITY_UNITS.get(quantity, "")
        chart.title = f"{quantity_label(quantity)} ({unit})" if unit else quantity_label(quantity)
        chart.height, chart.width = 7.5, 18.0
        first = 2 + 3 * index
        chart.add_data(
            Reference(ws, min_col=first, max_col=first + 2, min_row=1, max_row=last),
            titles_from_data=True,
        )
        chart.set_categories(dates)
        chart.x_axis.number_format = "yyyy-mm-dd"
        chart.x_axis.delete = False  # openpyxl 3.1 hides axes unless told otherwise
        chart.y_axis.delete = False
        chart.y_axis.title = unit
        chart.legend.position = "b"
        for series, color in zip(chart.series, ("9ECAE1", "08519C", "9ECAE1"), strict=True):
            series.graphicalProperties.line.solidFill = color
            series.graphicalProperties.line.width = 19050 if color == "08519C" else 12700
            series.smooth = False
        ws.add_chart(chart, f"{anchor_column}{2 + 16 * index}")


def _excursions_sheet(ws: Any, data: ReportData, zone: ZoneInfo) -> None:
    _header_row(
        ws,
        1,
        [_("Quantity"), _("Start"), _("End"), _("Duration (hours)"), _("Extreme"), _("Unit")],
    )
    for row, excursion in enumerate(data.excursions, start=2):
        ws.cell(row=row, column=1, value=quantity_label(excursion.quantity))
        for column, moment in ((2, excursion.start), (3, excursion.end)):
            cell = ws.cell(row=row, column=column, value=_naive_local(moment, zone))
            cell.number_format = _DATETIME_FORMAT
        hours = (excursion.end - excursion.start).total_seconds() / 3600.0
        ws.cell(row=row, column=4, value=hours).number_format = "0.00"
        ws.cell(row=row, column=5, value=excursion.extreme)
        ws.cell(row=row, column=6, value=excursion.unit)
    ws.freeze_panes = "A2"
    _widths(ws, [20, 18, 18, 16, 12, 10])


def _sensors_sheet(ws: Any, data: ReportData) -> None:
    _header_row(
        ws, 1, [_("Sensor"), _("Model"), _("Serial number"), _("Quantities"), _("Calibration")]
    )
    for row, sensor in enumerate(data.sensors, start=2):
        ws.cell(row=row, column=1, value=sensor.code)
        ws.cell(row=row, column=2, value=sensor.model)
        ws.cell(row=row, column=3, value=sensor.serial)
        ws.cell(row=row, column=4, value=", ".join(quantity_label(q) for q in sensor.quantities))
        ws.cell(row=row, column=5, value=sensor.calibration)
    ws.freeze_panes = "A2"
    _widths(ws, [16, 24, 18, 36, 48])


def render_xlsx(data: ReportData) -> bytes:
    """The report as a workbook in ``data.language``: sheets Summary (metrics and
    specification), Daily (date and min/mean/max per quantity, with a line chart per
    quantity), Excursions and Sensors, their names translated. Times are the museum's wall
    clock (Excel has no zones)."""
    with translation.override(data.language):
        zone = ZoneInfo(data.time_zone)
        workbook = Workbook()
        workbook.properties.creator = "Taihe"
        workbook.properties.title = f"{_('Environmental report')} – {data.location_name}"
        workbook.properties.created = data.generated_at.astimezone(UTC).replace(tzinfo=None)
        summary = workbook.active
        assert summary is not None
        summary.title = _("Summary")
        _summary_sheet(summary, data, zone)
        _daily_sheet(workbook.create_sheet(_("Daily")), data, zone)
        _excursions_sheet(workbook.create_sheet(_("Excursions")), data, zone)
        _sensors_sheet(workbook.create_sheet(_("Sensors")), data)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
