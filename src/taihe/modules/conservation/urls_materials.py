"""Pages of the material sensitivity rule base (namespace ``conservation``)."""

from django.urls import URLPattern, path

from taihe.modules.conservation import views_materials

urlpatterns: list[URLPattern] = [
    path("materials/", views_materials.rule_base, name="materials"),
    path("materials/add/", views_materials.material_add, name="materials_add"),
    path("materials/reclassify/", views_materials.reclassify, name="materials_reclassify"),
    path("materials/versions/", views_materials.version_list, name="materials_versions"),
    path(
        "materials/versions/<int:rule_set_id>/",
        views_materials.version_detail,
        name="materials_version",
    ),
    path(
        "materials/versions/<int:rule_set_id>/restore/",
        views_materials.version_restore,
        name="materials_restore",
    ),
    path(
        "materials/objects/<int:object_id>/",
        views_materials.object_materials,
        name="materials_object",
    ),
    path("materials/m/<slug:key>/", views_materials.material_detail, name="materials_material"),
    path("materials/m/<slug:key>/edit/", views_materials.material_edit, name="materials_edit"),
]
