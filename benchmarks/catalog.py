"""Benchmark of the collection register: import rate and search latency.

1. Import: N generated objects (default 100,000) in a CSV file through
   ``importer.import_file`` (validation, terms, revision 1, search documents), against a raw
   ``executemany`` INSERT of the same rows into the same table in the same run.
   Target: at least 1,000 objects/s.
2. Search: p50/p95 latency of ``selectors.search_objects`` (first page and facet counts) for
   realistic queries (青花, 乾隆, 鼎, porcelain, bronze, and one with facet filters), at N
   objects and again at a large register (default 2,000,000, filled with raw bulk inserts and
   ``search.index_documents``), against the raw SQL of the same full-text match (counting
   its hits) measured in the same run. Target: faceted search p95 under 150 ms at 2,000,000.

Usage:
    python benchmarks/catalog.py                  # SQLite in a fresh temporary data dir
    python benchmarks/catalog.py --quick          # smoke run: 5,000 objects, large 20,000
    python benchmarks/catalog.py --objects 20000 --large 0
    python benchmarks/catalog.py --database postgresql://postgres@127.0.0.1:5432/taihe_bench

On PostgreSQL the benchmark database is emptied first (its public schema is dropped): never
point it at a database that holds anything you want to keep.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

SEED = 7
QUERIES = ["青花", "乾隆", "鼎", "porcelain", "bronze"]
REPEATS = 20
"""Timed runs per query (after two warm-up runs)."""

IMPORT_TARGET = 1000.0
"""Objects per second (issue target)."""

SEARCH_TARGET_MS = 150.0
"""Faceted search p95 at 2,000,000 objects (issue target)."""

COLUMNS = ["object_number", "title", "title_en", "object_name", "object_name_en",
           "object_type", "period", "year_earliest", "year_latest", "materials", "techniques",
           "dimensions", "grade", "acquisition_method", "acquisition_date"]
"""CSV columns, named as the importer's fields so the mapping is the identity."""

DIMENSION_LABELS = {"height": "H.", "width": "W.", "depth": "D.", "length": "L.",
                    "diameter": "Diam.", "thickness": "thickness"}


