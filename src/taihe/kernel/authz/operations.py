"""The registry of declared operations (``module.entity.verb``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_CODE = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*\.[a-z][a-z_]*$")
_REGISTRY: dict[str, Operation] = {}


@dataclass(frozen=True)
class Operation:
    code: str
    label: Any
    scoped: bool = True
    """Scoped operations are granted per department subtree; unscoped ones museum-wide."""

    def __str__(self) -> str:
        return self.code


def declare(code: str, label: Any, *, scoped: bool = True) -> Operation:
    if not _CODE.match(code):
        raise ValueError(f"operation code {code!r} must look like module.entity.verb")
    existing = _REGISTRY.get(code)
    if existing is not None:
        return existing
    op = Operation(code=code, label=label, scoped=scoped)
    _REGISTRY[code] = op
    return op


def operation(code: str) -> Operation:
    try:
        return _REGISTRY[code]
    except KeyError:
        raise LookupError(f"operation {code!r} was never declared") from None


def operations() -> list[Operation]:
    return sorted(_REGISTRY.values(), key=lambda op: op.code)


def matches(pattern: str, code: str) -> bool:
    """``*`` grants everything; ``directory.*`` every operation of a module;
    ``directory.person.*`` every verb on one entity."""
    if pattern == "*" or pattern == code:
        return True
    if pattern.endswith(".*"):
        return code.startswith(pattern[:-1])
    return False
