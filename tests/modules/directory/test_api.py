"""The directory's api as other modules read it."""

from __future__ import annotations

from typing import Any

from taihe.modules.directory import api
from tests.factories import DepartmentFactory


def test_departments_come_in_tree_order_whatever_the_ids(db: Any) -> None:
    # Given a museum whose security department (id 9) was made before conservation (id 10):
    # as text, the path /1/10/ sorts before /1/9/
    museum = DepartmentFactory(pk=1, code="museum")
    DepartmentFactory(pk=9, code="security", parent=museum)
    conservation = DepartmentFactory(pk=10, code="conservation", parent=museum)
    DepartmentFactory(pk=11, code="lab", parent=conservation)
    # When another module asks for the departments
    codes = [info.code for info in api.departments()]
    # Then each parent comes before its children, siblings in creation (id) order
    assert codes == ["museum", "security", "conservation", "lab"]
