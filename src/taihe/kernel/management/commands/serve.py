from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from taihe.kernel.jobs.backends import DatabaseBackend, Worker, backend
from taihe.kernel.jobs.schedules import Scheduler


class Command(BaseCommand):
    help = "Serve Taihe (HTTP and websockets). In the embedded profile the job worker and the "
    "scheduler run inside the server unless turned off."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-worker", action="store_true",
                            help="do not run database-backend jobs in this process")
        parser.add_argument("--no-scheduler", action="store_true",
                            help="do not fire schedules from this process")
        parser.add_argument("--access-log", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn

        from taihe.kernel.management.banner import login_banner

        threads: list[Any] = []
        jobs = backend()
        if not options["no_worker"] and isinstance(jobs, DatabaseBackend):
            threads.append(Worker(jobs, tuple(settings.TAIHE_JOB_QUEUES)))
        if not options["no_scheduler"]:
            threads.append(Scheduler())
        for thread in threads:
            thread.start()
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(login_banner(url))
        config = uvicorn.Config("taihe.config.asgi:application", host=options["host"],
                                port=options["port"], lifespan="off",
                                access_log=options["access_log"], log_level="info")
        server = uvicorn.Server(config)
        try:
            server.run()
        finally:
            for thread in threads:
                thread.stop()
            for thread in threads:
                thread.join(timeout=10)
