from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from taihe.kernel.db import engine


def _embedding_status(model: str) -> str:
    import importlib.util

    module = model.replace("-", "_")
    if importlib.util.find_spec(module) is None:
        return f"local model {model} (package not installed)"
    return f"local model {model} (installed)"


class Command(BaseCommand):
    help = "Print the effective profile and run Django's system checks."

    def handle(self, *args: Any, **options: Any) -> None:
        channel = str(settings.CHANNEL_LAYERS["default"]["BACKEND"]).rsplit(".", 1)[-1]
        rows = [
            ("profile", "scaled" if settings.TAIHE_SCALED else "embedded"),
            ("environment", "production" if settings.TAIHE_PRODUCTION else "development"),
            ("debug", "on" if settings.DEBUG else "off"),
            ("data directory", str(settings.DATA_DIR)),
            ("database", engine.describe()),
            ("channel layer", channel),
            ("cache", str(settings.CACHES["default"]["BACKEND"]).rsplit(".", 1)[-1]),
            ("jobs backend", settings.TAIHE_JOBS_BACKEND
             + (f" ({settings.CELERY_BROKER_URL})" if settings.TAIHE_JOBS_BACKEND == "celery"
                else "")),
            ("storage", f"{settings.TAIHE_STORAGE} ({settings.MEDIA_ROOT})"),
            ("email", settings.EMAIL_BACKEND.rsplit(".", 2)[-2]),
            ("time zone", settings.TIME_ZONE),
            ("AI embeddings", _embedding_status(settings.TAIHE_AI_EMBEDDING_MODEL)),
            ("AI generation", settings.TAIHE_AI_GENERATION_URL or "none configured "
             "(set TAIHE_AI_GENERATION_URL to an OpenAI-compatible endpoint)"),
        ]
        try:
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
            rows.append(("migrations", f"{len(pending)} pending" if pending else "up to date"))
        except Exception as error:  # the database may be unreachable: say so, keep going
            rows.append(("migrations", f"cannot tell: {error}"))
        width = max(len(name) for name, _ in rows)
        for name, value in rows:
            self.stdout.write(f"{name:<{width}}  {value}")
        self.stdout.write("")
        call_command("check", deploy=settings.TAIHE_PRODUCTION)
