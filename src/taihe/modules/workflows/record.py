"""The record of one request: its values, its path (every step with each approver's
decision) and its history, as the request page shows them and as a printable PDF.

The PDF is what goes into a paper file or an audit: museum header, number, title, applicant,
dates and status, the form (tables with their totals), the approval path with each
approver's decision, time and comment as their signature line, the history, and when and by
whom it was generated. Times are shown in the museum's time zone. Chinese text uses
reportlab's built-in CID font ``STSong-Light`` (no font file: the reader supplies the glyphs),
so it renders offline, as the conservation reports do.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any, Final
from xml.sax.saxutils import escape

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from taihe.modules.directory import api as directory
from taihe.modules.workflows import fields as field_registry
from taihe.modules.workflows import selectors
from taihe.modules.workflows.engine.machine import paths
from taihe.modules.workflows.models import Action, Attachment, CarbonCopy, Request, Task
from taihe.modules.workflows.resolving import Lookups

FILE_TYPES = frozenset({"attachment", "image"})

STATUS_TONES = {"running": "warn", "returned": "warn", "approved": "ok", "rejected": "bad",
                "withdrawn": "", "cancelled": ""}
"""Which pill colour each request status gets (taihe.css ``pill-ok``/``-warn``/``-bad``)."""

TASK_TONES = {"pending": "warn", "approved": "ok", "rejected": "bad", "waiting": "",
              "transferred": "", "cancelled": "", "skipped": "", "upcoming": ""}


AUTO_REASONS: dict[str, Any] = {
    "applicant": gettext_lazy("approved automatically: the applicant is this approver"),
    "duplicate": gettext_lazy("approved automatically: already approved at an earlier step"),
}

MODE_LABELS: dict[tuple[str, str], Any] = {
    ("approval", "sequential"): gettext_lazy("one after another"),
    ("approval", "all"): gettext_lazy("every approver must approve"),
    ("approval", "any"): gettext_lazy("any one approver decides"),
    ("handler", "any"): gettext_lazy("any one handler marks it done"),
    ("handler", "all"): gettext_lazy("every handler marks it done"),
}

STEP_STATES: dict[str, Any] = {
    "done": gettext_lazy("Done"),
    "current": gettext_lazy("In progress"),
    "rejected": gettext_lazy("Rejected"),
    "skipped": gettext_lazy("Skipped: no approver found"),
    "upcoming": gettext_lazy("Not reached yet"),
    "not_reached": gettext_lazy("Not reached"),
}

DECISIONS = frozenset({Action.Kind.APPROVED, Action.Kind.COMPLETED, Action.Kind.REJECTED,
                       Action.Kind.RETURNED, Action.Kind.RETURNED_TO_STEP,
                       Action.Kind.TRANSFERRED, Action.Kind.ADDED_BEFORE,
                       Action.Kind.ADDED_AFTER, Action.Kind.TIMED_OUT,
                       Action.Kind.REASSIGNED, Action.Kind.ESCALATED})
"""History kinds that record what an approver did with their task."""


def person_name(names: dict[int, str], person_id: int | None) -> str:
    if person_id is None:
        return ""
    return names.get(person_id) or f"#{person_id}"


def status_of(request: Request) -> dict[str, str]:
    return {"code": request.status, "label": str(request.get_status_display()),
            "tone": STATUS_TONES.get(request.status, "")}


def department_name(department_id: int | None) -> str:
    if department_id is None:
        return ""
    found = directory.department(department_id)
    if found is None:
        return f"#{department_id}"
    return found.name_zh if found.name_en in ("", found.name_zh) else \
        f"{found.name_zh} · {found.name_en}"


@dataclass
class PathEntry:
    """One approver's part at a step."""

    person: str
    status: str
    status_label: str
    tone: str
    at: dt.datetime | None = None
    comment: str = ""
    note: str = ""


@dataclass
class PathStep:
    node_id: str
    name: str
    kind: str
    depth: int
    state: str
    state_label: str
    mode: str = ""
    approvers: str = ""
    entries: list[PathEntry] = field(default_factory=list)
    branch: str = ""


