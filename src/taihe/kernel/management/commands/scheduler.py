from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand

from taihe.kernel.jobs.schedules import Scheduler, schedules


class Command(BaseCommand):
    help = "Fire scheduled jobs. Safe to run more than once: a lease lets only one fire."

    def handle(self, *args: Any, **options: Any) -> None:
        scheduler = Scheduler()
        scheduler.start()
        names = ", ".join(f"{s.name} ({s.cron})" for s in schedules())
        self.stdout.write(f"scheduler {scheduler.holder} running: {names}")
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        try:
            while not stopping:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        scheduler.stop()
        scheduler.join(timeout=30)
