from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from taihe.kernel import demo


class Command(BaseCommand):
    help = "Load the demo museum (idempotent: a second run changes nothing)."

    def handle(self, *args: Any, **options: Any) -> None:
        for entry in demo.loaders():
            with transaction.atomic():
                summary = entry.load(self.stdout.write)
            details = ", ".join(f"{key}: {value}" for key, value in summary.items())
            self.stdout.write(f"demo {entry.name}: {details}")
        logins = demo.printed_logins()
        if logins:
            self.stdout.write(f"Demo sign-ins (password for all: {demo.DEMO_PASSWORD}):")
            for role, username in logins:
                self.stdout.write(f"  {role:<14} {username}")
