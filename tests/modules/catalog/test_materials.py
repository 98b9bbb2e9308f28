"""classify_materials: medium lines (Chinese, traditional Chinese, English) → material codes."""

import pytest

from taihe.modules.catalog import vocabulary
from taihe.modules.catalog.importing.materials import classify_materials, rules

# Medium lines as museums write them: Chinese catalogue conventions, and English lines
# taken verbatim from The Met's open-access data (tests/fixtures/catalog/).
CASES = [
    ("青花瓷", ["porcelain"]),
    ("紫檀木", ["zitan", "wood"]),
    ("绢本设色", ["silk", "pigment"]),
    ("纸本水墨", ["paper", "ink"]),
    ("铜鎏金", ["gold-leaf", "copper"]),
    ("掐丝珐琅", ["cloisonne-enamel"]),
    ("紙本水墨", ["paper", "ink"]),
    ("絹本設色", ["silk", "pigment"]),
    ("銅鎏金", ["gold-leaf", "copper"]),
    ("掐絲琺瑯", ["cloisonne-enamel"]),
    ("青铜", ["bronze"]),
    ("和田玉", ["nephrite"]),
    ("粉彩瓷", ["porcelain"]),
    ("剔红漆器", ["lacquer"]),
    ("Porcelain painted in underglaze blue", ["porcelain"]),
    ("Ink and color on silk", ["silk", "ink", "pigment"]),
    ("Gilt bronze", ["gold-leaf", "bronze"]),
    ("Hanging scroll; ink on paper", ["ink", "paper"]),
    ("Oil on canvas", ["oil-paint", "canvas"]),
    ("Silver and gilded silver with rock crystal, gems, and glass",
     ["gold-leaf", "silver", "glass"]),
    ("Brass; inlaid with silver", ["copper", "silver"]),
    ("Horn, gilded silver mounts and cover", ["gold-leaf", "silver", "horn"]),
    ("Wood, metal, cloisonné, hide, silk, padding",
     ["cloisonne-enamel", "silk", "wood", "metal"]),
    ("Stoneware with green and brown glazes (Oribe ware)", ["stoneware"]),
    ("Porcelain with overglaze enamels and underglaze blue (Kutani ware)",
     ["porcelain", "enamel"]),
    ("Painted enamel, copper", ["painted-enamel", "copper"]),
    ("Pot-metal glass, vitreous paint", ["glass"]),
    ("Set of five handscrolls; ink, color, and cut gold on paper",
     ["gold", "ink", "pigment", "paper"]),
    ("Ivory; carved, inlaid with stone with traces of pigment", ["ivory", "stone", "pigment"]),
    ("Gold, turquoise, sodalite, shell", ["gold", "shell"]),
    ("Rosewood, ivory, wood, ebony", ["wood", "ivory"]),
    ("Copper alloy, inlaid with shell and lapis lazuli", ["copper", "shell"]),
    ("Album of twelve leaves; ink and color on paper", ["ink", "pigment", "paper"]),
    ("Silk embroidery on bamboo", ["silk", "bamboo"]),
    ("Chert", []),
    ("", []),
]


@pytest.mark.parametrize(("medium", "expected"), CASES)
def test_classify_materials_gives_the_codes_most_specific_first(medium, expected):
    # Given a medium line as written in a catalogue
    # When it is classified
    codes = classify_materials(medium)
    # Then the material codes are exactly these, in this order
    assert codes == expected


def test_a_latin_keyword_matches_whole_words_only():
    # Given words that contain "ink" and "oil" without meaning them
    # When classified
    # Then nothing is found
    assert classify_materials("Pink toile; turmoil") == []


def test_the_longest_keyword_consumes_its_span():
    # Given 鎏金 (gilding), which contains 金 (gold)
    # Then only gilding is found, not gold as well
    assert classify_materials("鎏金") == ["gold-leaf"]


def test_full_width_and_case_variants_are_normalised():
    assert classify_materials("ＧＩＬＴ　ＢＲＯＮＺＥ") == ["gold-leaf", "bronze"]


def test_every_rule_names_known_material_codes():
    # Given the keyword registry
    codes = {term.code for term in vocabulary.terms("material")}
    # Then every code a rule yields exists in the material scheme
    assert {code for rule in rules() for code in rule.codes} <= codes
    # And the rules are ordered longest keyword first
    lengths = [len(rule.keyword) for rule in rules()]
    assert lengths == sorted(lengths, reverse=True)
