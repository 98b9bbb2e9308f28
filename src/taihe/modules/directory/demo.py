"""The demo museum: about 200 people in a realistic tree, one sign-in per role.

Everything here is deterministic (fixed lists, no randomness), so every installation gets the
same people with the same usernames, and other modules' demo data can refer to them by
department code or username. Loading is idempotent: records are looked up by their stable
keys (position code, department code, username) and only missing ones are created, through the
directory services so the audit log records the demo's creation like any other write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password

from taihe.kernel import context
from taihe.kernel import demo as kernel_demo
from taihe.kernel.events import publish
from taihe.modules.directory import events, services
from taihe.modules.directory.models import Department, Person, Position, Role

EMAIL_DOMAIN = "palace-demo.example"
"""A reserved (RFC 2606) domain: demo mail can never reach a real mailbox."""

ADMIN_USERNAME = "admin"

LOGINS: list[tuple[str, str]] = [
    ("administrator", ADMIN_USERNAME),
    ("hr", "hr"),
    ("conservator", "conservator"),
    ("curator", "curator"),
    ("registrar", "registrar"),
    ("educator", "educator"),
    ("security", "security"),
    ("staff", "staff"),
]
"""(role, username) of the sign-ins ``make run`` prints; the administrator comes first."""

STAFF = Person.Status.STAFF.value
CONTRACTOR = Person.Status.CONTRACTOR.value
VOLUNTEER = Person.Status.VOLUNTEER.value
EXTERNAL = Person.Status.EXTERNAL.value

POSITIONS: list[tuple[str, str, str]] = [
    ("director", "馆长", "Director"),
    ("deputy-director", "副馆长", "Deputy Director"),
    ("head-of-department", "部门主任", "Head of Department"),
    ("deputy-head", "部门副主任", "Deputy Head of Department"),
    ("lab-head", "实验室主任", "Head of Laboratory"),
    ("team-leader", "组长", "Team Leader"),
    ("secretary", "秘书", "Secretary"),
    ("administrative-officer", "行政专员", "Administrative Officer"),
    ("senior-conservator", "高级修复师", "Senior Conservator"),
    ("conservator", "修复师", "Conservator"),
    ("conservation-scientist", "文保科技研究员", "Conservation Scientist"),
    ("environmental-technician", "环境监测技术员", "Environmental Monitoring Technician"),
    ("curator", "策展人", "Curator"),
    ("assistant-curator", "助理策展人", "Assistant Curator"),
    ("exhibition-designer", "展陈设计师", "Exhibition Designer"),
    ("registrar", "藏品登录员", "Registrar"),
    ("collections-manager", "藏品保管员", "Collections Manager"),
    ("photographer", "文物摄影师", "Collections Photographer"),
    ("educator", "宣教专员", "Educator"),
    ("docent", "讲解员", "Docent"),
    ("volunteer-guide", "志愿讲解员", "Volunteer Guide"),
    ("shift-leader", "班长", "Shift Leader"),
    ("security-officer", "安保员", "Security Officer"),
    ("control-room-operator", "监控值班员", "Control Room Operator"),
    ("fire-safety-officer", "消防专员", "Fire Safety Officer"),
    ("engineer", "工程师", "Engineer"),
    ("technician", "技术员", "Technician"),
    ("hr-specialist", "人力资源专员", "HR Specialist"),
    ("accountant", "会计", "Accountant"),
    ("cashier", "出纳", "Cashier"),
    ("it-engineer", "信息技术工程师", "IT Engineer"),
    ("consultant", "外部顾问", "External Consultant"),
]

RoleSpec = tuple[str, str | None]
"""(role code, department code of the scope, or None for museum-wide)."""

CONSERVATOR: RoleSpec = ("conservator", "conservation")
SECURITY: RoleSpec = ("security", "security")
EDUCATOR: RoleSpec = ("educator", "education")
CURATOR: RoleSpec = ("curator", None)
REGISTRAR: RoleSpec = ("registrar", None)
HR: RoleSpec = ("hr", None)
ADMINISTRATOR: RoleSpec = ("administrator", None)


@dataclass(frozen=True)
class Slot:
    """``count`` people holding one position; ``login`` names the first of them."""

    position: str
    count: int = 1
    status: str = STAFF
    roles: tuple[RoleSpec, ...] = ()
    login: str | None = None


@dataclass(frozen=True)
class DemoDepartment:
    """The first slot of every department is its head (a single person)."""

    code: str
    name_zh: str
    name_en: str
    parent: str | None
    slots: tuple[Slot, ...]


def _lab(code: str, name_zh: str, name_en: str, *slots: Slot) -> DemoDepartment:
    return DemoDepartment(code, name_zh, name_en, "conservation", slots)


def _shift(letter: str, name_zh: str) -> DemoDepartment:
    return DemoDepartment(
        f"security-shift-{letter}", name_zh, f"Shift {letter.upper()}", "security", (
            Slot("shift-leader", roles=(SECURITY,)),
            Slot("security-officer", 9, roles=(SECURITY,),
                 login="security" if letter == "a" else None),
            Slot("security-officer", 3, CONTRACTOR, roles=(SECURITY,)),
        ))


DEPARTMENTS: list[DemoDepartment] = [
    DemoDepartment("museum", "太和博物馆", "Taihe Museum", None, (
        Slot("director"),
        Slot("deputy-director", 3),
    )),
    DemoDepartment("director-office", "馆长办公室", "Director's Office", "museum", (
        Slot("head-of-department"),
        Slot("secretary", 2),
        Slot("administrative-officer", 3),
    )),
    DemoDepartment("conservation", "文物保护部", "Conservation", "museum", (
        Slot("head-of-department", roles=(CONSERVATOR,)),
        Slot("deputy-head", roles=(CONSERVATOR,)),
        Slot("administrative-officer", roles=(CONSERVATOR,)),
    )),
    _lab("conservation-paper", "书画修复室", "Painting and Calligraphy Conservation Lab",
         Slot("lab-head", roles=(CONSERVATOR,)),
         Slot("senior-conservator", 3, roles=(CONSERVATOR,), login="conservator"),
         Slot("conservator", 7, roles=(CONSERVATOR,))),
    _lab("conservation-textiles", "织绣修复室", "Textile Conservation Lab",
         Slot("lab-head", roles=(CONSERVATOR,)),
         Slot("senior-conservator", 2, roles=(CONSERVATOR,)),
         Slot("conservator", 5, roles=(CONSERVATOR,))),
    _lab("conservation-metals-ceramics", "金属陶瓷修复室", "Metals and Ceramics Conservation Lab",
         Slot("lab-head", roles=(CONSERVATOR,)),
         Slot("senior-conservator", 2, roles=(CONSERVATOR,)),
         Slot("conservator", 6, roles=(CONSERVATOR,))),
    _lab("conservation-science", "科技检测实验室", "Scientific Analysis Lab",
         Slot("lab-head", roles=(CONSERVATOR,)),
         Slot("conservation-scientist", 7, roles=(CONSERVATOR,))),
    _lab("conservation-environment", "环境监测组", "Environmental Monitoring Team",
         Slot("team-leader", roles=(CONSERVATOR,)),
         Slot("environmental-technician", 5, roles=(CONSERVATOR,))),
    DemoDepartment("collections", "藏品与登录部", "Collections and Registration", "museum", (
        Slot("head-of-department", roles=(REGISTRAR, CURATOR)),
        Slot("registrar", 6, roles=(REGISTRAR,), login="registrar"),
        Slot("collections-manager", 7, roles=(REGISTRAR,)),
        Slot("photographer", 2),
    )),
    DemoDepartment("exhibitions", "展览部", "Exhibitions", "museum", (
        Slot("head-of-department", roles=(CURATOR,)),
        Slot("curator", 6, roles=(CURATOR,), login="curator"),
        Slot("assistant-curator", 4, roles=(CURATOR,)),
        Slot("exhibition-designer", 3),
        Slot("technician", 2, CONTRACTOR),
        Slot("consultant", 1, EXTERNAL),
    )),
    DemoDepartment("education", "宣教部", "Education and Public Programmes", "museum", (
        Slot("head-of-department", roles=(EDUCATOR,)),
        Slot("educator", 6, roles=(EDUCATOR,), login="educator"),
        Slot("docent", 6, roles=(EDUCATOR,)),
        Slot("volunteer-guide", 10, VOLUNTEER),
    )),
    DemoDepartment("security", "安保部", "Security", "museum", (
        Slot("head-of-department", roles=(SECURITY,)),
        Slot("deputy-head", roles=(SECURITY,)),
        Slot("control-room-operator", 4, roles=(SECURITY,)),
        Slot("fire-safety-officer", 2, roles=(SECURITY,)),
    )),
    _shift("a", "甲班"),
    _shift("b", "乙班"),
    _shift("c", "丙班"),
    DemoDepartment("facilities", "设施设备部", "Facilities", "museum", (
        Slot("head-of-department"),
        Slot("engineer", 5),
        Slot("technician", 6),
        Slot("technician", 4, CONTRACTOR),
    )),
    DemoDepartment("hr", "人力资源部", "Human Resources", "museum", (
        Slot("head-of-department", roles=(HR,), login="hr"),
        Slot("hr-specialist", 5, roles=(HR,)),
    )),
    DemoDepartment("finance", "财务部", "Finance", "museum", (
        Slot("head-of-department"),
        Slot("accountant", 5, login="staff"),
        Slot("cashier", 2),
    )),
    DemoDepartment("it", "信息技术部", "Information Technology", "museum", (
        Slot("head-of-department", roles=(ADMINISTRATOR,), login=ADMIN_USERNAME),
        Slot("it-engineer", 6),
        Slot("it-engineer", 1, CONTRACTOR),
        Slot("consultant", 1, EXTERNAL),
    )),
]

SURNAMES: list[tuple[str, str]] = [
    ("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"),
    ("杨", "Yang"), ("赵", "Zhao"), ("黄", "Huang"), ("周", "Zhou"), ("吴", "Wu"),
    ("徐", "Xu"), ("孙", "Sun"), ("胡", "Hu"), ("朱", "Zhu"), ("高", "Gao"),
    ("林", "Lin"), ("何", "He"), ("郭", "Guo"), ("马", "Ma"), ("罗", "Luo"),
    ("梁", "Liang"), ("宋", "Song"), ("郑", "Zheng"), ("谢", "Xie"), ("韩", "Han"),
    ("唐", "Tang"), ("冯", "Feng"), ("于", "Yu"), ("董", "Dong"), ("萧", "Xiao"),
    ("程", "Cheng"), ("曹", "Cao"), ("袁", "Yuan"), ("邓", "Deng"), ("许", "Hsu"),
    ("傅", "Fu"), ("沈", "Shen"), ("曾", "Zeng"), ("彭", "Peng"), ("吕", "Lyu"),
]
"""Common surnames. 许 is romanised Hsu here only to keep it apart from 徐 (Xu)."""

GIVEN_NAMES: list[tuple[str, str]] = [
    ("伟", "Wei"), ("芳", "Fang"), ("娜", "Na"), ("敏", "Min"), ("静", "Jing"),
    ("丽", "Li"), ("强", "Qiang"), ("磊", "Lei"), ("军", "Jun"), ("洋", "Yang"),
    ("勇", "Yong"), ("艳", "Yan"), ("杰", "Jie"), ("娟", "Juan"), ("涛", "Tao"),
    ("明", "Ming"), ("超", "Chao"), ("秀英", "Xiuying"), ("霞", "Xia"), ("平", "Ping"),
    ("刚", "Gang"), ("桂英", "Guiying"), ("建华", "Jianhua"), ("文博", "Wenbo"),
    ("雅琴", "Yaqin"), ("思远", "Siyuan"), ("嘉怡", "Jiayi"), ("子涵", "Zihan"),
    ("浩然", "Haoran"), ("雨桐", "Yutong"), ("晓东", "Xiaodong"), ("志强", "Zhiqiang"),
    ("丹青", "Danqing"), ("书瑶", "Shuyao"), ("一鸣", "Yiming"), ("清华", "Qinghua"),
    ("若兰", "Ruolan"), ("宏伟", "Hongwei"), ("俊杰", "Junjie"), ("婉清", "Wanqing"),
    ("立新", "Lixin"), ("国栋", "Guodong"), ("慧敏", "Huimin"), ("海燕", "Haiyan"),
    ("振宇", "Zhenyu"), ("梦瑶", "Mengyao"), ("承泽", "Chengze"), ("墨涵", "Mohan"),
    ("晨曦", "Chenxi"), ("知远", "Zhiyuan"), ("佳琪", "Jiaqi"), ("欣然", "Xinran"),
    ("天佑", "Tianyou"), ("永康", "Yongkang"), ("春燕", "Chunyan"), ("玉兰", "Yulan"),
    ("德明", "Deming"), ("学文", "Xuewen"), ("晓梅", "Xiaomei"), ("红梅", "Hongmei"),
    ("建国", "Jianguo"), ("卫东", "Weidong"), ("秋月", "Qiuyue"), ("宁", "Ning"),
    ("琳", "Lin"), ("悦", "Yue"), ("博", "Bo"), ("鑫", "Xin"), ("瑞", "Rui"),
    ("颖", "Ying"), ("昊", "Hao"),
]
"""71 given names; with 40 surnames every one of the demo's people gets a distinct name."""


