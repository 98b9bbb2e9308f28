"""The demo museum's approvals: about forty requests through the built-in approvals over the
last sixty days, in every status, so that each demo sign-in opens an inbox with work in it.

Every request is submitted and acted on through the services, as people would, each step at
its moment in the story (see :func:`_clock`): history, tasks, copies and notifications agree
with one another. Requests still in approval leave to-dos for every demo sign-in: ``admin``
(finance review, a repair, a leave request), ``hr`` (a leave request, the seal), the
``conservator``, ``registrar`` and ``curator`` (object movements and loans), ``security`` (a
film crew), ``educator`` (a filming request handed on to them) and ``staff`` (an expense
claim the administrator handed to the accountant).

Loading is idempotent: nothing happens when any demo person already has a request. The
movements, loans and photography permits need the catalog's demo places and objects (its
loader runs first); without them those requests are left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from taihe.kernel import context
from taihe.kernel import demo as kernel_demo
from taihe.modules.catalog import api as catalog
from taihe.modules.directory import demo as directory_demo
from taihe.modules.workflows import seed, services
from taihe.modules.workflows.models import Request
from taihe.modules.workflows.resolving import Lookups, weekdays_between

DAYS = 60
"""How far back the story starts."""

GALLERY_BRONZE = "TH-QD-1-G1"
GALLERY_CERAMICS = "TH-QD-1-G2"
GALLERY_PAINTINGS = "TH-QD-2-G3"
GALLERY_SPECIAL = "TH-HD-1-G7"
LAB = "TH-HD-2-LAB"
STUDIO = "TH-HD-2-PH"


@contextmanager
def _clock(moment: dt.datetime) -> Iterator[None]:
    """Run the services as if it were ``moment``.

    The services stamp what they write (history, tasks, copies, notifications, request
    numbers) with ``timezone.now()``. History is insert-only, so timestamps cannot be
    corrected afterwards without the request's dates and its history disagreeing; stepping
    the clock through the story instead keeps every row true to it. Only the demo loader,
    one thread in a command, does this.
    """
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


@dataclass
class Step:
    """One thing someone does ``hours`` after the submission.

    ``action``: approve (the next pending task, by ``who`` when they hold one), reject,
    return, withdraw, comment, urge, transfer (to ``to``), cancel (the applicant asks to
    cancel the approved request; the cancellation is approved ``hours`` later again).
    """

    hours: float
    action: str
    who: str = ""
    comment: str = ""
    to: str = ""


@dataclass
class Story:
    days_ago: float
    applicant: str
    process: str
    data: Callable[[Cast], dict[str, Any]]
    steps: list[Step] = field(default_factory=list)
    needs_catalog: bool = False


class Cast:
    """The demo people by role in the story, looked up once."""

    def __init__(self) -> None:
        roster = directory_demo.demo_people()
        self.by_department: dict[str, list[directory_demo.DemoPerson]] = {}
        for person in roster:
            self.by_department.setdefault(person.department, []).append(person)
        wanted = {person.username for person in roster}
        self.people = {p.username: p for p in get_user_model().objects.filter(
            username__in=wanted, is_active=True)}
        self.places: dict[str, int] = {}
        self.objects: list[int] = []
        self.attachments = 0

    def head(self, department: str) -> str:
        return next(p.username for p in self.by_department[department] if p.is_head)

    def member(self, department: str, position: str, index: int = 0) -> str:
        """The ``index``-th staff member holding ``position`` (never the head)."""
        found = [p.username for p in self.by_department[department]
                 if p.position == position and not p.is_head
                 and p.status == directory_demo.STAFF]
        return found[index]

    def person(self, name: str) -> Any:
        return self.people[self.username(name)]

    def username(self, name: str) -> str:
        """A story name: a username, or ``head:<department>``, or
        ``<department>/<position>/<index>``."""
        if name.startswith("head:"):
            return self.head(name[5:])
        if "/" in name:
            department, position, index = name.split("/")
            return self.member(department, position, int(index))
        return name

    def pk(self, name: str) -> int:
        return int(self.person(name).pk)

    def load_catalog(self) -> bool:
        for code in (GALLERY_BRONZE, GALLERY_CERAMICS, GALLERY_PAINTINGS, GALLERY_SPECIAL,
                     LAB, STUDIO):
            found = catalog.location_by_code(code)
            if found is not None:
                self.places[code] = found.id
        site = catalog.location_by_code("TH")
        if site is not None:
            self.objects = sorted(catalog.objects_at(catalog.location_ids_within(site.id)))
        return len(self.places) == 6 and len(self.objects) >= 6

    def upload(self, name: str, filename: str, text: str) -> list[int]:
        """A small PDF uploaded by ``name`` (a scanned receipt, a contract draft)."""
        self.attachments += 1
        upload = SimpleUploadedFile(filename, _pdf(text), content_type="application/pdf")
        return [services.do_upload_attachment(self.person(name), upload).pk]


def _pdf(text: str) -> bytes:
    """A one-page PDF showing ``text`` (in ASCII), valid enough for any viewer."""
    shown = (text.encode("ascii", "replace").decode().replace("\\", "\\\\")
             .replace("(", "\\(").replace(")", "\\)"))
    stream = f"BT /F1 14 Tf 72 720 Td ({shown}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    body = b"%PDF-1.4\n"
    offsets = []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += f"{number} 0 obj\n".encode() + content + b"\nendobj\n"
    table = len(body)
    body += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    body += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    body += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{table}\n"
             f"%%EOF\n").encode()
    return body


def _days(start: dt.date, count: int) -> dict[str, str]:
    """``count`` working days from ``start`` (moved to a Monday-to-Friday day)."""
    while start.weekday() >= 5:
        start += dt.timedelta(days=1)
    end, left = start, count - 1
    while left:
        end += dt.timedelta(days=1)
        if end.weekday() < 5:
            left -= 1
    return {"start": start.isoformat(), "end": end.isoformat()}


def _on_working_days(period: dict[str, str], applicant: Any) -> dict[str, str]:
    """The same number of working days, moved onto days the applicant works: a guard's
    roster, a gallery closed on Mondays or a holiday break can leave a weekday span empty
    (and a leave over no working day is refused), whatever date the demo is loaded on."""
    lookups = Lookups(applicant)
    start, end = dt.date.fromisoformat(period["start"]), dt.date.fromisoformat(period["end"])
    wanted = weekdays_between(start, end)
    for _attempt in range(60):
        if lookups.working_days(start, start)[0] > 0:
            end = start
            while lookups.working_days(start, end)[0] < wanted:
                end += dt.timedelta(days=1)
            return {"start": start.isoformat(), "end": end.isoformat()}
        start += dt.timedelta(days=1)
    return period


# --- The stories ---------------------------------------------------------------------------

PAPER_LAB = "conservation-paper"
CONSERVATOR_2 = "conservation-paper/conservator/0"
CONSERVATOR_3 = "conservation-paper/conservator/1"
ASSISTANT_CURATOR = "exhibitions/assistant-curator/0"
DESIGNER = "exhibitions/exhibition-designer/0"
COLLECTIONS_MANAGER = "collections/collections-manager/0"
PHOTOGRAPHER = "collections/photographer/0"
DOCENT = "education/docent/0"
GUARD = "security-shift-a/security-officer/1"
ENGINEER = "facilities/engineer/0"
HR_SPECIALIST = "hr/hr-specialist/0"
IT_ENGINEER = "it/it-engineer/0"
SECRETARY = "director-office/secretary/0"
OFFICER = "director-office/administrative-officer/0"


def _stories(today: dt.date) -> list[Story]:
    def ahead(days: int) -> dt.date:
        return today + dt.timedelta(days=days)

    def back(days: int) -> dt.date:
        return today - dt.timedelta(days=days)

    def leave(kind: str, start: dt.date, count: int, reason: str,
              cover: str = "") -> Callable[[Cast], dict[str, Any]]:
        def build(cast: Cast) -> dict[str, Any]:
            data: dict[str, Any] = {"leave_type": kind, "period": _days(start, count),
                                    "reason": reason}
            if cover:
                data["cover"] = cast.pk(cover)
            return data
        return build

    def overtime(day: dt.date, start: str, end: str, hours: str, reason: str,
                 compensation: str = "comp_time") -> Callable[[Cast], dict[str, Any]]:
        return lambda cast: {"date": day.isoformat(), "start_time": start, "end_time": end,
                             "hours": hours, "reason": reason, "compensation": compensation}

    def punch(day: dt.date, which: str, time: str, cause: str,
              explanation: str) -> Callable[[Cast], dict[str, Any]]:
        return lambda cast: {"date": day.isoformat(), "punch": which, "time": time,
                             "cause": cause, "explanation": explanation}

    def trip(destination: str, purpose: str, start: dt.date, count: int, transport: str,
             cost: str, companions: tuple[str, ...] = ()) -> Callable[[Cast], dict[str, Any]]:
        return lambda cast: {"destination": destination, "purpose": purpose,
                             "period": _days(start, count), "transport": transport,
                             "estimated_cost": cost,
                             "companions": [cast.pk(c) for c in companions]}

    def expense(applicant: str, items: list[tuple[dt.date, str, str, str]], receipt: str,
                note: str = "") -> Callable[[Cast], dict[str, Any]]:
        def build(cast: Cast) -> dict[str, Any]:
            return {"items": [{"date": day.isoformat(), "category": category,
                               "description": text, "amount": amount}
                              for day, category, text, amount in items],
                    "receipts": cast.upload(applicant, "receipts.pdf", receipt), "note": note}
        return build

    def purchase(items: list[tuple[str, str, str, str]], supplier: str, reason: str,
                 needed_by: dt.date) -> Callable[[Cast], dict[str, Any]]:
        return lambda cast: {"items": [{"name": name, "specification": spec,
                                        "quantity": quantity, "unit_price": price}
                                       for name, spec, quantity, price in items],
                             "supplier": supplier, "reason": reason,
                             "needed_by": needed_by.isoformat()}

    def movement(kind: str, objects: slice, source: str, target: str, day: dt.date,
                 purpose: str, reason: str,
                 handlers: tuple[str, ...]) -> Callable[[Cast], dict[str, Any]]:
        return lambda cast: {"movement_type": kind, "objects": cast.objects[objects],
                             "from_location": cast.places[source],
                             "to_location": cast.places[target], "date": day.isoformat(),
                             "purpose": purpose, "reason": reason,
                             "handlers": [cast.pk(h) for h in handlers]}

    def loan(borrower: str, exhibition: str, venue: str, start: dt.date, days: int,
             objects: slice, value: str, courier: str,
             conditions: str) -> Callable[[Cast], dict[str, Any]]:
        return lambda cast: {"borrower": borrower, "exhibition": exhibition, "venue": venue,
                             "period": {"start": start.isoformat(),
                                        "end": (start + dt.timedelta(days=days)).isoformat()},
                             "objects": cast.objects[objects], "insurance_value": value,
                             "courier": cast.pk(courier), "conditions": conditions}

    def photography(organisation: str, contact: str, purpose: str, places: tuple[str, ...],
                    objects: slice | None, start: dt.date, crew: str, equipment: str,
                    flash: str = "no") -> Callable[[Cast], dict[str, Any]]:
        return lambda cast: {"organisation": organisation, "contact": contact,
                             "purpose": purpose,
                             "locations": [cast.places[p] for p in places],
                             "objects": cast.objects[objects] if objects else [],
                             "period": _days(start, 1), "crew": crew,
                             "equipment": equipment, "flash": flash}

    def seal(applicant: str, title: str, kind: str, copies: str, recipient: str,
             purpose: str) -> Callable[[Cast], dict[str, Any]]:
        return lambda cast: {"document_title": title, "seal_type": kind, "copies": copies,
                             "recipient": recipient, "purpose": purpose,
                             "document": cast.upload(applicant, "document.pdf", title)}

    def repair(place: str, detail: str, equipment: str, problem: str,
               urgency: str) -> Callable[[Cast], dict[str, Any]]:
        def build(cast: Cast) -> dict[str, Any]:
            data: dict[str, Any] = {"place_detail": detail, "equipment": equipment,
                                    "problem": problem, "urgency": urgency}
            if place in cast.places:
                data["location"] = cast.places[place]
            return data
        return build

    approve = "approve"
    return [
        # --- still in approval: every demo sign-in has something to do ---------------------
        Story(2, HR_SPECIALIST, "leave", leave("annual", ahead(9), 2, "回老家参加表姐婚礼。",
                                               cover="hr/hr-specialist/1")),
        Story(1, IT_ENGINEER, "leave", leave("personal", ahead(3), 1,
                                             "办理房屋过户手续。", cover="it/it-engineer/1"),
              [Step(3, "comment", IT_ENGINEER, "机房巡检已安排同事代班。")]),
        Story(4, CONSERVATOR_2, "leave",
              leave("sick", back(3), 5, "急性腰扭伤，遵医嘱卧床休息一周。"),
              [Step(2, approve, "head:conservation-paper", "好好休息，修复台上的册页我来接手。")]),
        Story(1.5, "security", "overtime",
              overtime(back(2), "18:00", "22:00", "4", "夜间开放活动加强安保。", "pay")),
        Story(6, "curator", "expense_claim", expense("curator", [
            (back(12), "transport", "北京—西安高铁往返（借展点交）", "1049.00"),
            (back(11), "lodging", "西安住宿两晚", "760.00"),
            (back(11), "meals", "出差伙食补助两天", "200.00")],
            "Receipts: rail 1049.00, hotel 760.00"),
              [Step(5, approve, "head:exhibitions", "同意。"),
               Step(28, "transfer", "admin", "请会计核对发票后付款。", to="staff")]),
        Story(3, OFFICER, "expense_claim", expense(OFFICER, [
            (back(5), "printing", "馆长办公会材料印刷", "386.00"),
            (back(4), "postage", "向文物局报送材料快递费", "46.00")],
            "Receipts: printing 386.00, courier 46.00"),
              [Step(4, approve, "head:director-office", "")]),
        Story(0.3, GUARD, "repair", repair(
            GALLERY_PAINTINGS, "书画馆3号展柜下方", "展柜恒湿机",
            "恒湿机水箱漏水，地面有积水，已放置吸水垫。", "emergency")),
        Story(5, "curator", "seal", seal(
            "curator", "Loan agreement with Nanjing Museum", "contract", "4", "南京博物院",
            "与南京博物院借展合同盖章，一式四份。"),
              [Step(2, approve, "head:exhibitions", "合同条款已与法务核对。"),
               Step(20, approve, "head:museum", "")]),
        Story(1, "curator", "object_movement", movement(
            "internal", slice(0, 2), GALLERY_PAINTINGS, LAB, ahead(2), "conservation",
            "展出期间发现画心起翘，撤展送修复室检查。", ("curator", ASSISTANT_CURATOR)),
              [Step(1, "comment", "curator", "已拍摄起翘部位照片，附在展览档案中。")],
              needs_catalog=True),
        Story(2, ASSISTANT_CURATOR, "object_movement", movement(
            "internal", slice(2, 4), GALLERY_CERAMICS, STUDIO, ahead(1), "photography",
            "为《太和藏瓷》图录拍摄高清图像。", (ASSISTANT_CURATOR, PHOTOGRAPHER)),
              [Step(3, approve, "conservator", "瓷器状况稳定，可移动；请使用软囊匣。")],
              needs_catalog=True),
        Story(3, "registrar", "loan_out", loan(
            "British Museum", "China's Hidden Century", "London", ahead(75), 120, slice(4, 6),
            "18000000", "registrar", "RH 50±5 %, 50 lux for paper, climate-controlled crates."),
              needs_catalog=True),
        Story(5, COLLECTIONS_MANAGER, "loan_out", loan(
            "南京博物院", "金陵旧梦——明代宫廷艺术展", "南京", ahead(40), 90, slice(0, 3),
            "6500000", COLLECTIONS_MANAGER, "展柜恒温恒湿，照度不超过150 lux。"),
              [Step(6, approve, "curator", "展品与展览主题契合，同意。")],
              needs_catalog=True),
        Story(2, "educator", "photography", photography(
            "中央广播电视总台", "周女士 139 0000 1234", "documentary",
            (GALLERY_BRONZE, GALLERY_SPECIAL), slice(4, 6), ahead(6), "5",
            "两台摄像机、LED补光灯、滑轨。"),
              [Step(4, approve, "head:education", "闭馆后拍摄，请安保部安排值守。")],
              needs_catalog=True),
        Story(1, DOCENT, "photography", photography(
            "北京师范大学历史学院", "李老师 138 0000 5678", "education",
            (GALLERY_CERAMICS,), None, ahead(10), "3", "手持相机，不用三脚架。"),
              [Step(2, "transfer", "head:education", "此次拍摄由教育专员负责对接。",
                    to="educator")],
              needs_catalog=True),
        Story(4, "head:conservation-paper", "purchase", purchase([
            ("除湿机", "工业型 90 L/天", "4", "12800"),
            ("温湿度记录仪", "HOBO MX2301A", "10", "1450")],
            "北京环境科技有限公司", "书画库夏季相对湿度超过65%，现有除湿机老化。", ahead(30)),
              [Step(3, approve, "head:conservation", "情况属实，建议尽快采购。"),
               Step(26, "comment", "head:conservation-paper", "已附三家报价，供馆领导参考。")]),
        Story(3, "conservator", "business_trip", trip(
            "伦敦", "随展押运《青铜器》借展文物并参加开箱点交。", ahead(20), 5, "plane",
            "28600", ("registrar",)),
              [Step(2, approve, "head:conservation-paper", ""),
               Step(26, "urge", "conservator")]),
        # --- approved -------------------------------------------------------------------------
        Story(45, "conservator", "leave", leave("annual", back(38), 3, "带孩子去杭州旅游。",
                                                cover=CONSERVATOR_3),
              [Step(2, approve, "head:conservation-paper", "同意，注意安全。")]),
        Story(33, "registrar", "leave", leave("sick", back(33), 1, "发烧就医。"),
              [Step(1, approve, "head:collections", "")]),
        Story(28, "curator", "overtime", overtime(
            back(29), "09:00", "18:00", "8", "周末布展《乾隆的雅好》。"),
              [Step(3, approve, "head:exhibitions", "辛苦了。")]),
        Story(21, "staff", "punch_correction", punch(
            back(21), "in", "08:26", "forgot", "早上到馆后直接参加财务月结会议，忘记打卡。"),
              [Step(2, approve, "head:finance", "")]),
        Story(14, "educator", "punch_correction", punch(
            back(15), "out", "17:45", "device", "员工通道考勤机故障，保安处有登记。"),
              [Step(5, approve, "head:education", "已与安保部核实。")]),
        Story(40, "curator", "business_trip", trip(
            "上海", "赴上海博物馆考察《江南文人书画展》展陈设计。", back(35), 2, "train",
            "4200"),
              [Step(4, approve, "head:exhibitions", "")]),
        Story(26, CONSERVATOR_3, "expense_claim", expense(CONSERVATOR_3, [
            (back(30), "conservation", "宣纸、小麦淀粉浆糊", "1280.00"),
            (back(29), "conservation", "日本楮皮纸", "2360.50")],
            "Receipts: paper 1280.00, kozo 2360.50"),
              [Step(3, approve, "head:conservation-paper", ""),
               Step(24, approve, "admin", "发票齐全，已转出纳付款。")]),
        Story(35, "registrar", "purchase", purchase([
            ("无酸囊匣", "A3 尺寸", "60", "98"),
            ("无酸纸", "A1 100张/包", "10", "276")],
            "文保用品供应中心", "新入藏书画需要配置囊匣。", back(20)),
              [Step(2, approve, "head:collections", ""),
               Step(48, approve, "admin", "已下单，预计五个工作日到货。")]),
        Story(18, "curator", "object_movement", movement(
            "internal", slice(0, 1), LAB, GALLERY_PAINTINGS, back(16), "exhibition",
            "修复完成，回展厅展出。", ("curator", ASSISTANT_CURATOR)),
              [Step(2, approve, "conservator", "修复后状况良好。"),
               Step(4, approve, "registrar", "已登记移动。")],
              needs_catalog=True),
        Story(24, HR_SPECIALIST, "seal", seal(
            HR_SPECIALIST, "Employment certificates", "official", "3", "北京市社保中心",
            "为三名新入职员工开具在职证明。"),
              [Step(1, approve, "hr", ""),
               Step(3, approve, "hr", "已盖章，请到人事部领取。")]),
        Story(30, "educator", "repair", repair(
            GALLERY_SPECIAL, "特展厅多媒体区", "投影仪", "投影仪开机后无信号，影响讲解。",
            "normal"),
              [Step(20, approve, "admin", "已更换HDMI线，恢复正常。")]),
        Story(16, "curator", "photography", photography(
            "太和博物馆展览部", "策展人 内线 8021", "research", (GALLERY_BRONZE,),
            slice(3, 5), back(10), "2", "相机、翻拍架。"),
              [Step(2, approve, "head:exhibitions", ""),
               Step(6, approve, "head:security-shift-a", "已安排值班人员陪同。")],
              needs_catalog=True),
        Story(52, "admin", "leave", leave("annual", back(44), 2, "家中有事。",
                                          cover=IT_ENGINEER),
              [Step(5, approve, "head:museum", "")]),
        # --- rejected -------------------------------------------------------------------------
        Story(12, IT_ENGINEER, "purchase", purchase([
            ("笔记本电脑", "14英寸 32GB", "8", "8600")],
            "京东企业购", "更换信息部老旧办公电脑。", ahead(10)),
              [Step(6, "reject", "admin", "今年信息化预算已用完，请纳入明年预算申报。")]),
        Story(20, DESIGNER, "photography", photography(
            "某时尚杂志", "王先生 135 0000 2222", "commercial", (GALLERY_PAINTINGS,),
            slice(0, 2), back(12), "8", "闪光灯两组、反光板、烟雾机。", flash="yes"),
              [Step(3, approve, "head:exhibitions", ""),
               Step(5, "reject", "head:security", "书画馆内禁止使用闪光灯和烟雾机，不予批准。")],
              needs_catalog=True),
        Story(25, COLLECTIONS_MANAGER, "business_trip", trip(
            "成都", "参加藏品管理培训班。", back(15), 3, "plane", "6800"),
              [Step(4, "reject", "head:collections", "库房盘点期间人手紧张，请报名下一期。")]),
        Story(38, GUARD, "leave", leave("personal", back(30), 3, "回老家。"),
              [Step(2, "reject", "head:security-shift-a", "节日安保期间不批事假，节后可再申请。")]),
        # --- returned for changes -------------------------------------------------------------
        Story(8, PHOTOGRAPHER, "expense_claim", expense(PHOTOGRAPHER, [
            (back(10), "office", "相机存储卡", "459.00")], "Receipt: memory cards 459.00"),
              [Step(3, "return", "head:collections", "发票抬头不是本馆，请重新开具后提交。")]),
        Story(9, ENGINEER, "overtime", overtime(
            back(10), "17:30", "23:30", "6", "空调机组抢修。"),
              [Step(4, "return", "head:facilities", "时长与门禁记录不符（到22:40），请更正。")]),
        Story(6, SECRETARY, "seal", seal(
            SECRETARY, "Cooperation agreement draft", "contract", "2", "北京大学考古文博学院",
            "与北京大学签订合作协议。"),
              [Step(5, "return", "head:director-office",
                    "请附上双方确认后的合同终稿再申请用印。")]),
        # --- withdrawn ------------------------------------------------------------------------
        Story(19, "curator", "leave", leave("annual", back(10), 2, "外出旅游。"),
              [Step(20, "withdraw", "curator", "展览开幕提前，取消休假。")]),
        Story(11, "educator", "business_trip", trip(
            "西安", "参加全国博物馆教育研讨会。", back(4), 3, "train", "3100"),
              [Step(8, "withdraw", "educator", "会议改为线上举行。")]),
        Story(27, HR_SPECIALIST, "punch_correction", punch(
            back(28), "out", "18:05", "forgot", "忘记下班打卡。"),
              [Step(2, "withdraw", HR_SPECIALIST, "考勤机里查到了打卡记录。")]),
        # --- cancelled after approval -----------------------------------------------------------
        Story(36, "registrar", "leave", leave("annual", back(20), 5, "年假出游。",
                                              cover=COLLECTIONS_MANAGER),
              [Step(2, approve, "head:collections", ""),
               Step(20, approve, "head:museum", ""),
               Step(60, "cancel", "registrar", "馆藏盘点提前，取消年假。"),
               Step(64, approve, "head:collections", "同意撤销。")]),
        Story(31, CONSERVATOR_2, "overtime", overtime(
            back(29), "09:00", "17:00", "8", "周末配合展览撤展。"),
              [Step(3, approve, "head:conservation-paper", ""),
               Step(30, "cancel", CONSERVATOR_2, "撤展改到工作日进行，不需要加班。"),
               Step(33, approve, "head:conservation-paper", "")]),
    ]


# --- Loading -------------------------------------------------------------------------------


@kernel_demo.register("workflows", order=50)
def load(write: Callable[[str], None]) -> dict[str, Any]:
    """The demo approvals, unless a demo person already has a request."""
    return load_requests(write)


def load_requests(write: Callable[[str], None], *,
                  now: dt.datetime | None = None) -> dict[str, Any]:
    """Submit and act on the demo stories up to ``now``. Raises :class:`RuntimeError` when
    the directory's demo museum is missing (load it first)."""
    now = now or timezone.now()
    cast = Cast()
    logins = [username for _role, username in directory_demo.LOGINS]
    if any(username not in cast.people for username in logins):
        raise RuntimeError("The approvals demo needs the directory's demo museum: "
                           "load the directory demo first.")
    if Request.objects.filter(applicant__username__in=list(cast.people)).exists():
        return {"requests": 0, "created": 0}
    seed.install_builtin()
    with_catalog = cast.load_catalog()
    local_now = timezone.localtime(now)
    created = 0
    admin = cast.people[directory_demo.ADMIN_USERNAME]
    with context.bound(request_id="taihe-demo", actor_id=admin.pk):
        for number, story in enumerate(_stories(local_now.date())):
            if story.needs_catalog and not with_catalog:
                continue
            created += _play(cast, story, number, local_now)
    if created:
        write(f"  created {created} approval requests")
    return {"requests": created, "created": created}


