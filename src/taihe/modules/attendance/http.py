"""Attendance's API under ``/api/v1/attendance``: parse, call one service or selector,
serialise.

Everything is read through the selectors, so a person the caller may not see answers 404
as if they did not exist; the services check the rest, and their errors reach the caller
through the kernel's envelope (``{"detail", "code", "fields"}``). Every operation declares
each status it can answer with, the envelope's shape included (the API is fuzzed against
that declaration).
"""

# No ``from __future__ import annotations`` here: ninja's ``paginate`` wrapper resolves a
# view's annotations in its own module, where ``date`` would be an unknown name.

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from taihe.kernel import authz
from taihe.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from taihe.kernel.http.api import Pagination, user_id
from taihe.modules.attendance import exporting, selectors, services
from taihe.modules.attendance import operations as ops
from taihe.modules.attendance import schemas as s
from taihe.modules.attendance.computing import month_start, next_month, parse_month
from taihe.modules.attendance.labels import leave_type_name
from taihe.modules.attendance.models import (
    Absence,
    DayResult,
    LeaveType,
    Month,
    MonthSummary,
    Overtime,
    Punch,
    PunchCorrection,
)
from taihe.modules.directory import api as directory

router = Router()

"""Months outside this century are typing mistakes; refusing them also keeps date
arithmetic (the month after December 9999) away from the calendar's edge."""
MAX_RANGE_DAYS = 366
"""The longest span of problem days one query may ask for."""
MAX_IMPORT_BYTES = 10 * 1024 * 1024
"""A time clock's month for a thousand people is about 2 MB of CSV."""
CENTS = Decimal("0.01")
NOT_JUDGED = "not_judged"
"""Today's status of a team member with no result yet (no punch, no leave, no recompute)."""
ProblemStatus = Literal["late", "left_early", "late_and_left_early", "absent",
                        "missing_punch_in", "missing_punch_out"]
"""``selectors.PROBLEMS``, spelled out so that the OpenAPI document lists them."""
ExportFormat = Literal["xlsx", "csv"]
ExportSheet = Literal["summary", "detail", "corrections"]
EXPORT_TYPES = {"xlsx": exporting.XLSX_TYPE, "csv": "text/csv"}


def _answers(status: int, schema: Any, success: str, failures: dict[int, str], *,
             files: dict[str, str] | None = None) -> dict[str, Any]:
    """``response`` and ``openapi_extra`` of an operation: its success and every failure,
    each with what it means; failures answer with the envelope. 401 (no session or token)
    goes for every operation. ``files``: the success is a file of one of these media types
    (by format), not JSON."""
    failures = {401: "Not signed in, and no valid API token.", **failures}
    answer: dict[str, Any] = {"description": success}
    response = dict.fromkeys(failures, s.AttendanceErrorOut)
    if files is None:
        response[status] = schema
    else:
        answer["content"] = {media_type: {"schema": {"type": "string", "format": "binary"}}
                             for media_type in files.values()}
    return {"response": response, "openapi_extra": {"responses": {
        status: answer, **{code: {"description": why} for code, why in failures.items()}}}}


BAD_MONTH = "``month`` is not ``YYYY-MM`` within 2000-01 to 2099-12 (``fields.month``)."
NO_PUNCHING = "The caller may not punch (``attendance.punch.record``)."
NO_TEAM = "The caller heads no department and holds no ``attendance.team.view`` grant."
NO_PAYROLL = "The caller may not close months (``attendance.month.close``)."


# --- parsing ------------------------------------------------------------------------------

def _month(value: str | None, *, default: date | None = None) -> date:
    """The first day of a ``YYYY-MM`` month; ``default`` when none is given."""
    if not (value or "").strip() and default is not None:
        return default
    return parse_month(value)


def _this_month() -> date:
    return month_start(selectors.today())


# --- serialising --------------------------------------------------------------------------

def _amount(value: Decimal | int | str) -> str:
    return str(Decimal(value).quantize(CENTS))


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _names(ids: Sequence[int | None]) -> dict[int, str]:
    return directory.display_names(sorted({int(i) for i in ids if i is not None}))


def _person(person_id: int, names: dict[int, str]) -> dict[str, Any]:
    return {"id": person_id, "name": names.get(person_id, f"#{person_id}")}


def _reasons(row: DayResult) -> list[dict[str, Any]]:
    return [{"code": str(reason.get("code", "")), "segment": reason.get("segment"),
             "minutes": reason.get("minutes"), "at": reason.get("at")}
            for reason in row.reasons or [] if isinstance(reason, dict)]


