"""Benchmark of approvals: inbox latency and the approve action at museum scale.

Set-up: 2,000 people in a three-level tree (a director, 10 divisions, 90 teams, each with a
head) and 100,000 requests through the built-in leave, overtime, missed-punch and expense
approvals over two years (about fifty per person), with their tasks and copies: 5 % still in
approval with a pending task, the rest approved, rejected, returned, withdrawn or cancelled.
Each request's engine state is worked out by the engine itself (``engine.start``, ``approve``,
``reject``, ...) and the rows are written with raw bulk inserts.

Measured, p50/p95/p99 over ``--samples`` runs (after warm-ups), each for another person:

1. To-do box: ``selectors.inbox(actor, InboxQuery(box="todo"))``, first page of 20 rows
   evaluated with process and applicant, plus ``selectors.inbox_counts`` (the badge), for
   heads with work waiting; against a hand-written SELECT of the same page (the person's
   pending tasks joined to their requests, newest first, LIMIT 20) in the same run.
   Target: to-do p95 under 50 ms.
2. Done box (heads, about a thousand decided tasks each) and submitted box (members).
3. Approve: ``services.do_approve`` on a fresh pending task (requests submitted through
   ``do_submit_request`` beforehand, not timed), against the raw writes an approval needs
   at least (the task, the request, one history row) in one transaction.

Usage:
    python benchmarks/workflows.py                  # SQLite in a fresh temporary data dir
    python benchmarks/workflows.py --quick          # smoke run: 200 people, 10,000 requests
    python benchmarks/workflows.py --database postgresql://postgres@127.0.0.1:5432/taihe_bench
    TAIHE_BENCH_DATABASE_URL=postgresql://... python benchmarks/workflows.py

On PostgreSQL the benchmark database is emptied first (its public schema is dropped): never
point it at a database that holds anything you want to keep.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from benchmarks.catalog import percentile, setup  # noqa: E402  same fresh database, demo people

SEED = 11
INBOX_TARGET_MS = 50.0
"""To-do box p95 (issue target)."""

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
SPAN_DAYS = 730

STATUSES = [("approved", 0.76), ("rejected", 0.07), ("returned", 0.03), ("withdrawn", 0.06),
            ("cancelled", 0.03), ("running", 0.05)]
PROCESSES = [("leave", 0.45), ("overtime", 0.2), ("punch_correction", 0.2),
             ("expense_claim", 0.15)]


# --- The organisation ------------------------------------------------------------------------

class Org:
    """Ids of the bench people: ``manager[level][person]``, heads, members, HR, admin."""

    def __init__(self) -> None:
        self.people: list[int] = []
        self.department: dict[int, int] = {}
        self.manager: dict[int, dict[int, int]] = {1: {}, 2: {}, 3: {}}
        self.heads: list[int] = []
        self.team_heads: list[int] = []
        self.members: list[int] = []
        self.hr: list[int] = []
        self.admin: int = 0


def build_org(total: int) -> Org:
    """A director, 10 divisions of 9 teams, the rest spread over the teams; the first team
    is HR and its head the administrator's stand-in for finance."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from taihe.modules.directory.models import Department, Role, RoleAssignment

    person_model = get_user_model()
    password = make_password("bench")
    root = Department.objects.create(code="bench", name_zh="基准馆", name_en="Bench museum")
    root.path = f"/{root.pk}/"
    root.save(update_fields=["path"])
    divisions, teams = [], []
    for d in range(10):
        division = Department.objects.create(code=f"bench-d{d}", name_zh=f"部{d}",
                                             name_en=f"Division {d}", parent=root)
        division.path, division.depth = f"{root.path}{division.pk}/", 1
        division.save(update_fields=["path", "depth"])
        divisions.append(division)
        for t in range(9):
            team = Department.objects.create(code=f"bench-d{d}-t{t}", name_zh=f"组{d}-{t}",
                                             name_en=f"Team {d}-{t}", parent=division)
            team.path, team.depth = f"{division.path}{team.pk}/", 2
            team.save(update_fields=["path", "depth"])
            teams.append((division, team))
    # heads first (director, divisions, teams), then members round-robin over teams
    placements = [root, *divisions, *[team for _division, team in teams]]
    for index in range(total - len(placements)):
        placements.append(teams[index % len(teams)][1])
    person_model.objects.bulk_create([
        person_model(username=f"bench{n:05d}", name_zh=f"员工{n}", name_en=f"Bench person {n}",
                     employee_number=f"B{n:05d}", email=f"bench{n}@bench.example",
                     department=department, password=password)
        for n, department in enumerate(placements)], batch_size=1000)
    ids = list(person_model.objects.filter(username__startswith="bench").order_by("username")
               .values_list("id", flat=True))
    heads = ids[:len(divisions) + len(teams) + 1]
    for department, head in zip([root, *divisions, *[t for _d, t in teams]], heads,
                                strict=True):
        Department.objects.filter(pk=department.pk).update(head_id=head)
    org = Org()
    org.people = ids
    director = heads[0]
    division_heads = {division.pk: heads[1 + n] for n, division in enumerate(divisions)}
    team_heads = {team.pk: heads[1 + len(divisions) + n] for n, (_d, team) in enumerate(teams)}
    team_division = {team.pk: division.pk for division, team in teams}
    for person, department in zip(ids, placements, strict=True):
        org.department[person] = department.pk
        if department.pk == root.pk:
            chain: list[int] = []
        elif department.pk in division_heads:
            chain = [director] if person == division_heads[department.pk] else [
                division_heads[department.pk], director]
        else:
            division_head = division_heads[team_division[department.pk]]
            chain = ([division_head, director] if person == team_heads[department.pk]
                     else [team_heads[department.pk], division_head, director])
        for level, head in enumerate(chain, start=1):
            org.manager[level][person] = head
    org.heads = heads
    org.team_heads = list(team_heads.values())
    org.members = [p for p in ids if p not in set(heads)]
    first_team = teams[0][1].pk
    org.hr = [p for p in ids if org.department[p] == first_team][:5]
    org.admin = director
    roles = {role.code: role for role in Role.objects.all()}
    assignments = [RoleAssignment(person_id=p, role=roles["staff"]) for p in ids]
    assignments += [RoleAssignment(person_id=p, role=roles["hr"]) for p in org.hr]
    assignments.append(RoleAssignment(person_id=org.admin, role=roles["administrator"]))
    RoleAssignment.objects.bulk_create(assignments, batch_size=2000)
    return org


