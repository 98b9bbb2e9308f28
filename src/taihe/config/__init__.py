"""Composition root: settings from ``TAIHE_*`` variables, URLs, ASGI, and the ``taihe`` CLI."""
