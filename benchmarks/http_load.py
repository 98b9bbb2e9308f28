"""HTTP load on loopback: an authenticated API read and the workbench page, each against a bare
Django "hello" view measured in the same run, under N concurrent keep-alive clients.

    python benchmarks/http_load.py [--clients 50] [--seconds 10]

It builds a fresh embedded-profile data directory with the demo museum, starts
``taihe serve`` (uvicorn, one process, as ``make run`` does), and prints requests/s and
p50/p95/p99 latency per target, plus each target's ratio to the baseline.
Target (issue 2): p95 under 50 ms for reads at 50 concurrent clients, embedded profile.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def one_client(port: int, request: bytes, stop_at: float, latencies: list[float],
                     errors: list[str], interval: float = 0.0, phase: float = 0.0) -> None:
    """Send requests on one keep-alive connection until ``stop_at``. With an ``interval``
    the client paces itself like a person: it starts a request every ``interval`` seconds
    (at once if the last one took longer), so latency is measured under a fixed load."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    next_start = time.perf_counter() + phase
    try:
        while time.perf_counter() < stop_at:
            if interval:
                delay = next_start - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                next_start += interval
            started = time.perf_counter()
            writer.write(request)
            await writer.drain()
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value.strip())
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if not status_line.startswith(b"HTTP/1.1 200"):
                errors.append(status_line.decode("latin-1").strip())
    finally:
        writer.close()


async def load(port: int, request: bytes, clients: int, seconds: float,
               interval: float = 0.0) -> dict[str, float]:
    latencies: list[float] = []
    errors: list[str] = []
    # Warm up: open the connections and let Django build its caches.
    await asyncio.gather(*(one_client(port, request, time.perf_counter() + 0.5, [], [])
                           for _ in range(min(clients, 5))))
    started = time.perf_counter()
    # Paced clients start spread over one interval, as independent people would.
    await asyncio.gather(*(one_client(port, request, started + seconds, latencies, errors,
                                      interval, interval * index / clients)
                           for index in range(clients)))
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} failed requests, e.g. {errors[0]}")
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    return {"rps": len(ordered) / elapsed, "p50": pct(50), "p95": pct(95), "p99": pct(99),
            "mean": statistics.fmean(ordered) * 1000, "n": len(ordered)}


def http_get(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--paced-rate", type=float, default=2.0,
                        help="requests per second per client in the paced run")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="taihe-bench-"))
    env = {**os.environ, "TAIHE_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT),
           "DJANGO_SETTINGS_MODULE": "benchmarks.settings"}
    for key in ("TAIHE_DATABASE_URL", "TAIHE_REDIS_URL"):
        env.pop(key, None)
    taihe = [sys.executable, "-m", "taihe.config.cli"]
    subprocess.run([*taihe, "migrate", "-v", "0"], env=env, check=True)
    subprocess.run([*taihe, "demo"], env=env, check=True, stdout=subprocess.DEVNULL)
    prepare = subprocess.run([*taihe, "shell", "-c", (
        "from django.contrib.sessions.backends.db import SessionStore;"
        "from django.contrib.auth import SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY;"
        "from django.conf import settings;"
        "from taihe.modules.directory.models import Person;"
        "from taihe.kernel.http import tokens;"
        "p = Person.objects.get(username='staff');"
        "s = SessionStore(); s[SESSION_KEY] = str(p.pk);"
        "s[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0];"
        "s[HASH_SESSION_KEY] = p.get_session_auth_hash(); s.save();"
        "print('SESSION', s.session_key);"
        "print('TOKEN', tokens.issue(p, name='bench', scopes=['read']).secret);"
        # Settle the demo first: deliver its events (audit entries) so the server's worker
        # is idle while we measure, as it is on a museum's ordinary day.
        "from taihe.kernel.jobs.backends import backend;"
        "print('SETTLED', backend('database').run_pending(limit=100000))")],
        env=env, check=True, capture_output=True, text=True)
    session = re.search(r"SESSION (\S+)", prepare.stdout).group(1)
    token = re.search(r"TOKEN (\S+)", prepare.stdout).group(1)
    port = free_port()
    server = subprocess.Popen([*taihe, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        targets = {
            "baseline: bare Django hello view": http_get("/bench/hello", {}),
            "API read: GET /api/v1/directory/people?limit=20 (token)": http_get(
                "/api/v1/directory/people?limit=20", {"Authorization": f"Bearer {token}"}),
            "workbench page: GET / (session)": http_get(
                "/", {"Cookie": f"sessionid={session}"}),
        }
        print(f"embedded profile, 1 server process, {args.clients} concurrent clients, "
              f"{args.seconds:.0f} s per target, {os.cpu_count()} cores, load generator on "
              "the same machine\n")
        runs = [("saturating: every client sends its next request at once", 0.0),
                (f"paced: each client {args.paced_rate:g} requests/s "
                 f"({args.clients * args.paced_rate:g} requests/s offered)",
                 1.0 / args.paced_rate)]
        for title, interval in runs:
            print(title)
            print(f"  {'target':<58} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
                  f"{'p95/base':>8} {'rps/base':>8}")
            base: dict[str, float] | None = None
            for name, request in targets.items():
                result = asyncio.run(load(port, request, args.clients, args.seconds, interval))
                base = base or result
                print(f"  {name:<58} {result['rps']:>7.0f} {result['p50']:>7.1f} "
                      f"{result['p95']:>7.1f} {result['p99']:>7.1f} "
                      f"{result['p95'] / base['p95']:>8.2f} {result['rps'] / base['rps']:>8.2f}")
            print()
        print("target (issue 2): API read p95 < 50 ms at 50 concurrent clients, embedded profile")
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