# --- Requests --------------------------------------------------------------------------------

class BenchResolver:
    """The engine's questions answered from the in-memory org (no queries)."""

    def __init__(self, org: Org, applicant: int, values: dict[str, Any],
                 kinds: dict[str, str]) -> None:
        self.org, self.applicant, self.values, self.kinds = org, applicant, values, kinds

    def approvers(self, node: dict[str, Any]) -> list[int]:
        found: list[int] = []
        for source in node.get("approvers", []):
            if source["kind"] == "manager":
                head = self.org.manager.get(int(source["levels"]), {}).get(self.applicant)
                found += [head] if head else []
            elif source["kind"] == "role" and source["code"] == "hr":
                found += self.org.hr
            elif source["kind"] == "role" and source["code"] == "administrator":
                found.append(self.org.admin)
        return list(dict.fromkeys(found))

    def administrators(self) -> list[int]:
        return [self.org.admin, *self.org.hr]

    def delegate(self, person_id: int) -> int:
        return person_id

    def holds(self, condition: dict[str, Any]) -> bool:
        from taihe.modules.workflows.engine import conditions

        return conditions.holds(condition, self.values, self.kinds, applicant_department=None,
                                within=lambda a, b: False)


def form_values(process: str, rng: random.Random, day: dt.date) -> dict[str, Any]:
    if process == "leave":
        days = rng.choice([1, 1, 2, 2, 3, 5])
        end = day + dt.timedelta(days=days - 1)
        return {"leave_type": rng.choice(["annual", "sick", "personal", "comp_time"]),
                "period": {"start": day.isoformat(), "end": end.isoformat(), "days": str(days),
                           "calendar": "Monday to Friday"},
                "days": float(days), "reason": "家中有事"}
    if process == "overtime":
        hours = rng.choice([2, 3, 4, 8])
        return {"date": day.isoformat(), "start_time": "18:00", "end_time": "22:00",
                "hours": float(hours), "reason": "布展", "compensation": "comp_time"}
    if process == "punch_correction":
        return {"date": day.isoformat(), "punch": "in", "time": "08:30", "cause": "forgot",
                "explanation": "忘记打卡"}
    amount = round(rng.uniform(20, 3000), 2)
    return {"items": [{"date": day.isoformat(), "category": "transport",
                       "description": "出租车", "amount": f"{amount:.2f}"}],
            "total": amount, "receipts": []}


