"""JSON-friendly frozen result objects."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

JSONValue = None | bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"]


def to_jsonable(value: Any) -> JSONValue:
    """Plain JSON data: arrays become lists, NaN and ±inf become ``None``."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, np.ndarray):
        return [to_jsonable(x) for x in value.tolist()]
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(x) for k, x in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(x) for x in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return f if math.isfinite(f) else None
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"cannot serialise {type(value).__name__}")


class JSONResult:
    """Mixin for frozen dataclasses: ``to_dict()`` gives plain JSON-serialisable data."""

    __slots__ = ()

    def to_dict(self) -> dict[str, JSONValue]:
        """Plain JSON data (lists, not arrays; NaN and ±inf become ``None``)."""
        data = to_jsonable(self)
        assert isinstance(data, dict)
        return data
