"""The museum's built-in approvals (workplace.md §2d), installed by ``seed`` as version 1.

Each is an exported process (``services.EXPORT_FORMAT``): HR edits them in the designer
like any other. Approvers are named by rule (manager levels, roles), never by person, so
they work in any museum's directory.

Steps that belong to an office Taihe has no role for (finance, procurement, facilities) go
to the ``administrator`` role and, when nobody holds it, to the approval administrators
(``on_empty: admin``): a fresh installation routes every request somewhere, and HR points
the step at the right people in the designer.
"""

from __future__ import annotations

from typing import Any

CANCELLATION_CODE = "cancellation"

REMIND_DAILY = {"hours": 24, "action": "remind"}
"""The usual time limit of an approval step: the approver is reminded after a day, and
every day after that."""


def _label(zh: str, en: str) -> dict[str, str]:
    return {"zh-hans": zh, "en": en}


def _choices(*items: tuple[str, str, str]) -> list[dict[str, Any]]:
    return [{"value": value, "label": _label(zh, en)} for value, zh, en in items]


def _field(name: str, kind: str, zh: str, en: str, **options: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "label": _label(zh, en), **options}


def _shown_if(field: str, op: str, value: Any = None) -> dict[str, Any]:
    clause = {"field": field, "op": op}
    if value is not None:
        clause["value"] = value
    return {"all": [clause]}


def _manager(levels: int = 1) -> dict[str, Any]:
    return {"kind": "manager", "levels": levels}


def _role(code: str) -> dict[str, Any]:
    return {"kind": "role", "code": code}


def _approval(node_id: str, name: str, approvers: list[dict[str, Any]], *,
              mode: str = "sequential", on_empty: str | None = None,
              timeout: dict[str, Any] | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"id": node_id, "type": "approval", "name": name, "mode": mode,
                            "approvers": approvers}
    if on_empty:
        node["on_empty"] = on_empty
    if timeout:
        node["timeout"] = timeout
    return node


def _handler(node_id: str, name: str, approvers: list[dict[str, Any]], *,
             timeout: dict[str, Any] | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"id": node_id, "type": "handler", "name": name, "mode": "any",
                            "approvers": approvers, "on_empty": "admin"}
    if timeout:
        node["timeout"] = timeout
    return node