@dataclass(frozen=True)
class DemoPerson:
    username: str
    name_zh: str
    name_en: str
    employee_number: str | None
    email: str
    phone: str
    status: str
    department: str
    position: str
    roles: tuple[RoleSpec, ...]
    is_head: bool


def demo_people() -> list[DemoPerson]:
    """The roster, in tree order; the same list on every run and every machine."""
    people: list[DemoPerson] = []
    taken = {username for _role, username in LOGINS}
    index = 0
    for department in DEPARTMENTS:
        for slot_number, slot in enumerate(department.slots):
            for n in range(slot.count):
                index += 1
                # Strides coprime to the list lengths walk every (surname, given name) pair
                # before repeating one.
                surname_zh, surname_en = SURNAMES[(index * 17 + 3) % len(SURNAMES)]
                given_zh, given_en = GIVEN_NAMES[(index * 29 + 7) % len(GIVEN_NAMES)]
                if slot.login and n == 0:
                    username = slot.login
                else:
                    base = f"{surname_en}.{given_en}".lower()
                    username, suffix = base, 1
                    while username in taken:
                        suffix += 1
                        username = f"{base}{suffix}"
                    taken.add(username)
                number = {STAFF: f"TH{index:04d}", CONTRACTOR: f"CT{index:04d}"}.get(slot.status)
                people.append(DemoPerson(
                    username=username, name_zh=surname_zh + given_zh,
                    name_en=f"{surname_en} {given_en}", employee_number=number,
                    email=f"{username}@{EMAIL_DOMAIN}", phone=f"+86 139 0010 {index:04d}",
                    status=slot.status, department=department.code, position=slot.position,
                    roles=slot.roles, is_head=slot_number == 0 and n == 0))
    return people


