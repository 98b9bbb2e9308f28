from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "taihe.modules.catalog"
    label = "catalog"
    verbose_name = _("Collection register")

    def ready(self) -> None:
        from taihe.kernel.db import engine
        from taihe.kernel.shell import AppTile, register_app, register_todo_source
        from taihe.modules.catalog import operations as ops

        engine.register_derived_model(
            "catalog.currentlocation",
            "derived from catalog_movement by a database trigger; rebuilt when movements load")
        engine.register_rebuilder("catalog search index", _rebuild_search)
        from django.db.models.signals import post_migrate

        from taihe.modules.catalog.seed import on_post_migrate

        post_migrate.connect(on_post_migrate, sender=self,
                             dispatch_uid="catalog.vocabulary.seed")
        from taihe.modules.catalog import demo, jobs  # noqa: F401  registers loaders and jobs

        register_todo_source("catalog.condition", _condition_checks_due)
        register_app(AppTile(
            code="catalog", label=_("Collection"), icon="museum", order=30,
            description=_("Find objects, see where they are and how they are"),
            url_name="catalog:index", operation=ops.OBJECT_VIEW.code))
        register_app(AppTile(
            code="catalog.locations", label=_("Locations"), icon="tree", order=31,
            description=_("Galleries, stores, cases and what is in them"),
            url_name="catalog:locations", operation=ops.OBJECT_VIEW.code))
        register_app(AppTile(
            code="catalog.scan", label=_("Scan to move"), icon="scan", order=32,
            description=_("Scan a location, then the objects you put there"),
            url_name="catalog:scan", operation=ops.MOVEMENT_RECORD.code))
        register_app(AppTile(
            code="catalog.import", label=_("Import objects"), icon="upload", order=33,
            description=_("Load the register from CSV, Excel or JSON Lines"),
            url_name="catalog:import", operation=ops.OBJECT_IMPORT.code))
        register_app(AppTile(
            code="catalog.loans", label=_("Loans"), icon="handshake", order=34,
            description=_("Loans in and out, with agreements and approval"),
            url_name="catalog:loans", operation=ops.LOAN_MANAGE.code))
        register_app(AppTile(
            code="catalog.inventory", label=_("Inventory"), icon="checklist", order=35,
            description=_("Check what is on the shelves against the register"),
            url_name="catalog:inventory", operation=ops.INVENTORY_MANAGE.code))


def _rebuild_search(alias: str) -> None:
    from taihe.modules.catalog.services import reindex_all

    reindex_all(alias)


def _condition_checks_due(user: Any) -> list[Any]:
    """To-dos: condition checks due within a week, for those who record them."""
    import datetime as dt

    from django.urls import reverse
    from django.utils import timezone
    from django.utils.translation import gettext

    from taihe.kernel.shell import Todo
    from taihe.modules.catalog import selectors

    today = timezone.localdate()
    zone = timezone.get_current_timezone()
    return [Todo(title=gettext("Condition check due: %(number)s %(title)s") % {
                     "number": obj.object_number, "title": selectors.display_title(obj)},
                 url=reverse("catalog:object", args=[obj.pk]), source="catalog",
                 due_at=dt.datetime.combine(due, dt.time(9), tzinfo=zone))
            for obj, due in selectors.condition_checks_due(
                user, by=today + dt.timedelta(days=7))]
