"""Full-text indexes on SQLite (FTS5) and PostgreSQL (tsvector with a GIN index).

An index is one table, ``search_<name>``, holding one row per document: the document's id
(the id of the row it describes) and its terms from :func:`tokens`. The engines never split
the terms again: FTS5 uses its ``ascii`` tokenizer, which keeps every non-ASCII character
and splits only on ASCII punctuation and spaces (our terms contain neither), and PostgreSQL
receives ready-made ``tsvector``/``tsquery`` values instead of running a text search
parser, whose word rules differ from ours (and from release to release).

The index is derived data: backups and ``taihe db copy`` leave it out, and the module that
owns it rebuilds it with :func:`index_documents`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from django.db import connections, transaction

from taihe.kernel.db.engine import UnsupportedEngine
from taihe.kernel.search.tokenizer import is_prefix_term, query_tokens, tokens

# Documents written per statement and per transaction. Each batch commits on its own, so a
# rebuild of two million rows never holds SQLite's single write lock for more than a moment
# and other writers (web requests, jobs) get their turn between batches.
BATCH_SIZE = 2000

# Ids removed per DELETE: well below SQLite's 32,766 bound variables (SQLITE_MAX_VARIABLE_NUMBER
# since 3.32) and PostgreSQL's 65,535 parameters per statement.
_DELETE_CHUNK = 1000

_NAME = re.compile(r"[a-z][a-z0-9_]{0,40}")


def table_name(name: str) -> str:
    """The table of the index ``name``: ``search_<name>``.

    Raises ``ValueError`` when ``name`` is not 1 to 41 lowercase letters, digits and
    underscores beginning with a letter (names are written into SQL, so nothing else is
    accepted).
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(
            f"search index name {name!r} must be 1 to 41 characters of a-z, 0-9 and _, "
            "starting with a letter"
        )
    return f"search_{name}"


def _unsupported(vendor: str) -> UnsupportedEngine:
    return UnsupportedEngine(vendor, "full-text search")


def create_index(connection: Any, name: str) -> None:
    """Create the index table ``search_<name>`` on ``connection`` if it does not exist.

    Made to be called from a migration::

        migrations.RunPython(
            lambda apps, schema_editor: create_index(schema_editor.connection, "objects"),
            lambda apps, schema_editor: drop_index(schema_editor.connection, "objects"),
        )

    Raises ``ValueError`` for an invalid name and ``UnsupportedEngine`` on an engine other
    than SQLite or PostgreSQL.
    """
    table = table_name(name)
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # rowid is the document id. The text is kept (not contentless): SQLite 3.40 can
            # delete from a contentless table only when given the old text back
            # (contentless_delete arrived in 3.43), and upserts must delete.
            cursor.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {quoted} USING fts5(body, tokenize='ascii')"
            )

        elif connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {quoted} "
                "(doc_id bigint PRIMARY KEY, body tsvector NOT NULL)"
            )
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {connection.ops.quote_name(table + '_body')} "
                f"ON {quoted} USING gin (body)"
            )
        else:
            raise _unsupported(connection.vendor)


def drop_index(connection: Any, name: str) -> None:
    """Drop the index table ``search_<name>`` (and its GIN index) if it exists.

    Raises ``ValueError`` for an invalid name.
    """
    quoted = connection.ops.quote_name(table_name(name))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {quoted}")


def _batches(documents: Iterable[tuple[int, str]], size: int) -> Iterator[dict[int, str]]:
    iterator = iter(documents)
    while batch := list(islice(iterator, size)):
        # One row per id: a later text of the same id replaces an earlier one, as it would
        # in a later batch (PostgreSQL's ON CONFLICT refuses to touch one row twice).
        yield {int(doc_id): text for doc_id, text in batch}


def _tsvector_literal(terms: list[str]) -> str:
    """``'term':1 'other':2 'term':3``: tsvector input syntax, taken as is, without a parser.
    PostgreSQL merges a repeated lexeme's positions and clamps positions past 16,383
    (MAXENTRYPOS in src/include/tsearch/ts_type.h) itself, so one pass suffices; written
    this way the literal costs a third of the time of grouping positions in Python."""
    joined = " ".join(terms)
    if "'" in joined or "\\" in joined:
        terms = [_escape(term) for term in terms]
    return " ".join([f"'{term}':{position}" for position, term in enumerate(terms, start=1)])