def generate(org: Org, count: int, insert: Callable[[Any, list[dict[str, Any]]], None]) -> None:
    """``count`` requests with their tasks and copies, written in batches."""
    from taihe.modules.workflows import engine
    from taihe.modules.workflows import fields as field_registry
    from taihe.modules.workflows.models import CarbonCopy, Process, Request, RequestCounter, Task

    rng = random.Random(SEED)
    processes = {p.code: p for p in Process.objects.select_related("current_version")
                 .filter(code__in=[code for code, _w in PROCESSES])}
    kinds = {code: field_registry.kinds_of(p.current_version.form)
             for code, p in processes.items() if p.current_version}
    names = {code: {node_id: str(node.get("name") or "") for node_id, (node, _path)
                    in engine.machine.paths(p.current_version.definition).items()}
             for code, p in processes.items() if p.current_version}
    counters: dict[int, int] = {}
    requests: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    copies: list[dict[str, Any]] = []
    next_id = (Request.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    applicants = org.people
    for n in range(count):
        applicant = applicants[n % len(applicants)]
        process_code = rng.choices([c for c, _w in PROCESSES], [w for _c, w in PROCESSES])[0]
        status = rng.choices([s for s, _w in STATUSES], [w for _s, w in STATUSES])[0]
        process = processes[process_code]
        version = process.current_version
        assert version is not None
        # running ones are recent; the rest spread over two years
        age = rng.uniform(0, 6) if status == "running" else rng.uniform(7, SPAN_DAYS)
        submitted = NOW - dt.timedelta(days=age, minutes=rng.randint(0, 600))
        values = form_values(process_code, rng, submitted.date())
        resolver = BenchResolver(org, applicant, values, kinds[process_code])
        state, effects = engine.start(version.definition, applicant, resolver)
        moment = submitted
        acted: dict[int, dt.datetime] = {}

        if status in ("approved", "cancelled"):
            while state.status == "running" and _pending(state):
                task = _pending(state)[0]
                moment += dt.timedelta(hours=rng.uniform(0.2, 30))
                acted[task.key] = moment
                effects += engine.approve(version.definition, state, task.key, task.assignee,
                                          resolver)
            if status == "cancelled" and state.status == "approved":
                moment += dt.timedelta(days=rng.uniform(1, 5))
                engine.cancel_approved(state)
        elif status in ("rejected", "returned") and _pending(state):
            task = _pending(state)[0]
            moment += dt.timedelta(hours=rng.uniform(0.2, 30))
            acted[task.key] = moment
            engine.reject(version.definition, state, task.key, task.assignee, resolver,
                          to="end" if status == "rejected" else "applicant")
        elif status == "withdrawn" and state.status == "running":
            moment += dt.timedelta(hours=rng.uniform(0.2, 10))
            engine.withdraw(state, applicant)
        year = submitted.year
        counters[year] = counters.get(year, 0) + 1
        request_id = next_id + n
        final = state.status in engine.FINAL_STATUSES
        requests.append({
            "id": request_id, "number": f"AP-{year}-{counters[year]:06d}",
            "process_id": process.pk, "version_id": version.pk, "applicant_id": applicant,
            "department_id": org.department[applicant],
            "title": f"{process.name_zh}: 员工{applicant}", "summary": "",
            "form_data": values, "chosen_approvers": {}, "status": state.status,
            "state": state.to_json(), "subject_code": process.subject_code, "subject_ref": "",
            "cancels_id": None, "submitted_at": submitted, "updated_at": moment,
            "finished_at": moment if final else None, "last_urged_at": None})
        for task in state.tasks:
            decided = task.key in acted or task.auto
            tasks.append({
                "request_id": request_id, "key": task.key, "node_id": task.node_id,
                "node_name": names[process_code].get(task.node_id, ""), "kind": task.kind,
                "assignee_id": task.assignee, "delegated_from_id": None,
                "status": task.status, "auto": task.auto, "added": task.added,
                "round": task.round, "superseded": task.superseded, "created_at": submitted,
                "pending_since": submitted,
                "acted_at": acted.get(task.key, submitted) if decided else None,
                "due_at": submitted + dt.timedelta(hours=24) if task.status == "pending"
                else None, "reminded_at": None})
        for effect in effects:
            if effect.kind == "cc":
                copies += [{"request_id": request_id, "person_id": person,
                            "node_id": effect.node_id, "created_at": moment,
                            "read_at": moment + dt.timedelta(days=1)
                            if rng.random() < 0.8 else None} for person in effect.people]
        if len(requests) >= 5000 or n == count - 1:
            insert(Request, requests)
            insert(Task, tasks)
            insert(CarbonCopy, copies)
            requests, tasks, copies = [], [], []
            print(f"  {n + 1:,} requests", end="\r", flush=True)
    for year, last in counters.items():
        RequestCounter.objects.update_or_create(year=year, defaults={"last": last})


def _pending(state: Any) -> list[Any]:
    return [task for task in state.tasks if task.status == "pending"]


def raw_insert(model: Any, rows: list[dict[str, Any]]) -> None:
    """One executemany INSERT, values prepared by each field for the database in use."""
    from django.db import connection, transaction

    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if f.attname in rows[0]]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    data = [[f.get_db_prep_save(row[f.attname], connection) for f in fields] for row in rows]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {model._meta.db_table} ({columns}) VALUES ({marks})",
                           data)