def setup(database: str | None, data_dir: Path) -> None:
    """Point Django at a fresh data dir (SQLite) or the given PostgreSQL database, migrate,
    and load the demo museum's people (the registrar imports)."""
    os.environ["TAIHE_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    if database:
        os.environ["TAIHE_DATABASE_URL"] = database
    import django

    django.setup()
    from django.core.management import call_command

    from taihe.modules.directory import demo

    if database:
        # A fresh schema: flush would also remove what migrations seed (roles, terms).
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    call_command("migrate", verbosity=0)
    demo.load(lambda line: None)


# --- Rows ----------------------------------------------------------------------------------------

def generate(count: int, start: int, prefix: str) -> Iterator[dict[str, Any]]:
    """``count`` plausible object rows numbered ``prefix`` + (start …), drawn from the demo
    collection's categories, forms, periods and makers; the same rows on every run."""
    from taihe.modules.catalog import demo

    rng = random.Random(SEED * 1_000_003 + start)
    weights = [category.weight for category in demo.CATEGORIES]
    for index in range(start, start + count):
        category = rng.choices(demo.CATEGORIES, weights=weights)[0]
        form = rng.choice(category.forms)
        decoration_zh, decoration_en = rng.choice(category.decorations)
        if category.periods:
            period = demo.PERIODS[rng.choice(category.periods)]
            earliest, latest = period.start, period.end
        else:
            maker = rng.choice(demo.MAKERS)
            period = demo.PERIODS[maker.period]
            earliest, latest = max(maker.born + 20, period.start), min(maker.died, period.end)
        yield {
            "object_number": f"{prefix}{index:08d}",
            "title": f"{period.zh}{decoration_zh}{form.zh}",
            "title_en": f"{form.en.capitalize()}, {decoration_en}",
            "object_name": form.zh, "object_name_en": form.en,
            "object_type": form.object_type or "",
            "period": period.zh, "year_earliest": earliest, "year_latest": latest,
            "materials": list(rng.choice(category.materials)),
            "techniques": [rng.choice(category.techniques)] if category.techniques else [],
            "dimensions": [(kind, round(rng.uniform(low, high), 1), unit)
                           for kind, low, high, unit in form.dimensions],
            "grade": demo._pick(rng, demo.GRADES),
            "acquisition_method": demo._pick(rng, demo.ACQUISITIONS),
            "acquisition_date": dt.date(rng.randint(1952, 2024), rng.randint(1, 12),
                                        rng.randint(1, 28)),
        }


def csv_row(row: dict[str, Any]) -> list[str]:
    dimensions = ", ".join(f"{DIMENSION_LABELS[kind]} {value} {unit}"
                           for kind, value, unit in row["dimensions"])
    values = {**row, "materials": ";".join(row["materials"]),
              "techniques": ";".join(row["techniques"]), "dimensions": dimensions,
              "acquisition_date": row["acquisition_date"].isoformat()}
    return [str(values[column]) for column in COLUMNS]


def write_csv(path: Path, rows: Iterator[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(csv_row(row) for row in rows)


class RawInserter:
    """The baseline write: one ``executemany`` INSERT per batch into ``catalog_catalogobject``
    with values already in database form, nothing checked, nothing else written."""

    def __init__(self) -> None:
        from taihe.modules.catalog.models import CatalogObject, Term

        self.terms = {(t.scheme, t.code): t.pk for t in Term.objects.all()}
        self.fields = list(CatalogObject._meta.concrete_fields)
        self.columns = [f.column for f in self.fields]
        self.now = dt.datetime.now(dt.UTC)

    def values(self, row: dict[str, Any], object_id: int | None) -> list[Any]:
        from taihe.modules.catalog.models import number_sort_key

        lm = json.dumps
        given: dict[str, Any] = {
            "id": object_id, "object_number": row["object_number"],
            "number_sort": number_sort_key(row["object_number"]),
            "object_name": lm({"zh-Hans": row["object_name"], "en": row["object_name_en"]},
                              ensure_ascii=False),
            "title": lm({"zh-Hans": row["title"], "en": row["title_en"]}, ensure_ascii=False),
            "period": lm({"zh-Hans": row["period"]}, ensure_ascii=False),
            "production_date": row["period"], "year_earliest": row["year_earliest"],
            "year_latest": row["year_latest"],
            "object_type_id": self.terms.get(("object_type", row["object_type"])),
            "dimensions": lm([{"kind": k, "value": str(v), "unit": u}
                              for k, v, u in row["dimensions"]]),
            "acquisition_method": row["acquisition_method"],
            "acquisition_date": row["acquisition_date"], "grade": row["grade"],
            "status": "in-collection", "is_published": False, "revision": 1,
            "created_at": self.now, "updated_at": self.now, "department_id": None,
        }
        values = []
        for model_field in self.fields:
            if model_field.attname in given:
                values.append(given[model_field.attname])
            elif model_field.get_internal_type() == "JSONField":
                values.append(lm(model_field.get_default()))
            else:
                values.append(model_field.get_default())
        return values

    def insert(self, rows: list[dict[str, Any]], first_id: int | None) -> None:
        from django.db import connection, transaction

        fields = self.fields if first_id is not None else self.fields[1:]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        data = [self.values(row, None if first_id is None else first_id + n)
                for n, row in enumerate(rows)]
        if first_id is None:
            data = [values[1:] for values in data]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO catalog_catalogobject ({columns}) VALUES ({marks})",
                               data)


# --- Import --------------------------------------------------------------------------------------

def bench_import(count: int, work: Path) -> None:
    from django.db import connection

    from taihe.modules.catalog import importer
    from taihe.modules.catalog.models import CatalogObject
    from taihe.modules.directory.models import Person

    actor = Person.objects.get(username="registrar")
    path = work / "objects.csv"
    write_csv(path, generate(count, 1, "BM"))
    print(f"\nImport of {count:,} objects ({path.stat().st_size / 1e6:.1f} MB CSV), "
          f"{connection.vendor}")
    started = time.perf_counter()
    summary = importer.import_file(actor, path, filename="objects.csv",
                                   mapping={column: column for column in COLUMNS})
    imported = time.perf_counter() - started
    if summary.created != count:
        print(f"  importer created {summary.created} of {count}; "
              f"rejected {summary.rejected}; first errors: {summary.errors[:3]}")

    raw = RawInserter()
    rows = list(generate(count, 1, "RAW"))
    started = time.perf_counter()
    for offset in range(0, count, 5000):
        raw.insert(rows[offset:offset + 5000], None)
    baseline = time.perf_counter() - started
    CatalogObject.objects.filter(object_number__startswith="RAW").delete()

    rate, raw_rate = count / imported, count / baseline
    flag = "" if rate >= IMPORT_TARGET else f"  (under the {IMPORT_TARGET:,.0f}/s target)"
    print(f"{'':28} {'time':>9} {'objects/s':>11} {'x baseline':>11}")
    print(f"{'raw executemany (baseline)':28} {baseline:8.1f}s {raw_rate:11,.0f} {1.0:10.1f}x")
    print(f"{'importer.import_file':28} {imported:8.1f}s {rate:11,.0f} "
          f"{imported / baseline:10.1f}x{flag}")


# --- Search --------------------------------------------------------------------------------------

def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timed(call: Callable[[], Any], repeats: int) -> list[float]:
    for _ in range(2):
        call()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def bench_search(label: str, repeats: int, *, target: bool) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from taihe.kernel import search
    from taihe.modules.catalog import selectors
    from taihe.modules.catalog.models import SEARCH_INDEX, CatalogObject, Location

    actor = get_user_model().objects.get(username="registrar")
    total = CatalogObject.objects.count()
    print(f"\nSearch at {total:,} objects ({label}), {connection.vendor}, "
          f"{repeats} runs per query")
    print(f"{'query':24} {'hits (~ est.)':>10}{'raw p95':>9} {'p50':>9} {'p95':>9} "
          f"{'x baseline':>11}")
    cases: list[tuple[str, selectors.ObjectQuery]] = [
        (text, selectors.ObjectQuery(text=text)) for text in QUERIES]
    cases.append(("青花 + grade 1/2 + porcelain", selectors.ObjectQuery(
        text="青花", grades=["grade-1", "grade-2"], materials=["porcelain"])))
    building = Location.objects.filter(code="B0").values_list("pk", flat=True).first()
    cases.append(("bowl + building B0", selectors.ObjectQuery(text="bowl",
                                                            location_id=building)))
    cases.append(("(everything)", selectors.ObjectQuery()))
    worst = 0.0
    for name, query in cases:
        found = search.match_sql(SEARCH_INDEX, query.text) or (
            "SELECT id FROM catalog_catalogobject", [])
        sql, params = found

        def raw(sql: str = sql, params: list[Any] = params) -> int:
            # the baseline: the same match, counted in SQL, nothing else
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT COUNT(*) FROM ({sql}) AS hits", params)
                return int(cursor.fetchone()[0])

        def faceted(query: selectors.ObjectQuery = query) -> int:
            return selectors.search_objects(actor, query).total

        hits = faceted()
        estimated = selectors.search_objects(actor, query).approximate
        base = percentile(timed(raw, repeats), 0.95)
        samples = timed(faceted, repeats)
        p50, p95 = statistics.median(samples), percentile(samples, 0.95)
        worst = max(worst, p95)
        print(f"{name:24} {hits:9,}{'~' if estimated else ' '}{base * 1e3:7.1f}ms "
              f"{p50 * 1e3:7.1f}ms {p95 * 1e3:7.1f}ms {p95 / base:10.1f}x")
    if target:
        verdict = "meets" if worst * 1e3 < SEARCH_TARGET_MS else "misses"
        print(f"worst faceted p95 {worst * 1e3:.1f} ms {verdict} the "
              f"{SEARCH_TARGET_MS:.0f} ms target at 2,000,000")


def _places() -> list[int]:
    """Sixty shelves and cases in a small tree (three buildings, four rooms each), made once."""
    from taihe.modules.catalog.models import Location

    if not Location.objects.filter(code="BENCH").exists():
        root = Location.objects.create(code="BENCH", name={"en": "Bench site"}, kind="site",
                                       path="/")
        root.path = f"/{root.pk}/"
        root.save(update_fields=["path"])
        for b in range(3):
            building = Location.objects.create(code=f"B{b}", name={"en": f"Building {b}"},
                                               kind="building", parent=root, path="/")
            building.path = f"{root.path}{building.pk}/"
            building.save(update_fields=["path"])
            for r in range(4):
                room = Location.objects.create(code=f"B{b}R{r}", name={"en": f"Room {r}"},
                                               kind="store", parent=building, path="/",
                                               is_restricted=(b == 2))
                room.path = f"{building.path}{room.pk}/"
                room.save(update_fields=["path"])
                for c in range(5):
                    case = Location.objects.create(code=f"B{b}R{r}C{c}",
                                                   name={"en": f"Cabinet {c}"}, kind="cabinet",
                                                   parent=room, path="/")
                    case.path = f"{room.path}{case.pk}/"
                    case.save(update_fields=["path"])
    return list(Location.objects.filter(kind="cabinet").order_by("pk")
                .values_list("pk", flat=True))


def fill(total: int, deadline_s: float) -> int:
    """Grow the register to ``total`` objects with raw bulk inserts (objects, materials)
    and index their search documents directly; stops early after ``deadline_s`` seconds.
    Returns the number of objects reached."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from taihe.kernel import search
    from taihe.modules.catalog.models import SEARCH_INDEX, CatalogObject, Term

    labels = {(t.scheme, t.code): t.label for t in Term.objects.all()}
    places = _places()
    mover = get_user_model().objects.get(username="registrar").pk
    moved_at = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    raw = RawInserter()
    have = CatalogObject.objects.count()
    next_id = (CatalogObject.objects.order_by("-id").values_list("id", flat=True).first()
               or 0) + 1
    started = time.perf_counter()
    batch_size = 20_000
    while have < total and time.perf_counter() - started < deadline_s:
        rows = list(generate(min(batch_size, total - have), next_id, "FILL"))
        raw.insert(rows, next_id)
        links = [(next_id + n, raw.terms[("material", code)], position)
                 for n, row in enumerate(rows) for position, code in enumerate(row["materials"])]
        # every object is somewhere: one movement each (the trigger derives its place)
        moves = [(next_id + n, places[(next_id + n) % len(places)], moved_at, moved_at, mover,
                  "storage", "") for n in range(len(rows))]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany("INSERT INTO catalog_objectmaterial (object_id, term_id, position) "
                               "VALUES (%s, %s, %s)", links)
            cursor.executemany(
                "INSERT INTO catalog_movement (object_id, to_location_id, moved_at, recorded_at, "
                "recorded_by_id, reason, note) VALUES (%s, %s, %s, %s, %s, %s, %s)", moves)
        documents = []
        for n, row in enumerate(rows):
            parts = [row["object_number"], row["title"], row["title_en"], row["object_name"],
                     row["object_name_en"], row["period"]]
            for scheme, codes in (("object_type", [row["object_type"]]),
                                  ("material", row["materials"]),
                                  ("technique", row["techniques"])):
                parts += [" ".join(labels.get((scheme, code), {}).values()) for code in codes]
            documents.append((next_id + n, " ".join(part for part in parts if part)))
        search.index_documents(SEARCH_INDEX, documents)
        have += len(rows)
        next_id += len(rows)
        elapsed = time.perf_counter() - started
        print(f"  {have:,} objects after {elapsed:.0f}s", end="\r", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('catalog_catalogobject', 'id'),"
                           " (SELECT MAX(id) FROM catalog_catalogobject))")
            cursor.execute("ANALYZE")
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"  filled to {have:,} objects in {time.perf_counter() - started:.0f}s"
          + ("" if have >= total else f" (stopped at the {deadline_s:.0f}s limit)"))
    return have


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000,
                        help="objects imported through the importer (default 100,000)")
    parser.add_argument("--large", type=int, default=2_000_000,
                        help="size of the large register for search (0 skips it)")
    parser.add_argument("--fill-limit", type=float, default=600.0,
                        help="seconds allowed for filling the large register (default 600)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 5,000 objects imported, large register 20,000")
    parser.add_argument("--repeats", type=int, default=REPEATS,
                        help=f"timed runs per search query (default {REPEATS}); fewer keeps a "
                             "2,000,000 run short, at the cost of a rougher p95")
    parser.add_argument("--database", help="PostgreSQL URL (default: SQLite in a temp dir)")
    args = parser.parse_args()
    if args.quick:
        args.objects, args.large = 5_000, 20_000
    with tempfile.TemporaryDirectory(prefix="taihe-bench-catalog-") as work:
        setup(args.database, Path(work) / "data")
        print(f"python {sys.version.split()[0]}")
        bench_import(args.objects, Path(work))
        bench_search(f"{args.objects:,} imported", args.repeats, target=False)
        if args.large > args.objects:
            print(f"\nFilling the register to {args.large:,} objects (raw inserts)")
            reached = fill(args.large, args.fill_limit)
            bench_search("large register", args.repeats, target=reached >= 2_000_000)


if __name__ == "__main__":
    main()
