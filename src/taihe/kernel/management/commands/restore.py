from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from taihe.kernel.db import backup


class Command(BaseCommand):
    help = ("Restore an archive written by `taihe dump` into an empty database (a new one is "
            "migrated first). Every checksum is verified before anything is written; all rows "
            "are written in one transaction.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path, help="the .tar.gz written by `taihe dump`")
        parser.add_argument("--force", action="store_true",
                            help="replace the data already in the database")
        parser.add_argument("--database", default="default",
                            help="database alias to restore into (default: default)")

    def handle(self, *args: Any, **options: Any) -> None:
        archive: Path = options["archive"]
        if not archive.is_file():
            raise CommandError(f"{archive} does not exist")
        try:
            backup.restore(archive, alias=options["database"], force=options["force"],
                           write=self.stdout.write)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