def finish_load() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in ("workflows_request", "workflows_task", "workflows_carboncopy"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT MAX(id) FROM {table}))")
        cursor.execute("ANALYZE")


# --- Measuring -------------------------------------------------------------------------------

WARMUPS = 5


def timed(calls: list[Callable[[], Any]]) -> list[float]:
    """Run the first few calls untimed, then time each of the others."""
    for call in calls[:WARMUPS]:
        call()
    samples = []
    for call in calls[WARMUPS:]:
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def row(label: str, samples: list[float], base: list[float] | None) -> tuple[float, str]:
    p50, p95, p99 = (statistics.median(samples), percentile(samples, 0.95),
                     percentile(samples, 0.99))
    ratio = f"{p95 / percentile(base, 0.95):10.1f}x" if base else f"{'':>11}"
    print(f"{label:40} {p50 * 1e3:8.2f} {p95 * 1e3:8.2f} {p99 * 1e3:8.2f} {ratio}")
    return p95, ratio


RAW_TODO = """
SELECT r.id, r.number, r.title, r.summary, r.status, r.submitted_at, p.code, p.name_zh,
       p.name_en, u.username, u.name_zh, u.name_en
FROM workflows_task t
JOIN workflows_request r ON r.id = t.request_id
JOIN workflows_process p ON p.id = r.process_id
JOIN directory_person u ON u.id = r.applicant_id
WHERE t.assignee_id = %s AND t.status = 'pending'
ORDER BY r.submitted_at DESC, r.id DESC
LIMIT 20
"""


def bench_inbox(org: Org, samples: int) -> float:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from taihe.modules.workflows.models import Task
    from taihe.modules.workflows.selectors import InboxQuery, inbox, inbox_counts

    people = get_user_model().objects.in_bulk(org.people)
    waiting = sorted(set(Task.objects.filter(status="pending", assignee_id__in=org.heads)
                         .values_list("assignee_id", flat=True)))
    rng = random.Random(SEED + 1)
    runs = samples + WARMUPS
    heads = [people[rng.choice(waiting)] for _ in range(runs)]
    deciders = [people[rng.choice(org.team_heads)] for _ in range(runs)]
    members = [people[rng.choice(org.members)] for _ in range(runs)]
    pending = Task.objects.filter(status="pending").count()
    per_head = statistics.mean(Task.objects.filter(status="pending", assignee_id=h).count()
                               for h in waiting[:50])
    done = statistics.mean(Task.objects.filter(assignee_id=h).exclude(status="pending").count()
                           for h in org.team_heads[:20])
    print(f"\nInbox, {connection.vendor}: {pending:,} pending tasks (about {per_head:.0f} per "
          f"head with work), about {done:,.0f} decided tasks per team head; {samples} samples")
    print(f"{'':40} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'x baseline':>11}")

    def raw(person: Any) -> Callable[[], Any]:
        def run() -> Any:
            with connection.cursor() as cursor:
                cursor.execute(RAW_TODO, [person.pk])
                return cursor.fetchall()
        return run

    def page(person: Any, box: str, counts: bool) -> Callable[[], Any]:
        def run() -> Any:
            rows = [(r.number, r.title, r.process.name, r.applicant.display_name, r.status)
                    for r in inbox(person, InboxQuery(box=box))[:20]]
            return (rows, inbox_counts(person.pk)) if counts else rows
        return run

    base = timed([raw(p) for p in heads])
    row("raw SELECT of the to-do page (baseline)", base, base)
    todo, _ = row("to-do page + counts", timed([page(p, "todo", True) for p in heads]), base)
    row("to-do page only", timed([page(p, "todo", False) for p in heads]), base)
    row("done page (team heads)", timed([page(p, "done", False) for p in deciders]), base)
    row("submitted page (members)", timed([page(p, "submitted", False) for p in members]), base)
    return todo


