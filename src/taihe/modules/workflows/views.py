"""Approval pages (being written)."""
from django.http import Http404, HttpRequest, HttpResponse


def _missing(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


inbox = catalogue = submit = request_page = act = resubmit = record_pdf = upload = _missing
attachment = delegations = _missing
