"""The printable record of a request: a PDF with the museum header, the request, its form
(tables included), the approval path with each decision as a signature line, and the
history; readable by exactly the people who may read the request.

pypdf is not installed, so text is checked in the uncompressed content streams: Latin text
as reportlab writes it in WinAnsi, Chinese in the CID font's UTF-16 (``shown``)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone, translation
from reportlab.lib.rl_accel import escapePDF

from taihe.modules.workflows import record, services
from taihe.modules.workflows.models import Request

pytestmark = pytest.mark.django_db


def shown(text: str) -> bytes:
    """How reportlab writes ``text`` in an uncompressed content stream: WinAnsi for
    Helvetica, UTF-16 big-endian for the Chinese CID font."""
    try:
        encoded = text.encode("cp1252")
    except UnicodeEncodeError:
        encoded = text.encode("utf_16_be")
    return escapePDF(encoded).encode("latin-1")


def pdf_of(person: Any, request: Request, now: dt.datetime | None = None) -> bytes:
    found = Request.objects.get(pk=request.pk)
    return record.render_record(person, found, record.request_context(person, found),
                                compress=False, now=now)


def test_the_record_holds_the_request_path_and_history(
        people: dict[str, Any], submit: Callable[..., Request]) -> None:
    # given an expense approved by the lab head with a comment and waiting at step two
    request = submit(people["applicant"])
    services.do_approve(people["lab_head"], request.number, comment="Agreed")
    moment = dt.datetime(2026, 3, 9, 8, 30, tzinfo=dt.UTC)
    # when the applicant prints it (in English)
    with translation.override("en"):
        pdf = pdf_of(people["applicant"], request, now=moment)
    # then it is a PDF naming the request, the people, the form and the decisions
    assert pdf.startswith(b"%PDF-")
    for text in (request.number, "Approval record", "Expense claim (v1)",
                 "Japanese tissue for the scroll repair", "CNY 1,200.00", "Kozo tissue",
                 "CNY 800.00", "1,200.00", "Lab head", "Department head", "Agreed",
                 "Approved", "Submitted", "Lee Labhead", "Chen Conservation",
                 "Ann Applicant"):
        assert shown(text) in pdf, text
    # Chinese text (the department, the approval's name in the title) is drawn with the CID
    # font
    assert shown("纸质文物实验室") in pdf
    assert shown("费用报销") in pdf
    assert b"/STSong-Light" in pdf
    # and the generated time is in the museum's zone
    local = timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    assert shown(local) in pdf


def test_a_long_history_breaks_onto_more_pages(people: dict[str, Any],
                                               submit: Callable[..., Request]) -> None:
    request = submit(people["applicant"])
    for number in range(60):
        services.do_comment(people["applicant"], request.number,
                            comment=f"Comment number {number}")
    pdf = pdf_of(people["applicant"], request)
    assert len(re.findall(rb"/Type /Page\n", pdf)) >= 2
    assert shown("Comment number 59") in pdf
    assert shown("Page 2") in pdf


def test_the_record_view_serves_the_pdf_to_readers_only(
        client_for: Any, people: dict[str, Any], submit: Callable[..., Request]) -> None:
    request = submit(people["applicant"])
    url = f"/approvals/r/{request.number}/record.pdf"
    for who in ("applicant", "lab_head", "overseer"):
        response = client_for(people[who]).get(url)
        assert response.status_code == 200, who
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == f'inline; filename="{request.number}.pdf"'
        assert response.content.startswith(b"%PDF-")
    for who in ("outsider", "guard", "colleague"):
        assert client_for(people[who]).get(url).status_code == 404, who
    assert client_for(None).get(url).status_code == 302
