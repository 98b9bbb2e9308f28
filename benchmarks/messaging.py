"""Benchmark of messaging: send latency and fan-out latency to N websocket clients.

For each profile and each N (``--clients``, default 100 and 1,000) one group holds N
listening people (plus the senders). N websocket clients, one per listener, log in with a
session cookie made directly in the database, connect to ``/ws/`` and subscribe to
``messaging.person.<their id>`` as the chat page does. Then ``--sends`` times (default 300,
after 5 warm-ups): a sender posts ``POST /api/v1/messaging/conversations/{id}/messages``
with a bearer token and the run waits until every client has received the
``message.new`` frame of that message.

- send latency: the POST's round trip, seen by the sender.
- fan-out latency: from just before the POST to each client receiving the frame (one
  sample per client and message).

Baseline, measured in the same run on the same channel layer: a bare Channels app
(``benchmarks/bare_asgi.py``, under uvicorn like ``taihe serve``) whose consumer joins one
group on connect and does no database work; a POST to ``/trigger`` group_sends one frame of
the same shape and size as Taihe's ``message.new`` frame. The table shows Taihe p99 / bare
p99.

Profiles:
- embedded: SQLite in a fresh data dir, in-memory channel layer, one ``taihe serve``
  process (with its job worker and scheduler, as ``make run`` starts it).
- scaled: a fresh PostgreSQL database and Redis (channel layer, cache, job broker), two
  ``taihe serve`` processes; clients alternate between the two, the sender posts to the
  first. The bare baseline also runs as two processes on the same Redis. No Celery worker
  runs (the jobs a message causes wait in Redis). Skipped, saying why, when PostgreSQL or
  Redis cannot be reached. The database is dropped and re-created and the Redis database
  emptied: never point ``--database-url`` or ``--redis-url`` at anything you want to keep.
  ``--redis-pool-fix`` runs it with the channel layer's Redis pool given a 30 s socket
  timeout and 10,000 connections (redis-py 8's 5 s and 100 make busy consumers fail and
  their sockets close; the ``closed`` column counts them). Taihe's own settings now size
  the pool (``config.settings.redis_channel_host``: 30 s, 2,000), so the flag matters
  mostly for the bare baseline.

Clients and servers share the machine (loopback); all clients run in one asyncio process
(uvloop), the sender in a second process so that reading 1,000 frames never delays the
clock of the POST. Clients offer permessage-deflate, as browsers do. Each sender person may
post 60 messages a minute (the API's limit), so sends rotate over 20 senders.

Targets (issue): fan-out p99 under 150 ms at 1,000 clients; sending under 40 ms p50.

Usage:
    python benchmarks/messaging.py --quick                 # 40 sends, 100 clients
    python benchmarks/messaging.py                         # both profiles, 100 and 1,000
    python benchmarks/messaging.py --profile embedded --clients 100,1000 --sends 300
    python benchmarks/messaging.py --profile scaled --redis-pool-fix
    python benchmarks/messaging.py --profile scaled \\
        --database-url postgresql://postgres@127.0.0.1:5432/taihe_bench_messaging \\
        --redis-url redis://127.0.0.1:6379/3
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import math
import os
import random
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FANOUT_TARGET_MS = 150.0
"""Fan-out p99 at 1,000 clients (issue target)."""
FANOUT_TARGET_CLIENTS = 1000
SEND_TARGET_MS = 40.0
"""Send p50 (issue target)."""

SENDERS = 20
WARMUPS = 5
ROUND_TIMEOUT = 10.0
MISSED_ROUNDS = 5
"""A row stops after this many sends in a row that some open socket never received."""
CONNECT_CONCURRENCY = 50
SEED = 5
BODY = ("Round {seq}: the condition report for the Ming blue-and-white vase (2024.17) is "
        "ready for review; 请在周五前审阅并确认借展条件。")
API_SEND = "/api/v1/messaging/conversations/{id}/messages"


# --- The sender process (standard library only: starts fast, holds no GIL of ours) -------

def sender_main() -> None:
    """Read one JSON request a line, answer ``{"t0", "t1", "status", "body"}`` a line.
    ``t0`` is taken just before the request is written, ``t1`` once the answer is read; both
    ``time.perf_counter()``, which is CLOCK_MONOTONIC on Linux and so comparable with the
    client process's clock."""
    import http.client

    connections: dict[int, tuple[http.client.HTTPConnection, float]] = {}
    for line in sys.stdin:
        request = json.loads(line)
        port = int(request["port"])
        connection: http.client.HTTPConnection | None = None
        used = 0.0
        if port in connections:
            connection, used = connections[port]
        # uvicorn closes idle keep-alive connections after 5 s; open a new one beforehand,
        # outside the timed part, as a browser's pool would have one open.
        if connection is None or time.monotonic() - used > 3.0:
            if connection is not None:
                connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.connect()
        body = json.dumps(request["body"]).encode()
        headers = {"Content-Type": "application/json", **request.get("headers", {})}
        t0 = time.perf_counter()
        connection.request("POST", request["path"], body, headers)
        response = connection.getresponse()
        answer = response.read()
        t1 = time.perf_counter()
        connections[port] = (connection, time.monotonic())
        if response.will_close:
            connection.close()
            del connections[port]
        print(json.dumps({"t0": t0, "t1": t1, "status": response.status,
                          "body": answer.decode("utf-8", "replace")}), flush=True)