@kernel_demo.register("directory", order=10)
def load(write: Callable[[str], None]) -> dict[str, Any]:
    """Create whatever part of the demo museum is missing. Every person's password is
    :data:`taihe.kernel.demo.DEMO_PASSWORD`; the IT head ``admin`` is a superuser."""
    roster = demo_people()
    created = {"positions": 0, "departments": 0, "people": 0}
    hashed: list[str] = []

    def password_hash() -> str:
        # One (argon2) hash shared by every demo person: hashing 200 passwords one by one
        # would take most of a minute.
        if not hashed:
            hashed.append(make_password(kernel_demo.DEMO_PASSWORD))
        return hashed[0]

    for code, title_zh, title_en in POSITIONS:
        _position, is_new = Position.objects.get_or_create(
            code=code, defaults={"title_zh": title_zh, "title_en": title_en})
        created["positions"] += is_new
    positions = dict(Position.objects.filter(code__in=[p[0] for p in POSITIONS])
                     .values_list("code", "id"))

    admin_spec = next(p for p in roster if p.username == ADMIN_USERNAME)
    admin = Person.objects.filter(username=ADMIN_USERNAME).first()
    new_people: set[str] = set()
    if admin is None:
        # The bootstrap: someone must hold every right before the services can be used.
        admin = Person(
            username=ADMIN_USERNAME, name_zh=admin_spec.name_zh, name_en=admin_spec.name_en,
            employee_number=admin_spec.employee_number, email=admin_spec.email,
            phone=admin_spec.phone, status=admin_spec.status,
            position_id=positions[admin_spec.position], is_superuser=True, is_staff=True,
            password=password_hash())
        admin.save()
        publish(events.PersonCreated(
            person_id=admin.pk, actor_id=admin.pk, subject_type="directory.person",
            subject_id=str(admin.pk), after=services.snapshot(admin, services.PERSON_FIELDS)))
        new_people.add(ADMIN_USERNAME)
        created["people"] += 1

    with context.bound(request_id="taihe-demo", actor_id=admin.pk):
        departments = _load_departments(admin, created)
        people = _load_people(admin, roster, departments, positions, new_people, created,
                              password_hash)
        _set_heads(admin, roster, departments, people)
    total = sum(created.values())
    if total:
        write(f"  created {created['departments']} departments, {created['positions']} "
              f"positions and {created['people']} people")
    return {"departments": len(departments), "positions": len(positions),
            "people": len(people), "created": total}