class PathBuilder:
    """The request's path: every step of its version's flow in order, with the approvers
    and what each did in the current round (history keeps the earlier rounds)."""

    def __init__(self, request: Request, tasks: list[Task], copies: list[CarbonCopy],
                 actions: list[Action], names: dict[int, str], form_labels: dict[str, str]
                 ) -> None:
        self.request = request
        self.definition = request.version.definition
        self.round = int(request.state.get("round") or 1)
        self.tasks = [t for t in tasks if t.round == self.round and not t.superseded]
        self.copies = copies
        starts = [i for i, a in enumerate(actions)
                  if a.kind in (Action.Kind.SUBMITTED, Action.Kind.RESUBMITTED)]
        self.actions = actions[starts[-1]:] if starts else actions
        self.names = names
        self.form_labels = form_labels
        self.running = request.status in (Request.Status.RUNNING,)
        self.decisions: dict[int, Action] = {}
        for action in self.actions:
            if action.kind in DECISIONS and action.task_key is not None:
                self.decisions[action.task_key] = action
        self.roles = {code: (zh, en) for code, zh, en in directory.roles()}

    def steps(self) -> list[PathStep]:
        found: list[PathStep] = []
        self._walk(self.definition.get("nodes") or [], 0, found)
        return found

    def _active(self, node: dict[str, Any]) -> bool:
        """Whether anything happened at this node (or inside it) in this round."""
        ids = set(_subtree_ids(node))
        return (any(t.node_id in ids for t in self.tasks)
                or any(c.node_id in ids for c in self.copies)
                or any(a.node_id in ids for a in self.actions))

    def _walk(self, nodes: list[dict[str, Any]], depth: int, found: list[PathStep]) -> None:
        for node in nodes:
            kind = node.get("type")
            if kind == "condition":
                taken = [b for b in node.get("branches") or []
                         if any(self._active(n) for n in b.get("nodes") or [])]
                label = ", ".join(str(b.get("name") or b.get("id")) for b in taken) or (
                    _("decided when the request gets here") if self.running else
                    _("no step of a branch was needed"))
                found.append(PathStep(node_id=node["id"], name=str(node.get("name") or ""),
                                      kind="condition", depth=depth,
                                      state="done" if taken else "upcoming",
                                      state_label="", branch=label))
                for branch in taken:
                    self._walk(branch.get("nodes") or [], depth + 1, found)
            elif kind == "parallel":
                found.append(PathStep(node_id=node["id"], name=str(node.get("name") or ""),
                                      kind="parallel", depth=depth, state="", state_label="",
                                      branch=_("at the same time: %(branches)s") % {
                                          "branches": ", ".join(str(b.get("name") or b["id"])
                                                                for b in node["branches"])}))
                for branch in node.get("branches") or []:
                    self._walk(branch.get("nodes") or [], depth + 1, found)
            elif kind == "cc":
                found.append(self._cc(node, depth))
            elif kind in ("approval", "handler"):
                found.append(self._acting(node, depth))

    def _cc(self, node: dict[str, Any], depth: int) -> PathStep:
        copies = [c for c in self.copies if c.node_id == node["id"]]
        step = PathStep(node_id=node["id"], name=str(node.get("name") or ""), kind="cc",
                        depth=depth, state="done" if copies else "upcoming",
                        state_label="", approvers=self._describe(node))
        for copy in copies:
            step.entries.append(PathEntry(
                person=person_name(self.names, copy.person_id),
                status="read" if copy.read_at else "unread",
                status_label=_("Read") if copy.read_at else _("Not read yet"),
                tone="ok" if copy.read_at else "", at=copy.created_at))
        return step

    def _acting(self, node: dict[str, Any], depth: int) -> PathStep:
        kind = str(node.get("type"))
        mode = str(node.get("mode") or ("sequential" if kind == "approval" else "any"))
        tasks = sorted((t for t in self.tasks if t.node_id == node["id"]), key=lambda t: t.key)
        step = PathStep(node_id=node["id"], name=str(node.get("name") or node["id"]),
                        kind=kind, depth=depth, state="", state_label="",
                        mode=str(MODE_LABELS.get((kind, mode), "")),
                        approvers=self._describe(node))
        for task in tasks:
            step.entries.append(self._entry(task))
        statuses = {t.status for t in tasks}
        skipped = any(a.kind == Action.Kind.SKIPPED and a.node_id == node["id"]
                      for a in self.actions)
        if Task.Status.PENDING in statuses or (Task.Status.WAITING in statuses and self.running):
            step.state = "current"
        elif Task.Status.REJECTED in statuses:
            step.state = "rejected"
        elif tasks and Task.Status.APPROVED in statuses:
            step.state = "done"
        elif skipped:
            step.state = "skipped"
        else:
            step.state = "upcoming" if self.running else "not_reached"
        step.state_label = str(STEP_STATES[step.state])
        return step

    def _entry(self, task: Task) -> PathEntry:
        decision = self.decisions.get(task.key)
        label = str(task.get_status_display())
        note = ""
        if task.auto:
            note = str(AUTO_REASONS.get(task.auto, task.auto))
        elif task.status == Task.Status.APPROVED and task.kind == "handler":
            label = _("Done")
        if task.status == Task.Status.PENDING:
            label = _("Waiting for a decision")
        if task.delegated_from_id:
            note = (note + " " if note else "") + _("standing in for %(person)s") % {
                "person": person_name(self.names, task.delegated_from_id)}
        if task.added == "before":
            note = (note + " " if note else "") + _("added before another approver")
        elif task.added == "after":
            note = (note + " " if note else "") + _("added after another approver")
        elif task.added == "admin":
            note = (note + " " if note else "") + _("an administrator: no approver was found")
        if task.status == Task.Status.TRANSFERRED and decision is not None and decision.people:
            note = (note + " " if note else "") + _("to %(person)s") % {
                "person": person_name(self.names, decision.people[-1])}
        return PathEntry(person=person_name(self.names, task.assignee_id), status=task.status,
                         status_label=label, tone=TASK_TONES.get(task.status, ""),
                         at=task.acted_at or (decision.at if decision else None),
                         comment=decision.comment if decision else "", note=note)

    def _describe(self, node: dict[str, Any]) -> str:
        """Who a step names, in words (for steps nobody has reached yet)."""
        parts = []
        for source in node.get("approvers") or []:
            kind = source.get("kind")
            levels = int(source.get("levels") or 1)
            if kind == "people":
                parts.append(", ".join(person_name(self.names, int(i))
                                       for i in source.get("ids", [])))
            elif kind == "role":
                zh, en = self.roles.get(str(source.get("code")), (source.get("code"), ""))
                role = zh if (get_language() or "").startswith("zh") else (en or zh)
                parts.append(_("everyone with the role %(role)s") % {"role": role})
            elif kind == "manager":
                parts.append(_("the applicant's department head") if levels == 1 else
                             _("the department head %(n)d levels up") % {"n": levels})
            elif kind == "manager_chain":
                parts.append(_("the department heads up to %(n)d levels up") % {"n": levels})
            elif kind == "department_head":
                parts.append(_("the head of %(department)s") % {
                    "department": department_name(int(source.get("department_id") or 0))})
            elif kind == "form_field":
                parts.append(_("the person in the field %(field)s") % {
                    "field": self.form_labels.get(str(source.get("field")),
                                                  source.get("field"))})
            elif kind == "applicant_choice":
                chosen = self.request.chosen_approvers.get(node["id"]) or []
                parts.append(", ".join(person_name(self.names, int(i)) for i in chosen)
                             or _("chosen by the applicant"))
            elif kind == "applicant":
                parts.append(_("the applicant"))
        return "; ".join(part for part in parts if part)


