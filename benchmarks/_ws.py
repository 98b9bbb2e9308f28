"""Shared harness of the messaging benchmarks (``messaging.py``, ``messaging_soak.py``).

- :class:`Socket`: a light websocket client on the Sans-I/O core of the ``websockets``
  library. A thousand sockets live in one asyncio process on a two-core machine, so each
  frame must cost the client as little as possible: no task or queue per socket, and the
  arrival time is taken in ``data_received``, the first moment the process sees the bytes.
- Servers: ``taihe serve`` and the bare Channels app (``bare_asgi.py``) under uvicorn.
- Seeding (``python -m benchmarks._ws seed`` with a JSON spec on stdin, run with the
  server's environment): people with the staff role, groups through
  ``services.do_create_group``, a database session per listener (no logins) and a
  write-scope API token per sender.
- Percentiles, RSS sampling, the open-file limit.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.typing import Origin
from websockets.uri import parse_uri

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TAIHE = [PYTHON, "-m", "taihe.config.cli"]
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/taihe_bench_messaging"
# Database 3: the test suite uses 5 and 8-15 of the same Redis.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/3"


# --- Small helpers ------------------------------------------------------------------------

def raise_open_files(needed: int) -> int:
    """Raise the soft open-file limit towards ``needed`` (at most the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` in MiB (psutil when installed, else /proc)."""
    try:
        import psutil

        return float(psutil.Process(pid).memory_info().rss) / 2**20
    except ImportError:
        pass
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


def cpu_seconds(pids: Sequence[int]) -> float:
    """User plus system CPU time the processes have used (all their threads), in seconds."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def slope_per_minute(samples: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of ``(seconds, value)`` samples, per minute."""
    if len(samples) < 2:
        return 0.0
    xs = [s[0] for s in samples]
    ys = [s[1] for s in samples]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if not spread:
        return 0.0
    return 60 * sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


# --- Environments and servers ------------------------------------------------------------

REDIS_POOL_FIX = """from benchmarks.settings import *  # noqa: F403
from benchmarks.settings import ENV

# redis-py 8 pools default to socket_timeout=5 s, which races channels_redis's 5 s BZPOPMIN
# (a busy consumer's receive fails and its socket is closed), and to max_connections=100,
# which 500 sockets' group_add/group_discard exceed.
CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {
    "hosts": [{"address": ENV.redis_url, "socket_timeout": 30, "max_connections": 10_000}]}}}
"""
"""Settings for ``--redis-pool-fix``: Taihe's, with the channel layer's Redis pool sized and
timed for many sockets. Written into the run's temporary directory, never into the repo."""


def taihe_env(data_dir: Path, database_url: str | None = None,
              redis_url: str | None = None, *, redis_pool_fix: bool = False) -> dict[str, str]:
    """The environment of a Taihe process: a data dir, and the scaled URLs when given. With
    ``redis_pool_fix`` the channel layer uses :data:`REDIS_POOL_FIX` (Taihe and the bare
    baseline alike)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAIHE_")}
    env.update({
        "TAIHE_DATA_DIR": str(data_dir),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
        # Taihe's settings, quieter (benchmarks.settings turns debug and logging down).
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "PYTHONUNBUFFERED": "1",
    })
    if database_url:
        env["TAIHE_DATABASE_URL"] = database_url
    if redis_url:
        env["TAIHE_REDIS_URL"] = redis_url
    if redis_pool_fix:
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / "bench_redis_pool_settings.py").write_text(REDIS_POOL_FIX)
        env["PYTHONPATH"] += os.pathsep + str(data_dir)
        env["DJANGO_SETTINGS_MODULE"] = "bench_redis_pool_settings"
        env["TAIHE_BENCH_REDIS_POOL"] = "1"
    return env


def scaled_services(database_url: str, redis_url: str) -> str | None:
    """Make ``database_url`` a fresh empty database and empty the Redis database; return why
    not when either service cannot be reached."""
    try:
        import psycopg
        import redis
    except ImportError as error:
        return f"client library missing: {error}"
    name = database_url.rsplit("/", 1)[-1]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
    except Exception as error:  # any failure means: skip the scaled part
        return f"PostgreSQL at {admin_url} unreachable: {error}"
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=2).flushdb()
    except Exception as error:
        return f"Redis at {redis_url} unreachable: {error}"
    return None


def drop_scaled(database_url: str, redis_url: str) -> None:
    import psycopg
    import redis

    name = database_url.rsplit("/", 1)[-1]
    try:
        with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres",
                             autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        redis.Redis.from_url(redis_url, socket_connect_timeout=2).flushdb()
    except Exception as error:  # clean-up is best effort
        print(f"  (clean-up failed: {error})")


def wait_port(port: int, process: subprocess.Popen[bytes], log: Path,
              seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server on port {port} exited with {process.returncode}; "
                             f"see {log}:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not listen within {seconds:.0f} s; see {log}")


def start_taihe(env: dict[str, str], port: int, log: Path,
                extra: Sequence[str] = ()) -> subprocess.Popen[bytes]:
    """``taihe serve`` (uvicorn, one process) as an operator starts it."""
    handle = log.open("wb")
    process = subprocess.Popen([*TAIHE, "serve", "--port", str(port), *extra], env=env,
                               stdout=handle, stderr=subprocess.STDOUT)
    _STARTED.append(process)
    wait_port(port, process, log)
    return process


def start_bare(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """The bare Channels app under uvicorn with the settings ``taihe serve`` uses."""
    handle = log.open("wb")
    process = subprocess.Popen(
        [PYTHON, "-m", "uvicorn", "benchmarks.bare_asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--lifespan", "off", "--no-access-log", "--log-level", "info"],
        env=env, stdout=handle, stderr=subprocess.STDOUT, cwd=str(ROOT))
    _STARTED.append(process)
    wait_port(port, process, log)
    return process


_STARTED: list[subprocess.Popen[bytes]] = []
"""Every server started here, so that :func:`stop_all` can end them after Ctrl+C."""


def stop_all() -> None:
    stop(_STARTED)
    _STARTED.clear()


def stop(processes: Sequence[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- Seeding -------------------------------------------------------------------------------

def seed(env: dict[str, str], spec: dict[str, Any]) -> dict[str, Any]:
    """Migrate and create the people, groups, sessions and tokens ``spec`` asks for (see
    :func:`_seed_here`), in a process with the server's environment."""
    subprocess.run([*TAIHE, "migrate", "-v", "0"], env=env, check=True)
    done = subprocess.run([PYTHON, "-m", "benchmarks._ws", "seed"], env=env, check=True,
                          input=json.dumps(spec), capture_output=True, text=True, cwd=str(ROOT))
    for line in done.stdout.splitlines():
        if line.startswith("SEED "):
            return dict(json.loads(line[5:]))
    raise SystemExit(f"seeding printed no result:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


def _seed_here(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec``: ``listeners`` (count), ``senders`` (count), ``groups``: a list of
    ``{"title", "listeners": [listener indices], "senders": [sender indices]}``; the first
    sender named owns the group. Returns ``listeners`` [[person id, session key]],
    ``senders`` [[person id, token]] and ``groups`` [conversation ids]."""
    import django

    django.setup()
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from taihe.kernel.http import tokens
    from taihe.modules.directory.models import Person, Role, RoleAssignment
    from taihe.modules.messaging import services

    listeners, senders = int(spec["listeners"]), int(spec["senders"])
    password = make_password(None)  # unusable, but sessions still carry its hash
    people = [Person(username=f"listener{n:05d}", name_zh=f"听众{n}",
                     name_en=f"Listener {n}", password=password)
              for n in range(listeners)]
    people += [Person(username=f"sender{n:03d}", name_zh=f"发送者{n}", name_en=f"Sender {n}",
                      password=password) for n in range(senders)]
    Person.objects.bulk_create(people, batch_size=1000)
    by_name = dict(Person.objects.filter(username__regex=r"^(listener|sender)\d+$")
                   .values_list("username", "id"))
    listener_ids = [by_name[f"listener{n:05d}"] for n in range(listeners)]
    sender_ids = [by_name[f"sender{n:03d}"] for n in range(senders)]
    staff = Role.objects.get(code="staff")
    RoleAssignment.objects.bulk_create([RoleAssignment(person_id=pk, role=staff)
                                        for pk in listener_ids + sender_ids], batch_size=2000)
    persons = {p.pk: p for p in Person.objects.filter(pk__in=listener_ids + sender_ids)}
    groups = []
    for group in spec["groups"]:
        owner = persons[sender_ids[group["senders"][0]]]
        members = [listener_ids[i] for i in group["listeners"]]
        members += [sender_ids[i] for i in group["senders"][1:]]
        groups.append(services.do_create_group(owner, title=group["title"],
                                               member_ids=members).pk)
    store = SessionStore()
    expires = timezone.now() + timedelta(days=2)
    sessions = []
    for pk in listener_ids:
        data = {SESSION_KEY: str(pk), BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
                HASH_SESSION_KEY: persons[pk].get_session_auth_hash()}
        sessions.append(Session(session_key=get_random_string(
            32, "abcdefghijklmnopqrstuvwxyz0123456789"), session_data=store.encode(data),
            expire_date=expires))
    Session.objects.bulk_create(sessions, batch_size=1000)
    issued = [tokens.issue(persons[pk], name="messaging benchmark", scopes=["read", "write"],
                           days=30).secret for pk in sender_ids]
    if settings.TAIHE_JOBS_BACKEND == "database":
        # Deliver the set-up's events now so the server's worker is idle when timing starts.
        from taihe.kernel.jobs.backends import DatabaseBackend, backend

        jobs = backend("database")
        assert isinstance(jobs, DatabaseBackend)
        jobs.run_pending(limit=1_000_000)
    return {"listeners": [[pk, s.session_key] for pk, s in zip(listener_ids, sessions,
                                                                strict=True)],
            "senders": [[pk, token] for pk, token in zip(sender_ids, issued, strict=True)],
            "groups": groups}


# --- The websocket client --------------------------------------------------------------------

class Socket(asyncio.Protocol):
    """One websocket connection. ``on_text(at, payload)`` gets each complete text message
    (bytes) with the ``time.perf_counter()`` at which its last bytes reached the process.
    Pings from the server are answered by the protocol itself."""

    def __init__(self, port: int, path: str, headers: dict[str, str],
                 on_text: Callable[[float, bytes], None], deflate: bool) -> None:
        loop = asyncio.get_running_loop()
        self.protocol = ClientProtocol(
            parse_uri(f"ws://127.0.0.1:{port}{path}"),
            origin=Origin(f"http://127.0.0.1:{port}"),
            # Browsers offer permessage-deflate and uvicorn accepts it, so the server
            # compresses every frame for every socket; the benchmark pays what they pay.
            extensions=[ClientPerMessageDeflateFactory()] if deflate else None,
            max_size=None)
        self.headers = headers
        self.on_text = on_text
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[int | None] = loop.create_future()
        self.transport: asyncio.Transport | None = None
        self.fragments: list[bytes] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not registered as asyncio.Transport subclasses.
        self.transport = transport  # type: ignore[assignment]
        request = self.protocol.connect()
        for name, value in self.headers.items():
            request.headers[name] = value
        self.protocol.send_request(request)
        self._flush()

    def data_received(self, data: bytes) -> None:
        at = time.perf_counter()
        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Frame):
                if event.opcode is Opcode.TEXT:
                    if event.fin:
                        self.on_text(at, bytes(event.data))
                    else:
                        self.fragments = [bytes(event.data)]
                elif event.opcode is Opcode.CONT and self.fragments is not None:
                    self.fragments.append(bytes(event.data))
                    if event.fin:
                        self.on_text(at, b"".join(self.fragments))
                        self.fragments = None
            elif isinstance(event, Response) and not self.opened.done():
                if self.protocol.handshake_exc is not None:
                    self.opened.set_exception(self.protocol.handshake_exc)
                else:
                    self.opened.set_result(None)
        self._flush()

    def eof_received(self) -> bool | None:
        self.protocol.receive_eof()
        self._flush()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed during the handshake"))
        if not self.closed.done():
            self.closed.set_result(self.protocol.close_code)

    def _flush(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        for chunk in self.protocol.data_to_send():
            if chunk:
                self.transport.write(chunk)
            elif self.transport.can_write_eof():
                self.transport.write_eof()
        if self.protocol.close_expected():
            self.transport.close()

    def send_json(self, data: Any) -> None:
        self.protocol.send_text(json.dumps(data).encode())
        self._flush()

    async def close(self, timeout: float = 2.0) -> None:
        if self.transport is None or self.closed.done():
            return
        try:
            self.protocol.send_close(1000)
            self._flush()
            async with asyncio.timeout(timeout):
                await asyncio.shield(self.closed)
        except Exception:  # already closing or gone: just drop it
            pass
        if not self.closed.done():
            self.transport.abort()


async def open_socket(port: int, path: str, headers: dict[str, str],
                      on_text: Callable[[float, bytes], None], *, deflate: bool = True,
                      timeout: float = 30.0) -> Socket:
    loop = asyncio.get_running_loop()
    # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation (Ctrl+C)
    # that arrives as the awaited thing finishes.
    async with asyncio.timeout(timeout):
        _transport, sock = await loop.create_connection(
            lambda: Socket(port, path, headers, on_text, deflate), "127.0.0.1", port)
        await asyncio.shield(sock.opened)
    return sock


async def gather_limited(factories: Sequence[Callable[[], Awaitable[Any]]],
                         limit: int) -> list[Any]:
    """Run the coroutine factories, at most ``limit`` at once, results in order."""
    gate = asyncio.Semaphore(limit)

    async def one(factory: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            return await factory()

    return list(await asyncio.gather(*(one(f) for f in factories)))


if __name__ == "__main__":
    if sys.argv[1:] == ["seed"]:
        print("SEED " + json.dumps(_seed_here(json.loads(sys.stdin.read()))), flush=True)
    else:
        raise SystemExit("usage: python -m benchmarks._ws seed < spec.json")
