"""Fixtures of the messaging tests: three colleagues and a group they share."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import PersonFactory


@pytest.fixture
def li(museum: dict[str, Any]) -> Any:
    return PersonFactory(username="li", name_zh="李伟", name_en="Li Wei",
                         department=museum["lab"], roles=["staff"])


@pytest.fixture
def zhang(museum: dict[str, Any]) -> Any:
    return PersonFactory(username="zhang", name_zh="张敏", name_en="Zhang Min",
                         department=museum["lab"], roles=["staff"])


@pytest.fixture
def wang(museum: dict[str, Any]) -> Any:
    return PersonFactory(username="wang", name_zh="王芳", name_en="Wang Fang",
                         department=museum["security"], roles=["staff"])


@pytest.fixture
def group(li: Any, zhang: Any, wang: Any) -> Any:
    """"Paper lab" owned by Li, with Zhang and Wang as members."""
    from taihe.modules.messaging.services import do_create_group

    return do_create_group(li, title="Paper lab", member_ids=[zhang.pk, wang.pk])