def _cc(node_id: str, name: str, approvers: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": node_id, "type": "cc", "name": name, "approvers": approvers}


def _when_over(node_id: str, name: str, field: str, limit: int, branch_name: str,
               nodes: list[dict[str, Any]]) -> dict[str, Any]:
    """A condition: ``nodes`` run when ``field`` is more than ``limit``, nothing otherwise."""
    return {"id": node_id, "type": "condition", "name": name, "branches": [
        {"id": "over", "name": branch_name,
         "when": {"all": [{"field": field, "op": "gt", "value": limit}]}, "nodes": nodes},
        {"id": "otherwise", "name": "其他情况", "default": True, "nodes": []}]}


def _settings(on_empty: str = "skip") -> dict[str, Any]:
    return {"dedup": "consecutive", "auto_approve_applicant": True, "on_empty": on_empty}


def _manager_step(name: str = "直属负责人") -> dict[str, Any]:
    # The museum director has nobody above them: their requests go to the administrators.
    return _approval("manager", name, [_manager(1)], on_empty="admin", timeout=REMIND_DAILY)


CANCELLATION: dict[str, Any] = {
    "code": CANCELLATION_CODE, "name_zh": "撤销已批准的申请",
    "name_en": "Cancel an approved request",
    "category": "general", "icon": "cancel",
    "description": "Started from an approved request; approving it cancels that request.",
    "form": [
        {"name": "request", "type": "text", "label": _label("申请编号", "Request number"),
         "required": True, "max_length": 32},
        {"name": "reason", "type": "textarea", "label": _label("撤销原因", "Reason"),
         "required": True},
    ],
    "definition": {"settings": {"dedup": "consecutive", "auto_approve_applicant": True,
                                "on_empty": "admin"},
                   "nodes": [{"id": "manager", "type": "approval", "name": "部门负责人",
                              "mode": "sequential", "approvers": [_manager(1)]}]},
}

LEAVE_TYPES = _choices(
    ("annual", "年假", "Annual leave"), ("sick", "病假", "Sick leave"),
    ("personal", "事假", "Personal leave"), ("comp_time", "调休", "Time off in lieu"),
    ("marriage", "婚假", "Marriage leave"), ("maternity", "产假", "Maternity leave"),
    ("paternity", "陪产假", "Paternity leave"), ("bereavement", "丧假", "Bereavement leave"))

LEAVE: dict[str, Any] = {
    "code": "leave", "name_zh": "请假", "name_en": "Leave", "category": "attendance",
    "icon": "leave", "subject_code": "attendance.leave",
    "description": "Time off of any kind. The line manager approves; leave of more than "
                   "three working days also goes to the next level up. HR is copied.",
    "form": [
        _field("leave_type", "select", "假期类型", "Leave type", required=True,
               choices=LEAVE_TYPES),
        _field("period", "daterange", "请假日期", "Dates", required=True, half_days=True,
               help=_label("首尾两天都计入；可从下午开始或到中午结束。",
                           "Both the first and the last day count; a leave may start in the "
                           "afternoon or end at noon.")),
        _field("days", "computed", "请假天数", "Working days", formula="days(period)",
               decimals=1, unit="天"),
        _field("reason", "textarea", "请假事由", "Reason", required=True, max_length=1000),
        _field("cover", "person", "工作交接人", "Cover while away",
               help=_label("请假期间代为处理工作的同事。",
                           "The colleague who looks after your work meanwhile.")),
        _field("certificate", "attachment", "病假证明", "Medical certificate", max_files=5,
               visible_if=_shown_if("leave_type", "eq", "sick"),
               help=_label("病假超过一天请上传医院证明。",
                           "For sick leave of more than one day, attach a doctor's note.")),
    ],
    "definition": {"settings": _settings(), "nodes": [
        _manager_step(),
        _when_over("long_leave", "请假天数", "days", 3, "超过3天", [
            _approval("next_level", "上级负责人", [_manager(2)], timeout=REMIND_DAILY)]),
        _cc("hr", "抄送人事", [_role("hr")]),
    ]},
}

OVERTIME: dict[str, Any] = {
    "code": "overtime", "name_zh": "加班", "name_en": "Overtime", "category": "attendance",
    "icon": "overtime", "subject_code": "attendance.overtime",
    "description": "Work outside the rota (an evening opening, an installation weekend), "
                   "compensated with time off or pay. The line manager approves.",
    "form": [
        _field("date", "date", "加班日期", "Date", required=True),
        _field("start_time", "text", "开始时间", "From", required=True, max_length=5,
               placeholder="18:00"),
        _field("end_time", "text", "结束时间", "Until", required=True, max_length=5,
               placeholder="21:30"),
        _field("hours", "number", "加班时长", "Hours", required=True, min=0.5, max=24,
               decimals=1, unit="h"),
        _field("reason", "textarea", "加班事由", "Reason", required=True, max_length=1000),
        _field("compensation", "select", "补偿方式", "Compensation", required=True,
               choices=_choices(("comp_time", "调休", "Time off in lieu"),
                                ("pay", "加班费", "Overtime pay"))),
    ],
    "definition": {"settings": _settings(), "nodes": [_manager_step()]},
}

PUNCH_CORRECTION: dict[str, Any] = {
    "code": "punch_correction", "name_zh": "补卡", "name_en": "Missed clock-in or clock-out",
    "category": "attendance", "icon": "clock", "subject_code": "attendance.punch_correction",
    "description": "Record a clock-in or clock-out that the time clock missed. The line "
                   "manager confirms it.",
    "form": [
        _field("date", "date", "补卡日期", "Date", required=True),
        _field("punch", "select", "补卡类型", "Which punch", required=True,
               choices=_choices(("in", "上班打卡", "Clock-in"),
                                ("out", "下班打卡", "Clock-out"))),
        _field("time", "text", "实际时间", "Actual time", required=True, max_length=5,
               placeholder="08:30"),
        _field("cause", "select", "原因", "Cause", required=True,
               choices=_choices(("forgot", "忘记打卡", "Forgot to punch"),
                                ("device", "考勤机故障", "Time clock out of order"),
                                ("offsite", "外出公务", "Working off site"),
                                ("other", "其他", "Other"))),
        _field("explanation", "textarea", "情况说明", "Explanation", required=True,
               max_length=500),
    ],
    "definition": {"settings": _settings(), "nodes": [_manager_step()]},
}

BUSINESS_TRIP: dict[str, Any] = {
    "code": "business_trip", "name_zh": "出差", "name_en": "Business trip",
    "category": "attendance", "icon": "travel", "subject_code": "attendance.business_trip",
    "description": "A trip for work: courier duty, a conference, a survey. The line manager "
                   "approves; trips costing more than 10,000 also go to the next level up.",
    "form": [
        _field("destination", "text", "出差地点", "Destination", required=True, max_length=100),
        _field("purpose", "textarea", "出差事由", "Purpose", required=True, max_length=1000),
        _field("period", "daterange", "出差日期", "Dates", required=True),
        _field("days", "computed", "出差天数", "Working days", formula="days(period)",
               decimals=1, unit="天"),
        _field("transport", "select", "交通方式", "Transport", required=True,
               choices=_choices(("train", "火车/高铁", "Train"), ("plane", "飞机", "Plane"),
                                ("car", "公务用车", "Museum car"),
                                ("other", "其他", "Other"))),
        _field("estimated_cost", "money", "预计费用", "Estimated cost", required=True, min=0,
               currency="CNY",
               help=_label("交通、住宿和补助合计。", "Travel, lodging and allowances together.")),
        _field("companions", "person", "同行人员", "Travelling with", multiple=True),
    ],
    "definition": {"settings": _settings(), "nodes": [
        _manager_step(),
        _when_over("costly", "预计费用", "estimated_cost", 10000, "超过1万元", [
            _approval("director", "分管领导", [_manager(2)], timeout=REMIND_DAILY)]),
    ]},
}

EXPENSE_CATEGORIES = _choices(
    ("transport", "交通费", "Transport"), ("lodging", "住宿费", "Lodging"),
    ("meals", "餐费", "Meals"), ("office", "办公用品", "Office supplies"),
    ("conservation", "文保耗材", "Conservation materials"),
    ("printing", "印刷费", "Printing"), ("postage", "邮寄费", "Postage and shipping"),
    ("other", "其他", "Other"))

EXPENSE: dict[str, Any] = {
    "code": "expense_claim", "name_zh": "费用报销", "name_en": "Expense claim",
    "category": "finance", "icon": "expense",
    "description": "Claim back what you paid for the museum, with receipts. The line manager "
                   "approves, then finance checks it; claims over 50,000 also go to the "
                   "next level up. Finance review goes to the administrators until HR names "
                   "the finance office in the designer.",
    "form": [
        _field("items", "table", "费用明细", "Items", required=True, min_rows=1, max_rows=50,
               totals=["amount"], columns=[
                   _field("date", "date", "日期", "Date", required=True),
                   _field("category", "select", "类别", "Category", required=True,
                          choices=EXPENSE_CATEGORIES),
                   _field("description", "text", "说明", "Description", required=True,
                          max_length=200),
                   _field("amount", "money", "金额", "Amount", required=True, min=0.01,
                          currency="CNY"),
               ]),
        _field("total", "computed", "报销总额", "Total", formula="sum(items.amount)",
               decimals=2, unit="CNY"),
        _field("receipts", "attachment", "发票及凭证", "Receipts", required=True,
               max_files=20),
        _field("note", "textarea", "备注", "Note", max_length=1000),
    ],
    "definition": {"settings": _settings(), "nodes": [
        _manager_step(),
        _when_over("large", "报销总额", "total", 50000, "超过5万元", [
            _approval("director", "分管领导", [_manager(2)], timeout=REMIND_DAILY)]),
        _approval("finance", "财务审核", [_role("administrator")], mode="any",
                  on_empty="admin", timeout=REMIND_DAILY),
    ]},
}

PURCHASE: dict[str, Any] = {
    "code": "purchase", "name_zh": "采购申请", "name_en": "Purchase request",
    "category": "finance", "icon": "cart",
    "description": "Buy equipment, materials or services. The line manager approves, "
                   "purchases over 50,000 also the next level up; then procurement buys "
                   "and marks it done.",
    "form": [
        _field("items", "table", "采购清单", "Items", required=True, min_rows=1, max_rows=50,
               totals=["amount"], columns=[
                   _field("name", "text", "名称", "Item", required=True, max_length=100),
                   _field("specification", "text", "规格型号", "Specification",
                          max_length=200),
                   _field("quantity", "number", "数量", "Quantity", required=True, min=1,
                          decimals=0),
                   _field("unit_price", "money", "单价", "Unit price", required=True, min=0,
                          currency="CNY"),
                   _field("amount", "computed", "金额", "Amount",
                          formula="quantity * unit_price", decimals=2, unit="CNY"),
               ]),
        _field("total", "computed", "采购总额", "Total", formula="sum(items.amount)",
               decimals=2, unit="CNY"),
        _field("supplier", "text", "建议供应商", "Suggested supplier", max_length=200),
        _field("needed_by", "date", "需求日期", "Needed by"),
        _field("reason", "textarea", "采购理由", "Reason", required=True, max_length=2000),
        _field("quotes", "attachment", "报价单", "Quotations", max_files=10,
               help=_label("单价超过5千元的请附三家报价。",
                           "Attach three quotations for items over 5,000 each.")),
    ],
    "definition": {"settings": _settings(), "nodes": [
        _manager_step(),
        _when_over("large", "采购总额", "total", 50000, "超过5万元", [
            _approval("director", "分管领导", [_manager(2)], timeout=REMIND_DAILY)]),
        _handler("procurement", "采购经办", [_role("administrator")],
                 timeout={"hours": 72, "action": "remind"}),
    ]},
}

OBJECT_MOVEMENT: dict[str, Any] = {
    "code": "object_movement", "name_zh": "文物出入库", "name_en": "Object movement",
    "category": "collection", "icon": "movement", "subject_code": "catalog.movement",
    "description": "Take objects out of store, return them, or move them between places. "
                   "A conservator checks they can travel and a registrar records the move; "
                   "security is told.",
    "form": [
        _field("movement_type", "select", "类型", "Movement", required=True,
               choices=_choices(("out", "出库", "Out of store"),
                                ("in", "入库", "Back into store"),
                                ("internal", "库内移动", "Between places"))),
        _field("objects", "object", "文物", "Objects", required=True, multiple=True),
        _field("from_location", "location", "移出地点", "From", required=True),
        _field("to_location", "location", "移入地点", "To", required=True),
        _field("date", "date", "移动日期", "Date", required=True),
        _field("purpose", "select", "用途", "Purpose", required=True,
               choices=_choices(("exhibition", "展览", "Exhibition"),
                                ("conservation", "保护修复", "Conservation"),
                                ("photography", "拍摄", "Photography"),
                                ("research", "研究", "Research"),
                                ("inventory", "盘点", "Inventory"),
                                ("storage", "调整存放", "Storage change"))),
        _field("reason", "textarea", "说明", "Details", required=True, max_length=1000),
        _field("handlers", "person", "经手人", "Carried by", multiple=True,
               help=_label("文物移动须两人在场。", "Objects move with two people present.")),
    ],
    "definition": {"settings": _settings("admin"), "nodes": [
        _approval("conservation", "文保人员确认", [_role("conservator")], mode="any",
                  timeout=REMIND_DAILY),
        _approval("registrar", "藏品登录员", [_role("registrar")], mode="any",
                  timeout=REMIND_DAILY),
        _cc("security", "抄送安保", [_role("security")]),
    ]},
}

LOAN_OUT: dict[str, Any] = {
    "code": "loan_out", "name_zh": "文物借出展览", "name_en": "Outgoing loan",
    "category": "collection", "icon": "handshake", "subject_code": "catalog.loan",
    "description": "Lend objects to another institution's exhibition. A curator approves, "
                   "conservation and the registrar check in parallel, then the director "
                   "decides.",
    "form": [
        _field("borrower", "text", "借展单位", "Borrowing institution", required=True,
               max_length=200),
        _field("exhibition", "text", "展览名称", "Exhibition", required=True, max_length=200),
        _field("venue", "text", "展出地点", "Venue (city)", required=True, max_length=200),
        _field("period", "daterange", "借展期限", "Loan period", required=True,
               help=_label("自离馆之日至归还入库之日。",
                           "From leaving the museum to being back in store.")),
        _field("objects", "object", "借展文物", "Objects", required=True, multiple=True),
        _field("insurance_value", "money", "保险估值", "Insurance value", required=True,
               min=0, currency="CNY", help=_label("钉到钉全程保险的总额。",
                                                  "Total nail-to-nail insurance value.")),
        _field("courier", "person", "随展人员", "Courier"),
        _field("conditions", "textarea", "借展条件", "Loan conditions", max_length=2000,
               help=_label("温湿度、照度、展柜和运输要求。",
                           "Climate, light, showcase and transport requirements.")),
        _field("agreement", "attachment", "借展协议", "Loan agreement", max_files=5),
    ],
    "definition": {"settings": _settings("admin"), "nodes": [
        _approval("curator", "策展人审核", [_role("curator")], mode="any",
                  timeout=REMIND_DAILY),
        {"id": "checks", "type": "parallel", "name": "文保与登录会审", "branches": [
            {"id": "conservation", "name": "文物保护", "nodes": [
                _approval("conservation", "文保评估", [_role("conservator")], mode="any",
                          timeout={"hours": 72, "action": "remind"})]},
            {"id": "registration", "name": "藏品登录", "nodes": [
                _approval("registrar", "登录员核对", [_role("registrar")], mode="any",
                          timeout={"hours": 72, "action": "remind"})]},
        ]},
        _approval("director", "馆领导审批", [_manager(2)], on_empty="admin",
                  timeout=REMIND_DAILY),
    ]},
}

PHOTOGRAPHY: dict[str, Any] = {
    "code": "photography", "name_zh": "拍摄许可", "name_en": "Photography permit",
    "category": "collection", "icon": "camera",
    "description": "Filming or photography by the press, researchers or partners in the "
                   "galleries or stores. The line manager approves, security schedules it; "
                   "conservation is told.",
    "form": [
        _field("organisation", "text", "拍摄单位", "Organisation", required=True,
               max_length=200),
        _field("contact", "text", "联系人及电话", "Contact person and phone", required=True,
               max_length=100),
        _field("purpose", "select", "拍摄用途", "Purpose", required=True,
               choices=_choices(("press", "新闻报道", "Press"),
                                ("documentary", "纪录片", "Documentary"),
                                ("research", "学术研究", "Research"),
                                ("education", "宣传教育", "Education"),
                                ("commercial", "商业拍摄", "Commercial"))),
        _field("locations", "location", "拍摄地点", "Places", required=True, multiple=True),
        _field("objects", "object", "拍摄文物", "Objects", multiple=True),
        _field("period", "daterange", "拍摄日期", "Dates", required=True),
        _field("crew", "number", "拍摄人数", "Crew size", required=True, min=1, max=50,
               decimals=0),
        _field("equipment", "textarea", "拍摄器材", "Equipment", required=True,
               max_length=1000,
               help=_label("列明灯光、三脚架、无人机等。",
                           "List lights, tripods, drones and the like.")),
        _field("flash", "select", "是否使用闪光灯", "Flash or strobe lights", required=True,
               choices=_choices(("no", "否", "No"), ("yes", "是", "Yes")),
               help=_label("书画、织绣、纸质等光敏文物一律不得使用闪光灯，拍摄此类文物请选“否”。",
                           "Never near light-sensitive objects (paintings, textiles, paper): "
                           "choose No if any are in the shot.")),
    ],
    "definition": {"settings": _settings(), "nodes": [
        _manager_step(),
        _approval("security", "安保部门", [_role("security")], mode="any", on_empty="admin",
                  timeout={"hours": 48, "action": "remind"}),
        _cc("conservation", "抄送文保", [_role("conservator")]),
    ]},
}

SEAL: dict[str, Any] = {
    "code": "seal", "name_zh": "用印申请", "name_en": "Use of a seal", "category": "general",
    "icon": "seal",
    "description": "Stamp a document with one of the museum's seals. The line manager "
                   "approves (contract and legal representative seals also the next level "
                   "up); the seal keeper stamps it and marks it done.",
    "form": [
        _field("document_title", "text", "文件名称", "Document", required=True,
               max_length=200),
        _field("seal_type", "select", "印章类型", "Seal", required=True,
               choices=_choices(("official", "公章", "Official seal"),
                                ("contract", "合同专用章", "Contract seal"),
                                ("legal_representative", "法人章",
                                 "Legal representative's seal"))),
        _field("copies", "number", "用印份数", "Copies", required=True, min=1, max=200,
               decimals=0),
        _field("recipient", "text", "文件报送单位", "Sent to", max_length=200),
        _field("purpose", "textarea", "用印事由", "Purpose", required=True, max_length=1000),
        _field("document", "attachment", "用印文件", "Document file", required=True,
               max_files=5),
    ],
    "definition": {"settings": _settings(), "nodes": [
        _manager_step(),
        {"id": "weighty", "type": "condition", "name": "印章类型", "branches": [
            {"id": "binding", "name": "合同章或法人章",
             "when": {"all": [{"field": "seal_type", "op": "in",
                               "value": ["contract", "legal_representative"]}]},
             "nodes": [_approval("director", "分管领导", [_manager(2)],
                                 timeout=REMIND_DAILY)]},
            {"id": "otherwise", "name": "公章", "default": True, "nodes": []}]},
        _handler("seal_keeper", "印章管理员用印", [_role("hr")], timeout=REMIND_DAILY),
    ]},
}

REPAIR: dict[str, Any] = {
    "code": "repair", "name_zh": "报修", "name_en": "Repair request", "category": "facilities",
    "icon": "repair", "subject_code": "facilities.maintenance",
    "description": "Report something broken: a showcase lock, a dehumidifier, a leak. "
                   "Facilities fix it and mark it done. Until HR names the facilities team "
                   "in the designer, repairs go to the administrators.",
    "form": [
        _field("location", "location", "位置", "Place",
               help=_label("展厅、库房等登记过的位置。",
                           "A gallery, store or other listed place.")),
        _field("place_detail", "text", "具体位置", "Where exactly", required=True,
               max_length=200, help=_label("如：二层东侧走廊12号展柜。",
                                           "For example: 2F east corridor, case 12.")),
        _field("equipment", "text", "设备或设施", "Equipment", required=True, max_length=200),
        _field("problem", "textarea", "故障描述", "What is wrong", required=True,
               max_length=2000),
        _field("urgency", "select", "紧急程度", "Urgency", required=True,
               choices=_choices(("low", "不急", "When convenient"),
                                ("normal", "一般", "Normal"),
                                ("urgent", "紧急", "Urgent"),
                                ("emergency", "危及文物安全", "Endangers objects")),
               help=_label("漏水、温湿度失控等危及文物的情况请同时电话通知值班室。",
                           "For leaks or climate failures near objects, also phone the "
                           "control room.")),
        _field("photos", "image", "现场照片", "Photos", max_files=6),
    ],
    "definition": {"settings": _settings("admin"), "nodes": [
        _handler("facilities", "设施维修", [_role("administrator")],
                 timeout={"hours": 24, "action": "remind"}),
    ]},
}

TEMPLATES: list[dict[str, Any]] = [
    CANCELLATION, LEAVE, OVERTIME, PUNCH_CORRECTION, BUSINESS_TRIP, EXPENSE, PURCHASE,
    OBJECT_MOVEMENT, LOAN_OUT, PHOTOGRAPHY, SEAL, REPAIR,
]
