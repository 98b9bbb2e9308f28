"""Full-text search: CJK-aware terms, and one index that behaves alike on SQLite and
PostgreSQL (CI runs this file on both; every test here uses ``django.db.connection``)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction
from django.db.models import Count
from django.db.models.expressions import RawSQL

from taihe.kernel.search import (
    clear,
    create_index,
    drop_index,
    index_documents,
    match_sql,
    normalise,
    query_tokens,
    ranked_ids,
    remove_documents,
    table_name,
    tokens,
)
from taihe.kernel.search.tokenizer import MAX_TERM_LENGTH, is_prefix_term

# --- Terms -----------------------------------------------------------------------------


def test_chinese_text_gives_characters_and_overlapping_pairs():
    assert tokens("青铜鼎") == ["青", "青铜", "铜", "铜鼎", "鼎"]


def test_english_text_gives_case_folded_words():
    assert tokens("Blue and White PORCELAIN, Straße") == [
        "blue", "and", "white", "porcelain", "strasse",
    ]


def test_mixed_text_keeps_the_order_of_its_pieces():
    assert tokens("清乾隆 Qianlong青花瓶") == [
        "清", "清乾", "乾", "乾隆", "隆", "qianlong", "青", "青花", "花", "花瓶", "瓶",
    ]


def test_full_width_letters_digits_and_space_are_normalised():
    # NFKC turns the full-width forms typed with Chinese input methods into ASCII.
    assert tokens("Ｐｏｒｃｅｌａｉｎ　ＧＵ－１２３") == ["porcelain", "gu", "123", "gu123"]


def test_object_numbers_give_their_parts_and_the_parts_run_together():
    assert tokens("故00123456") == ["故", "00123456"]
    assert tokens("GU-12345") == ["gu", "12345", "gu12345"]
    assert tokens("1985.12.3") == ["1985", "12", "3", "1985123"]
    assert tokens("2019/001,K'ang") == ["2019", "001", "2019001", "k", "ang", "kang"]


def test_traditional_chinese_is_folded_to_simplified_phrase_by_phrase():
    assert tokens("青銅器") == tokens("青铜器") == ["青", "青铜", "铜", "铜器", "器"]
    assert normalise("國家博物館") == "国家博物馆"
    # 乾 is simplified to 干 in 乾燥 (dry) but stays in the reign name 乾隆.
    assert normalise("乾燥 乾隆") == "干燥 乾隆"


def test_kana_and_hangul_runs_are_split_like_chinese():
    assert tokens("カタナ 한국") == ["カ", "カタ", "タ", "タナ", "ナ", "한", "한국", "국"]


def test_cjk_punctuation_separates_runs():
    assert tokens("青花、粉彩。") == ["青", "青花", "花", "粉", "粉彩", "彩"]


def test_text_without_letters_or_digits_gives_no_terms():
    assert tokens("") == []
    assert tokens(' "*()-:^ ，。！') == []


def test_overlong_words_are_cut_on_both_sides_alike():
    word = "x" * (MAX_TERM_LENGTH + 50)
    assert tokens(word) == ["x" * MAX_TERM_LENGTH]
    assert query_tokens(word) == ["x" * MAX_TERM_LENGTH]


def test_query_terms_use_pairs_for_longer_cjk_runs_and_drop_repeats():
    assert query_tokens("青铜器") == ["青铜", "铜器"]
    assert query_tokens("鼎") == ["鼎"]
    assert query_tokens("青铜 vase Vase gu-12") == ["青铜", "vase", "gu", "12", "gu12"]


def test_only_words_of_three_or_more_characters_are_prefixes():
    assert [is_prefix_term(term) for term in ("porcel", "gu", "123", "青铜", "鼎")] == [
        True, False, True, False, False,
    ]


# --- Index -----------------------------------------------------------------------------

NAME = "kernel_tests"

DOCUMENTS = {
    1: "西周 青铜鼎 Western Zhou bronze ding",
    2: "清乾隆 青花缠枝莲纹赏瓶 Qianlong blue-and-white porcelain vase",
    3: "清 粉彩瓷盘 famille rose porcelain dish, 故00123456",
    4: "青花瓷碗 附铜盖 blue and white bowl, copper lid",
    5: "乾隆御笔 书法 calligraphy GU-12345",
    6: "商 青铜器 Shang bronze vessel GU-1234",
}


@pytest.fixture
def search_index(db: object) -> str:
    """The index ``kernel_tests`` holding DOCUMENTS, inside the test's transaction."""
    create_index(connection, NAME)
    index_documents(NAME, DOCUMENTS.items())
    return NAME  # the test's rollback removes the table again


