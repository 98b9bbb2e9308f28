"""The climate risk report, as PDF (reportlab, with the fonts set-up of ``conservation.reports``
for Chinese text) and XLSX (xlsxwriter): the objects most at risk with their risks, strategies
and sources, the places most at risk and the ABC register, as the person who asks may see them.

:func:`build_report` reads (through ``risk.selectors``, so nothing hidden from the person gets
in); :func:`render_pdf` and :func:`render_xlsx` only turn a :class:`RiskReport` into bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer

from taihe.modules.conservation import reports as base

REPORT_OBJECTS = 200
REPORT_PLACES = 100


@dataclass(frozen=True)
class RiskLine:
    agent: str
    level: str
    score: float
    text: str
    sources: list[str]


@dataclass(frozen=True)
class StrategyLine:
    title: str
    reduction: float | None
    reasons: list[str]
    sources: list[str]


@dataclass(frozen=True)
class ObjectLine:
    object_number: str
    title: str
    place: str
    score: float
    rules_version: str
    computed_at: datetime
    risks: list[RiskLine]
    strategies: list[StrategyLine]


@dataclass(frozen=True)
class PlaceLine:
    place: str
    score: float
    worst: str
    period_start: datetime
    period_end: datetime


@dataclass(frozen=True)
class RegisterLine:
    title: str
    agent: str
    a: float
    b: float
    c: float
    magnitude: float
    band: str
    owner: str
    status: str
    review_on: str


@dataclass(frozen=True)
class RiskReport:
    language: str
    time_zone: str
    generated_at: datetime
    generated_by: str
    objects: list[ObjectLine] = field(default_factory=list)
    places: list[PlaceLine] = field(default_factory=list)
    register: list[RegisterLine] = field(default_factory=list)


def report_language(language: str) -> str:
    """Chinese for any Chinese page language, else English (as the climate reports)."""
    return "zh-hans" if language.lower().startswith("zh") else "en"


def build_report(actor: Any, language: str) -> RiskReport:
    """Everything the report shows, read as ``actor`` may see it, labels in ``language``."""
    from taihe.modules.conservation.risk import register, selectors, views
    from taihe.modules.directory import api as directory

    with translation.override(language):
        places = views._Places(actor, language)
        hidden = selectors.hidden_location_ids(actor)
        assessments = selectors.objects_at_risk(actor, limit=REPORT_OBJECTS)
        labels = views.object_labels([row.object_id for row in assessments], language)
        objects = []
        for row in assessments:
            version = row.rules_version
            risks = sorted(row.risks, key=lambda item: -float(item.get("score", 0.0)))
            objects.append(
                ObjectLine(
                    object_number=labels.get(row.object_id, ("", ""))[0] or str(row.object_id),
                    title=labels.get(row.object_id, ("", ""))[1],
                    place=places.label(row.location_id),
                    score=row.score,
                    rules_version=version,
                    computed_at=row.computed_at,
                    risks=[
                        RiskLine(
                            views.agent_label(str(item.get("agent", ""))),
                            views.level_label(str(item.get("level", ""))),
                            float(item.get("score", 0.0)),
                            views.risk_text(item),
                            [views.citation(version, key) for key in item.get("sources", [])],
                        )
                        for item in risks
                        if item.get("level") != "none"
                    ],
                    strategies=[
                        StrategyLine(
                            views.strategy_title(strategy),
                            strategy.get("reduction"),
                            views.strategy_reasons(strategy),
                            [views.citation(version, key) for key in strategy.get("sources", [])],
                        )
                        for strategy in selectors.visible_strategies(row.strategies, hidden)
                    ],
                )
            )
        place_lines = [
            PlaceLine(
                line["place"],
                line["score"],
                line["worst"],
                line["period_start"],
                line["period_end"],
            )
            for line in views.place_rows(
                selectors.places_at_risk(actor, limit=REPORT_PLACES), places
            )
        ]
        risks = selectors.risks_for(actor)
        owners = directory.display_names(sorted({r.owner_id for r in risks if r.owner_id}))
        register_lines = [
            RegisterLine(
                risk.title,
                str(risk.get_agent_display()),
                risk.a_score,
                risk.b_score,
                risk.c_score,
                risk.magnitude,
                register.priority_band(risk.magnitude)[1],
                owners.get(risk.owner_id or 0, ""),
                str(risk.get_status_display()),
                risk.review_on.isoformat() if risk.review_on else "",
            )
            for risk in risks
        ]
    person = getattr(actor, "username", "") or ""
    return RiskReport(
        language=language,
        time_zone=settings.TIME_ZONE,
        generated_at=timezone.now(),
        generated_by=person,
        objects=objects,
        places=place_lines,
        register=register_lines,
    )


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _reduction(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


# --- PDF -------------------------------------------------------------------------------------


def _pdf(report: RiskReport, compress: bool) -> bytes:
    base._register_cjk_font()
    styles = base._Styles()
    zone = ZoneInfo(report.time_zone)

    def p(text: str, style: Any = None) -> Paragraph:
        return Paragraph(base._markup(text), style or styles.cell)

    buffer = io.BytesIO()
    pagesize = landscape(A4)
    document = SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=20 * mm,
        bottomMargin=18 * mm,
        title=_("Climate risk report"),
        author=report.generated_by,
        creator="Taihe",
        invariant=1,
        pageCompression=1 if compress else 0,
        lang=report.language,
    )
    width = document.width
    story: list[Flowable] = [
        p(_("Climate risk report"), styles.title),
        p(
            _("Generated by %(person)s, %(time)s")
            % {
                "person": report.generated_by,
                "time": f"{_local(report.generated_at, zone)} ({report.time_zone})",
            },
            styles.subtitle,
        ),
        p(_("Objects most at risk"), styles.heading),
    ]
    if report.objects:
        rows: list[list[Flowable]] = [
            [
                p(text, styles.cell_bold)
                for text in (_("Object"), _("Place"), _("Score"), _("Risks"), _("Strategies"))
            ]
        ]
        for line in report.objects:
            risks = "<br/>".join(
                base._markup(f"{risk.agent} · {risk.level} · {risk.score:.2f}: {risk.text}")
                + (
                    f' <font size="6.5">[{base._markup("; ".join(risk.sources))}]</font>'
                    if risk.sources
                    else ""
                )
                for risk in line.risks
            )
            strategies = "<br/>".join(
                base._markup(
                    f"{index}. {strategy.title}"
                    + (
                        f" (−{_reduction(strategy.reduction)})"
                        if strategy.reduction is not None
                        else ""
                    )
                    + (": " + " ".join(strategy.reasons) if strategy.reasons else "")
                )
                + (
                    f' <font size="6.5">[{base._markup("; ".join(strategy.sources))}]</font>'
                    if strategy.sources
                    else ""
                )
                for index, strategy in enumerate(line.strategies, start=1)
            )
            rows.append(
                [
                    p(f"{line.object_number}\n{line.title}".strip()),
                    p(line.place),
                    p(f"{line.score:.2f}"),
                    Paragraph(risks or "—", styles.cell),
                    Paragraph(strategies or "—", styles.cell),
                ]
            )
        story.append(
            base._table(
                rows, [38 * mm, 32 * mm, 14 * mm, (width - 84 * mm) / 2, (width - 84 * mm) / 2]
            )
        )
    else:
        story.append(p(_("No object has been assessed yet."), styles.body))
    story.append(p(_("Places most at risk"), styles.heading))
    if report.places:
        rows = [
            [
                p(text, styles.cell_bold)
                for text in (_("Place"), _("Score"), _("Worst agent"), _("Climate from – to"))
            ]
        ]
        rows += [
            [
                p(line.place),
                p(f"{line.score:.2f}"),
                p(line.worst),
                p(f"{_local(line.period_start, zone)} – {_local(line.period_end, zone)}"),
            ]
            for line in report.places
        ]
        story.append(base._table(rows, [70 * mm, 20 * mm, 50 * mm, width - 140 * mm]))
    else:
        story.append(p(_("No place has been assessed yet."), styles.body))
    story.append(p(_("Risk register (ABC method)"), styles.heading))
    if report.register:
        rows = [
            [
                p(text, styles.cell_bold)
                for text in (
                    _("Risk"),
                    _("Agent"),
                    "A",
                    "B",
                    "C",
                    "MR",
                    _("Priority"),
                    _("Owner"),
                    _("Status"),
                    _("Review by"),
                )
            ]
        ]
        rows += [
            [
                p(line.title),
                p(line.agent),
                p(f"{line.a:g}"),
                p(f"{line.b:g}"),
                p(f"{line.c:g}"),
                p(f"{line.magnitude:g}"),
                p(line.band),
                p(line.owner),
                p(line.status),
                p(line.review_on),
            ]
            for line in report.register
        ]
        story.append(
            base._table(
                rows,
                [
                    width - 196 * mm,
                    34 * mm,
                    10 * mm,
                    10 * mm,
                    10 * mm,
                    12 * mm,
                    28 * mm,
                    32 * mm,
                    26 * mm,
                    22 * mm,
                ],
            )
        )
    else:
        story.append(p(_("The register is empty."), styles.body))
    story += [
        Spacer(1, 6),
        p(
            _(
                "Priority bands after Michalski & Pedersoli, The ABC Method (CCI/ICCROM 2016); the "
                "thresholds are a museum setting and have not been checked against the manual."
            ),
            styles.note,
        ),
    ]
    document.build(story)
    return buffer.getvalue()


def render_pdf(report: RiskReport, *, compress: bool = True) -> bytes:
    """The report as a landscape A4 PDF in ``report.language``; ``compress=False`` leaves the
    page streams readable (for tests)."""
    with translation.override(report.language):
        return _pdf(report, compress)


# --- XLSX ------------------------------------------------------------------------------------


def _xlsx(report: RiskReport) -> bytes:
    buffer = io.BytesIO()
    zone = ZoneInfo(report.time_zone)
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format(
        {"bold": True, "bg_color": "#D9E2EC", "text_wrap": True, "valign": "top"}
    )
    wrap = book.add_format({"text_wrap": True, "valign": "top"})

    def sheet(name: str, titles: list[str], rows: list[list[Any]], widths: list[int]) -> None:
        worksheet = book.add_worksheet(name[:31])
        worksheet.write_row(0, 0, titles, bold)
        for index, row in enumerate(rows, start=1):
            worksheet.write_row(index, 0, row, wrap)
        for column, column_width in enumerate(widths):
            worksheet.set_column(column, column, column_width)
        worksheet.freeze_panes(1, 0)

    object_rows: list[list[Any]] = []
    for line in report.objects:
        for risk in line.risks:
            object_rows.append(
                [
                    line.object_number,
                    line.title,
                    line.place,
                    line.score,
                    risk.agent,
                    risk.level,
                    risk.score,
                    risk.text,
                    "; ".join(risk.sources),
                    line.rules_version,
                    _local(line.computed_at, zone),
                ]
            )
    sheet(
        _("Objects"),
        [
            _("Object number"),
            _("Title"),
            _("Place"),
            _("Object score"),
            _("Agent"),
            _("Level"),
            _("Score"),
            _("Why"),
            _("Sources"),
            _("Rule base version"),
            _("Computed"),
        ],
        object_rows,
        [16, 30, 24, 10, 18, 10, 8, 60, 50, 12, 17],
    )
    strategy_rows = [
        [
            line.object_number,
            index,
            strategy.title,
            strategy.reduction if strategy.reduction is not None else "",
            "\n".join(strategy.reasons),
            "; ".join(strategy.sources),
        ]
        for line in report.objects
        for index, strategy in enumerate(line.strategies, start=1)
    ]
    sheet(
        _("Strategies"),
        [_("Object number"), _("Rank"), _("Strategy"), _("Risk removed"), _("Why"), _("Sources")],
        strategy_rows,
        [16, 6, 40, 12, 70, 50],
    )
    sheet(
        _("Places"),
        [_("Place"), _("Score"), _("Worst agent"), _("From"), _("To")],
        [
            [
                line.place,
                line.score,
                line.worst,
                _local(line.period_start, zone),
                _local(line.period_end, zone),
            ]
            for line in report.places
        ],
        [36, 8, 24, 17, 17],
    )
    sheet(
        _("Register"),
        [
            _("Risk"),
            _("Agent"),
            "A",
            "B",
            "C",
            "MR",
            _("Priority"),
            _("Owner"),
            _("Status"),
            _("Review by"),
        ],
        [
            [
                line.title,
                line.agent,
                line.a,
                line.b,
                line.c,
                line.magnitude,
                line.band,
                line.owner,
                line.status,
                line.review_on,
            ]
            for line in report.register
        ],
        [40, 22, 5, 5, 5, 6, 20, 20, 14, 12],
    )
    book.close()
    return buffer.getvalue()


def render_xlsx(report: RiskReport) -> bytes:
    """The report as a workbook (sheets: objects, strategies, places, register)."""
    with translation.override(report.language):
        return _xlsx(report)