def _day(row: DayResult) -> dict[str, Any]:
    return {"date": row.date, "status": row.status, "shift_code": row.shift_code,
            "day_kind": row.day_kind, "late_minutes": row.late_minutes,
            "early_minutes": row.early_minutes, "worked_minutes": row.worked_minutes,
            "overtime_minutes": row.overtime_minutes, "overtime_class": row.overtime_class,
            "overtime_settlement": row.overtime_settlement, "leave_type": row.leave_type,
            "leave_days": _amount(row.leave_days), "trip_minutes": row.trip_minutes,
            "missing_punches": row.missing_punches, "check_in": row.check_in,
            "check_out": row.check_out, "reasons": _reasons(row)}


def _days(actor: Any, person_id: int, first_day: date) -> dict[str, Any]:
    return {"person": _person(person_id, _names([person_id])),
            "month": first_day.strftime("%Y-%m"), "closed": selectors.is_closed(first_day),
            "days": [_day(row) for row in selectors.days_of(actor, person_id, first_day)]}


def _punch(punch: Punch) -> dict[str, Any]:
    return {"id": punch.pk, "at": punch.at, "verification": punch.verification,
            "site": {"id": punch.site.pk, "name": punch.site.name} if punch.site else None}


def _request_url(number: str) -> str:
    return reverse("workflows:request", args=[number])


def _absence(row: Absence) -> dict[str, Any]:
    leave_type = row.leave_type
    return {"number": row.request_number, "url": _request_url(row.request_number),
            "kind": row.kind, "leave_type": leave_type.code if leave_type else None,
            "start": row.start, "end": row.end, "start_half": row.start_half,
            "end_half": row.end_half, "amount": _amount(row.amount),
            "unit": leave_type.unit if leave_type else LeaveType.Unit.DAY.value,
            "status": row.status, "status_label": _label(Absence.Status, row.status)}


def _overtime(row: Overtime) -> dict[str, Any]:
    return {"number": row.request_number, "url": _request_url(row.request_number),
            "work_date": row.work_date, "start": row.start, "end": row.end,
            "compensation": row.compensation, "status": row.status,
            "status_label": _label(Overtime.Status, row.status)}


def _correction(row: PunchCorrection) -> dict[str, Any]:
    return {"number": row.request_number, "url": _request_url(row.request_number),
            "work_date": row.work_date, "at": row.at, "direction": row.direction,
            "status": row.status, "status_label": _label(Absence.Status, row.status)}


def _problem_days(rows: list[DayResult]) -> list[dict[str, Any]]:
    names = _names([row.person_id for row in rows])
    return [{"person_id": row.person_id, "name": names.get(row.person_id, ""),
             "date": row.date, "status": row.status, "late_minutes": row.late_minutes,
             "early_minutes": row.early_minutes, "missing_punches": row.missing_punches,
             "check_in": row.check_in, "check_out": row.check_out,
             "reasons": _reasons(row)} for row in rows]


def _month_out(first_day: date, found: Month | None, names: dict[int, str]) -> dict[str, Any]:
    if found is None or found.closed_at is None:
        return {"month": first_day.strftime("%Y-%m"), "first_day": first_day,
                "closed": False, "closed_at": None, "closed_by": None, "people": 0}
    closed_by = found.closed_by_id
    return {"month": first_day.strftime("%Y-%m"), "first_day": first_day, "closed": True,
            "closed_at": found.closed_at,
            "closed_by": _person(closed_by, names) if closed_by is not None else None,
            "people": found.people}


def _summaries(rows: list[MonthSummary]) -> list[dict[str, Any]]:
    names = _names([row.person_id for row in rows])
    return [{"person_id": row.person_id, "name": names.get(row.person_id, ""),
             "department_id": row.department_id, "group_name": row.group_name,
             "scheduled_days": row.scheduled_days, "worked_days": _amount(row.worked_days),
             "late_count": row.late_count, "late_minutes": row.late_minutes,
             "early_count": row.early_count, "early_minutes": row.early_minutes,
             "absent_days": _amount(row.absent_days), "missing_punches": row.missing_punches,
             "trip_days": _amount(row.trip_days),
             "leave": {str(code): str(days) for code, days in (row.leave or {}).items()},
             "overtime": {str(kind): str(hours)
                          for kind, hours in (row.overtime or {}).items()},
             "comp_time_hours": _amount(row.comp_time_hours),
             "corrections": list(row.corrections or [])} for row in rows]


