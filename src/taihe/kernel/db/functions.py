"""Database functions whose SQL differs between the engines."""

from __future__ import annotations

from typing import Any

from django.db.models import Aggregate, CharField


class GroupConcat(Aggregate):
    """The values of a group joined with commas: ``GROUP_CONCAT`` on SQLite,
    ``STRING_AGG`` on PostgreSQL. Order within the group is not defined."""

    function = "GROUP_CONCAT"
    template = "%(function)s(%(expressions)s)"
    output_field = CharField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, function="STRING_AGG",
                              template="%(function)s(CAST(%(expressions)s AS TEXT), ',')",
                              **extra)