def _load_departments(admin: Person, created: dict[str, int]) -> dict[str, Department]:
    existing = {d.code: d for d in Department.objects.filter(
        code__in=[spec.code for spec in DEPARTMENTS])}
    for sort_order, spec in enumerate(DEPARTMENTS):
        if spec.code in existing:
            continue
        parent = existing[spec.parent] if spec.parent else None
        existing[spec.code] = services.do_create_department(
            admin, code=spec.code, name_zh=spec.name_zh, name_en=spec.name_en,
            parent_id=parent.pk if parent else None, sort_order=sort_order)
        created["departments"] += 1
    return existing


def _load_people(admin: Person, roster: list[DemoPerson], departments: dict[str, Department],
                 positions: dict[str, int], new_people: set[str], created: dict[str, int],
                 password_hash: Callable[[], str]) -> dict[str, Person]:
    existing = {p.username: p for p in Person.objects.filter(
        username__in=[spec.username for spec in roster])}
    roles = {role.code: role for role in Role.objects.all()}
    for spec in roster:
        department_id = departments[spec.department].pk
        person = existing.get(spec.username)
        if person is None:
            person = services.do_create_person(admin, services.PersonInput(
                username=spec.username, name_zh=spec.name_zh, name_en=spec.name_en,
                employee_number=spec.employee_number, email=spec.email, phone=spec.phone,
                status=spec.status, department_id=department_id,
                position_id=positions[spec.position]))
            # The demo's shared sign-in password, set without the service's validation and
            # per-person hashing (see password_hash).
            person.password = password_hash()
            person.save(update_fields=["password"])
            existing[spec.username] = person
            new_people.add(spec.username)
            created["people"] += 1
        elif spec.username in new_people:
            # The bootstrap administrator, created before its department existed.
            person = services.do_update_person(admin, person, services.PersonInput(
                department_id=department_id))
        else:
            continue  # already there: leave it as the museum may have changed it
        wanted = list(spec.roles)
        if spec.status == STAFF:
            wanted.append(("staff", None))  # the service gives it on creation; not to admin
        for role_code, scope in wanted:
            services.do_assign_role(admin, person, roles[role_code],
                                    department_id=departments[scope].pk if scope else None)
    return existing


def _set_heads(admin: Person, roster: list[DemoPerson], departments: dict[str, Department],
               people: dict[str, Person]) -> None:
    heads = {spec.department: people[spec.username] for spec in roster if spec.is_head}
    for code, head in heads.items():
        department = departments[code]
        if department.head_id is None:
            services.do_update_department(admin, department, head_id=head.pk)


def announce() -> None:
    """Name the demo sign-ins (also in a later process, e.g. ``taihe serve``)."""
    for role, username in LOGINS:
        kernel_demo.announce_login(role, username)


load.announce = announce  # type: ignore[attr-defined]