def _subtree_ids(node: dict[str, Any]) -> list[str]:
    found = [node["id"]]
    for branch in node.get("branches") or []:
        for inner in branch.get("nodes") or []:
            found.extend(_subtree_ids(inner))
    return found


def _people_in(tasks: list[Task], copies: list[CarbonCopy], actions: list[Action],
               request: Request) -> set[int]:
    people = {request.applicant_id}
    for task in tasks:
        people.add(task.assignee_id)
        if task.delegated_from_id:
            people.add(task.delegated_from_id)
    people.update(copy.person_id for copy in copies)
    for action in actions:
        if action.actor_id:
            people.add(action.actor_id)
        if action.on_behalf_of_id:
            people.add(action.on_behalf_of_id)
        people.update(int(i) for i in action.people if str(i).isdigit())
    for node, _path in paths(request.version.definition).values():
        for source in node.get("approvers") or []:
            if source.get("kind") == "people":
                people.update(int(i) for i in source.get("ids", []))
    for chosen in request.chosen_approvers.values():
        people.update(int(i) for i in chosen if str(i).isdigit())
    return people


def _attachment_links(request: Request, ids: list[Any]) -> list[dict[str, Any]]:
    wanted = [int(i) for i in ids if str(i).isdigit()]
    found = {a.pk: a for a in Attachment.objects.filter(pk__in=wanted, request=request)}
    return [{"id": a.pk, "name": a.name, "is_image": a.is_image, "size": a.size,
             "url": reverse("workflows:attachment", args=[a.pk])}
            for i in wanted if (a := found.get(i)) is not None]


