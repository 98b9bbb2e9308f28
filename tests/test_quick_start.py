"""The README's quick start stays true: `make run` calls only commands and options that exist,
and the README shows exactly the two commands."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from django.core.management import get_commands, load_command_class

ROOT = Path(__file__).resolve().parent.parent


def _recipe(target: str) -> list[str]:
    lines = (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
    start = lines.index(next(line for line in lines if line.startswith(f"{target}:")))
    recipe = []
    for line in lines[start + 1:]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


def test_every_taihe_command_in_make_run_parses() -> None:
    calls = [shlex.split(line)[1:] for line in _recipe("run") if line.startswith("$(BIN)/taihe")]
    assert [call[0] for call in calls] == ["migrate", "demo", "serve"]
    commands = get_commands()
    for name, *arguments in calls:
        command = load_command_class(commands[name], name)
        command.create_parser("taihe", name).parse_args(arguments)  # exits on an unknown flag


def test_the_readme_quick_start_is_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Quick start\s+```sh\n(.*?)```", readme, re.S)
    assert block is not None
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines()]
    assert commands == ["make run", "make test"]