def _escape(term: str) -> str:
    # Inside quotes in tsvector and tsquery input, quotes are doubled and backslashes escape
    # (PostgreSQL manual, 8.11.1). Our terms hold neither; this keeps the literal valid anyway.
    return term.replace("\\", "\\\\").replace("'", "''")


def index_documents(
    name: str,
    documents: Iterable[tuple[int, str]],
    *,
    using: str = "default",
    batch_size: int = BATCH_SIZE,
) -> int:
    """Index (or re-index) ``documents``, pairs of document id and text, replacing any text
    indexed before for the same ids. Returns how many documents were written.

    Works through ``documents`` lazily in batches of ``batch_size``, one statement and one
    transaction each (a savepoint inside a caller's transaction): after an error the batches
    before it stay written, and running it again is safe.

    Raises ``ValueError`` for an invalid name or a ``batch_size`` below 1, the database's
    error when the index table does not exist, and ``UnsupportedEngine`` on an engine
    other than SQLite or PostgreSQL.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    connection = connections[using]
    quoted = connection.ops.quote_name(table_name(name))
    if connection.vendor not in ("sqlite", "postgresql"):
        raise _unsupported(connection.vendor)
    written = 0
    for batch in _batches(documents, batch_size):
        with transaction.atomic(using=using), connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                # FTS5 honours OR REPLACE on the rowid: the old terms are deleted first.
                cursor.executemany(
                    f"INSERT OR REPLACE INTO {quoted} (rowid, body) VALUES (%s, %s)",
                    [(doc_id, " ".join(tokens(text))) for doc_id, text in batch.items()],
                )
            else:
                cursor.execute(
                    f"INSERT INTO {quoted} (doc_id, body) "
                    "SELECT doc_id, body::tsvector FROM unnest(%s::bigint[], %s::text[]) "
                    "AS batch(doc_id, body) "
                    "ON CONFLICT (doc_id) DO UPDATE SET body = EXCLUDED.body",
                    [list(batch), [_tsvector_literal(tokens(text)) for text in batch.values()]],
                )
        written += len(batch)
    return written


def remove_documents(name: str, ids: Iterable[int], *, using: str = "default") -> int:
    """Remove the documents ``ids`` from the index; ids not in it are ignored. Returns how
    many rows were deleted.

    Raises ``ValueError`` for an invalid name and ``UnsupportedEngine`` on an engine other
    than SQLite or PostgreSQL.
    """
    connection = connections[using]
    quoted = connection.ops.quote_name(table_name(name))
    if connection.vendor not in ("sqlite", "postgresql"):
        raise _unsupported(connection.vendor)
    key = "rowid" if connection.vendor == "sqlite" else "doc_id"
    iterator = iter(ids)
    removed = 0
    with transaction.atomic(using=using), connection.cursor() as cursor:
        while chunk := [int(doc_id) for doc_id in islice(iterator, _DELETE_CHUNK)]:
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {quoted} WHERE {key} IN ({marks})", chunk)
            removed += cursor.rowcount
    return removed


def clear(name: str, *, using: str = "default") -> None:
    """Remove every document from the index, keeping the (empty) index.

    Raises ``ValueError`` for an invalid name and ``UnsupportedEngine`` on an engine other
    than SQLite or PostgreSQL.
    """
    connection = connections[using]
    quoted = connection.ops.quote_name(table_name(name))
    with transaction.atomic(using=using):
        if connection.vendor == "sqlite":
            # FTS5 deletes row by row, reading each row's terms back; dropping and creating
            # the table is the fast way to empty it, and is transactional in SQLite.
            drop_index(connection, name)
            create_index(connection, name)
        elif connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {quoted}")
        else:
            raise _unsupported(connection.vendor)


def _whole_words(connection: Any, name: str, terms: list[str]) -> set[str]:
    """The query words that are themselves indexed words. They match whole ("porcelain"
    finds porcelain, quickly); a word that is not (a partial "porcel") matches as a prefix,
    which has to merge the lists of every word it begins. One index probe per word."""
    quoted = connection.ops.quote_name(table_name(name))
    found = set()
    with connection.cursor() as cursor:
        for term in (term for term in terms if is_prefix_term(term)):
            if connection.vendor == "sqlite":
                cursor.execute(f"SELECT 1 FROM {quoted} WHERE {quoted} MATCH %s LIMIT 1",
                               ['"' + term.replace('"', '""') + '"'])
            else:
                cursor.execute(f"SELECT 1 FROM {quoted} WHERE body @@ %s::tsquery LIMIT 1",
                               [f"'{_escape(term)}'"])
            if cursor.fetchone():
                found.add(term)
    return found


BLOCK_SAMPLE_MIN_PAGES = 1000
"""Below about 8 MB a block sample is too coarse (a few blocks hold everything)."""


def _pages(connection: Any, table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpages FROM pg_class WHERE oid = %s::regclass", [table])
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _planned_rows(connection: Any, name: str, query: str) -> int | None:
    """PostgreSQL's own estimate of the match size, from the statistics ANALYZE keeps on
    the tsvector column (no rows read)."""
    found = match_sql(name, query, using=connection.alias)
    if found is None:
        return None
    sql, params = found
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def estimate_count(name: str, query: str, *, exact_up_to: int,
                   using: str = "default") -> tuple[int, bool] | None:
    """How many documents match ``query``, and whether that is exact: exact when at most
    ``exact_up_to`` match; otherwise estimated from how densely the first ``exact_up_to``
    matching ids lie in the index's id range (the ids of one register are spread fairly
    evenly), which reads only the start of the match. None when ``query`` has no term."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        planned = _planned_rows(connection, name, query)
        if planned is None:
            return None
        if planned > 4 * exact_up_to:  # clearly large: the planner's estimate will do
            return planned, False
    ids = match_ids(name, query, limit=exact_up_to + 1, using=using)
    if ids is None:
        return None
    if len(ids) <= exact_up_to:
        return len(ids), True
    quoted = connection.ops.quote_name(table_name(name))
    column = "rowid" if connection.vendor == "sqlite" else "doc_id"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {quoted} ORDER BY {column} DESC LIMIT 1")
        highest = int(cursor.fetchone()[0])
    span = max(ids[-1] - ids[0] + 1, 1)
    return max(len(ids), round(len(ids) * (highest - ids[0] + 1) / span)), False