def found(query: str) -> list[int]:
    """Ids matching ``query``, read through match_sql's SQL exactly as a caller would."""
    matched = match_sql(NAME, query)
    assert matched is not None
    sql, params = matched
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT doc_id FROM ({sql}) AS hits ORDER BY doc_id", params)
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("青铜", [1, 6]),  # 4 has 青 and 铜, but never side by side
        ("乾隆", [2, 5]),
        ("鼎", [1]),
        ("青铜器", [6]),  # 1 has 青铜 but not 铜器
        ("青銅", [1, 6]),  # Traditional query, Simplified text
        ("porcelain", [2, 3]),
        ("PORCELAIN", [2, 3]),
        ("porcel", [2, 3]),
        ("青花 porcelain", [2]),
        ("blue white", [2, 4]),
        ("00123456", [3]),
        ("故00123456", [3]),
        ("gu-12345", [5]),
        ("GU12345", [5]),
        # 1234 is an indexed word itself, so it matches whole, not as the start of 12345
        ("gu-1234", [6]),
        ("gu-123", [5, 6]),  # not a word of any document: a prefix
        ("Ｑｉａｎｌｏｎｇ", [2]),
        ("bronze 商", [6]),
        ("porcelain bronze", []),
        ("jade", []),
    ],
)
def test_a_document_matches_when_it_holds_every_query_term(search_index, query, expected):
    assert found(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"', None),
        ("*", None),
        ("\\", None),
        ("AND OR (", []),  # 4 has "and" but no document has "or"
        ("NEAR(a b)", []),
        ("body:青铜", []),  # no column filter: no document holds the word "body"
        ("^porcelain", [2, 3]),
        ("-bronze", [1, 6]),  # not "without bronze"
        ("a' OR '1'='1", []),
        ("'); DROP TABLE search_kernel_tests; --", []),
        ("porcelain\x00", [2, 3]),
        ("{x} : ( ) + ^", []),
    ],
)
def test_hostile_queries_neither_raise_nor_act_as_syntax(search_index, query, expected):
    if expected is None:
        assert match_sql(NAME, query) is None
    else:
        assert found(query) == expected
    assert sorted(ranked_ids(NAME, query, 10)) == (expected or [])
    assert found("bronze") == [1, 6]  # the index is still there and whole


@pytest.mark.parametrize("query", ["", "   ", '"', "*", "（）、。！", "-:^"])
def test_queries_without_terms_give_no_sql_and_no_ids(search_index, query):
    assert match_sql(NAME, query) is None
    assert ranked_ids(NAME, query, 10) == []


def test_query_terms_are_quoted_for_the_engine(search_index):
    matched = match_sql(NAME, 'porcel "鼎 or')
    assert matched is not None
    sql, params = matched
    assert sql.startswith("SELECT ")
    if connection.vendor == "sqlite":
        assert params == ['"porcel"* AND "鼎" AND "or"']
    else:
        assert params == ["'porcel':* & '鼎' & 'or'"]


def test_ranking_puts_more_frequent_terms_first(search_index):
    index_documents(NAME, [(7, "青花 青花 青花 青花"), (8, "青花 瓷")])
    assert ranked_ids(NAME, "青花", 10)[0] == 7
    assert sorted(ranked_ids(NAME, "青花", 10)) == [2, 4, 7, 8]