class _NamedRows:
    """Rows for the kernel's paginator that are serialised, and their people named, only
    for the page it cuts (one directory query a page, not one a row)."""

    def __init__(self, rows: QuerySet[Any] | list[Any],
                 serialise: Callable[[list[Any]], list[dict[str, Any]]]) -> None:
        self.rows = rows
        self.serialise = serialise

    def __len__(self) -> int:
        return self.rows.count() if isinstance(self.rows, QuerySet) else len(self.rows)

    def __getitem__(self, page: slice) -> list[dict[str, Any]]:
        return self.serialise(list(self.rows[page]))


# --- punching -----------------------------------------------------------------------------

@router.post("/punches", summary="Clock in or out now", **_answers(
    201, s.PunchOut, "The punch, with how it was verified.", {
        400: "The body is not JSON.",
        403: NO_PUNCHING,
        409: "``no_group``: HR has not put the caller in an attendance group.",
        422: "An out-of-range position, or a punch that cannot be verified: "
             "``fields.location`` says why (how far from which site, too vague a position, "
             "no method at all). Nothing is stored."}))
def punch(request: HttpRequest, payload: s.PunchIn) -> Any:
    """Records the caller's punch at the server's time, proven by the first method the
    caller's attendance group allows that holds: inside a site's circle (the position's
    accuracy counted against the caller), from a site's network, or from a registered
    device (``device_key``). Send ``{}`` to punch from the museum network. Emits
    ``attendance.punch.recorded.v1``."""
    # The network method trusts REMOTE_ADDR only: a reverse proxy must set it to the
    # client's address. X-Forwarded-For is not read, since anyone could claim the museum
    # network with it.
    found = services.do_punch(request.user, latitude=payload.latitude,
                              longitude=payload.longitude, accuracy=payload.accuracy,
                              ip=request.META.get("REMOTE_ADDR") or None,
                              device_key=payload.device_key or None)
    return Status(201, _punch(found))


# --- my attendance ------------------------------------------------------------------------

@router.get("/me/days", summary="My judged days of a month", **_answers(
    200, s.PersonDaysOut, "The caller's days of the month, oldest first.",
    {403: NO_PUNCHING, 422: BAD_MONTH}))
def my_days(request: HttpRequest, month: str | None = None) -> Any:
    """``month``: ``YYYY-MM`` (default: this month in the museum's time zone). Each day
    comes with its status, minutes late or early, worked and overtime minutes, leave, the
    first and last punch and the evidence (``reasons``)."""
    authz.require(request.user, ops.PUNCH.code)
    first_day = _month(month, default=_this_month())
    return _days(request.user, user_id(request), first_day)


@router.get("/people/{person_id}/days",
            summary="A person's judged days of a month (oneself, one's team, or HR)",
            **_answers(200, s.PersonDaysOut, "The person's days of the month, oldest first.", {
                404: "No such person, or one the caller may not see.", 422: BAD_MONTH}))
def person_days(request: HttpRequest, person_id: int, month: str | None = None) -> Any:
    """Department heads see the people of their departments, holders of
    ``attendance.team.view`` those of its departments, HR everyone. Anyone else answers
    404, as if the person did not exist. ``month`` as for ``/me/days``."""
    if not selectors.may_see_person(request.user, person_id):
        raise NotFound(_("No such person."))
    first_day = _month(month, default=_this_month())
    return _days(request.user, person_id, first_day)


@router.get("/me/balances", summary="My leave balances", **_answers(
    200, list[s.BalanceOut], "One row for each leave type kept as a balance.",
    {403: NO_PUNCHING}))
def my_balances(request: HttpRequest) -> Any:
    """Each leave type kept as a balance (annual leave, time off in lieu, ...): what the
    ledger holds today, what requests waiting for approval ask for, and what is left for
    a new request. Amounts are decimal strings in the type's unit."""
    authz.require(request.user, ops.PUNCH.code)
    return [{"leave_type": row.leave_type.code, "name": leave_type_name(row.leave_type),
             "unit": row.leave_type.unit, "balance": _amount(row.balance),
             "pending": _amount(row.pending), "available": _amount(row.available)}
            for row in selectors.balances_of(request.user, user_id(request))]


@router.get("/me/requests",
            summary="My leave, business trip, overtime and make-up punch requests",
            **_answers(200, s.MyRequestsOut, "The caller's latest requests of each kind.",
                       {403: NO_PUNCHING}))
def my_requests(request: HttpRequest) -> Any:
    """The latest 50 of each kind with their approval numbers and statuses. They are
    started and decided in approvals (``/api/v1/workflows``); ``url`` opens one."""
    authz.require(request.user, ops.PUNCH.code)
    found = selectors.requests_of(request.user, user_id(request))
    return {"absences": [_absence(row) for row in found.absences],
            "overtime": [_overtime(row) for row in found.overtime],
            "corrections": [_correction(row) for row in found.corrections]}