def bench_approve(org: Org, samples: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from taihe.modules.workflows import services
    from taihe.modules.workflows.models import Request, Task

    people = get_user_model().objects.in_bulk(org.people)
    rng = random.Random(SEED + 2)
    applicants = rng.choices(org.members, k=(samples + WARMUPS) * 2)
    day = dt.date(2026, 4, 6)
    fresh = []
    for person in applicants:
        request = services.do_submit_request(people[person], "overtime", {
            "date": day.isoformat(), "start_time": "18:00", "end_time": "21:00", "hours": "3",
            "reason": "夜间开放", "compensation": "comp_time"})
        fresh.append((people[org.manager[1][person]], request.number, request.pk))
    print(f"\nApprove a fresh pending task ({samples} samples, {connection.vendor})")
    print(f"{'':40} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'x baseline':>11}")

    def raw(request_id: int, approver: int) -> Callable[[], Any]:
        # the writes an approval needs at least: the task, the request, one history row
        def run() -> None:
            now = timezone.now()
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT state FROM workflows_request WHERE id = %s",
                               [request_id])
                cursor.fetchone()
                cursor.execute("UPDATE workflows_task SET status = 'approved', acted_at = %s "
                               "WHERE request_id = %s AND assignee_id = %s "
                               "AND status = 'pending'", [now, request_id, approver])
                cursor.execute("UPDATE workflows_request SET status = 'approved', "
                               "updated_at = %s, finished_at = %s WHERE id = %s",
                               [now, now, request_id])
                cursor.execute("INSERT INTO workflows_action (request_id, kind, actor_id, "
                               "task_key, node_id, node_name, comment, people, detail, "
                               "attachments, at) VALUES (%s, 'approved', %s, 1, 'manager', '', "
                               "'', '[]', '', '[]', %s)", [request_id, approver, now])
        return run

    def approve(approver: Any, number: str) -> Callable[[], Any]:
        return lambda: services.do_approve(approver, number, comment="同意")

    half = samples + WARMUPS
    base = timed([raw(pk, approver.pk) for approver, _n, pk in fresh[:half]])
    row("raw task/request/history writes", base, base)
    row("services.do_approve", timed([approve(a, n) for a, n, _pk in fresh[half:]]), base)
    left = Task.objects.filter(request__number__in=[n for _a, n, _pk in fresh[half:]],
                               status="pending").count()
    approved = Request.objects.filter(number__in=[n for _a, n, _pk in fresh[half:]],
                                      status="approved").count()
    print(f"  {approved} requests approved, {left} tasks still pending")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2_000, help="people (default 2,000)")
    parser.add_argument("--requests", type=int, default=100_000,
                        help="requests (default 100,000)")
    parser.add_argument("--samples", type=int, default=200,
                        help="timed runs per measurement (default 200)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 200 people, 10,000 requests, 50 samples")
    parser.add_argument("--database", default=os.environ.get("TAIHE_BENCH_DATABASE_URL"),
                        help="PostgreSQL URL (default: SQLite in a temp dir; or set "
                             "TAIHE_BENCH_DATABASE_URL)")
    args = parser.parse_args()
    if args.quick:
        args.people, args.requests, args.samples = 200, 10_000, 50
    with tempfile.TemporaryDirectory(prefix="taihe-bench-workflows-") as work:
        setup(args.database, Path(work) / "data")
        from django.db import connection

        print(f"python {sys.version.split()[0]}, {connection.vendor}")
        started = time.perf_counter()
        org = build_org(args.people)
        print(f"Set-up: {len(org.people):,} people, {len(org.heads)} heads; generating "
              f"{args.requests:,} requests")
        generate(org, args.requests, raw_insert)
        finish_load()
        print(f"  {args.requests:,} requests with tasks and copies in "
              f"{time.perf_counter() - started:.0f}s")
        todo = bench_inbox(org, args.samples)
        bench_approve(org, args.samples)
        verdict = "meets" if todo * 1e3 < INBOX_TARGET_MS else "misses"
        print(f"\nto-do page + counts p95 {todo * 1e3:.1f} ms {verdict} the "
              f"{INBOX_TARGET_MS:.0f} ms target")


if __name__ == "__main__":
    main()