def _value_rows(actor: Any, request: Request) -> list[dict[str, Any]]:
    """The form's values as the page and the record show them; files become links."""
    form = request.version.form
    rows = field_registry.display_rows(form, request.form_data,
                                       Lookups(actor, request_id=request.pk))
    kinds = {f.get("name"): f.get("type") for f in form}
    for row in rows:
        if row["table"]:
            row["labelled"] = [list(zip(row["columns"], cells, strict=False))
                               for cells in row["rows"]]
        elif kinds.get(row["name"]) in FILE_TYPES:
            row["files"] = _attachment_links(request, request.form_data.get(row["name"]) or [])
    return rows


def _history(request: Request, actions: list[Action], names: dict[int, str],
             node_names: dict[str, str]) -> list[dict[str, Any]]:
    files: dict[int, Attachment] = {a.pk: a for a in Attachment.objects.filter(request=request)}
    statuses = dict(Request.Status.choices)
    entries = []
    for action in actions:
        detail = ""
        if action.kind == Action.Kind.RETURNED_TO_STEP and action.detail:
            detail = _("back to %(step)s") % {"step": node_names.get(action.detail,
                                                                    action.detail)}
        elif action.kind == Action.Kind.FINISHED:
            detail = str(statuses.get(action.detail, action.detail))
        elif action.kind == Action.Kind.AUTO_APPROVED:
            detail = str(AUTO_REASONS.get(action.detail, action.detail))
        elif action.kind == Action.Kind.TIMED_OUT:
            detail = _("approved") if action.detail == "approve" else _("rejected")
        elif action.detail:
            detail = action.detail
        entries.append({
            "action": action, "label": str(action.get_kind_display()),
            "actor": person_name(names, action.actor_id) if action.actor_id else _("Taihe"),
            "on_behalf_of": person_name(names, action.on_behalf_of_id),
            "people": ", ".join(person_name(names, int(i)) for i in action.people
                                if str(i).isdigit()),
            "detail": detail, "detail_link": action.detail
            if action.kind in (Action.Kind.CANCELLATION_REQUESTED, Action.Kind.CANCELLED)
            and action.detail.startswith("AP-") else "",
            "files": [{"name": files[int(i)].name,
                       "url": reverse("workflows:attachment", args=[int(i)])}
                      for i in action.attachments if int(i) in files],
        })
    return entries


def request_context(actor: Any, found: Request) -> dict[str, Any]:
    """Everything the request page and the printed record show of one request."""
    tasks = list(found.tasks.order_by("key"))
    copies = list(found.copies.order_by("created_at", "id"))
    actions = list(selectors.history_of(found))
    names = directory.display_names(sorted(_people_in(tasks, copies, actions, found)))
    node_names = {node_id: str(node.get("name") or node_id)
                  for node_id, (node, _p) in paths(found.version.definition).items()}
    form_labels = {f["name"]: field_registry.label_of(f) for f in found.version.form
                   if f.get("name")}
    return {
        "req": found, "status": status_of(found), "process": found.process,
        "applicant": person_name(names, found.applicant_id),
        "department": department_name(found.department_id),
        "values": _value_rows(actor, found),
        "path": PathBuilder(found, tasks, copies, actions, names, form_labels).steps(),
        "history": _history(found, actions, names, node_names),
        "tasks": tasks, "names": names, "node_names": node_names,
        "cancellations": list(found.cancellations.order_by("submitted_at")
                              .values_list("number", "status")),
    }


# --- PDF -------------------------------------------------------------------------------------

CJK_FONT: Final = "STSong-Light"
LATIN_FONT: Final = "Helvetica"
LATIN_BOLD_FONT: Final = "Helvetica-Bold"
_INK = colors.HexColor("#1f2328")
_MUTED = colors.HexColor("#4a4f57")
_RULE = colors.HexColor("#b9b2a3")
_HEAD = colors.HexColor("#efece4")


