from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "taihe.modules.directory"
    label = "directory"
    verbose_name = _("Directory")

    def ready(self) -> None:
        from taihe.kernel import authz
        from taihe.kernel.shell import AppTile, register_app
        from taihe.modules.directory import operations as ops
        from taihe.modules.directory.selectors import build_actor

        authz.register_actor_provider(build_actor)
        self._invalidate_actors_on_change()
        from taihe.modules.directory import demo  # noqa: F401  registers the demo museum

        register_app(AppTile(
            code="directory", label=_("Directory"), icon="people", order=10,
            description=_("Find colleagues by name, department or number"),
            url_name="directory:index", operation=ops.PERSON_VIEW.code))
        register_app(AppTile(
            code="profile", label=_("My profile"), icon="person", order=90,
            description=_("Your details, language, notifications and API tokens"),
            url_name="directory:profile"))
        register_app(AppTile(
            code="directory.people", label=_("People"), icon="badge", order=200,
            description=_("Add, edit and deactivate staff records"),
            url_name="directory:manage_people", operation=ops.PERSON_MANAGE.code))
        register_app(AppTile(
            code="directory.departments", label=_("Departments"), icon="tree", order=210,
            description=_("Create, move, merge and close departments"),
            url_name="directory:manage_departments", operation=ops.DEPARTMENT_MANAGE.code))
        register_app(AppTile(
            code="directory.roles", label=_("Roles and access"), icon="shield", order=220,
            description=_("Who may do what, and where"),
            url_name="directory:manage_roles", operation=ops.ROLE_ASSIGN.code))
        register_app(AppTile(
            code="directory.orgchart", label=_("Org chart import and export"), icon="upload",
            order=230, description=_("Load or download the organisation as CSV or Excel"),
            url_name="directory:orgchart", operation=ops.ORGCHART_EXPORT.code))
        register_app(AppTile(
            code="directory.tokens", label=_("API tokens"), icon="key", order=240,
            description=_("Every API token in the museum; revoke lost ones"),
            url_name="directory:manage_tokens", operation=ops.TOKEN_MANAGE.code))

    def _invalidate_actors_on_change(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from taihe.modules.directory.models import Department, Group, Role, RoleAssignment
        from taihe.modules.directory.selectors import invalidate_actors

        for model in (Department, Role, RoleAssignment, Group):
            post_save.connect(invalidate_actors, sender=model,
                              dispatch_uid=f"directory.actors.save.{model.__name__}")
            post_delete.connect(invalidate_actors, sender=model,
                                dispatch_uid=f"directory.actors.delete.{model.__name__}")
        m2m_changed.connect(invalidate_actors, sender=Group.members.through,
                            dispatch_uid="directory.actors.group_members")
