"""``taihe catalog``: import, search, export and check the collection register."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import translation

from taihe.kernel.errors import DomainError
from taihe.modules.catalog import importer, selectors, services
from taihe.modules.catalog.exports import tabular
from taihe.modules.catalog.exports.lido import lido
from taihe.modules.catalog.exports.linked_art import linked_art
from taihe.modules.catalog.importing import readers
from taihe.modules.catalog.models import CatalogObject, CurrentLocation, Movement


class ProgressBar:
    """A one-line bar on a terminal (stderr); silent when stderr is not a terminal, so
    scripts read only the final JSON line on stdout."""

    def __init__(self, total: int | None, stream: TextIO) -> None:
        self.total, self.stream = total, stream
        self.enabled = stream.isatty()
        self.started = time.monotonic()

    def __call__(self, done: int) -> None:
        if not self.enabled:
            return
        rate = done / max(time.monotonic() - self.started, 1e-6)
        if self.total:
            filled = int(30 * min(done / self.total, 1))
            bar = "█" * filled + "·" * (30 - filled)
            self.stream.write(f"\r{bar} {done}/{self.total} rows  {rate:,.0f}/s")
        else:
            self.stream.write(f"\r{done} rows  {rate:,.0f}/s")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")


class Command(BaseCommand):
    help = ("The collection register: `taihe catalog import FILE [--mapping MAPPING.json] "
            "[--dry-run]`, `taihe catalog search QUERY [--json]`, `taihe catalog export "
            "--format csv|xlsx|linked-art|lido OUTPUT`, `taihe catalog reindex`, "
            "`taihe catalog verify`.")

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        imports = actions.add_parser("import", help="import objects from CSV, XLSX or JSONL")
        imports.add_argument("file", type=Path)
        imports.add_argument("--mapping", type=Path, metavar="MAPPING.json",
                             help='{"source column": "field name"}; guessed from the '
                                  "headers when left out")
        imports.add_argument("--dry-run", action="store_true",
                             help="check and report, store nothing")
        imports.add_argument("--as", dest="username", metavar="USERNAME",
                             help="the person recorded as importing (default: the first "
                                  "administrator account)")
        finds = actions.add_parser("search", help="find objects (Chinese or English)")
        finds.add_argument("query")
        finds.add_argument("--json", action="store_true", help="one line of JSON for scripts")
        finds.add_argument("--limit", type=int, default=100)
        finds.add_argument("--as", dest="username", metavar="USERNAME")
        exports = actions.add_parser("export", help="export every object record")
        exports.add_argument("output", type=Path)
        exports.add_argument("--format", required=True,
                             choices=["csv", "xlsx", "linked-art", "lido"])
        exports.add_argument("--base-url", default="",
                             help="address of this Taihe for record ids (default "
                                  "TAIHE_SITE_URL)")
        exports.add_argument("--as", dest="username", metavar="USERNAME")
        actions.add_parser("reindex", help="rebuild the object search index")
        actions.add_parser("verify", help="check that every current location matches the "
                                          "movement log")

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate("en")
        try:
            getattr(self, f"do_{options['action']}")(options)
        except DomainError as error:
            detail = "; ".join(f"{key}: {value}" for key, value in error.fields.items())
            raise CommandError(f"{error.detail} {detail}".strip()) from error

    def actor(self, username: str | None) -> Any:
        people = get_user_model().objects.filter(is_active=True)
        if username:
            person = people.filter(username=username).first()
            if person is None:
                raise CommandError(f"No active person has the username {username!r}.")
            return person
        person = people.filter(is_superuser=True).order_by("pk").first()
        if person is None:
            raise CommandError("Name the person doing this with --as USERNAME (there is no "
                               "administrator account; `taihe createadmin` makes one).")
        return person

    def do_import(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        actor = self.actor(options["username"])
        if options["mapping"]:
            try:
                mapping = json.loads(options["mapping"].read_text(encoding="utf-8"))
            except (OSError, ValueError) as problem:
                raise CommandError(f"{options['mapping']}: not a readable JSON mapping "
                                   f"({problem}).") from problem
            if not isinstance(mapping, dict) or not all(
                    isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
                raise CommandError(f"{options['mapping']}: the mapping must be a JSON object "
                                   '{"source column": "field name"}.')
        else:
            mapping = importer.preview_file(path, filename=path.name).suggested_mapping
        total = None
        if sys.stderr.isatty():
            total = sum(1 for _row in readers.read_rows(path, filename=path.name))
        bar = ProgressBar(total, sys.stderr)
        summary = importer.import_file(actor, path, filename=path.name, mapping=mapping,
                                       dry_run=options["dry_run"], progress=bar)
        bar.close()
        for error in summary.errors:
            self.stderr.write(f"row {error['row']}: {error['field'] or '-'}: "
                              f"{error['message']}")
        self.stdout.write(json.dumps(summary.totals()))

    def do_search(self, options: dict[str, Any]) -> None:
        actor = self.actor(options["username"])
        query = selectors.ObjectQuery(text=options["query"])
        result = selectors.search_objects(actor, query, limit=max(1, options["limit"]),
                                          with_facets=False)
        numbers = [obj.object_number for obj in result.objects]
        # scripts get the exact total even where the screen would show an estimate
        total = selectors.count_matching(actor, query) if result.approximate else result.total
        if options["json"]:
            self.stdout.write(json.dumps({"total": total, "object_numbers": numbers},
                                         ensure_ascii=False))
            return
        for obj in result.objects:
            self.stdout.write(f"{obj.object_number}\t{selectors.display_title(obj)}")
        self.stdout.write(f"{total} objects")

    def do_export(self, options: dict[str, Any]) -> None:
        from django.conf import settings

        actor = self.actor(options["username"])
        base_url = (options["base_url"] or settings.TAIHE_SITE_URL).rstrip("/")
        output: Path = options["output"]
        fmt = options["format"]
        exported = 0

        def records() -> Any:
            nonlocal exported
            for chunk in selectors.objects_matching(actor, selectors.ObjectQuery()):
                exported += len(chunk)
                yield from selectors.object_records(chunk)

        if fmt == "csv":
            with output.open("w", encoding="utf-8-sig", newline="") as stream:
                tabular.write_csv(records(), stream)
        elif fmt == "xlsx":
            tabular.write_xlsx(records(), output)
        elif fmt == "linked-art":
            with output.open("w", encoding="utf-8") as stream:
                for record in records():
                    stream.write(json.dumps(linked_art(record, base_url=base_url),
                                            ensure_ascii=False) + "\n")
        else:
            output.write_bytes(lido(records(), base_url=base_url))
        self.stdout.write(json.dumps({"exported": exported, "format": fmt,
                                      "file": str(output)}))

    def do_reindex(self, options: dict[str, Any]) -> None:
        count = services.reindex_all()
        self.stdout.write(json.dumps({"indexed": count}))

    def do_verify(self, options: dict[str, Any]) -> None:
        """Recompute every current location from the log and compare."""
        latest: dict[int, tuple[Any, int, int]] = {}
        for object_id, moved_at, movement_id, location_id in Movement.objects.values_list(
                "object_id", "moved_at", "id", "to_location_id").iterator(chunk_size=5000):
            known = latest.get(object_id)
            if known is None or (moved_at, movement_id) > (known[0], known[1]):
                latest[object_id] = (moved_at, movement_id, location_id)
        stored = {row[0]: (row[1], row[2]) for row in CurrentLocation.objects.values_list(
            "object_id", "movement_id", "location_id").iterator(chunk_size=5000)}
        wrong = sorted(object_id for object_id, (_at, movement_id, location_id)
                       in latest.items() if stored.get(object_id) != (movement_id, location_id))
        extra = sorted(set(stored) - set(latest))
        numbers = dict(CatalogObject.objects.filter(pk__in=wrong + extra)
                       .values_list("pk", "object_number"))
        self.stdout.write(json.dumps({"objects_with_movements": len(latest),
                                      "mismatched": [numbers.get(pk) for pk in wrong + extra],
                                      "database": connection.vendor}, ensure_ascii=False))
        if wrong or extra:
            raise CommandError(f"{len(wrong) + len(extra)} current locations do not match the "
                               "movement log.")