# --- my team ------------------------------------------------------------------------------

def _require_team(actor: Any) -> None:
    if not selectors.has_team(actor):
        raise PermissionDenied(_("You have no team whose attendance you may see."))


@router.get("/team/today", summary="My team today: who is in, late, away or not yet seen",
            **_answers(200, s.TeamTodayOut, "Today's status of each person of the team.",
                       {403: NO_TEAM}))
def team_today(request: HttpRequest) -> Any:
    """Everyone in an attendance group whose attendance the caller sees (the departments
    they head, those of an ``attendance.team.view`` grant; HR: everyone), with today's
    status, sorted by name. ``counts`` has how many people have each status."""
    _require_team(request.user)
    today = selectors.today()
    results = {row.person_id: row for row in selectors.team_day(request.user, today)}
    people = sorted(set(selectors.team_people(request.user)) | set(results))
    names = _names(people)
    rows = []
    for person_id in people:
        row = results.get(person_id)
        rows.append({"person_id": person_id, "name": names.get(person_id, ""),
                     "status": row.status if row else NOT_JUDGED,
                     "check_in": row.check_in if row else None,
                     "check_out": row.check_out if row else None,
                     "late_minutes": row.late_minutes if row else 0})
    rows.sort(key=lambda row: (row["name"], row["person_id"]))
    return {"date": today, "counts": dict(sorted(Counter(r["status"] for r in rows).items())),
            "rows": rows}


@router.get("/team/exceptions",
            summary="My team's problem days: late, left early, absent, missing punches",
            **_answers(200, list[s.ProblemDayOut], "A page of problem days, newest first.", {
                403: NO_TEAM,
                422: "A date that is not ``YYYY-MM-DD``, an unknown ``status``, an end "
                     "before the start, or more than 366 days (``fields`` names which)."}))
@paginate(Pagination)
def team_exceptions(request: HttpRequest, start: date | None = None, end: date | None = None,
                    status: ProblemStatus | None = None) -> Any:
    """Newest first. ``start``/``end``: dates, inclusive (default: this month so far), at
    most 366 days apart; ``status``: only days of that status."""
    _require_team(request.user)
    today = selectors.today()
    start = start or month_start(today)
    end = end or today
    if end < start:
        raise ValidationFailed(fields={"end": _("The end date is before the start date.")})
    if (end - start).days >= MAX_RANGE_DAYS:
        raise ValidationFailed(fields={"end": _(
            "Ask for at most %(days)d days at a time.") % {"days": MAX_RANGE_DAYS}})
    rows = selectors.exceptions_of(request.user, start, end, status=status)
    return _NamedRows(rows, _problem_days)


# --- months and payroll -------------------------------------------------------------------

@router.get("/months", summary="Attendance months: closed, and open since the last close",
            **_answers(200, list[s.MonthOut], "The months, newest first.",
                       {403: NO_PAYROLL}))
def list_months(request: HttpRequest) -> Any:
    """Newest first: every closed month, then (above them) each open month from the one
    after the last close up to this month; before the first close, last month and this
    one. Any earlier month can still be closed by name. Needs
    ``attendance.month.close``."""
    authz.require(request.user, ops.PAYROLL.code)
    closed = [found for found in selectors.months(request.user) if found.closed_at]
    current = _this_month()
    latest = max((found.first_day for found in closed), default=None)
    first_open = next_month(latest) if latest else month_start(current - timedelta(days=1))
    open_months = []
    cursor = first_open
    while cursor <= current:
        open_months.append(cursor)
        cursor = next_month(cursor)
    names = _names([found.closed_by_id for found in closed])
    rows = [_month_out(first_day, None, names) for first_day in open_months]
    rows += [_month_out(found.first_day, found, names) for found in closed]
    return sorted(rows, key=lambda row: row["first_day"], reverse=True)


def _closed_month(actor: Any, month: str) -> date:
    authz.require(actor, ops.PAYROLL.code)
    first_day = _month(month)
    found = selectors.month(first_day)
    if found is not None and found.closed_at is not None:
        return first_day
    label = first_day.strftime("%Y-%m")
    if first_day > _this_month():
        raise NotFound(_("%(month)s has not begun.") % {"month": label})
    raise Conflict(_("%(month)s is not closed yet; summaries and payroll exports come from "
                     "a closed month.") % {"month": label}, code="month_open")


