"""The scaled profile end to end: ``taihe serve`` and ``taihe worker`` (Celery) as separate
processes on PostgreSQL and Redis. A job is enqueued over HTTP and seen done, and the event
it causes reaches a websocket client through the Redis channel layer."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import service_missing

pytestmark = pytest.mark.smoke
PASSWORD = "smoke-test-password-2026"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_http(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {seconds}s")


@pytest.fixture
def scaled(tmp_path: Path) -> Iterator[dict[str, Any]]:
    import psycopg
    import redis

    try:
        admin = psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres",
                                autocommit=True, connect_timeout=3)
        redis.Redis.from_url("redis://127.0.0.1:6379/5", socket_connect_timeout=2).ping()
    except Exception as error:
        service_missing("PostgreSQL or Redis", str(error))
    name = f"taihe_smoke_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    redis.Redis.from_url("redis://127.0.0.1:6379/5").flushdb()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAIHE_")}
    env.update({
        "TAIHE_DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{name}",
        "TAIHE_REDIS_URL": "redis://127.0.0.1:6379/5",
        "TAIHE_DATA_DIR": str(tmp_path / "data"),
        "TAIHE_ADMIN_PASSWORD": PASSWORD,
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "taihe.config.settings",
    })
    taihe = [sys.executable, "-m", "taihe.config.cli"]
    subprocess.run([*taihe, "migrate", "-v", "0"], env=env, check=True, timeout=300)
    subprocess.run([*taihe, "createadmin", "--username", "smoke", "--name", "Smoke"],
                   env=env, check=True, timeout=60)
    port = _free_port()
    logs = {n: open(tmp_path / f"{n}.log", "wb") for n in ("server", "worker")}  # noqa: SIM115
    server = subprocess.Popen([*taihe, "serve", "--port", str(port), "--no-worker"], env=env,
                              stdout=logs["server"], stderr=subprocess.STDOUT)
    worker = subprocess.Popen([*taihe, "worker", "--concurrency", "1"], env=env,
                              stdout=logs["worker"], stderr=subprocess.STDOUT)
    try:
        _wait_http(f"http://127.0.0.1:{port}/login/", server)
        yield {"base": f"http://127.0.0.1:{port}", "port": port, "logs": tmp_path}
    finally:
        for process in (server, worker):
            process.terminate()
        for process in (server, worker):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for handle in logs.values():
            handle.close()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_a_job_enqueued_over_http_runs_in_the_worker_and_pushes_to_a_websocket(scaled):
    import httpx
    from websockets.sync.client import connect

    base = scaled["base"]
    client = httpx.Client(base_url=base, timeout=10)
    login_page = client.get("/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text)
    assert token, "the login page has a CSRF field"
    signed_in = client.post("/login/", data={"username": "smoke", "password": PASSWORD,
                                             "csrfmiddlewaretoken": token.group(1)},
                            headers={"Referer": f"{base}/login/"})
    assert signed_in.status_code == 302, signed_in.text[:500]
    me = client.get("/api/v1/directory/me").json()
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    with connect(f"ws://127.0.0.1:{scaled['port']}/ws/",
                 additional_headers={"Cookie": cookie, "Origin": base}) as socket_:
        assert json.loads(socket_.recv(timeout=10)) == {"type": "hello"}
        topic = f"notifications.user.{me['id']}"
        socket_.send(json.dumps({"type": "subscribe", "topic": topic}))
        assert json.loads(socket_.recv(timeout=10)) == {"type": "subscribed", "topic": topic}
        requested = client.post("/api/v1/directory/exports", json={"format": "csv"},
                                headers={"X-CSRFToken": client.cookies["csrftoken"],
                                         "Referer": f"{base}/"})
        assert requested.status_code == 202, requested.text
        export_id = requested.json()["id"]
        deadline = time.monotonic() + 60
        status = "pending"
        while time.monotonic() < deadline and status != "done":
            time.sleep(0.5)
            status = client.get(f"/api/v1/directory/exports/{export_id}").json()["status"]
        worker_log = (scaled["logs"] / "worker.log").read_text(errors="replace")[-3000:]
        assert status == "done", worker_log
        message = json.loads(socket_.recv(timeout=30))
        assert message == {"type": "message", "topic": topic, "data": {"unread": 1}}
    download = client.get(f"/directory/exports/{export_id}/download")
    assert download.status_code == 200
    assert "smoke" in download.content.decode("utf-8-sig")
