from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from taihe.modules.audit.chain import verify


class Command(BaseCommand):
    help = "Audit log tools. `taihe audit verify` walks the hash chain and reports tampering."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        checked, breaks = verify()
        if not breaks:
            self.stdout.write(f"audit log intact: {checked} entries, every link verified")
            return
        for found in breaks:
            self.stderr.write(f"entry {found.sequence}: {found.reason}")
        raise CommandError(f"audit log TAMPERED: {len(breaks)} problem(s) in {checked} entries")
