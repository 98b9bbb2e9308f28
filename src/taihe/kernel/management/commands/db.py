from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from taihe.kernel.db import copy, engine


class Command(BaseCommand):
    help = "Database tools. `taihe db copy --to postgresql://...` moves the data to PostgreSQL."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        copy_parser = actions.add_parser(
            "copy", help="copy every table into another (empty) database and verify the copy")
        copy_parser.add_argument("--to", required=True, metavar="URL", dest="url",
                                 help="target database, e.g. postgresql://taihe@db/taihe")
        copy_parser.add_argument("--force", action="store_true",
                                 help="replace the data the target database already holds")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "copy":
            self.copy(options["url"], force=options["force"])

    def copy(self, url: str, *, force: bool) -> None:
        write = self.stdout.write
        write(f"Copying {engine.describe()} ...")
        try:
            with copy.database_alias(url) as target:
                summary = copy.copy_database("default", target, force=force, write=write)
                target_vendor = connections[target].vendor
        except copy.BackupError as error:
            raise CommandError(str(error)) from error
        width = max(len(label) for label in summary.rows)
        for label, count in sorted(summary.rows.items()):
            write(f"  {label:<{width}}  {count:>8} rows  {summary.checksums[label][:16]}")
        write(f"Copied {sum(summary.rows.values())} rows in {len(summary.rows)} tables to "
              f"{target_vendor} in {summary.seconds:.1f} s; every table's row count and "
              "checksum match the source.")
        write(f"Files were not moved: they stay in {settings.MEDIA_ROOT}.")
        write("To run on the copy, set (in the environment or the data directory's taihe.env):")
        write(f"  TAIHE_DATABASE_URL={url}")
