from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from taihe.kernel.db import backup


class Command(BaseCommand):
    help = ("Write a portable backup of every table and every media file into one archive "
            "(taihe-backup-<UTC time>.tar.gz in the data directory unless --output is given).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", type=Path, help="where to write the archive")
        parser.add_argument("--database", default="default",
                            help="database alias to dump (default: default)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            backup.dump(options["output"], alias=options["database"], write=self.stdout.write)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