def _fts5_query(terms: list[str], *, for_ranking: bool = False,
                whole: set[str] | frozenset[str] = frozenset()) -> str:
    """FTS5 query syntax for "all of ``terms``". Every term is a quoted string (quotes
    doubled, FTS5 manual section 3.1), so nothing a person types can become an operator, a
    column filter or a syntax error. For ranking, a prefix term is also asked for exactly,
    ``("gu5000" OR "gu5000"*)``: the record numbered GU-5000 then scores above GU-50001,
    since BM25 adds up the score of every matching phrase."""

    def phrase(term: str) -> str:
        quoted = '"' + term.replace('"', '""') + '"'
        if not is_prefix_term(term) or term in whole:
            return quoted
        return f"({quoted} OR {quoted}*)" if for_ranking else f"{quoted}*"

    return " AND ".join(phrase(term) for term in terms)


def _tsquery(terms: list[str], whole: set[str] | frozenset[str] = frozenset()) -> str:
    """tsquery input syntax for "all of ``terms``", quoted like :func:`_fts5_query`."""
    return " & ".join(
        f"'{_escape(term)}'" + (":*" if is_prefix_term(term) and term not in whole else "")
        for term in terms
    )


def _tsquery_exact_bonus(terms: list[str]) -> str:
    """tsquery for "any of ``terms``, as whole words": ranked beside the match query it adds
    the exact-match bonus that the OR form gives on SQLite. (Within one tsquery, ts_rank
    merges ``'x'`` and ``'x':*`` into one operand, so the SQLite form would add nothing.)"""
    return " | ".join(f"'{_escape(term)}'" for term in terms)


