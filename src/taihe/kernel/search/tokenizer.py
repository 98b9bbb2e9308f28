"""Tokenising Chinese, Japanese, Korean and alphabetic text for the full-text index.

Both engines index exactly the terms made here (SQLite's FTS5 and PostgreSQL's text search
never re-split them), so a document is found the same way on either engine.

* Text is NFKC-normalised (full-width ``Ｇｕ－１２３`` becomes ``Gu-123``, ``ﬁ`` becomes
  ``fi``), Traditional Chinese is folded to Simplified with OpenCC's ``t2s`` conversion (so
  ``青銅器`` finds ``青铜器`` and the reverse), and then case-folded (``ß`` becomes ``ss``).
* Letters and digits of other scripts form words. A run of words joined by punctuation
  without spaces (an object number such as ``GU-12345``, ``1985.12.3``) gives each word and
  also the words run together (``gu``, ``12345``, ``gu12345``), so the number is found
  whether it is typed with or without its separators.
* Chinese, Japanese and Korean have no spaces between words, and no dictionary would know
  every name in a collection, so a run of Han, kana or Hangul is indexed as single
  characters and as overlapping pairs (the "bigram" method of CJK search engines such as
  Lucene's CJKAnalyzer): ``青铜器`` gives ``青``, ``青铜``, ``铜``, ``铜器``, ``器``.
* A query run of one character looks for that character; a longer run looks for all of its
  pairs. ``青铜器`` therefore finds text that contains ``青铜`` and ``铜器`` anywhere, which is
  nearly always text that contains ``青铜器``: an approximation accepted for the simplicity
  of matching every term with AND, and one that never misses a real occurrence.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

# Terms longer than this are cut to it, on both the indexing and the query side, so that
# they still match each other. PostgreSQL refuses lexemes over 2,047 bytes (MAXSTRLEN in
# src/include/tsearch/ts_type.h); 100 characters of UTF-8 stay far below that.
MAX_TERM_LENGTH = 100

# A query word of at least this many characters also matches the words it begins
# ("porcel" finds "porcelain"). Shorter prefixes would match too much to be useful.
MIN_PREFIX_LENGTH = 3

# Han, kana and Hangul code points (Unicode 15.1 blocks). Only letters and ideographic digits
# are listed: the punctuation of those blocks (、。「」・) separates terms like any other.
_CJK_RANGES = (
    "\u1100-\u11ff"  # Hangul Jamo
    "\u2e80-\u2fdf"  # CJK Radicals Supplement, Kangxi Radicals
    "\u3005-\u3007"  # 々 〆 〇 (iteration mark, closing mark, ideographic zero)
    "\u3021-\u3029\u3038-\u303c"  # Hangzhou numerals, more iteration marks
    "\u3041-\u3096\u309d-\u309f"  # Hiragana
    "\u30a1-\u30fa\u30fc-\u30ff"  # Katakana, without the middle dot U+30FB
    "\u3105-\u312f\u31a0-\u31bf"  # Bopomofo
    "\u3131-\u318e"  # Hangul Compatibility Jamo
    "\u31f0-\u31ff"  # Katakana Phonetic Extensions
    "\u3400-\u4dbf"  # CJK Unified Ideographs Extension A
    "\u4e00-\u9fff"  # CJK Unified Ideographs
    "\ua960-\ua97f"  # Hangul Jamo Extended-A
    "\uac00-\ud7a3"  # Hangul Syllables
    "\ud7b0-\ud7ff"  # Hangul Jamo Extended-B
    "\uf900-\ufaff"  # CJK Compatibility Ideographs (NFKC maps most to unified ones)
    "\U0001b000-\U0001b16f"  # Kana Supplement, Kana Extended-A
    "\U00020000-\U0002fa1f"  # Extensions B to F, I and the Compatibility Supplement
    "\U00030000-\U000323af"  # Extensions G and H
)
# Letters and digits outside those scripts ([^\W_] is "alphanumeric"; \w would add "_").
_WORD_CHARACTER = f"[^\\W_{_CJK_RANGES}]"
# Punctuation that joins the parts of one identifier: GU-12345, 1985.12.3, 2019/001,
# B:12#3, K'ang, O·K. Other punctuation (commas, brackets, dashes) ends a run.
_JOINER = "[-_./:#'\u2019\u00b7]"
# Three kinds of piece, as findall's three groups: a CJK run, an identifier of several
# punctuation-joined parts, a plain word (tried in that order at each position).
_PIECE = re.compile(
    f"([{_CJK_RANGES}]+)"
    f"|({_WORD_CHARACTER}+(?:{_JOINER}+{_WORD_CHARACTER}+)+)"
    f"|({_WORD_CHARACTER}+)"
)
_WORD = re.compile(f"{_WORD_CHARACTER}+")
_CJK_CHARACTER = re.compile(f"[{_CJK_RANGES}]")


@lru_cache(maxsize=1)
def _simplifier() -> Any:
    # Imported and built on first use: the converter loads OpenCC's dictionaries (~2 MB),
    # shipped inside the opencc wheel, so nothing is fetched at run time.
    import opencc

    return opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    """``text`` as it is tokenised: NFKC, Traditional folded to Simplified, case-folded."""
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():
        # Phrase-aware conversion (乾燥 → 干燥 but 乾隆 stays 乾隆), which a character table
        # could not do; simplified text passes through unchanged.
        text = _simplifier().convert(text)
    return text.casefold()


def _identifier_terms(identifier: str) -> list[str]:
    """The parts of a punctuation-joined identifier, then the parts run together."""
    parts = _WORD.findall(identifier)
    parts.append("".join(parts))
    return [part[:MAX_TERM_LENGTH] for part in parts]


def tokens(text: str) -> list[str]:
    """The terms indexed for ``text``, in the order they occur, repeats kept (ranking counts
    them): words, identifiers' parts and their joined form, CJK characters and pairs.

    >>> tokens("清乾隆 Blue-and-white")
    ['清', '清乾', '乾', '乾隆', '隆', 'blue', 'and', 'white', 'blueandwhite']
    """
    # The hot path of indexing millions of records: findall and list slicing do the work in
    # C, one Python-level step per piece rather than per character.
    terms: list[str] = []
    for cjk, identifier, word in _PIECE.findall(normalise(text)):
        if word:
            terms.append(word[:MAX_TERM_LENGTH])
        elif cjk:
            # Characters and pairs interleaved in reading order.
            expanded = [""] * (2 * len(cjk) - 1)
            expanded[0::2] = cjk
            expanded[1::2] = map(str.__add__, cjk, cjk[1:])
            terms.extend(expanded)
        else:
            terms.extend(_identifier_terms(identifier))
    return terms


def query_tokens(text: str) -> list[str]:
    """The terms a document must all contain to match the query ``text``, without repeats:
    words as in :func:`tokens`, a lone CJK character as itself, and a longer CJK run as its
    overlapping pairs (never its single characters, which would match far too much).

    >>> query_tokens("青铜器 鼎 porcel")
    ['青铜', '铜器', '鼎', 'porcel']
    """
    terms: list[str] = []
    for cjk, identifier, word in _PIECE.findall(normalise(text)):
        if word:
            terms.append(word[:MAX_TERM_LENGTH])
        elif len(cjk) == 1:
            terms.append(cjk)
        elif cjk:
            terms.extend(map(str.__add__, cjk, cjk[1:]))
        else:
            terms.extend(_identifier_terms(identifier))
    return list(dict.fromkeys(terms))


def is_prefix_term(term: str) -> bool:
    """Whether the query term ``term`` also matches longer words that begin with it: words
    of letters or digits of at least :data:`MIN_PREFIX_LENGTH` characters, never CJK terms
    (a CJK pair already matches inside longer runs)."""
    return len(term) >= MIN_PREFIX_LENGTH and _CJK_CHARACTER.search(term) is None
