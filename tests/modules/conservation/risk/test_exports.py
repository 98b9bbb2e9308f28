"""The risk report: the PDF opens and names the objects, the workbook reads back."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from taihe.modules.catalog import services as catalog_services
from taihe.modules.conservation.models import ObjectAssessment
from taihe.modules.conservation.risk import exports, register, views

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 1, 4, 0, tzinfo=dt.UTC)


@pytest.fixture
def assessed(
    people: dict[str, Any], places: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    monkeypatch.setattr(views, "_describe", lambda: None)
    registrar = people["registrar"]
    banner = catalog_services.do_create_object(
        registrar,
        catalog_services.ObjectInput(
            object_number="RISK-0001", title={"en": "Silk banner", "zh-Hans": "丝绸幡"}
        ),
    )
    secret = catalog_services.do_create_object(
        registrar,
        catalog_services.ObjectInput(object_number="RISK-SECRET", title={"en": "Secret scroll"}),
    )
    for obj, place, score in ((banner, places["gallery"], 0.6), (secret, places["shelf"], 0.9)):
        ObjectAssessment.objects.create(
            object_id=obj.pk,
            location_id=place.pk,
            rules_version="2026.1",
            risks=[
                {
                    "agent": "light",
                    "level": "high",
                    "score": score,
                    "material": "silk",
                    "measure": "fade",
                    "numbers": {"years_to_jnf": 2.5},
                    "rule": {},
                    "sources": ["cci_agents"],
                    "confidence": "measured",
                }
            ],
            strategies=[
                {
                    "key": "uv_filter",
                    "agent": "light",
                    "reduction": 0.3,
                    "score_after": 0.3,
                    "parameters": {},
                    "reasons": [],
                    "sources": ["cci_agents"],
                    "action": {"kind": "task", "process": None},
                }
            ],
            score=score,
            top_agent="light",
            computed_at=NOW,
        )
    register.do_save_risk(
        people["conservator"],
        None,
        register.RiskData(agent=7, title="Fading of silk", a_score=4.5, b_score=3, c_score=2.5),
    )
    return {"people": people}


def test_pdf_opens_and_names_the_object(assessed: dict[str, Any]) -> None:
    report = exports.build_report(assessed["people"]["curator"], "en")
    pdf = exports.render_pdf(report, compress=False)
    assert pdf.startswith(b"%PDF")
    assert b"RISK-0001" in pdf
    assert b"RISK-SECRET" not in pdf


def test_xlsx_reads_back(assessed: dict[str, Any]) -> None:
    report = exports.build_report(assessed["people"]["conservator"], "en")
    book = load_workbook(io.BytesIO(exports.render_xlsx(report)))
    assert book.sheetnames == ["Objects", "Strategies", "Places", "Register"]
    numbers = [row[0] for row in book["Objects"].iter_rows(min_row=2, values_only=True)]
    assert numbers == ["RISK-SECRET", "RISK-0001"]
    register_rows = list(book["Register"].iter_rows(min_row=2, values_only=True))
    assert [(row[0], row[5], row[6]) for row in register_rows] == [("Fading of silk", 10, "High")]
    sources = next(book["Objects"].iter_rows(min_row=2, values_only=True))[8]
    assert sources == "Canadian Conservation Institute, Agents of Deterioration (ten agents)"


def test_chinese_report_renders(assessed: dict[str, Any]) -> None:
    report = exports.build_report(assessed["people"]["conservator"], "zh-hans")
    assert exports.render_pdf(report).startswith(b"%PDF")
