"""Demo data loaders. Modules register theirs; ``taihe demo`` runs them in order.

Every loader must be idempotent: running ``taihe demo`` twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Loader = Callable[[Callable[[str], None]], dict[str, Any]]


@dataclass(frozen=True)
class DemoLoader:
    name: str
    order: int
    load: Loader


_LOADERS: dict[str, DemoLoader] = {}


def register(name: str, *, order: int) -> Callable[[Loader], Loader]:
    def add(load: Loader) -> Loader:
        _LOADERS[name] = DemoLoader(name, order, load)
        return load

    return add


def loaders() -> list[DemoLoader]:
    return sorted(_LOADERS.values(), key=lambda entry: (entry.order, entry.name))


DEMO_PASSWORD = "taihe-demo-2026"  # noqa: S105  (printed on purpose: demo logins)
"""The password of every demo login. The demo is for trying Taihe, never for real data."""

_LOGINS: list[tuple[str, str]] = []


def announce_login(role: str, username: str) -> None:
    """Loaders name the sign-in to print for a role (``make run`` prints them)."""
    if (role, username) not in _LOGINS:
        _LOGINS.append((role, username))


def printed_logins() -> list[tuple[str, str]]:
    if not _LOGINS:
        for entry in loaders():
            getattr(entry.load, "announce", lambda: None)()
    return list(_LOGINS)
