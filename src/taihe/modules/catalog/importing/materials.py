"""Material terms recognised in a free-text medium line ("绢本设色", "Gilt bronze").

The rules are data: a registry of keyword → material codes, built from the keywords and
labels of the ``material`` scheme in :mod:`taihe.modules.catalog.vocabulary`, plus the compound
phrases below whose meaning is more than the sum of their characters. The longest keyword is
matched first and consumes its span, so "紫檀木" is zitan (and wood), never a second, looser
match of "木"; "鎏金" is gilding, never the "金" (gold) inside it. The scan runs left to right
and takes, at each position, the longest keyword that starts there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from taihe.modules.catalog import vocabulary

SCHEME = "material"

# Phrases that name more than one material, or name one only in context. Each maps to codes
# in the material scheme, most specific first.
COMPOUND_RULES: dict[str, tuple[str, ...]] = {
    "紫檀木": ("zitan", "wood"),
    "黄花梨木": ("huanghuali", "wood"),
    "黃花梨木": ("huanghuali", "wood"),
    "楠木": ("nanmu", "wood"),
    "绢本": ("silk",),
    "絹本": ("silk",),
    "纸本": ("paper",),
    "紙本": ("paper",),
    "青花瓷": ("porcelain",),
    "铜鎏金": ("gold-leaf", "copper"),
    "銅鎏金": ("gold-leaf", "copper"),
    "铜胎": ("copper",),
    "銅胎": ("copper",),
    "掐丝珐琅": ("cloisonne-enamel",),
    "掐絲琺瑯": ("cloisonne-enamel",),
    "景泰蓝": ("cloisonne-enamel",),
    "景泰藍": ("cloisonne-enamel",),
    "gilt bronze": ("gold-leaf", "bronze"),
    "gilt-bronze": ("gold-leaf", "bronze"),
    "gilt copper": ("gold-leaf", "copper"),
    "gilded copper": ("gold-leaf", "copper"),
    "gilded silver": ("gold-leaf", "silver"),
    "silver-gilt": ("gold-leaf", "silver"),
    "silver gilt": ("gold-leaf", "silver"),
    "gilt brass": ("gold-leaf", "copper"),
    "brass": ("copper",),
    "copper alloy": ("copper",),
    "ink and color": ("ink", "pigment"),
    "ink and colour": ("ink", "pigment"),
    "red sandalwood": ("zitan", "wood"),
    "rosewood": ("wood",),
    "boxwood": ("wood",),
    "mother-of-pearl": ("shell",),
    "pot-metal glass": ("glass",),  # coloured glass, not a metal
    "pot metal": ("glass",),
    "underglaze blue": (),
    "underglaze cobalt blue": (),
}
"""Technique phrases map to no material: "Porcelain painted in underglaze blue" is porcelain,
and the "blue" must not be read as anything else."""


@dataclass(frozen=True)
class MaterialRule:
    keyword: str
    codes: tuple[str, ...]
    pattern: re.Pattern[str]


def _pattern(keyword: str) -> re.Pattern[str]:
    escaped = re.escape(keyword)
    if keyword.isascii():
        # Latin keywords match whole words only: "ink" is not in "pink", "oil" not in "toil".
        return re.compile(rf"(?<![a-z0-9]){escaped}(?![a-z0-9])")
    return re.compile(escaped)


@cache
def rules() -> tuple[MaterialRule, ...]:
    """The keyword registry, longest keyword first (ties in a stable, alphabetical order)."""
    by_keyword: dict[str, tuple[str, ...]] = {}
    for term in vocabulary.terms(SCHEME):
        for word in (*term.keywords, *term.labels.values()):
            for piece in word.split(" / "):
                by_keyword.setdefault(vocabulary.normalize_label(piece), (term.code,))
    for phrase, codes in COMPOUND_RULES.items():
        by_keyword[vocabulary.normalize_label(phrase)] = codes
    ordered = sorted(by_keyword.items(), key=lambda item: (-len(item[0]), item[0]))
    return tuple(MaterialRule(keyword, codes, _pattern(keyword)) for keyword, codes in ordered)


@cache
def _scanner() -> tuple[re.Pattern[str], dict[str, tuple[str, ...]]]:
    """All rules as one alternation, longest keyword first, so a single left-to-right scan
    takes at each position the longest keyword there (one pass instead of one per rule)."""
    alternatives = "|".join(rule.pattern.pattern for rule in rules())
    return re.compile(alternatives), {rule.keyword: rule.codes for rule in rules()}


def classify_materials(medium_text: str) -> list[str]:
    """Material codes named in a medium line, most specific first (by depth in the material
    hierarchy, then by where they appear in the text), without duplicates. Empty when nothing
    is recognised. Never raises."""
    text = vocabulary.normalize_label(medium_text or "")
    if not text:
        return []
    scanner, codes_by_keyword = _scanner()
    found: dict[str, tuple[int, int]] = {}  # code -> (position, order within its rule)
    for match in scanner.finditer(text):
        for order, code in enumerate(codes_by_keyword[match[0]]):
            found.setdefault(code, (match.start(), order))
    return sorted(
        found,
        key=lambda code: (-vocabulary.depth(SCHEME, code), found[code]),
    )
