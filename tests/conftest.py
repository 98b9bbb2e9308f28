"""Fixtures every test may use: people in the four actor roles, clients, after-commit runs."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from tests.factories import DepartmentFactory, PersonFactory

SERVICES_REQUIRED = os.environ.get("CI", "").lower() == "true"


def service_missing(name: str, reason: str) -> None:
    """Skip locally, fail in CI: a test that needs a service must run there."""
    message = f"{name} is not reachable ({reason})"
    if SERVICES_REQUIRED:
        pytest.fail(f"{message}; CI=true requires it", pytrace=False)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _media_and_cache(settings: Any, tmp_path: Any) -> Iterator[None]:
    from django.core.cache import cache
    from django.utils import translation

    settings.MEDIA_ROOT = str(tmp_path / "media")
    cache.clear()
    yield
    cache.clear()
    translation.deactivate()  # a test that switched language must not leak it to the next


@pytest.fixture
def museum(db: Any) -> dict[str, Any]:
    """A small museum: director's office > conservation > paper lab, and security."""
    root = DepartmentFactory(code="museum", name_zh="博物馆", name_en="Museum")
    conservation = DepartmentFactory(code="conservation", name_zh="文保部",
                                     name_en="Conservation", parent=root)
    lab = DepartmentFactory(code="paper-lab", name_zh="纸质文物实验室", name_en="Paper lab",
                            parent=conservation)
    security = DepartmentFactory(code="security", name_zh="安保部", name_en="Security",
                                 parent=root)
    return {"root": root, "conservation": conservation, "lab": lab, "security": security}


@pytest.fixture
def admin_person(museum: dict[str, Any]) -> Any:
    return PersonFactory(username="admin", department=museum["root"],
                         roles=["administrator", "staff"])


@pytest.fixture
def member(museum: dict[str, Any]) -> Any:
    """A staff member with no special rights."""
    return PersonFactory(username="member", department=museum["lab"], roles=["staff"])


@pytest.fixture
def outsider(museum: dict[str, Any]) -> Any:
    """Signed in, but holds no role at all (an external contractor)."""
    return PersonFactory(username="outsider", department=None, status="external")


@pytest.fixture
def hr_person(museum: dict[str, Any]) -> Any:
    return PersonFactory(username="hr", department=museum["root"], roles=["hr", "staff"])


@pytest.fixture
def client_for() -> Callable[[Any], Client]:
    def make(person: Any) -> Client:
        client = Client()
        if person is not None:
            client.force_login(person)
        return client

    return make


@pytest.fixture
def run_commit_hooks(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """``with run_commit_hooks(): ...`` runs after-commit work (events, jobs) in tests that
    use the rolled-back ``db`` fixture."""

    def runner() -> Any:
        return django_capture_on_commit_callbacks(execute=True)

    return runner


def pytest_addoption(parser: Any) -> None:
    parser.addoption("--run-smoke", action="store_true",
                     help="run the scaled-profile smoke test (starts server and worker)")
    parser.addoption("--run-fuzz", action="store_true",
                     help="run the schemathesis fuzz run over the whole API")


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    for item in items:
        if "smoke" in item.keywords and not config.getoption("--run-smoke"):
            item.add_marker(pytest.mark.skip(
                reason="scaled-profile smoke test: run by .ci/run with --run-smoke"))
        if "fuzz" in item.keywords and not config.getoption("--run-fuzz"):
            item.add_marker(pytest.mark.skip(
                reason="API fuzz run: run by .ci/run with --run-fuzz"))