class Sender:
    """The client side of :func:`sender_main`."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls) -> Sender:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(Path(__file__).resolve()), "_sender",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        return cls(process)

    async def post(self, port: int, path: str, body: dict[str, Any],
                   headers: dict[str, str] | None = None) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write((json.dumps({"port": port, "path": path, "body": body,
                                              "headers": headers or {}}) + "\n").encode())
        await self.process.stdin.drain()
        line = await self.process.stdout.readline()
        if not line:
            raise SystemExit("the sender process ended")
        return dict(json.loads(line))

    async def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        await self.process.wait()


# --- Listening --------------------------------------------------------------------------

@dataclass
class Round:
    expected: int
    arrivals: list[tuple[int, float, bytes]] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)


class Listeners:
    """N sockets; the frames carrying ``message.new`` during a round are kept raw with their
    arrival time and parsed after the round, so the clients spend nothing on JSON while the
    frames of a round are still arriving."""

    def __init__(self) -> None:
        self.round: Round | None = None
        self.sockets: list[Any] = []
        self.stray = 0
        self.errors: list[str] = []
        self.closed: set[int] = set()
        self.closing = False

    def lost_socket(self, index: int) -> None:
        """The server closed socket ``index``: the round in progress stops waiting for it and
        the row counts it as closed (not as lost frames)."""
        if self.closing or index in self.closed:
            return
        self.closed.add(index)
        current = self.round
        if current is not None:
            current.expected -= 1
            if len(current.arrivals) >= current.expected:
                current.done.set()

    def handler(self, index: int, ready: asyncio.Future[None], ready_marker: bytes) -> Any:
        def on_text(at: float, payload: bytes) -> None:
            if b'"message.new"' in payload:
                current = self.round
                if current is None:
                    self.stray += 1
                    return
                current.arrivals.append((index, at, payload))
                if len(current.arrivals) >= current.expected:
                    current.done.set()
            elif not ready.done() and ready_marker in payload:
                ready.set_result(None)
            elif b'"error"' in payload:
                self.errors.append(payload.decode("utf-8", "replace")[:200])
        return on_text

    async def connect(self, ports: list[int], people: list[tuple[int, str]], *,
                      taihe: bool, deflate: bool) -> float:
        from benchmarks._ws import gather_limited, open_socket

        loop = asyncio.get_running_loop()
        started = time.perf_counter()

        async def one(index: int) -> Any:
            person_id, session = people[index]
            port = ports[index % len(ports)]
            ready: asyncio.Future[None] = loop.create_future()
            marker = b'"subscribed"' if taihe else b'"hello"'
            headers = {"Cookie": f"sessionid={session}"} if taihe else {}
            sock = await open_socket(port, "/ws/", headers, self.handler(index, ready, marker),
                                     deflate=deflate)
            if taihe:
                sock.send_json({"type": "subscribe", "topic": f"messaging.person.{person_id}"})
            try:
                async with asyncio.timeout(30):
                    await ready
            except TimeoutError:
                raise SystemExit(f"client {index} not ready after 30 s; errors: "
                                 f"{self.errors[:3]}") from None
            sock.closed.add_done_callback(lambda _done: self.lost_socket(index))
            return sock

        self.sockets = await gather_limited(
            [functools.partial(one, i) for i in range(len(people))], CONNECT_CONCURRENCY)
        return time.perf_counter() - started

    async def close(self) -> None:
        self.closing = True
        await asyncio.gather(*(sock.close() for sock in self.sockets))
        self.sockets = []


@dataclass
class Result:
    profile: str
    clients: int
    server: str
    send_ms: list[float] = field(default_factory=list)
    fanout_ms: list[float] = field(default_factory=list)
    last_ms: list[float] = field(default_factory=list)
    lost: int = 0
    """Frames a client whose socket stayed open did not get within 10 s."""
    closed: int = 0
    """Sockets the server closed during the row (see the server log)."""
    duplicates: int = 0
    failed_sends: int = 0
    connect_s: float = 0.0
    server_cpu_ms: float = math.nan
    """Server CPU time (all processes and threads) per timed send: unlike latency, it
    hardly depends on what else the machine is doing."""
    load: float = 0.0
    """The machine's 1-minute load average when the row finished (others' work shows)."""
    note: str = ""


async def fan_out(listeners: Listeners, sender: Sender, result: Result, *, port: int,
                  path: Callable[[int], str], headers: Callable[[int], dict[str, str]],
                  body_of: Callable[[int], dict[str, Any]],
                  identify: Callable[[int, dict[str, Any], dict[str, Any]], bool],
                  sends: int, rng: random.Random, pids: list[int]) -> None:
    """``sends`` rounds after the warm-ups: post, wait for every client, keep the times.
    ``path``, ``headers`` and ``body_of`` build request ``seq``; ``identify(seq, answer,
    frame)`` says whether a frame carries what that request sent."""
    from benchmarks._ws import cpu_seconds

    n = len(listeners.sockets)
    cpu_start = 0.0
    missed_in_a_row = 0
    for seq in range(-WARMUPS, sends):
        if seq == 0:
            cpu_start = cpu_seconds(pids)
        current = Round(expected=n - len(listeners.closed))
        if current.expected <= 0:
            result.note = "; ".join([result.note, "row abandoned: the server closed every "
                                     "socket"]).strip("; ")
            break
        listeners.round = current
        reply = await sender.post(port, path(seq), body_of(seq), headers(seq))
        if reply["status"] not in (200, 201):
            # Counted and reported, not fatal: one failure (say, a shared database server
            # out of lock slots) should not throw away a long run.
            listeners.round = None
            result.failed_sends += 1
            if not result.note:
                result.note = f"POST {path(seq)} answered {reply['status']}: " \
                              f"{reply['body'][:200]}"
            if result.failed_sends > max(10, sends // 10):
                result.note += "; row abandoned after too many failed sends"
                break
            await asyncio.sleep(0.5)
            continue
        answer = json.loads(reply["body"]) if reply["body"] else {}
        with contextlib.suppress(TimeoutError):  # the missing frames count as lost
            async with asyncio.timeout(ROUND_TIMEOUT):
                await current.done.wait()
        listeners.round = None
        seen: set[int] = set()
        latest = 0.0
        for index, at, payload in current.arrivals:
            frame = json.loads(payload)
            if not identify(seq, answer, frame):
                listeners.stray += 1
                continue
            if index in seen:
                result.duplicates += 1
                continue
            seen.add(index)
            if seq >= 0:
                result.fanout_ms.append((at - reply["t0"]) * 1000)
                latest = max(latest, at - reply["t0"])
        if seq >= 0:
            result.send_ms.append((reply["t1"] - reply["t0"]) * 1000)
            result.last_ms.append(latest * 1000)
            result.lost += max(0, current.expected - len(seen))
        result.closed = len(listeners.closed)
        missed_in_a_row = missed_in_a_row + 1 if len(seen) < current.expected else 0
        if missed_in_a_row >= MISSED_ROUNDS:
            result.note = "; ".join([result.note, f"row abandoned: {MISSED_ROUNDS} sends in a "
                                     "row missed open sockets"]).strip("; ")
            break
        # A short, varying pause: the next message is not sent into the tail of this one.
        await asyncio.sleep(0.03 + rng.random() * 0.03)
    result.load = os.getloadavg()[0]
    result.closed = len(listeners.closed)
    result.server_cpu_ms = (cpu_seconds(pids) - cpu_start) * 1000 / max(1, sends)


# --- One profile --------------------------------------------------------------------------

def seed_spec(clients: list[int]) -> dict[str, Any]:
    return {"listeners": max(clients), "senders": SENDERS,
            "groups": [{"title": f"Fan-out {n}", "listeners": list(range(n)),
                        "senders": list(range(SENDERS))} for n in clients]}


async def run_profile(profile: str, args: argparse.Namespace, results: list[Result]) -> None:
    """Measure one profile, appending each finished row to ``results`` (kept if a later
    row fails)."""
    from benchmarks._ws import (
        drop_scaled,
        scaled_services,
        seed,
        start_bare,
        start_taihe,
        stop,
        taihe_env,
    )

    workdir = Path(tempfile.mkdtemp(prefix=f"taihe-bench-messaging-{profile}-"))
    scaled = profile == "scaled"
    if scaled:
        why = scaled_services(args.database_url, args.redis_url)
        if why:
            print(f"scaled profile skipped: {why}\n")
            return
    env = taihe_env(workdir / "data", args.database_url if scaled else None,
                    args.redis_url if scaled else None,
                    redis_pool_fix=scaled and args.redis_pool_fix)
    print(f"[{profile}] seeding {max(args.clients)} listeners, {SENDERS} senders, "
          f"groups of {', '.join(map(str, args.clients))} (data in {workdir})", flush=True)
    started = time.perf_counter()
    seeded = seed(env, seed_spec(args.clients))
    print(f"[{profile}] seeded in {time.perf_counter() - started:.0f} s", flush=True)
    processes = []
    rng = random.Random(SEED)
    from benchmarks._ws import free_port

    try:
        count = 2 if scaled else 1
        taihe_ports = [free_port() for _ in range(count)]
        bare_ports = [free_port() for _ in range(count)]
        for number, port in enumerate(taihe_ports):
            # One scheduler is enough for the museum; the second process serves only.
            extra = ["--no-scheduler"] if number else []
            processes.append(start_taihe(env, port, workdir / f"taihe-{number}.log", extra))
        for number, port in enumerate(bare_ports):
            processes.append(start_bare(env, port, workdir / f"bare-{number}.log"))
        sender = await Sender.start()
        people = [(int(pk), str(key)) for pk, key in seeded["listeners"]]
        tokens = [str(token) for _pk, token in seeded["senders"]]
        template: dict[str, Any] | None = None
        for n, conversation in zip(args.clients, seeded["groups"], strict=True):
            listeners = Listeners()
            taihe = Result(profile, n, "Taihe")
            results.append(taihe)  # before measuring: an interrupted row is still reported
            taihe.connect_s = await listeners.connect(taihe_ports, people[:n], taihe=True,
                                                      deflate=not args.no_deflate)
            print(f"[{profile}] {n} Taihe clients connected and subscribed in "
                  f"{taihe.connect_s:.1f} s", flush=True)
            captured: list[dict[str, Any]] = []

            def taihe_identify(seq: int, answer: dict[str, Any], frame: dict[str, Any],
                               keep: list[dict[str, Any]] = captured) -> bool:
                message = frame.get("data", {}).get("message", {})
                if not keep:
                    keep.append(frame["data"])
                return bool(message.get("id") == answer.get("id"))

            await fan_out(
                listeners, sender, taihe, port=taihe_ports[0],
                path=functools.partial(lambda c, seq: API_SEND.format(id=c), conversation),
                headers=lambda seq: {"Authorization": f"Bearer {tokens[seq % SENDERS]}"},
                body_of=lambda seq: {"body": BODY.format(seq=seq)},
                identify=taihe_identify, sends=args.sends, rng=rng,
                pids=[p.pid for p in processes[:count]])
            taihe.note = "; ".join([taihe.note, *listeners.errors[:2]]).strip("; ")
            await listeners.close()
            print(f"[{profile}] {n} clients, Taihe: {summary(taihe)}", flush=True)
            template = template or (captured[0] if captured else None)

            listeners = Listeners()
            bare = Result(profile, n, "bare Channels")
            results.append(bare)
            bare.connect_s = await listeners.connect(bare_ports, people[:n], taihe=False,
                                                     deflate=not args.no_deflate)
            data = dict(template or {"type": "message.new", "message": {"body": BODY}})

            def bare_identify(seq: int, answer: dict[str, Any], frame: dict[str, Any]) -> bool:
                return bool(frame.get("data", {}).get("seq") == seq)

            await fan_out(
                listeners, sender, bare, port=bare_ports[0], path=lambda seq: "/trigger",
                headers=lambda seq: {},
                body_of=functools.partial(lambda d, seq: {**d, "seq": seq}, data),
                identify=bare_identify, sends=args.sends, rng=rng,
                pids=[p.pid for p in processes[count:]])
            await listeners.close()
            print(f"[{profile}] {n} clients, bare:  {summary(bare)}", flush=True)
        await sender.close()
    finally:
        stop(processes)
        if scaled:
            drop_scaled(args.database_url, args.redis_url)


# --- Report --------------------------------------------------------------------------------

def pcts(values: list[float]) -> tuple[float, float, float]:
    from benchmarks._ws import percentile

    return percentile(values, 50), percentile(values, 95), percentile(values, 99)


def summary(result: Result) -> str:
    s50, _s95, _s99 = pcts(result.send_ms)
    f50, _f95, f99 = pcts(result.fanout_ms)
    return (f"send p50 {s50:.1f} ms, fan-out p50 {f50:.1f} ms p99 {f99:.1f} ms, "
            f"lost {result.lost}, closed by the server {result.closed}")


def report(results: list[Result], args: argparse.Namespace) -> None:
    print()
    print(f"Messaging send and fan-out, up to {args.sends} sends per row after {WARMUPS} "
          f"warm-ups, "
          f"{os.cpu_count()} cores, clients and servers on one machine (loopback), "
          f"permessage-deflate {'off' if args.no_deflate else 'on'}"
          f"{', scaled with --redis-pool-fix' if args.redis_pool_fix else ''}. Times in ms.")
    print("send = POST round trip (Taihe: the API; bare: the trigger); fan-out = from just "
          "before the POST to each client's frame; last = slowest client, median over sends; "
          "lost = frames an open socket did not get within 10 s; closed = sockets the server "
          "closed; CPU/send = server CPU ms (all server processes) per send; load = 1-minute "
          "load average at the end of the row (other work on the machine inflates latencies)")
    header = (f"{'profile':<9} {'clients':>7}  {'server':<13} {'sends':>5} {'send p50':>8} "
              f"{'p95':>6} {'p99':>6}  {'fan-out p50':>11} {'p95':>6} {'p99':>6} {'last p50':>8}  "
              f"{'lost':>4} {'closed':>6}  {'p99/bare':>8} {'CPU/send':>8} {'load':>4}")
    print(header)
    print("-" * len(header))
    bare_p99 = {(r.profile, r.clients): pcts(r.fanout_ms)[2] for r in results
                if r.server != "Taihe"}
    for r in results:
        s = pcts(r.send_ms)
        f = pcts(r.fanout_ms)
        ratio = ""
        if r.server == "Taihe" and (r.profile, r.clients) in bare_p99:
            ratio = f"{f[2] / bare_p99[(r.profile, r.clients)]:.2f}"
        print(f"{r.profile:<9} {r.clients:>7}  {r.server:<13} {len(r.send_ms):>5} "
              f"{s[0]:>8.1f} {s[1]:>6.1f} "
              f"{s[2]:>6.1f}  {f[0]:>11.1f} {f[1]:>6.1f} {f[2]:>6.1f} "
              f"{pcts(r.last_ms)[0]:>8.1f}  {r.lost:>4} {r.closed:>6}  {ratio:>8} "
              f"{r.server_cpu_ms:>8.1f} {r.load:>4.1f}")
    print()
    for r in results:
        if r.failed_sends or r.note or r.duplicates or r.closed:
            print(f"note: {r.profile} {r.clients} {r.server}: {r.failed_sends} failed sends, "
                  f"{r.duplicates} duplicate frames, {r.closed} sockets closed by the server"
                  f"{'; errors: ' + r.note if r.note else ''}")
    print(f"targets (issue): fan-out p99 < {FANOUT_TARGET_MS:.0f} ms at "
          f"{FANOUT_TARGET_CLIENTS:,} clients; send p50 < {SEND_TARGET_MS:.0f} ms")
    for r in results:
        if r.server != "Taihe":
            continue
        send50 = pcts(r.send_ms)[0]
        verdicts = [f"send p50 {send50:.1f} ms {'pass' if send50 < SEND_TARGET_MS else 'FAIL'}"]
        if r.clients == FANOUT_TARGET_CLIENTS:
            p99 = pcts(r.fanout_ms)[2]
            met = p99 < FANOUT_TARGET_MS and not (r.lost or r.closed)
            verdicts.append(f"fan-out p99 {p99:.1f} ms {'pass' if met else 'FAIL'}")
        print(f"  {r.profile:<9} {r.clients:>5} clients: {'; '.join(verdicts)}")


def main() -> None:
    if sys.argv[1:2] == ["_sender"]:
        sender_main()
        return
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default=None,
                        help="comma-separated client counts (default 100,1000; quick: 100)")
    parser.add_argument("--sends", type=int, default=None,
                        help="timed sends per row (default 300; quick: 40)")
    parser.add_argument("--profile", choices=["embedded", "scaled", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="smoke run: 100 clients, 40 sends")
    parser.add_argument("--no-deflate", action="store_true",
                        help="do not offer permessage-deflate (browsers do offer it)")
    parser.add_argument("--redis-pool-fix", action="store_true",
                        help="scaled profile: give the channel layer's Redis pool a 30 s "
                             "socket timeout and 10,000 connections (Taihe and baseline)")
    parser.add_argument("--database-url", default=None,
                        help="scaled profile database (dropped and re-created)")
    parser.add_argument("--redis-url", default=None, help="scaled profile Redis (flushed)")
    args = parser.parse_args()
    from benchmarks._ws import (
        DEFAULT_DATABASE_URL,
        DEFAULT_REDIS_URL,
        raise_open_files,
        stop_all,
    )

    args.clients = [int(c) for c in (args.clients or ("100" if args.quick else "100,1000"))
                    .split(",") if c.strip()]
    args.sends = args.sends or (40 if args.quick else 300)
    args.database_url = args.database_url or DEFAULT_DATABASE_URL
    args.redis_url = args.redis_url or DEFAULT_REDIS_URL
    limit = raise_open_files(max(args.clients) * 2 + 1000)
    if limit < max(args.clients) + 100:
        raise SystemExit(f"open-file limit {limit} is too low for {max(args.clients)} clients")
    profiles = ["embedded", "scaled"] if args.profile == "both" else [args.profile]
    results: list[Result] = []
    # `kill` (SIGTERM) stops the run like Ctrl+C: servers ended, the rows so far reported.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        for profile in profiles:
            try:
                run(run_profile(profile, args, results))
            except (Exception, SystemExit) as error:  # report what was measured anyway
                print(f"[{profile}] aborted: {error}", flush=True)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    finally:
        stop_all()  # after Ctrl+C the coroutines' own clean-up may not have run
    if results:
        report(results, args)


def run(coroutine: Any) -> Any:
    """Run on uvloop when installed: the clients' loop then costs less per frame."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


if __name__ == "__main__":
    main()
