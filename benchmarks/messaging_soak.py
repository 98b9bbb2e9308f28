"""Soak test of messaging: many clients connected for minutes, every message delivered once.

Set-up: ``--clients`` people (default 1,000), each with a websocket on ``/ws/`` subscribed
to ``messaging.person.<id>`` (session cookies made directly in the database), in
``--groups`` groups (default 5, the clients dealt round-robin) plus one all-hands group
holding everyone. Three sender people per conversation post through
``POST /api/v1/messaging/conversations/{id}/messages`` at a steady ``--rate`` in total
(default 5 messages/s; the all-hands group gets a tenth of them), one message at a time
per conversation, so each conversation has one true order. Clients ping every 30 s as the
chat page does (presence).

Checked at the end, after the senders stop and the last frames drain: every client received
every message of each of its conversations exactly once and in the order sent (no lost
messages, no duplicates, nothing out of order, nothing it should not see), and nothing
went wrong on the way (failed sends, error frames, sockets closed by the server, missing
pongs). Every 30 s the server processes' resident memory is sampled (psutil when installed,
else /proc/<pid>/status) and the run ends with first/last/max and the slope, to show
memory stays flat. Delivery latency (just before the POST to each client's frame) is
reported too.

Exit status 1 when anything was lost, duplicated, out of order or failed.

Usage:
    python benchmarks/messaging_soak.py                       # 1,000 clients, 10 minutes
    python benchmarks/messaging_soak.py --minutes 2           # a short validation run
    python benchmarks/messaging_soak.py --profile scaled      # PostgreSQL + Redis, 2 servers
    python benchmarks/messaging_soak.py --profile scaled --redis-pool-fix

The scaled profile drops and re-creates ``--database-url`` (default
postgresql://postgres@127.0.0.1:5432/taihe_bench_messaging) and empties ``--redis-url``
(default redis://127.0.0.1:6379/3); senders post to both server processes in turn.
``--redis-pool-fix``: see ``benchmarks/messaging.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import math
import os
import signal
import sys
import tempfile
import time
from array import array
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _ws  # noqa: E402
from benchmarks.messaging import API_SEND, CONNECT_CONCURRENCY, Sender, run  # noqa: E402

SENDERS_PER_CONVERSATION = 3
ALL_HANDS_SHARE = 0.1
PING_EVERY = 30
DRAIN_SECONDS = 20.0


class Client:
    __slots__ = (
        "conversations",
        "index",
        "person_id",
        "pings",
        "pongs",
        "ready",
        "received",
        "socket",
    )

    def __init__(self, index: int, person_id: int, conversations: list[int]) -> None:
        self.index = index
        self.person_id = person_id
        self.conversations = conversations
        self.received: dict[int, array[int]] = {cid: array("q") for cid in conversations}
        self.socket: Any = None
        self.ready: asyncio.Future[None] | None = None
        self.pings = 0
        self.pongs = 0


class Soak:
    def __init__(self) -> None:
        self.clients: list[Client] = []
        self.expected: dict[int, list[int]] = defaultdict(list)
        self.posted_at: dict[int, float] = {}
        self.arrivals: dict[int, array[float]] = defaultdict(lambda: array("d"))
        self.errors: list[str] = []
        self.failed_sends = 0
        self.closed_by_server = 0
        self.unexpected = 0
        self.frames = 0
        self.stopping = False

    def on_text(self, client: Client) -> Any:
        def handle(at: float, payload: bytes) -> None:
            if b'"message.new"' in payload:
                self.frames += 1
                message = json.loads(payload)["data"]["message"]
                cid, mid = int(message["conversation_id"]), int(message["id"])
                got = client.received.get(cid)
                if got is None:
                    self.unexpected += 1
                    return
                got.append(mid)
                self.arrivals[mid].append(at)
            elif b'"pong"' in payload:
                client.pongs += 1
            elif client.ready is not None and not client.ready.done() \
                    and b'"subscribed"' in payload:
                client.ready.set_result(None)
            elif b'"error"' in payload:
                self.errors.append(f"client {client.index}: "
                                   f"{payload.decode('utf-8', 'replace')[:200]}")
        return handle

    async def connect(self, ports: list[int], sessions: list[str], deflate: bool) -> None:
        loop = asyncio.get_running_loop()

        async def one(client: Client) -> None:
            client.ready = loop.create_future()
            client.socket = await _ws.open_socket(
                ports[client.index % len(ports)], "/ws/",
                {"Cookie": f"sessionid={sessions[client.index]}"}, self.on_text(client),
                deflate=deflate)
            client.socket.send_json({"type": "subscribe",
                                     "topic": f"messaging.person.{client.person_id}"})
            async with asyncio.timeout(60):
                await client.ready
            client.socket.closed.add_done_callback(lambda _f: self._closed(client))

        await _ws.gather_limited([functools.partial(one, c) for c in self.clients],
                                 CONNECT_CONCURRENCY)

    def _closed(self, client: Client) -> None:
        if not self.stopping:
            self.closed_by_server += 1
            self.errors.append(f"client {client.index}: socket closed by the server "
                               f"(code {client.socket.closed.result()})")

    async def pinger(self) -> None:
        """Each client pings every 30 s, the clients spread over the 30 s."""
        tick = 0
        while not self.stopping:
            for client in self.clients[tick % PING_EVERY::PING_EVERY]:
                if not client.socket.closed.done():
                    client.pings += 1
                    client.socket.send_json({"type": "ping"})
            tick += 1
            await asyncio.sleep(1)

    async def sender(self, cid: int, port: int, tokens: list[str], interval: float,
                     offset: float, until: float) -> None:
        """Post to one conversation every ``interval`` s, one message at a time."""
        sender = await Sender.start()
        next_at = time.perf_counter() + offset
        seq = 0
        try:
            while True:
                delay = next_at - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                if time.perf_counter() >= until or self.stopping:
                    break
                next_at += interval
                token = tokens[seq % len(tokens)]
                reply = await sender.post(port, API_SEND.format(id=cid),
                                          {"body": f"Soak {cid}/{seq}: 库房温湿度巡检记录已上传，"
                                                   f"please check the RH chart for gallery 3."},
                                          {"Authorization": f"Bearer {token}"})
                seq += 1
                if reply["status"] != 201:
                    self.failed_sends += 1
                    self.errors.append(f"POST to {cid}: {reply['status']} "
                                       f"{reply['body'][:200]}")
                    continue
                mid = int(json.loads(reply["body"])["id"])
                self.expected[cid].append(mid)
                self.posted_at[mid] = reply["t0"]
        finally:
            await sender.close()

    def outstanding(self) -> int:
        total = 0
        for client in self.clients:
            for cid in client.conversations:
                total += max(0, len(self.expected[cid]) - len(client.received[cid]))
        return total

    def verify(self) -> dict[str, int]:
        lost = duplicates = out_of_order = 0
        for client in self.clients:
            for cid in client.conversations:
                got = list(client.received[cid])
                want = self.expected[cid]
                unique = list(dict.fromkeys(got))
                duplicates += len(got) - len(unique)
                wanted = set(want)
                self.unexpected += sum(1 for mid in unique if mid not in wanted)
                seen = set(unique)
                lost += sum(1 for mid in want if mid not in seen)
                if [mid for mid in unique if mid in wanted] != [m for m in want if m in seen]:
                    out_of_order += 1
        missing_pongs = sum(max(0, c.pings - c.pongs) for c in self.clients)
        return {"lost": lost, "duplicates": duplicates, "out_of_order": out_of_order,
                "unexpected": self.unexpected, "missing_pongs": missing_pongs}


async def soak(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix=f"taihe-soak-{args.profile}-"))
    scaled = args.profile == "scaled"
    if scaled:
        why = _ws.scaled_services(args.database_url, args.redis_url)
        if why:
            print(f"scaled profile unavailable: {why}")
            return 2
    env = _ws.taihe_env(workdir / "data", args.database_url if scaled else None,
                        args.redis_url if scaled else None,
                        redis_pool_fix=scaled and args.redis_pool_fix)
    groups = args.groups
    per = SENDERS_PER_CONVERSATION
    spec = {"listeners": args.clients, "senders": (groups + 1) * per, "groups": [
        *({"title": f"Soak group {g}", "listeners": list(range(g, args.clients, groups)),
           "senders": list(range(g * per, g * per + per))} for g in range(groups)),
        {"title": "All hands", "listeners": list(range(args.clients)),
         "senders": list(range(groups * per, groups * per + per))}]}
    print(f"[soak] seeding {args.clients} clients in {groups} groups and an all-hands group "
          f"({args.profile} profile, data in {workdir})", flush=True)
    seeded = _ws.seed(env, spec)
    conversations = [int(c) for c in seeded["groups"]]
    all_hands = conversations[-1]
    tokens = [str(t) for _pk, t in seeded["senders"]]
    state = Soak()
    for index, (pk, _session) in enumerate(seeded["listeners"]):
        state.clients.append(Client(index, int(pk),
                                    [conversations[index % groups], all_hands]))
    sessions = [str(s) for _pk, s in seeded["listeners"]]
    ports = [_ws.free_port() for _ in range(2 if scaled else 1)]
    processes = []
    code = 1
    try:
        for number, port in enumerate(ports):
            processes.append(_ws.start_taihe(env, port, workdir / f"taihe-{number}.log",
                                             ["--no-scheduler"] if number else []))
        started = time.perf_counter()
        await state.connect(ports, sessions, deflate=not args.no_deflate)
        print(f"[soak] {args.clients} clients connected and subscribed in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        memory: dict[int, list[tuple[float, float]]] = {p.pid: [] for p in processes}
        begin = time.perf_counter()
        cpu_begin = _ws.cpu_seconds([p.pid for p in processes])
        until = begin + args.minutes * 60
        pinger = asyncio.create_task(state.pinger())
        share = dict.fromkeys(conversations[:-1], (1 - ALL_HANDS_SHARE) / groups)
        share[all_hands] = ALL_HANDS_SHARE
        senders = [asyncio.create_task(state.sender(
            cid, ports[n % len(ports)], tokens[n * per:(n + 1) * per],
            1 / (args.rate * share[cid]), n / (args.rate * len(conversations)), until))
            for n, cid in enumerate(conversations)]

        def sample() -> None:
            now = time.perf_counter() - begin
            for pid, samples in memory.items():
                samples.append((now, _ws.rss_mib(pid)))
            rss = ", ".join(f"{samples[-1][1]:.0f}" for samples in memory.values())
            print(f"[soak] {now / 60:5.1f} min: sent {sum(map(len, state.expected.values()))},"
                  f" frames {state.frames}, outstanding {state.outstanding()}, errors "
                  f"{len(state.errors)}, server RSS MiB {rss}", flush=True)

        sample()
        next_sample = begin + args.sample
        while time.perf_counter() < until:
            await asyncio.sleep(min(1.0, max(0.0, until - time.perf_counter())))
            if time.perf_counter() >= next_sample:
                sample()
                next_sample += args.sample
        await asyncio.gather(*senders)
        server_cpu = ((_ws.cpu_seconds([p.pid for p in processes]) - cpu_begin)
                      / (time.perf_counter() - begin))
        drain_until = time.perf_counter() + DRAIN_SECONDS
        while state.outstanding() and time.perf_counter() < drain_until:
            await asyncio.sleep(0.2)
        sample()
        state.stopping = True
        pinger.cancel()
        await asyncio.sleep(1)  # the last pongs
        checks = state.verify()
        await asyncio.gather(*(c.socket.close() for c in state.clients))
        code = report(state, checks, memory, server_cpu, args)
    finally:
        state.stopping = True
        _ws.stop(processes)
        if scaled:
            _ws.drop_scaled(args.database_url, args.redis_url)
    return code


def report(state: Soak, checks: dict[str, int], memory: dict[int, list[tuple[float, float]]],
           server_cpu: float, args: argparse.Namespace) -> int:
    sent = sum(map(len, state.expected.values()))
    deliveries = sum(len(c.received[cid]) for c in state.clients for cid in c.conversations)
    latencies = [(at - state.posted_at[mid]) * 1000 for mid, times in state.arrivals.items()
                 if mid in state.posted_at for at in times]
    print()
    print(f"Messaging soak: {args.clients} clients, {args.minutes:g} min, {args.rate:g} "
          f"messages/s offered over {args.groups} groups and an all-hands group, "
          f"{args.profile} profile, {os.cpu_count()} cores, loopback")
    print(f"  messages sent        {sent} ({sent / (args.minutes * 60):.2f}/s)")
    print(f"  frames delivered     {deliveries}")
    print(f"  delivery latency ms  p50 {_ws.percentile(latencies, 50):.1f}  "
          f"p95 {_ws.percentile(latencies, 95):.1f}  p99 {_ws.percentile(latencies, 99):.1f}"
          f"  max {max(latencies) if latencies else math.nan:.1f}")
    print(f"  server CPU           {server_cpu * 100:.0f} % of one core (all server processes)")
    for name, value in checks.items():
        print(f"  {name.replace('_', ' '):<20} {value}")
    print(f"  failed sends         {state.failed_sends}")
    print(f"  closed by server     {state.closed_by_server}")
    other = len(state.errors) - state.failed_sends - state.closed_by_server
    print(f"  error frames/other   {other}")
    for line in state.errors[:5]:
        print(f"    e.g. {line}")
    for number, samples in enumerate(memory.values()):
        values = [v for _t, v in samples]
        half = samples[len(samples) // 2:]
        print(f"  server {number} RSS MiB  first {values[0]:.1f}  last {values[-1]:.1f}  "
              f"max {max(values):.1f}  slope {_ws.slope_per_minute(samples):+.2f}/min "
              f"(second half {_ws.slope_per_minute(half):+.2f}/min), {len(samples)} samples")
    failed = (checks["lost"] or checks["duplicates"] or checks["out_of_order"]
              or checks["unexpected"] or checks["missing_pongs"] or state.errors)
    print(f"  result               {'FAIL' if failed else 'pass'}")
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=5)
    parser.add_argument("--rate", type=float, default=5.0, help="messages per second in total")
    parser.add_argument("--sample", type=float, default=30.0, help="seconds between RSS samples")
    parser.add_argument("--profile", choices=["embedded", "scaled"], default="embedded")
    parser.add_argument("--no-deflate", action="store_true")
    parser.add_argument("--redis-pool-fix", action="store_true",
                        help="scaled profile: give the channel layer's Redis pool a 30 s "
                             "socket timeout and 10,000 connections")
    parser.add_argument("--database-url", default=_ws.DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=_ws.DEFAULT_REDIS_URL)
    args = parser.parse_args()
    if args.clients < args.groups:
        raise SystemExit("--clients must be at least --groups")
    _ws.raise_open_files(args.clients * 2 + 1000)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill` stops it like Ctrl+C
    code = 130
    try:
        code = run(soak(args))
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    finally:
        _ws.stop_all()  # after Ctrl+C the coroutine's own clean-up may not have run
    raise SystemExit(code)


if __name__ == "__main__":
    main()
