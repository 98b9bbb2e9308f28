"""Public, standards-based addresses of published records: IIIF, Linked Art, LIDO,
OAI-PMH. The layout is the one the exporters write into their documents
(``exports/_shared.py``), so every id they print can be dereferenced."""

from django.urls import path, re_path

from taihe.modules.catalog import public

app_name = "catalog_public"

urlpatterns = [
    path("catalog/iiif/object/<int:object_id>/manifest", public.manifest, name="manifest"),
    path("catalog/iiif/image/<int:media_id>/info.json", public.image_info, name="image_info"),
    re_path(r"^catalog/iiif/image/(?P<media_id>[0-9]{1,18})/(?P<region>[^/]+)/(?P<size>[^/]+)/"
            r"(?P<rotation>[^/]+)/(?P<quality>[a-z]+)\.jpg$", public.image_file,
            name="image_file"),
    path("catalog/linked-art/object/<int:object_id>", public.linked_art_object,
         name="linked_art"),
    path("catalog/lido/object/<int:object_id>", public.lido_object, name="lido"),
    path("catalog/oai", public.oai, name="oai"),
]
