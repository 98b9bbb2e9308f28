"""Every app tile names an icon the sprite has: a missing symbol renders as an empty box."""

from __future__ import annotations

import re
from pathlib import Path

import taihe
from taihe.kernel.shell import _APPS

SPRITE = Path(taihe.__file__).parent / "modules/workbench/static/taihe/icons.svg"


def test_every_tile_icon_exists_in_the_sprite() -> None:
    symbols = set(re.findall(r'<symbol id="([a-z-]+)"', SPRITE.read_text()))
    missing = sorted({tile.icon for tile in _APPS.values()} - symbols)
    assert missing == []
