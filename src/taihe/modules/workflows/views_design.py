"""Approval designer pages (being written)."""
from django.http import Http404, HttpRequest, HttpResponse


def _missing(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


processes = process_create = process_import = designer = process_export = _missing
