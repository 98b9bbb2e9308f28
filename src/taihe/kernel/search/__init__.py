"""Full-text search for Chinese and English text, on SQLite (FTS5) and PostgreSQL alike.

A module creates a named index in a migration (:func:`create_index`), writes documents to
it (:func:`index_documents`, :func:`remove_documents`, :func:`clear`) and narrows its
querysets with :func:`match_sql` or orders hits with :func:`ranked_ids`. Only this package
knows which engine runs; the terms come from :func:`tokens` on both.
"""

from taihe.kernel.search.index import (
    clear,
    create_index,
    drop_index,
    estimate_count,
    index_documents,
    match_count,
    match_ids,
    match_sql,
    ranked_ids,
    remove_documents,
    table_name,
)
from taihe.kernel.search.tokenizer import normalise, query_tokens, tokens

__all__ = [
    "clear",
    "create_index",
    "drop_index",
    "estimate_count",
    "index_documents",
    "match_count",
    "match_ids",
    "match_sql",
    "normalise",
    "query_tokens",
    "ranked_ids",
    "remove_documents",
    "table_name",
    "tokens",
]