def _register_cjk_font() -> None:
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def _latin(character: str) -> bool:
    """Whether Helvetica's WinAnsi encoding has the character (reportlab draws a black box
    for those it lacks)."""
    try:
        character.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _markup(text: str, bold: bool = False) -> str:
    """Paragraph markup of plain text: escaped, runs WinAnsi lacks (Chinese) in the CID
    font, line breaks kept."""
    runs: list[tuple[bool, str]] = []
    for character in str(text):
        latin = _latin(character)
        if runs and runs[-1][0] == latin:
            runs[-1] = (latin, runs[-1][1] + character)
        else:
            runs.append((latin, character))
    out = "".join(escape(chunk) if latin else f'<font face="{CJK_FONT}">{escape(chunk)}</font>'
                  for latin, chunk in runs)
    out = out.replace("\n", "<br/>")
    return f"<b>{out}</b>" if bold else out


def _local(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


class _Styles:
    def __init__(self) -> None:
        def style(name: str, size: float, **kw: Any) -> ParagraphStyle:
            kw.setdefault("fontName", LATIN_FONT)
            kw.setdefault("textColor", _INK)
            return ParagraphStyle(name, fontSize=size, leading=size * 1.35, **kw)

        self.museum = style("museum", 10, textColor=_MUTED)
        self.title = style("title", 16, fontName=LATIN_BOLD_FONT, spaceAfter=2)
        self.subtitle = style("subtitle", 11, textColor=_MUTED, spaceAfter=6)
        self.heading = style("heading", 12, fontName=LATIN_BOLD_FONT, spaceBefore=10,
                             spaceAfter=4)
        self.cell = style("cell", 9)
        self.head = style("head", 8.5, fontName=LATIN_BOLD_FONT, textColor=_MUTED)
        self.step = style("step", 10, fontName=LATIN_BOLD_FONT, spaceBefore=6, spaceAfter=2)
        self.note = style("note", 8, textColor=_MUTED)


def _grid(rows: list[list[Flowable]], widths: list[float], *, header: bool) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, _RULE),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), _HEAD))
    table.setStyle(TableStyle(commands))
    return table