@router.get("/months/{month}/summaries",
            summary="A closed month's frozen summaries, for payroll",
            **_answers(200, list[s.MonthSummaryOut], "A page of summaries, by person id.", {
                403: NO_PAYROLL, 404: "The month has not begun.",
                409: "``month_open``: the month is not closed yet.", 422: BAD_MONTH}))
@paginate(Pagination)
def month_summaries(request: HttpRequest, month: str) -> Any:
    """One row a person, by person id: the month's figures as frozen when it closed, and
    the corrections of earlier closed months it pays. Needs ``attendance.month.close``."""
    first_day = _closed_month(request.user, month)
    return _NamedRows(selectors.summaries_of(request.user, first_day), _summaries)


@router.post("/months/{month}/close", summary="Close a month: freeze its summaries for payroll",
             **_answers(200, s.MonthOut, "The closed month.", {
                 403: NO_PAYROLL,
                 409: "``month_not_over``: the month has not ended; ``closed``: it is "
                      "closed already.", 422: BAD_MONTH}))
def close_month(request: HttpRequest, month: str) -> Any:
    """Judges every day of the month again, freezes each person's summary and credits
    overtime taken as time off to the comp-time balance. Later changes to its days are
    paid as corrections in the next open month. Needs ``attendance.month.close``. Emits
    ``attendance.month.closed.v1``."""
    authz.require(request.user, ops.PAYROLL.code)
    found = services.do_close_month(request.user, _month(month))
    return _month_out(found.first_day, found, _names([found.closed_by_id]))


@router.get("/months/{month}/export", summary="Export a closed month for payroll (XLSX or CSV)",
            **_answers(200, None, "The file, as an attachment.", {
                403: NO_PAYROLL, 404: "The month has not begun, or no such ``layout``.",
                409: "``month_open``: the month is not closed yet.",
                422: "``month`` is not ``YYYY-MM`` within 2000-01 to 2099-12, an unknown "
                     "``format`` or ``sheet``, or a layout none of whose columns exists any "
                     "more (``fields`` names which)."}, files=EXPORT_TYPES))
def export_month(request: HttpRequest, month: str, format: ExportFormat = "xlsx",
                 layout: int | None = None, sheet: ExportSheet = "summary") -> HttpResponse:
    """``format=xlsx``: one workbook with the summary (in the layout's columns), a
    ``Detail`` sheet (one row a person and day) and a ``Corrections`` sheet (changes to
    days of earlier closed months paid in this one). ``format=csv``: the one ``sheet``
    named, UTF-8 with a byte order mark so that Excel reads Chinese names. ``layout``: a
    saved column layout's id (default: the default layout, else every column). Needs
    ``attendance.month.close``."""
    first_day = _closed_month(request.user, month)
    content, file_name, content_type = exporting.export_month(
        request.user, first_day, format, layout_id=layout, sheet=sheet)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


# --- imports ------------------------------------------------------------------------------

@router.post("/imports", summary="Import punches from a time clock or door-access CSV",
             **_answers(201, s.PunchImportOut, "The stored import: rows read, punches added, "
                        "duplicates skipped.", {
                 403: "The caller may not import punches (``attendance.rules.manage``).",
                 422: "Not UTF-8, missing columns, no rows, over 10 MB, or bad rows: "
                      "``fields`` names each (``row 7, time``). Nothing is stored."}))
def import_punches(request: HttpRequest, file: UploadedFile | None = File(None),  # noqa: B008
                   source_system: str = Form("", max_length=100)) -> Any:
    """A UTF-8 CSV with the columns ``person`` (user name) and ``time`` (the museum's
    local time such as ``2026-11-02 08:57``, or with an offset), and optionally
    ``terminal``; at most 10 MB. All or nothing. Punches already stored count as
    ``duplicates``. Needs ``attendance.rules.manage``. Emits
    ``attendance.punches.imported.v1``."""
    authz.require(request.user, ops.MANAGE.code)
    # Optional in the signature so that a missing file gets this message, not ninja's.
    if file is None:
        raise ValidationFailed(fields={"file": _("Choose the CSV file to import.")})
    if (file.size or 0) > MAX_IMPORT_BYTES:
        raise ValidationFailed(fields={"file": _(
            "The file is larger than 10 MB; split it, for example by month.")})
    outcome = services.do_import_punches(request.user, file.name or "", file.read(),
                                         source_system=source_system.strip())
    batch = outcome.batch
    return Status(201, {"id": batch.pk, "rows": batch.rows, "added": outcome.added,
                        "duplicates": outcome.duplicates})


__all__ = ["router"]
