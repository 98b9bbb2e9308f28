"""The museum's built-in approvals (workplace.md §2d), installed by ``seed`` as version 1.

Each is an exported process (``services.EXPORT_FORMAT``): HR edits them in the designer
like any other. Approvers are named by rule (manager levels, roles), never by person, so
they work in any museum's directory.
"""

from __future__ import annotations

from typing import Any

CANCELLATION_CODE = "cancellation"


def _label(zh: str, en: str) -> dict[str, str]:
    return {"zh-hans": zh, "en": en}


def _manager(levels: int = 1) -> dict[str, Any]:
    return {"kind": "manager", "levels": levels}


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

LEAVE: dict[str, Any] = {
    "code": "leave", "name_zh": "请假", "name_en": "Leave", "category": "attendance",
    "icon": "leave", "subject_code": "attendance.leave",
    "form": [
        {"name": "leave_type", "type": "select", "label": _label("假期类型", "Leave type"),
         "required": True, "choices": [
             {"value": "annual", "label": _label("年假", "Annual leave")},
             {"value": "sick", "label": _label("病假", "Sick leave")},
             {"value": "personal", "label": _label("事假", "Personal leave")},
             {"value": "marriage", "label": _label("婚假", "Marriage leave")},
             {"value": "maternity", "label": _label("产假", "Maternity leave")},
             {"value": "paternity", "label": _label("陪产假", "Paternity leave")},
             {"value": "bereavement", "label": _label("丧假", "Bereavement leave")},
             {"value": "comp_time", "label": _label("调休", "Time off in lieu")}]},
        {"name": "period", "type": "daterange", "label": _label("请假时间", "Dates"),
         "required": True},
        {"name": "reason", "type": "textarea", "label": _label("请假事由", "Reason"),
         "required": True},
        {"name": "handover", "type": "person", "label": _label("工作交接人", "Cover"),
         "visible_if": {"all": [{"field": "leave_type", "op": "in",
                                 "value": ["annual", "marriage", "maternity", "paternity"]}]}},
        {"name": "certificate", "type": "attachment",
         "label": _label("证明材料", "Medical certificate"),
         "visible_if": {"all": [{"field": "leave_type", "op": "eq", "value": "sick"}]}},
    ],
    "definition": {"settings": {"dedup": "consecutive", "auto_approve_applicant": True,
                                "on_empty": "skip"},
                   "nodes": [
                       {"id": "manager", "type": "approval", "name": "直属负责人",
                        "mode": "sequential", "approvers": [_manager(1)],
                        "on_empty": "admin",
                        "timeout": {"hours": 24, "action": "remind"}},
                       {"id": "long", "type": "condition", "name": "三天以上", "branches": [
                           {"id": "over3", "name": "超过3天",
                            "when": {"all": [{"field": "period", "op": "not_empty"}]},
                            "nodes": []},
                           {"id": "default", "name": "其他", "default": True, "nodes": []}]},
                       {"id": "hr", "type": "cc", "name": "抄送人事",
                        "approvers": [{"kind": "role", "code": "hr"}]},
                   ]},
}

TEMPLATES: list[dict[str, Any]] = [CANCELLATION, LEAVE]