def _play(cast: Cast, story: Story, number: int, now: dt.datetime) -> int:
    """Act the story out; return how many requests it created."""
    # Office hours, spread over the morning and afternoon, never in the future.
    submitted = (now - dt.timedelta(days=story.days_ago)).replace(
        hour=9 + number % 7, minute=(number * 17) % 60, second=0, microsecond=0)
    latest = now - dt.timedelta(minutes=5)
    if submitted > latest:
        submitted = latest - dt.timedelta(hours=max(s.hours for s in story.steps)
                                          if story.steps else 1)
    with _clock(submitted):
        applicant = cast.person(story.applicant)
        data = story.data(cast)
        if story.process == "leave":
            data["period"] = _on_working_days(data["period"], applicant)
        request = services.do_submit_request(applicant, story.process, data)
    created = 1
    for step in story.steps:
        moment = min(submitted + dt.timedelta(hours=step.hours), latest)
        with _clock(moment):
            created += _act(cast, request, step)
    return created


def _act(cast: Cast, request: Request, step: Step) -> int:
    """Do one step; return how many requests it started (a cancellation starts one)."""
    actor, number, comment = cast.person(step.who), request.number, step.comment
    if step.action == "approve":
        # after "cancel", the approval is the cancellation's
        target = _cancellation(request) or request
        services.do_approve(actor, target.number, comment=comment)
        return 0
    if step.action == "cancel":
        services.do_request_cancellation(actor, number, reason=comment)
        return 1
    actions: dict[str, Callable[[], object]] = {
        "reject": lambda: services.do_reject(actor, number, to="end", comment=comment),
        "return": lambda: services.do_reject(actor, number, to="applicant", comment=comment),
        "withdraw": lambda: services.do_withdraw(actor, number, comment=comment),
        "comment": lambda: services.do_comment(actor, number, comment=comment),
        "urge": lambda: services.do_urge(actor, number),
        "transfer": lambda: services.do_transfer(actor, number, to=cast.pk(step.to),
                                                 comment=comment),
    }
    actions[step.action]()
    return 0


def _cancellation(request: Request) -> Request | None:
    """The running cancellation of an approved request, which a later approval acts on."""
    return request.cancellations.filter(status=Request.Status.RUNNING).first()