def test_ranking_puts_an_exact_object_number_before_longer_ones(search_index):
    assert ranked_ids(NAME, "GU-1234", 10) == [6, 5]
    assert ranked_ids(NAME, "GU-12345", 10) == [5]


def test_ranking_keeps_to_the_limit(search_index):
    assert len(ranked_ids(NAME, "porcelain", 1)) == 1
    assert ranked_ids(NAME, "porcelain", 0) == []
    with pytest.raises(ValueError, match="limit must not be negative"):
        ranked_ids(NAME, "porcelain", -1)


def test_indexing_again_replaces_the_text(search_index):
    written = index_documents(NAME, [(1, "明 宣德 青花 Xuande blue-and-white")])
    assert written == 1
    assert found("青铜") == [6]
    assert found("宣德") == [1]


def test_the_last_text_of_an_id_wins_within_one_batch(search_index):
    written = index_documents(NAME, [(9, "jade cong"), (9, "jade bi")])
    assert written == 1
    assert found("jade") == [9]
    assert found("cong") == []


def test_documents_are_written_in_batches(search_index):
    pieces = ((10 + number, f"ivory carving {number}") for number in range(7))
    assert index_documents(NAME, pieces, batch_size=3) == 7
    assert found("ivory") == list(range(10, 17))
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        index_documents(NAME, [(20, "x")], batch_size=0)


def test_removed_documents_are_no_longer_found(search_index):
    assert remove_documents(NAME, [1, 999]) == 1
    assert found("bronze") == [6]
    assert remove_documents(NAME, []) == 0


def test_clear_empties_the_index_and_keeps_it_usable(search_index):
    clear(NAME)
    assert found("bronze") == []
    index_documents(NAME, [(1, "bronze mirror")])
    assert found("bronze") == [1]


def test_creating_an_index_twice_is_harmless(search_index):
    create_index(connection, NAME)
    assert found("bronze") == [1, 6]


def test_a_dropped_index_is_gone(db):
    create_index(connection, "dropped")
    drop_index(connection, "dropped")
    with pytest.raises(DatabaseError), transaction.atomic():
        index_documents("dropped", [(1, "bronze")])


@pytest.mark.parametrize("name", ["", "Objects", "1objects", "objects-list", "x; DROP TABLE y",
                                  "o" * 42])
def test_index_names_are_checked_before_they_reach_sql(name):
    with pytest.raises(ValueError, match="search index name"):
        table_name(name)


def test_index_names_become_search_tables():
    assert table_name("catalog_objects") == "search_catalog_objects"


def test_match_sql_combines_with_orm_filters_and_group_by(db):
    # Given groups standing in for any model, indexed under their own ids
    create_index(connection, NAME)
    Group.objects.create(name="bronze-a")
    bronze_b = Group.objects.create(name="bronze-b")
    Group.objects.create(name="porcelain")
    index_documents(NAME, [(group.id, group.name.replace("-", " "))
                           for group in Group.objects.all()])
    matched = match_sql(NAME, "bronze")
    assert matched is not None

    # When the search narrows an ORM query that also filters and counts
    # The user's text travels in the parameters; the SQL holds only the checked table name.
    hits = Group.objects.filter(id__in=RawSQL(*matched))  # noqa: S611
    names = list(hits.order_by("name").values_list("name", flat=True))
    narrowed = list(hits.filter(name__endswith="-b").values_list("id", flat=True))
    facets = list(hits.values("name").annotate(count=Count("id")).order_by("name"))

    # Then all three see only the matching rows
    assert names == ["bronze-a", "bronze-b"]
    assert narrowed == [bronze_b.id]
    assert facets == [{"name": "bronze-a", "count": 1}, {"name": "bronze-b", "count": 1}]
