"""Shared by the browser tests: one demo museum served for the whole run (migrated and
loaded once, not once per file) and one headless Chromium (Debian's package, never a
downloaded build)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import service_missing

CHROMIUM = "/usr/bin/chromium"
DEMO_PASSWORD = "taihe-demo-2026"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


TAIHE = [sys.executable, "-m", "taihe.config.cli"]


@pytest.fixture(scope="session")
def demo_env(tmp_path_factory: Any) -> dict[str, str]:
    """The environment of the served demo museum (for ``taihe`` commands beside it)."""
    data = tmp_path_factory.mktemp("e2e-data")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAIHE_")}
    # Sixty days of sensor readings instead of the demo's year: the screens are the same,
    # the load is six times quicker on a busy CI machine.
    # Every browser test signs its people in from 127.0.0.1 within a minute or two: more
    # than the ten sign-ins a minute one address gets by default.
    env.update({"TAIHE_DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "taihe.config.settings",
                "PYTHONUNBUFFERED": "1", "TAIHE_DEMO_SENSOR_DAYS": "60",
                "TAIHE_LOGIN_ATTEMPTS_PER_MINUTE": "200"})
    return env


@pytest.fixture(scope="session")
def server(demo_env: dict[str, str]) -> Iterator[str]:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        service_missing("Chromium", "install Debian's package: apt-get install chromium")
    env = demo_env
    data = Path(env["TAIHE_DATA_DIR"])
    taihe = TAIHE
    subprocess.run([*taihe, "migrate", "-v", "0"], env=env, check=True, timeout=300)
    subprocess.run([*taihe, "demo"], env=env, check=True, timeout=300,
                   stdout=subprocess.DEVNULL)
    port = _free_port()
    log = open(data / "server.log", "wb")  # noqa: SIM115
    process = subprocess.Popen([*taihe, "serve", "--port", str(port)], env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


# Module scope, not session: Playwright's sync API marks an event loop as running in the
# main thread while it is open, and every asyncio test that xdist later runs in the same
# worker would then fail ("Runner.run() cannot be called from a running event loop").
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield instance
        instance.close()


class Browsers:
    """One signed-in context per person; every console error is collected."""

    def __init__(self, browser: Any, base: str) -> None:
        self.browser = browser
        self.base = base
        self.contexts: list[Any] = []
        self.problems: list[str] = []

    def page_for(self, username: str, **options: Any) -> Any:
        context = self.browser.new_context(**{"viewport": {"width": 1280, "height": 900},
                                              **options})
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: self.problems.append(
            f"{username} console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.problems.append(f"{username} page error: {e}"))
        page.goto(f"{self.base}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{self.base}/")
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()
