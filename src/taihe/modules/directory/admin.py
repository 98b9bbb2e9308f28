from django.contrib import admin

from taihe.kernel.admin import ReadOnlyAdmin
from taihe.modules.directory.models import (
    Department,
    Group,
    OrgChartExport,
    Person,
    Position,
    Role,
    RoleAssignment,
)

admin.site.register(Person, ReadOnlyAdmin, list_display=(
    "username", "name_zh", "name_en", "department", "status", "is_active", "is_staff",
    "locked_until"), list_filter=("status", "is_active", "is_staff"),
    search_fields=("username", "name_zh", "name_en", "employee_number", "email"),
    exclude=("password",))
admin.site.register(Department, ReadOnlyAdmin, list_display=(
    "code", "name_zh", "name_en", "path", "head", "closed_at"), search_fields=("code", "name_zh"))
admin.site.register(Position, ReadOnlyAdmin, list_display=("code", "title_zh", "title_en"))
admin.site.register(Role, ReadOnlyAdmin, list_display=("code", "name_zh", "name_en", "is_system"))
admin.site.register(RoleAssignment, ReadOnlyAdmin, list_display=(
    "person", "role", "department", "include_subdepartments"), list_filter=("role",))
admin.site.register(Group, ReadOnlyAdmin, list_display=("name", "owner"))
admin.site.register(OrgChartExport, ReadOnlyAdmin, list_display=(
    "id", "requested_by", "format", "status", "created_at"))