def match_sql(name: str, query: str, *, after: int | None = None, limit: int | None = None,
              stride: int = 1, using: str = "default") -> tuple[str, list[Any]] | None:
    """SQL selecting the ids of the documents that match ``query`` (every query term, AND;
    words of three or more characters also as prefixes), for use inside ORM queries::

        found = match_sql("objects", text)
        if found is not None:
            objects = objects.filter(id__in=RawSQL(*found))

    The SQL reads ``SELECT doc_id FROM search_<name> WHERE ...`` with ``%s`` parameter marks for
    the returned parameters. ``after``, ``limit`` and ``stride`` narrow it as in
    :func:`match_ids`, still inside the one statement. Returns ``None`` when ``query`` has no
    searchable term (empty, only punctuation): the caller then leaves the list unfiltered.

    Raises ``ValueError`` for an invalid name and ``UnsupportedEngine`` on an engine other
    than SQLite or PostgreSQL.
    """
    connection = connections[using]
    quoted = connection.ops.quote_name(table_name(name))
    terms = query_tokens(query)
    if not terms:
        return None
    if connection.vendor == "sqlite":
        sql = f"SELECT rowid AS doc_id FROM {quoted} WHERE {quoted} MATCH %s"
        params: list[Any] = [_fts5_query(terms, whole=_whole_words(connection, name, terms))]
        column = "rowid"
    elif connection.vendor == "postgresql":
        if stride > 1 and _pages(connection, table_name(name)) >= BLOCK_SAMPLE_MIN_PAGES:
            # Every n-th id would still fetch every match from the heap to test it; a
            # block sample reads only 1/n of the table (repeatable, so pages agree).
            sql = (f"SELECT doc_id FROM {quoted} TABLESAMPLE SYSTEM (%s) REPEATABLE (7) "
                   "WHERE body @@ %s::tsquery")
            params = [100.0 / stride, _tsquery(terms, _whole_words(connection, name, terms))]
        else:
            sql = f"SELECT doc_id FROM {quoted} WHERE body @@ %s::tsquery"
            params = [_tsquery(terms, _whole_words(connection, name, terms))]
        column = "doc_id"
    else:
        raise _unsupported(connection.vendor)
    if after is not None:
        sql += f" AND {column} > %s"
        params.append(int(after))
    if stride > 1 and "TABLESAMPLE" not in sql:
        sql += f" AND {column} %% %s = 0"
        params.append(int(stride))
    if limit is not None:
        sql += f" ORDER BY {column} LIMIT %s"
        params.append(int(limit))
    return sql, params


def match_count(name: str, query: str, *, using: str = "default") -> int | None:
    """How many documents match ``query`` (as :func:`match_sql`), read from the index alone;
    None when ``query`` has no searchable term."""
    found = match_sql(name, query, using=using)
    if found is None:
        return None
    sql, params = found
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({sql}) AS hits", params)
        return int(cursor.fetchone()[0])


def match_ids(name: str, query: str, *, after: int | None = None, limit: int | None = None,
              stride: int = 1, using: str = "default") -> list[int] | None:
    """Ids of matching documents in ascending order, read from the index alone: those above
    ``after``, at most ``limit``, and with ``stride`` > 1 only ids divisible by it (an evenly
    spread sample of a large match). None when ``query`` has no searchable term.

    Walking a match in id order a chunk at a time stays fast however many documents match,
    where joining the whole match against another table grows with it."""
    found = match_sql(name, query, after=after, limit=limit, stride=stride, using=using)
    if found is None:
        return None
    sql, params = found
    if limit is None:
        sql = f"SELECT doc_id FROM ({sql}) AS hits ORDER BY doc_id"
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return [int(row[0]) for row in cursor.fetchall()]


def ranked_ids(name: str, query: str, limit: int, *, using: str = "default") -> list[int]:
    """The ids of at most ``limit`` documents matching ``query`` as in :func:`match_sql`,
    best first: BM25 on SQLite, ``ts_rank`` on PostgreSQL, each with a bonus for query words
    found whole rather than as prefixes (so GU-1234 comes before GU-12345); equal scores in
    id order. Empty when ``query`` has no searchable term or ``limit`` is 0.

    Raises ``ValueError`` for an invalid name or a negative ``limit``, and
    ``UnsupportedEngine`` on an engine other than SQLite or PostgreSQL.
    """
    if limit < 0:
        raise ValueError(f"limit must not be negative, not {limit}")
    connection = connections[using]
    quoted = connection.ops.quote_name(table_name(name))
    terms = query_tokens(query)
    if not terms or limit == 0:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # bm25() is lower for better matches (FTS5 manual, section 5.1.1).
            cursor.execute(
                f"SELECT rowid FROM {quoted} WHERE {quoted} MATCH %s "
                f"ORDER BY bm25({quoted}), rowid LIMIT %s",
                [_fts5_query(terms, for_ranking=True), limit],
            )
        elif connection.vendor == "postgresql":
            expression = _tsquery(terms)
            cursor.execute(
                f"SELECT doc_id FROM {quoted} WHERE body @@ %s::tsquery ORDER BY "
                "ts_rank(body, %s::tsquery) + ts_rank(body, %s::tsquery) DESC, doc_id LIMIT %s",
                [expression, expression, _tsquery_exact_bonus(terms), limit],
            )
        else:
            raise _unsupported(connection.vendor)
        return [row[0] for row in cursor.fetchall()]
