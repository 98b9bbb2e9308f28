from __future__ import annotations

import signal
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from taihe.kernel.jobs.backends import DatabaseBackend, Worker, backend


class Command(BaseCommand):
    help = "Run background jobs: Celery workers in the scaled profile, the database worker " \
           "otherwise."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queues", default=",".join(settings.TAIHE_JOB_QUEUES))
        parser.add_argument("--concurrency", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        queues = [q.strip() for q in options["queues"].split(",") if q.strip()]
        unknown = sorted(set(queues) - set(settings.TAIHE_JOB_QUEUES))
        if unknown:
            self.stderr.write(f"unknown queues: {', '.join(unknown)}")
            raise SystemExit(2)
        jobs = backend()
        if not isinstance(jobs, DatabaseBackend):
            from taihe.kernel.jobs.celery_app import run_worker

            run_worker(queues, concurrency=options["concurrency"])
            return
        workers = [Worker(jobs, tuple(queues)) for _ in range(max(1, options["concurrency"]))]
        for worker in workers:
            worker.start()
        self.stdout.write(f"database job worker running on {', '.join(queues)}; Ctrl+C stops")
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        try:
            while not stopping:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        for worker in workers:
            worker.stop()
        for worker in workers:
            worker.join(timeout=30)