@dataclass
class _Document:
    """One request's record, built as reportlab flowables."""

    context: dict[str, Any]
    generated_by: str
    generated_at: dt.datetime
    width: float = 0.0
    styles: _Styles = field(default_factory=_Styles)

    def p(self, text: Any, style: ParagraphStyle | None = None, *, bold: bool = False
          ) -> Paragraph:
        return Paragraph(_markup(str(text), bold), style or self.styles.cell)

    def facts(self, pairs: list[tuple[Any, Any]]) -> Table:
        return _grid([[self.p(label, self.styles.head), self.p(value)] for label, value in pairs],
                     [self.width * 0.25, self.width * 0.75], header=False)

    def story(self) -> list[Flowable]:
        context, s = self.context, self.styles
        request: Request = context["req"]
        museum = str(getattr(settings, "TAIHE_MUSEUM_NAME", "Taihe"))
        story: list[Flowable] = [
            self.p(museum, s.museum),
            self.p(_("Approval record"), s.title),
            self.p(f"{request.number} · {request.title}", s.subtitle),
            self.facts([
                (_("Number"), request.number),
                (_("Approval"), f"{request.process.name} (v{request.version.number})"),
                (_("Title"), request.title),
                (_("Applicant"), context["applicant"]),
                (_("Department"), context["department"] or "–"),
                (_("Status"), context["status"]["label"]),
                (_("Submitted"), _local(request.submitted_at)),
                (_("Finished"), _local(request.finished_at) or "–"),
            ]),
            self.p(_("Form"), s.heading),
        ]
        story.extend(self.values())
        story.append(self.p(_("Approval path"), s.heading))
        story.extend(self.path())
        story.append(self.p(_("History"), s.heading))
        story.append(self.history())
        story.append(Spacer(1, 8))
        story.append(self.p(_("Generated by %(person)s, %(time)s (%(zone)s)") % {
            "person": self.generated_by, "time": _local(self.generated_at),
            "zone": settings.TIME_ZONE}, s.note))
        return story

    def values(self) -> list[Flowable]:
        found: list[Flowable] = []
        pairs: list[tuple[Any, Any]] = []

        def flush() -> None:
            if pairs:
                found.append(self.facts(list(pairs)))
                pairs.clear()

        for row in self.context["values"]:
            if not row["table"]:
                value = ", ".join(f["name"] for f in row["files"]) if row.get("files") \
                    else row["value"]
                pairs.append((row["label"], value or "–"))
                continue
            flush()
            found.append(self.p(row["label"], self.styles.step))
            columns = row["columns"] or [""]
            width = self.width / len(columns)
            grid = [[self.p(c, self.styles.head) for c in columns]]
            grid += [[self.p(cell) for cell in cells] for cells in row["rows"]]
            if row["totals"]:
                grid.append([self.p(total or (_("Total") if index == 0 else ""), bold=True)
                             for index, total in enumerate(row["totals"])])
            found.append(_grid(grid, [width] * len(columns), header=True))
        flush()
        if not found:
            found.append(self.p(_("The form has no values."), self.styles.note))
        return found

    def path(self) -> list[Flowable]:
        found: list[Flowable] = []
        s = self.styles
        widths = [self.width * w for w in (0.22, 0.18, 0.18, 0.42)]
        for step in self.context["path"]:
            indent = "    " * step.depth
            if step.kind in ("condition", "parallel"):
                found.append(self.p(f"{indent}{step.name}: {step.branch}", s.note))
                continue
            title = f"{indent}{step.name}"
            if step.state_label:
                title += f" · {step.state_label}"
            found.append(self.p(title, s.step))
            if step.approvers or step.mode:
                found.append(self.p(" · ".join(x for x in (step.approvers, step.mode) if x),
                                    s.note))
            if not step.entries:
                continue
            grid = [[self.p(_("Person"), s.head), self.p(_("Decision"), s.head),
                     self.p(_("Time"), s.head), self.p(_("Comment"), s.head)]]
            for entry in step.entries:
                decision = entry.status_label + (f" ({entry.note})" if entry.note else "")
                grid.append([self.p(entry.person), self.p(decision), self.p(_local(entry.at)),
                             self.p(entry.comment)])
            found.append(_grid(grid, widths, header=True))
        return found

    def history(self) -> Table:
        s = self.styles
        grid = [[self.p(_("Time"), s.head), self.p(_("What happened"), s.head),
                 self.p(_("Who"), s.head), self.p(_("Comment"), s.head)]]
        for entry in self.context["history"]:
            action = entry["action"]
            what = entry["label"]
            details = [x for x in (action.node_name, entry["detail"], entry["people"]) if x]
            if details:
                what += f" ({'; '.join(details)})"
            who = entry["actor"]
            if entry["on_behalf_of"]:
                who += " " + _("for %(person)s") % {"person": entry["on_behalf_of"]}
            comment = action.comment
            if entry["files"]:
                comment = (comment + "\n" if comment else "") + ", ".join(
                    f["name"] for f in entry["files"])
            grid.append([self.p(_local(action.at)), self.p(what), self.p(who),
                         self.p(comment)])
        widths = [self.width * w for w in (0.18, 0.34, 0.18, 0.30)]
        return _grid(grid, widths, header=True)


def render_record(actor: Any, request: Request, context: dict[str, Any], *,
                  compress: bool = True, now: dt.datetime | None = None) -> bytes:
    """The request's record as A4 PDF bytes; ``context`` is :func:`request_context`."""
    _register_cjk_font()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
        bottomMargin=18 * mm, title=f"{request.number} {request.title}",
        author=str(getattr(actor, "display_name", "") or ""), creator="Taihe",
        subject=_("Approval record"), invariant=1, pageCompression=1 if compress else 0)
    content = _Document(context=context,
                        generated_by=str(getattr(actor, "display_name", "") or actor),
                        generated_at=now or timezone.now(), width=document.width)
    footer = f"{request.number} · {_('Approval record')}"

    def on_page(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(LATIN_FONT, 7.5)
        canvas.setFillColor(_MUTED)
        text = footer if all(_latin(c) for c in footer) else request.number
        canvas.drawString(18 * mm, 10 * mm, text)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, _("Page %(page)d") % {
            "page": doc.page})
        canvas.restoreState()

    document.build(content.story(), onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
